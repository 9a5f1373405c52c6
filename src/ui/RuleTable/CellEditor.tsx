import { useEffect, useId, useRef, useState } from 'react';
import type { KeyboardEvent, RefObject } from 'react';
import { MAX_COMMENT_LENGTH, RULE_ACTIONS, RULE_DIRECTIONS } from '../../core/model';
import type { DocChange } from '../../core/model';
import { PROTOCOL_NAMES } from '../../core/model';
import type { ProtocolName, Rule, RuleAction, RuleDirection } from '../../core/model';
import { useStudioStore } from '../../store';
import { checkAttributeValue } from '../RuleEditor/check-attribute-value';
import { changeProtocol } from '../RuleEditor/convert-protocol';
import { checkPriorityText, COLUMN_LABELS } from './table-cells';
import type { CellColumn } from './table-cells';

/** How an edit ended: the table moves focus (and maybe the edit) accordingly. */
export type EditEnd = 'enter' | 'escape' | 'tab' | 'shift-tab' | 'blur';

/** The cell edit as a store change, or null when it changes nothing. */
type Commit = () => DocChange | null;

/**
 * Keys that let the edit end. Every other key stays inside the editor, so the
 * table's own keys (arrows, Delete, Ctrl+D, Ctrl+Z) act on the text instead.
 */
function endOf(e: KeyboardEvent): EditEnd | null {
  if (e.key === 'Enter') return 'enter';
  if (e.key === 'Escape') return 'escape';
  if (e.key === 'Tab') return e.shiftKey ? 'shift-tab' : 'tab';
  return null;
}

/** Applies the edit through the same store action as the form: one undo step per commit. */
function applyCommit(commit: Commit): void {
  const change = commit();
  if (change) useStudioStore.getState().applyDocChange(change);
}

/**
 * Shared ending logic: one end per edit, even when unmounting blurs the field
 * afterwards. Enter and Escape hand the focus to the cell at once, inside the
 * key event, so a key pressed right after never lands on the page body while
 * the editor goes away.
 */
function useEditEnd(field: RefObject<HTMLElement | null>, onDone: (how: EditEnd) => void) {
  const ended = useRef(false);
  return (how: EditEnd, commit: Commit | null) => {
    if (ended.current) return;
    ended.current = true;
    if (how === 'enter' || how === 'escape')
      field.current?.closest<HTMLElement>('[role="cell"]')?.focus({ preventScroll: true });
    if (commit) applyCommit(commit);
    onDone(how);
  };
}

interface EditorProps {
  rule: Rule;
  index: number;
  column: CellColumn;
  /** 1-based rule number, for the field's accessible name. */
  ruleNumber: number;
  /** A character typed on the cell that started the edit (text cells). */
  seed?: string | undefined;
  onDone(how: EditEnd): void;
}

