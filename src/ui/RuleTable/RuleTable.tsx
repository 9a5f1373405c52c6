import { memo, useCallback, useEffect, useMemo, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  DndContext,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import type { DragEndEvent } from '@dnd-kit/core';
import { SortableContext, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { evaluationOrder } from '../../core/model/apply-change';
import type { FilterDoc, FilterEntry } from '../../core/model/types';
import {
  selectActiveDoc,
  selectIsReadOnly,
  selectIsStale,
  selectSelectedIndex,
  useStudioStore,
} from '../../store';
import { summarizeMatch } from './summarize-match';
import { selectHinted, selectHits, usePanelsStore } from '../../store/panels-store';

const ROW_HEIGHT = 30;

/** Column headers, in display order (the first is the drag handle). */
const COLUMNS = [
  'Priority',
  'Action',
  'Direction',
  'Protocol',
  'Match',
  'State',
  'Comment',
] as const;

function stateText(entry: FilterEntry): string {
  if (entry.kind !== 'rule') return '';
  const state = entry.rule.attrs.state;
  const parts: string[] = [];
  if (state) parts.push(`${state.negated ? '!' : ''}${state.value}`);
  if (!entry.rule.statematch) parts.push('statematch off');
  return parts.join(' · ');
}

interface RowProps {
  entry: FilterEntry;
  index: number;
  position: number;
  start: number;
  selected: boolean;
  /** Packets of the current simulation that matched this rule (panels). */
  hits?: number | undefined;
  /** Pointed at from a panel (exported line, trace row, finding). */
  hinted?: boolean;
  readOnly: boolean;
  onSelect(index: number): void;
  onOpenRef(name: string): void;
}

const RuleRow = memo(function RuleRow({
  entry,
  index,
  position,
  start,
  selected,
  hits,
  hinted,
  readOnly,
  onSelect,
  onOpenRef,
}: RowProps) {
  const {
    attributes,
    listeners,
    setNodeRef,
    setActivatorNodeRef,
    transform,
    transition,
    isDragging,
  } = useSortable({
    id: String(index),
    disabled: readOnly,
  });
  const style = {
    transform: `translateY(${start}px) ${CSS.Translate.toString(transform) ?? ''}`,
    transition,
  };
  const className = `rt-row${selected ? ' is-selected' : ''}${hinted ? ' is-hinted' : ''}${isDragging ? ' is-dragging' : ''} rt-${entry.kind}${
    entry.kind === 'rule' ? ` row-${entry.rule.action}` : ''
  }`;
  const handle = (
    <div role="cell" className="rt-cell rt-handle">
      {!readOnly && (
        <button
          type="button"
          ref={setActivatorNodeRef}
          className="drag-handle"
          aria-label={`Drag row ${position + 1}`}
          {...attributes}
          {...listeners}
          tabIndex={-1}
        >
          ⠿
        </button>
      )}
    </div>
  );
  // The same row element for rules and filterrefs; only the cells differ.
  const rowProps = {
    ref: setNodeRef,
    role: 'row',
    'aria-rowindex': position + 2,
    'aria-selected': selected,
    'data-entry-index': index,
    tabIndex: selected ? 0 : -1,
    className,
    style,
    onClick: () => onSelect(index),
  };
  if (entry.kind === 'filterref') {
    const params = entry.ref.params.map((p) => `${p.name}=${p.value}`).join(', ');
    return (
      <div {...rowProps}>
        {handle}
        <div role="cell" className="rt-cell rt-ref">
          <span className="ref-badge">filterref</span>{' '}
          <button
            type="button"
            className="link-button"
            tabIndex={-1}
            onClick={(e) => {
              e.stopPropagation();
              onOpenRef(entry.ref.filter);
            }}
            title={`Open ${entry.ref.filter}`}
          >
            {entry.ref.filter}
          </button>
          {params && <span className="ref-params"> ({params})</span>}
        </div>
      </div>
    );
  }
  const { rule } = entry;
  return (
    <div {...rowProps}>
      {handle}
      <div role="cell" className="rt-cell rt-num">
        {rule.priority}
      </div>
      <div role="cell" className="rt-cell">
        <span className={`action-badge action-${rule.action}`}>{rule.action}</span>
      </div>
      <div role="cell" className="rt-cell">
        {rule.direction}
      </div>
      <div role="cell" className="rt-cell">
        {rule.protocol ?? '—'}
      </div>
      <div role="cell" className="rt-cell rt-match" title={summarizeMatch(rule)}>
        <span className="rt-match-text">{summarizeMatch(rule)}</span>
        {hits !== undefined && (
          <span className="rt-hits" title="Packets of the simulation that matched this rule">
            {hits} hit{hits === 1 ? '' : 's'}
          </span>
        )}
      </div>
      <div role="cell" className="rt-cell">
        {stateText(entry)}
      </div>
      <div role="cell" className="rt-cell rt-comment" title={rule.attrs.comment?.value}>
        {rule.attrs.comment?.value ?? ''}
      </div>
    </div>
  );
});

/** Index of the moved entry after a move to `toPosition` (it is evaluated there). */
function indexAtPosition(doc: FilterDoc | null, position: number): number | null {
  if (!doc) return null;
  return evaluationOrder(doc)[position] ?? null;
}

/**
 * The rule table: the open filter's entries in libvirt's evaluation order,
 * virtualized, keyboard operable (↑/↓ select, Alt+↑/↓ move, Delete, Ctrl+D
 * duplicate, Enter edit) and reorderable by drag.
 */
export function RuleTable({
  onEdit,
  onOpenRef,
}: {
  onEdit(): void;
  onOpenRef(name: string): void;
}) {
  const doc = useStudioStore(selectActiveDoc);
  const hits = usePanelsStore(selectHits);
  const hintedRef = usePanelsStore(selectHinted);
  const selectedIndex = useStudioStore(selectSelectedIndex);
  const readOnly = useStudioStore(selectIsReadOnly);
  const stale = useStudioStore(selectIsStale);
  const { selectEntry, applyDocChange, setNotice } = useStudioStore.getState();
  const scrollRef = useRef<HTMLDivElement>(null);
  const focusPending = useRef(false);

  const order = useMemo(() => (doc ? evaluationOrder(doc) : []), [doc]);
  const ids = useMemo(() => order.map(String), [order]);
  const selectedPosition = selectedIndex === null ? -1 : order.indexOf(selectedIndex);
  const editable = !readOnly && !stale;

  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  // Keep the selected row visible, and focused when the keyboard moved it.
  useEffect(() => {
    if (selectedPosition < 0) return;
    virtualizer.scrollToIndex(selectedPosition, { align: 'auto' });
    if (!focusPending.current) return;
    focusPending.current = false;
    requestAnimationFrame(() => {
      const row = scrollRef.current?.querySelector<HTMLElement>(
        `[data-entry-index="${selectedIndex}"]`,
      );
      row?.focus({ preventScroll: true });
    });
  }, [selectedPosition, selectedIndex, virtualizer]);

  const move = useCallback(
    (index: number, toPosition: number) => {
      const before = useStudioStore.getState();
      const changed = applyDocChange({ type: 'move-entry', index, toPosition });
      if (!changed) {
        setNotice('That move would reorder a filterref; move the filterref instead.');
        return;
      }
      const after = useStudioStore.getState();
      if (after !== before) {
        focusPending.current = true;
        selectEntry(indexAtPosition(selectActiveDoc(after), toPosition));
      }
    },
    [applyDocChange, selectEntry, setNotice],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (order.length === 0) return;
    const pos = selectedPosition;
    const select = (p: number) => {
      const clamped = Math.max(0, Math.min(order.length - 1, p));
      focusPending.current = true;
      selectEntry(order[clamped] ?? null);
    };
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      if (!editable || pos < 0 || selectedIndex === null) return;
      const to = e.key === 'ArrowUp' ? pos - 1 : pos + 1;
      if (to < 0 || to >= order.length) return;
      move(selectedIndex, to);
      return;
    }
    if (e.ctrlKey || e.metaKey) {
      if (e.key.toLowerCase() === 'd' && editable && selectedIndex !== null) {
        e.preventDefault();
        applyDocChange(
          { type: 'duplicate-entry', index: selectedIndex },
          { select: selectedIndex + 1 },
        );
        focusPending.current = true;
      }
      return;
    }
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        select(pos < 0 ? 0 : pos + 1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        select(pos < 0 ? 0 : pos - 1);
        break;
      case 'Home':
        e.preventDefault();
        select(0);
        break;
      case 'End':
        e.preventDefault();
        select(order.length - 1);
        break;
      case 'PageDown':
        e.preventDefault();
        select(pos + 15);
        break;
      case 'PageUp':
        e.preventDefault();
        select(pos - 15);
        break;
      case 'Delete':
        if (editable && selectedIndex !== null) {
          e.preventDefault();
          const nextPos = Math.min(pos, order.length - 2);
          applyDocChange({ type: 'delete-entry', index: selectedIndex });
          const nextDoc = selectActiveDoc(useStudioStore.getState());
          focusPending.current = true;
          selectEntry(nextPos >= 0 && nextDoc ? (evaluationOrder(nextDoc)[nextPos] ?? null) : null);
        }
        break;
      case 'Enter':
        if (selectedIndex !== null) {
          e.preventDefault();
          onEdit();
        }
        break;
      default:
    }
  };

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor),
  );
  const onDragEnd = (event: DragEndEvent) => {
    const { active, over } = event;
    if (!over || active.id === over.id || !editable) return;
    const from = Number(active.id);
    const to = order.indexOf(Number(over.id));
    if (to >= 0) move(from, to);
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div className={`rule-table${stale ? ' is-stale' : ''}`}>
      {stale && (
        <p id="rules-stale-note" className="stale-note" role="status">
          Out of date: the XML has errors. The table shows the last valid version and is read-only
          until the XML parses.
        </p>
      )}
      <div
        role="table"
        aria-label="Rules"
        aria-rowcount={order.length + 1}
        aria-describedby={stale ? 'rules-stale-note' : undefined}
        className="rt-table"
      >
        <div role="rowgroup" className="rt-head">
          <div role="row" aria-rowindex={1} className="rt-row rt-header">
            <div role="columnheader" className="rt-cell rt-handle">
              <span className="visually-hidden">Move</span>
            </div>
            {COLUMNS.map((c) => (
              <div role="columnheader" key={c} className="rt-cell">
                {c}
              </div>
            ))}
          </div>
        </div>
        <DndContext
          sensors={sensors}
          collisionDetection={closestCenter}
          onDragEnd={onDragEnd}
          // Its live region must not sit inside the table (only rows are allowed there).
          accessibility={{ container: document.body }}
        >
          <SortableContext items={ids} strategy={verticalListSortingStrategy}>
            <div
              role="rowgroup"
              ref={scrollRef}
              className="rt-body"
              onKeyDown={onKeyDown}
              tabIndex={selectedPosition < 0 ? 0 : -1}
              aria-label="Rule rows"
            >
              <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
                {items.map((item) => {
                  const index = order[item.index] as number;
                  const entry = doc?.entries[index];
                  if (!entry) return null;
                  return (
                    <RuleRow
                      key={`${index}`}
                      entry={entry}
                      index={index}
                      position={item.index}
                      start={item.start}
                      selected={index === selectedIndex}
                      hits={
                        hits && entry.kind === 'rule'
                          ? (hits[`${doc?.name}#${index}`] ?? 0)
                          : undefined
                      }
                      hinted={hintedRef?.filter === doc?.name && hintedRef?.entryIndex === index}
                      readOnly={!editable}
                      onSelect={selectEntry}
                      onOpenRef={onOpenRef}
                    />
                  );
                })}
              </div>
              {order.length === 0 && (
                <p className="empty-note">No rules yet. Add one with “Add rule”.</p>
              )}
            </div>
          </SortableContext>
        </DndContext>
      </div>
    </div>
  );
}
