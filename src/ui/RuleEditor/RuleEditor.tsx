import { useId, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import { getElementSpec, RULE_ACTIONS, RULE_DIRECTIONS, RULE_ATTRIBUTES } from '../../core/model';
import type { AttributeSpec } from '../../core/model';
import { PROTOCOL_NAMES } from '../../core/model';
import type {
  AttrValue,
  FilterEntry,
  FilterParameter,
  FilterRef,
  ProtocolName,
  Rule,
  RuleAction,
  RuleDirection,
} from '../../core/model';
import {
  selectActiveDoc,
  selectIsReadOnly,
  selectIsStale,
  selectSelectedIndex,
  useStudioStore,
} from '../../store';
import type { StudioState } from '../../store';
import { checkAttributeValue } from './check-attribute-value';
import { changeProtocol } from './convert-protocol';
import { focusSelectedRow } from './focus-rule-editor';
import { ruleNumber } from '../Panels/rule-links';
import { CheckedInput } from '../CheckedInput/CheckedInput';
import { checkPriorityText } from '../RuleTable/table-cells';

function ruleDoc(name: string): string {
  return RULE_ATTRIBUTES.find((a) => a.name === name)?.doc ?? '';
}

function Field({
  label,
  help,
  children,
  htmlFor,
}: {
  label: ReactNode;
  help?: string | undefined;
  children: ReactNode;
  htmlFor: string;
}) {
  return (
    <div className="field">
      <label htmlFor={htmlFor} title={help}>
        {label}
      </label>
      {children}
    </div>
  );
}

function AttributeField({
  spec,
  protocol,
  value,
  index,
  disabled,
}: {
  spec: AttributeSpec;
  protocol: ProtocolName;
  value: AttrValue | undefined;
  index: number;
  disabled: boolean;
}) {
  const id = `attr-${index}-${spec.name}`;
  const listId = spec.enumValues ? `${id}-values` : undefined;
  const negated = value?.negated ?? false;
  const check = (text: string): string | null => {
    if (text.trim() === '') return null;
    // The core decides, variables ($IP, $A[@1]) included, exactly as libvirt's parser would.
    const r = checkAttributeValue(protocol, spec.name, text, negated);
    return r.ok ? null : r.message;
  };
  const commit = (text: string) => {
    const key = `attr:${index}:${spec.name}`;
    if (text.trim() === '') {
      useStudioStore
        .getState()
        .applyDocChange(
          { type: 'set-attr', index, name: spec.name, value: null },
          { coalesceKey: key },
        );
      return;
    }
    const r = checkAttributeValue(protocol, spec.name, text, negated);
    if (!r.ok) return;
    useStudioStore
      .getState()
      .applyDocChange(
        { type: 'set-attr', index, name: spec.name, value: { value: r.canonical, negated } },
        { coalesceKey: key },
      );
  };
  const range =
    spec.min !== undefined && spec.max !== undefined ? ` (${spec.min}..${spec.max})` : '';
  return (
    <div className="attr-field">
      <label htmlFor={id} title={spec.doc}>
        {spec.name}
      </label>
      <div className="attr-input">
        <CheckedInput
          id={id}
          value={value?.value ?? ''}
          disabled={disabled}
          check={check}
          onValid={commit}
          placeholder={spec.valueType + range}
          list={listId}
        />
        {listId && (
          <datalist id={listId}>
            {spec.enumValues?.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        )}
      </div>
      <label className="neg-toggle" title="match='no': negate this attribute">
        <input
          type="checkbox"
          checked={negated}
          disabled={disabled || !value}
          onChange={(e) =>
            value &&
            useStudioStore.getState().applyDocChange({
              type: 'set-attr',
              index,
              name: spec.name,
              value: { value: value.value, negated: e.target.checked },
            })
          }
        />
        <span>not</span>
      </label>
    </div>
  );
}

function RuleForm({ rule, index, disabled }: { rule: Rule; index: number; disabled: boolean }) {
  const base = useId();
  const apply = useStudioStore.getState().applyDocChange;
  const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
  const [showAll, setShowAll] = useState(false);
  const present = new Set(Object.keys(rule.attrs));
  const attrs = spec
    ? showAll
      ? spec.attributes
      : spec.attributes.filter((a) => present.has(a.name) || COMMON.has(a.name))
    : [];
  const unknown = Object.keys(rule.attrs).filter(
    (n) => !spec?.attributes.some((a) => a.name === n),
  );
  return (
    <div className="rule-form">
      <div className="form-row">
        <Field label="Action" htmlFor={`${base}-action`} help={ruleDoc('action')}>
          <select
            id={`${base}-action`}
            value={rule.action}
            disabled={disabled}
            onChange={(e) =>
              apply({ type: 'update-rule', index, patch: { action: e.target.value as RuleAction } })
            }
          >
            {RULE_ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </Field>
        <Field label="Direction" htmlFor={`${base}-direction`} help={ruleDoc('direction')}>
          <select
            id={`${base}-direction`}
            value={rule.direction}
            disabled={disabled}
            onChange={(e) =>
              apply({
                type: 'update-rule',
                index,
                patch: { direction: e.target.value as RuleDirection },
              })
            }
          >
            {RULE_DIRECTIONS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </Field>
        <div className="field">
          <label htmlFor={`${base}-priority`} title={ruleDoc('priority')}>
            Priority
          </label>
          <CheckedInput
            id={`${base}-priority`}
            value={String(rule.priority)}
            disabled={disabled}
            inputMode="numeric"
            check={(t) => {
              const r = checkPriorityText(t);
              return r.ok ? null : r.message;
            }}
            onValid={(t) => {
              const r = checkPriorityText(t);
              if (r.ok)
                apply(
                  { type: 'update-rule', index, patch: { priority: r.value } },
                  { coalesceKey: `prio:${index}` },
                );
            }}
          />
        </div>
        <Field label="Protocol" htmlFor={`${base}-protocol`} help={spec?.doc}>
          <select
            id={`${base}-protocol`}
            value={rule.protocol ?? ''}
            disabled={disabled}
            onChange={(e) =>
              apply(changeProtocol(rule, index, (e.target.value || null) as ProtocolName | null))
            }
          >
            <option value="">(none)</option>
            {PROTOCOL_NAMES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </Field>
        <div className="field field-check">
          <label title={ruleDoc('statematch')}>
            <input
              type="checkbox"
              checked={rule.statematch}
              disabled={disabled}
              onChange={(e) =>
                apply({ type: 'update-rule', index, patch: { statematch: e.target.checked } })
              }
            />{' '}
            statematch
          </label>
        </div>
      </div>
      {spec && (
        <fieldset className="attr-grid">
          <legend>
            &lt;{spec.name}&gt; attributes{' '}
            <button type="button" className="link-button" onClick={() => setShowAll((v) => !v)}>
              {showAll ? 'show set and common only' : `show all ${spec.attributes.length}`}
            </button>
          </legend>
          {attrs.map((a) => (
            <AttributeField
              key={a.name}
              spec={a}
              protocol={spec.name}
              value={rule.attrs[a.name]}
              index={index}
              disabled={disabled}
            />
          ))}
          {unknown.map((n) => (
            <p key={n} className="field-error">
              {n}: not an attribute of &lt;{spec.name}&gt;
            </p>
          ))}
        </fieldset>
      )}
    </div>
  );
}

/** Attributes offered even when unset (the rest behind "show all"). */
const COMMON = new Set([
  'srcipaddr',
  'srcipmask',
  'dstipaddr',
  'dstipmask',
  'srcportstart',
  'srcportend',
  'dstportstart',
  'dstportend',
  'state',
  'type',
  'code',
  'srcmacaddr',
  'protocolid',
  'opcode',
  'vlanid',
  'connlimit-above',
  'comment',
]);

function FilterRefForm({
  filterRef: ref,
  index,
  disabled,
  onOpen,
}: {
  filterRef: FilterRef;
  index: number;
  disabled: boolean;
  onOpen(name: string): void;
}) {
  const base = useId();
  const apply = useStudioStore.getState().applyDocChange;
  const setParams = (params: FilterParameter[], key?: string) =>
    apply({ type: 'update-filterref', index, params }, key ? { coalesceKey: key } : undefined);
  return (
    <div className="rule-form">
      <div className="form-row">
        <div className="field">
          <label htmlFor={`${base}-filter`}>Filter</label>
          <CheckedInput
            id={`${base}-filter`}
            value={ref.filter}
            disabled={disabled}
            list="known-filters"
            check={(t) => (t.trim() ? null : 'the name of the filter to include')}
            onValid={(t) =>
              apply({ type: 'update-filterref', index, filter: t }, { coalesceKey: `ref:${index}` })
            }
          />
        </div>
        <button type="button" onClick={() => onOpen(ref.filter)}>
          Open {ref.filter}
        </button>
      </div>
      <fieldset className="attr-grid">
        <legend>Parameters</legend>
        {ref.params.map((p, i) => (
          <div className="param-row" key={i}>
            <CheckedInput
              id={`${base}-pn-${i}`}
              value={p.name}
              disabled={disabled}
              placeholder="NAME"
              check={(t) => (/^[A-Za-z0-9_]+$/.test(t) ? null : 'letters, digits and _')}
              onValid={(t) =>
                setParams(
                  ref.params.map((q, j) => (j === i ? { ...q, name: t } : q)),
                  `pn:${index}:${i}`,
                )
              }
            />
            <CheckedInput
              id={`${base}-pv-${i}`}
              value={p.value}
              disabled={disabled}
              placeholder="value"
              check={(t) => (/^[A-Za-z0-9_.:]+$/.test(t) ? null : 'letters, digits and _ . :')}
              onValid={(t) =>
                setParams(
                  ref.params.map((q, j) => (j === i ? { ...q, value: t } : q)),
                  `pv:${index}:${i}`,
                )
              }
            />
            <button
              type="button"
              disabled={disabled}
              aria-label={`Remove parameter ${p.name}`}
              onClick={() => setParams(ref.params.filter((_, j) => j !== i))}
            >
              ✕
            </button>
          </div>
        ))}
        <button
          type="button"
          disabled={disabled}
          onClick={() => setParams([...ref.params, { name: 'IP', value: '0.0.0.0' }])}
        >
          Add parameter
        </button>
      </fieldset>
    </div>
  );
}

/** The selected entry, by identity: edits of other rules leave it (and the form) alone. */
const selectSelectedEntry = (s: StudioState): FilterEntry | undefined =>
  s.selectedIndex === null ? undefined : selectActiveDoc(s)?.entries[s.selectedIndex];

const selectSelectedRuleNumber = (s: StudioState): number => {
  const doc = selectActiveDoc(s);
  return doc && s.selectedIndex !== null ? ruleNumber(doc, s.selectedIndex) : 0;
};

/** Escape in the form hands the keyboard back to the table row it edits. */
function onFormKeyDown(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  if (focusSelectedRow()) e.preventDefault();
}

/**
 * The form for the selected entry, generated from the attribute table: every
 * attribute of its protocol element (the table edits the rule's own fields in
 * place; this form is where the match is edited).
 */
export function RuleEditor({ onOpenRef }: { onOpenRef(name: string): void }) {
  const index = useStudioStore(selectSelectedIndex);
  const entry = useStudioStore(selectSelectedEntry);
  const number = useStudioStore(selectSelectedRuleNumber);
  const readOnly = useStudioStore(selectIsReadOnly);
  const stale = useStudioStore(selectIsStale);
  if (!entry || index === null) {
    return (
      // Focusable: on a short screen the hint scrolls, and a scrollable region needs keyboard access.
      <section className="rule-editor" aria-label="Rule editor" tabIndex={0}>
        <p className="hint">
          Select a row to edit it. ↑/↓ select, ←/→ cell, Enter or F2 edit the cell, Enter on the
          match edits it here, Alt+↑/↓ move, Ctrl+D duplicate, Delete remove.
        </p>
      </section>
    );
  }
  const disabled = readOnly || stale;
  return (
    <section className="rule-editor" aria-label="Rule editor" onKeyDown={onFormKeyDown}>
      <h3>
        {entry.kind === 'rule' ? `Rule ${number}` : 'Filter reference'}
        {readOnly && <span className="badge"> read-only</span>}
      </h3>
      {entry.kind === 'rule' ? (
        <RuleForm key={index} rule={entry.rule} index={index} disabled={disabled} />
      ) : (
        <FilterRefForm
          key={index}
          filterRef={entry.ref}
          index={index}
          disabled={disabled}
          onOpen={onOpenRef}
        />
      )}
    </section>
  );
}