/** A text cell (priority, comment): checked on every keystroke, the error shown beside it. */
function TextCell({
  label,
  initial,
  check,
  toChange,
  onDone,
  numeric,
  seed,
}: {
  label: string;
  initial: string;
  /** Text typed on the cell to start the edit: it replaces the value. */
  seed?: string | undefined;
  check(text: string): string | null;
  toChange(text: string): DocChange | null;
  onDone(how: EditEnd): void;
  numeric?: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(seed ?? initial);
  const input = useRef<HTMLInputElement>(null);
  const end = useEditEnd(input, onDone);
  const seeded = seed !== undefined;
  useEffect(() => {
    input.current?.focus({ preventScroll: true });
    // Typed into the cell: go on typing after it. Entered by Enter/F2: select all to replace.
    if (!seeded) input.current?.select();
  }, [seeded]);
  const error = check(text);
  const commit = () => (text === initial ? null : toChange(text));
  return (
    <>
      <input
        ref={input}
        className="cell-input"
        aria-label={label}
        value={text}
        inputMode={numeric ? 'numeric' : 'text'}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          e.stopPropagation();
          const how = endOf(e);
          if (!how) return;
          e.preventDefault();
          if (how === 'escape') end(how, null);
          // An invalid value is never committed: the field stays open with its error.
          else if (!error) end(how, commit);
        }}
        onBlur={() => end('blur', error ? null : commit)}
      />
      {error && (
        <span id={`${id}-error`} className="cell-error field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** Keys that walk a closed select's options without choosing one yet. */
const BROWSE_KEYS = new Set(['ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

/**
 * A choice cell. A pick with the mouse commits at once; keys that browse the
 * options (arrows, letters) only change the shown value, and Enter, Tab or
 * leaving commits it — so browsing is one undo step and Escape cancels it.
 */
function SelectCell({
  label,
  initial,
  options,
  toChange,
  onDone,
}: {
  label: string;
  initial: string;
  options: readonly { value: string; label: string }[];
  toChange(value: string): DocChange | null;
  onDone(how: EditEnd): void;
}) {
  const [value, setValue] = useState(initial);
  const select = useRef<HTMLSelectElement>(null);
  const browsing = useRef(false);
  const end = useEditEnd(select, onDone);
  useEffect(() => {
    select.current?.focus({ preventScroll: true });
  }, []);
  const commitOf = (v: string) => () => (v === initial ? null : toChange(v));
  return (
    <select
      ref={select}
      className="cell-input"
      aria-label={label}
      value={value}
      onMouseDown={() => {
        // A pick with the mouse commits, even after some browsing with the keys.
        browsing.current = false;
      }}
      onChange={(e) => {
        setValue(e.target.value);
        if (!browsing.current) end('enter', commitOf(e.target.value));
      }}
      onKeyDown={(e) => {
        e.stopPropagation();
        const how = endOf(e);
        browsing.current = !how && !e.altKey && (BROWSE_KEYS.has(e.key) || /^\w$/.test(e.key));
        if (!how) return;
        e.preventDefault();
        end(how, how === 'escape' ? null : commitOf(value));
      }}
      onBlur={() => end('blur', commitOf(value))}
    >
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

const ACTION_OPTIONS = RULE_ACTIONS.map((a) => ({ value: a, label: a }));
const DIRECTION_OPTIONS = RULE_DIRECTIONS.map((d) => ({ value: d, label: d }));
const PROTOCOL_OPTIONS = [
  { value: '', label: '(none)' },
  ...PROTOCOL_NAMES.map((p) => ({ value: p, label: p })),
];
const STATEMATCH_OPTIONS = [
  { value: 'true', label: 'statematch on' },
  { value: 'false', label: 'statematch off' },
];

/**
 * The in-place editor of one cell of a rule row. It edits through the store's
 * `applyDocChange`, like the form below the table, and reports how the edit
 * ended so the table can move on (Tab) or give the cell its focus back.
 */
export function CellEditor({ rule, index, column, ruleNumber, seed, onDone }: EditorProps) {
  const name = column === 'state' ? 'Statematch' : COLUMN_LABELS[column];
  const label = `${name} of rule ${ruleNumber}`;
  switch (column) {
    case 'priority':
      return (
        <TextCell
          label={label}
          initial={String(rule.priority)}
          seed={seed}
          numeric
          check={(t) => {
            const r = checkPriorityText(t);
            return r.ok ? null : r.message;
          }}
          toChange={(t) => {
            const r = checkPriorityText(t);
            return r.ok && r.value !== rule.priority
              ? { type: 'update-rule', index, patch: { priority: r.value } }
              : null;
          }}
          onDone={onDone}
        />
      );
    case 'comment': {
      const current = rule.attrs.comment;
      const negated = current?.negated ?? false;
      const protocol = rule.protocol;
      const check = (t: string) => {
        if (t === '' || !protocol) return null;
        const r = checkAttributeValue(protocol, 'comment', t, negated);
        if (!r.ok) return r.message;
        // libvirt cuts a long comment without a word; the cell says so rather than store less.
        return r.canonical === t
          ? null
          : `at most ${MAX_COMMENT_LENGTH} bytes (libvirt would cut the rest)`;
      };
      return (
        <TextCell
          label={label}
          initial={current?.value ?? ''}
          seed={seed}
          check={check}
          toChange={(t) => {
            if (!protocol) return null;
            if (t === '') return { type: 'set-attr', index, name: 'comment', value: null };
            const r = checkAttributeValue(protocol, 'comment', t, negated);
            return r.ok
              ? { type: 'set-attr', index, name: 'comment', value: { value: r.canonical, negated } }
              : null;
          }}
          onDone={onDone}
        />
      );
    }
    case 'action':
      return (
        <SelectCell
          label={label}
          initial={rule.action}
          options={ACTION_OPTIONS}
          toChange={(v) => ({ type: 'update-rule', index, patch: { action: v as RuleAction } })}
          onDone={onDone}
        />
      );
    case 'direction':
      return (
        <SelectCell
          label={label}
          initial={rule.direction}
          options={DIRECTION_OPTIONS}
          toChange={(v) => ({
            type: 'update-rule',
            index,
            patch: { direction: v as RuleDirection },
          })}
          onDone={onDone}
        />
      );
    case 'protocol':
      return (
        <SelectCell
          label={label}
          initial={rule.protocol ?? ''}
          options={PROTOCOL_OPTIONS}
          toChange={(v) => changeProtocol(rule, index, (v || null) as ProtocolName | null)}
          onDone={onDone}
        />
      );
    case 'state':
      return (
        <SelectCell
          label={label}
          initial={String(rule.statematch)}
          options={STATEMATCH_OPTIONS}
          toChange={(v) => ({ type: 'update-rule', index, patch: { statematch: v === 'true' } })}
          onDone={onDone}
        />
      );
    default:
      return null;
  }
}
