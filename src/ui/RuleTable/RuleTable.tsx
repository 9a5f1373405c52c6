import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent, ReactNode } from 'react';
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
import { evaluationOrder } from '../../core/model';
import type { FilterDoc, FilterEntry } from '../../core/model';
import {
  selectActiveDoc,
  selectIsReadOnly,
  selectIsStale,
  selectSelectedIndex,
  useStudioStore,
} from '../../store';
import { summarizeMatch } from './summarize-match';
import { ENTRY_ACTIONS } from '../actions/entry-actions';
import { runEntryAction } from '../actions/run-entry-action';
import { selectHinted, selectHits, usePanelsStore } from '../../store/panels-store';
import { useLayoutStore } from '../../store/layout-store';
import { ruleNumber as ruleNumberOf } from '../Panels/rule-links';
import { focusRuleEditor } from '../RuleEditor/focus-rule-editor';
import { CellEditor } from './CellEditor';
import type { EditEnd } from './CellEditor';
import { ColumnResizer } from './ColumnResizer';
import { columnLabel, fitColumnWidths, gridTemplate, shownColumns } from './column-widths';
import type { MeasureText, RowTexts, SizedColumn } from './column-widths';
import { CELL_COLUMNS, isCellEditable, isTextColumn, nextEditableCell } from './table-cells';
import type { CellColumn } from './table-cells';
import './rule-table.css';

const ROW_HEIGHT = 30;
/** The sticky header row's height (28 px and its bottom border): rows scroll under it. */
const HEAD_HEIGHT = 29;

/**
 * A module constant: a new options object per render would make new sensors,
 * which changes dnd-kit's context and re-renders every row on every edit.
 */
const POINTER_SENSOR_OPTIONS = { activationConstraint: { distance: 4 } };
/** Same reason: the live region's container, one object for the table's lifetime. */
const DND_ACCESSIBILITY = {
  container: typeof document === 'undefined' ? undefined : document.body,
};

/**
 * Test probe: when a page defines `window.__nwfRowRender`, every row render
 * reports its entry index, so an e2e test can count what an edit re-renders.
 */
type RenderProbe = { __nwfRowRender?: (index: number) => void };

function stateText(entry: FilterEntry): string {
  if (entry.kind !== 'rule') return '';
  const state = entry.rule.attrs.state;
  const parts: string[] = [];
  if (state) parts.push(`${state.negated ? '!' : ''}${state.value}`);
  if (!entry.rule.statematch) parts.push('statematch off');
  return parts.join(' · ');
}

/** What each cell of a rule row shows, as text (filterrefs span the row: null). */
function rowTexts(entry: FilterEntry): RowTexts | null {
  if (entry.kind !== 'rule') return null;
  const { rule } = entry;
  return {
    priority: String(rule.priority),
    action: rule.action,
    direction: rule.direction,
    protocol: rule.protocol ?? '—',
    match: summarizeMatch(rule),
    state: stateText(entry),
    comment: rule.attrs.comment?.value ?? '',
  };
}

let measureCanvas: CanvasRenderingContext2D | null | undefined;
/** Text widths with the fonts the cells use (read from the page's CSS once). */
const measureText: MeasureText = (text, face) => {
  if (measureCanvas === undefined)
    measureCanvas = document.createElement('canvas').getContext('2d');
  if (!measureCanvas) return text.length * 8;
  const style = getComputedStyle(document.body);
  const family =
    face === 'mono' ? style.getPropertyValue('--mono') || 'monospace' : style.fontFamily;
  measureCanvas.font =
    face === 'mono'
      ? `12.5px ${family}`
      : face === 'header'
        ? `600 12px ${family}`
        : `13.5px ${family}`;
  return measureCanvas.measureText(text).width;
};

/** The column of the cell an event happened in (null: the handle or outside the cells). */
function columnOf(target: EventTarget | null): CellColumn | null {
  const cell = (target as HTMLElement | null)?.closest?.('[data-col]');
  return (cell?.getAttribute('data-col') as CellColumn | null | undefined) ?? null;
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
  /** The keyboard's cell in this row (selected row only). */
  activeColumn: CellColumn | null;
  /** The cell being edited in this row, if any. */
  editingColumn: CellColumn | null;
  /** What was typed on the cell to start that edit, if it was started by typing. */
  editingSeed?: string | undefined;
  /** 1-based rule number, only needed (and only computed) while a cell of the row is edited. */
  ruleNumber: number;
  onSelect(index: number, column: CellColumn | null): void;
  onActivate(index: number, column: CellColumn | null): void;
  onEditEnd(index: number, column: CellColumn, how: EditEnd): void;
  onEditMatch(index: number): void;
  onOpenRef(name: string): void;
}

/**
 * One table row. Memoised with props that only change for the rows an edit
 * touches (entries keep their identity across unrelated edits, callbacks are
 * stable), so an edit of one rule among thousands re-renders that row alone.
 */
const RuleRow = memo(function RuleRow({
  entry,
  index,
  position,
  start,
  selected,
  hits,
  hinted,
  readOnly,
  activeColumn,
  editingColumn,
  editingSeed,
  ruleNumber,
  onSelect,
  onActivate,
  onEditEnd,
  onEditMatch,
  onOpenRef,
}: RowProps) {
  (globalThis as RenderProbe).__nwfRowRender?.(index);
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
  const className = `rt-row${selected ? ' is-selected' : ''}${hinted ? ' is-hinted' : ''}${isDragging ? ' is-dragging' : ''}${editingColumn ? ' is-editing' : ''} rt-${entry.kind}${
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
    onClick: (e: MouseEvent<HTMLDivElement>) => onSelect(index, columnOf(e.target)),
    onDoubleClick: (e: MouseEvent<HTMLDivElement>) => {
      const column = columnOf(e.target);
      if (column !== editingColumn) onActivate(index, column);
    },
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
  const cell = (column: CellColumn, extraClass: string, content: ReactNode, title?: string) => {
    const editing = editingColumn === column;
    return (
      <div
        role="cell"
        data-col={column}
        tabIndex={-1}
        className={`rt-cell ${extraClass}${activeColumn === column ? ' is-active' : ''}${
          editing ? ' is-editing' : ''
        }`}
        title={editing ? undefined : title}
      >
        {editing ? (
          <CellEditor
            rule={rule}
            index={index}
            column={column}
            ruleNumber={ruleNumber}
            seed={editingSeed}
            onDone={(how) => onEditEnd(index, column, how)}
          />
        ) : (
          content
        )}
      </div>
    );
  };
  const summary = summarizeMatch(rule);
  return (
    <div {...rowProps}>
      {handle}
      {cell('priority', 'rt-num', rule.priority)}
      {cell(
        'action',
        '',
        <span className={`action-badge action-${rule.action}`}>{rule.action}</span>,
      )}
      {cell('direction', '', rule.direction)}
      {cell('protocol', '', rule.protocol ?? '—')}
      {cell(
        'match',
        'rt-match',
        <>
          <span className="rt-match-text">{summary}</span>
          {selected && !readOnly && (
            <button
              type="button"
              className="link-button rt-edit-match"
              tabIndex={-1}
              aria-label="Edit match"
              title="Edit every attribute of the match in the form below (Enter on this cell)"
              onClick={(e) => {
                e.stopPropagation();
                onEditMatch(index);
              }}
            >
              ✎
            </button>
          )}
        </>,
        summary,
      )}
      {hits !== undefined && (
        <div
          role="cell"
          className="rt-cell rt-hits"
          title="Packets of the simulation that matched this rule"
        >
          {hits}
        </div>
      )}
      {cell('state', '', stateText(entry))}
      {cell('comment', 'rt-comment', rule.attrs.comment?.value ?? '', rule.attrs.comment?.value)}
    </div>
  );
});

/** Index of the moved entry after a move to `toPosition` (it is evaluated there). */
function indexAtPosition(doc: FilterDoc | null, position: number): number | null {
  if (!doc) return null;
  return evaluationOrder(doc)[position] ?? null;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The evaluation order of `doc`, keeping the previous array while it is equal:
 * most edits do not reorder, and a stable array keeps dnd-kit's sortable
 * context (which every row reads) from changing, so rows skip re-rendering.
 */
function useEvaluationOrder(doc: FilterDoc | null): number[] {
  const [cache, setCache] = useState<{ doc: FilterDoc | null; order: number[] }>({
    doc: null,
    order: [],
  });
  if (cache.doc === doc) return cache.order;
  const next = doc ? evaluationOrder(doc) : [];
  const order = sameNumbers(next, cache.order) ? cache.order : next;
  setCache({ doc, order });
  return order;
}

/** Where keyboard focus goes after the next render: the row, or one of its cells. */
interface FocusRequest {
  index: number;
  column: CellColumn | null;
}

/**
 * The rule table: the open filter's entries in libvirt's evaluation order,
 * virtualized, keyboard operable (↑/↓ select, ←/→ cell, Enter/F2 edit the
 * cell in place, Enter on the match opens the form, Alt+↑/↓ move, Delete,
 * Ctrl+D duplicate) and reorderable by drag.
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
  const bodyRef = useRef<HTMLDivElement>(null);
  const focusPending = useRef<FocusRequest | null>(null);
  const [focusTick, setFocusTick] = useState(0);
  /** The keyboard's column in the selected row; null = the row itself. */
  const [activeColumn, setActiveColumn] = useState<CellColumn | null>(null);
  const [editing, setEditing] = useState<{
    index: number;
    column: CellColumn;
    seed?: string;
  } | null>(null);

  const order = useEvaluationOrder(doc);
  const ids = useMemo(() => order.map(String), [order]);
  const selectedPosition = selectedIndex === null ? -1 : order.indexOf(selectedIndex);
  const editable = !readOnly && !stale;
  // An edit belongs to the document it started on; another filter or a stale table ends it.
  const [editDoc, setEditDoc] = useState(doc?.name);
  if (editDoc !== doc?.name) {
    setEditDoc(doc?.name);
    setEditing(null);
  }
  // Nor does an edit survive the table turning read-only (XML errors): when it becomes editable
  // again, a revived editor would take the focus from the XML pane.
  if (!editable && editing) setEditing(null);
  const activeEdit = editable ? editing : null;

  // Header and rows scroll in one element (the table), so they never drift apart; rows
  // start below the sticky header, and a row scrolled to is not left under it.
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: HEAD_HEIGHT,
    scrollPaddingStart: HEAD_HEIGHT,
  });

  /** Widths the user dragged, per column; the others fit their content. */
  const dragged = useLayoutStore((s) => s.columnWidths) as Partial<Record<SizedColumn, number>>;
  const setColumnWidth = useLayoutStore((s) => s.setColumnWidth);
  const hitCounts = useMemo(
    () =>
      hits && doc
        ? doc.entries.flatMap((e, i) => (e.kind === 'rule' ? [hits[`${doc.name}#${i}`] ?? 0] : []))
        : null,
    [hits, doc],
  );
  const columns = useMemo(() => shownColumns(hitCounts !== null), [hitCounts]);
  const fitted = useMemo(
    () =>
      fitColumnWidths(
        (doc?.entries ?? []).map((entry) => ({ entry, texts: rowTexts(entry) })),
        hitCounts,
        measureText,
      ),
    [doc, hitCounts],
  );
  const widths = useMemo(() => ({ ...fitted, ...dragged }), [fitted, dragged]);
  const grid = gridTemplate(columns, widths);

  const requestFocus = useCallback((index: number, column: CellColumn | null) => {
    focusPending.current = { index, column };
    setFocusTick((t) => t + 1);
  }, []);

  // Keep the selected row visible, and focused (row or cell) when the keyboard moved it.
  useEffect(() => {
    if (selectedPosition < 0) return;
    virtualizer.scrollToIndex(selectedPosition, { align: 'auto' });
    const pending = focusPending.current;
    if (!pending) return;
    focusPending.current = null;
    const focusTarget = () => {
      const row = bodyRef.current?.querySelector<HTMLElement>(
        `[data-entry-index="${pending.index}"]`,
      );
      const target =
        pending.column === null
          ? row
          : (row?.querySelector<HTMLElement>(`[data-col="${pending.column}"]`) ?? row);
      target?.focus({ preventScroll: true });
      return !!target;
    };
    // At once when the row is on screen (no gap where keys would go to the page); a row
    // scrolled into view is rendered by the virtualizer on the next frame.
    if (!focusTarget()) requestAnimationFrame(focusTarget);
  }, [selectedPosition, selectedIndex, virtualizer, focusTick]);

  // Callbacks handed to rows must keep their identity: they read the latest state from here.
  const latest = useRef({ doc, editable, onEdit });
  useLayoutEffect(() => {
    latest.current = { doc, editable, onEdit };
  });

  const onSelectCell = useCallback(
    (index: number, column: CellColumn | null) => {
      selectEntry(index);
      setActiveColumn(column);
    },
    [selectEntry],
  );

  const editMatch = useCallback(
    (index: number) => {
      selectEntry(index);
      focusRuleEditor('match');
    },
    [selectEntry],
  );

  /** Enter/F2/double-click on a cell: edit it in place, or open the form for the match. */
  const activate = useCallback(
    (index: number, column: CellColumn | null) => {
      const { doc: d, editable: canEdit, onEdit: openForm } = latest.current;
      const entry = d?.entries[index];
      selectEntry(index);
      setActiveColumn(column);
      if (canEdit && column !== null && isCellEditable(entry, column)) {
        setEditing({ index, column });
        return;
      }
      if (column === 'match' && entry?.kind === 'rule') focusRuleEditor('match');
      else openForm();
    },
    [selectEntry],
  );

  const endEdit = useCallback(
    (index: number, column: CellColumn, how: EditEnd) => {
      setEditing(null);
      if (how === 'blur') return;
      if (how === 'tab' || how === 'shift-tab') {
        // Positions after the commit: a new priority may have moved the row.
        const d = selectActiveDoc(useStudioStore.getState());
        if (d) {
          const nextOrder = evaluationOrder(d);
          const next = nextEditableCell(
            (p) => d.entries[nextOrder[p] ?? -1],
            nextOrder.length,
            { position: nextOrder.indexOf(index), column },
            how === 'tab' ? 1 : -1,
          );
          const nextIndex = next ? nextOrder[next.position] : undefined;
          if (next && nextIndex !== undefined) {
            selectEntry(nextIndex);
            setActiveColumn(next.column);
            setEditing({ index: nextIndex, column: next.column });
            return;
          }
        }
      }
      setActiveColumn(column);
      requestFocus(index, column);
    },
    [requestFocus, selectEntry],
  );

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
        const moved = indexAtPosition(selectActiveDoc(after), toPosition);
        selectEntry(moved);
        if (moved !== null) requestFocus(moved, null);
      }
    },
    [applyDocChange, requestFocus, selectEntry, setNotice],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (order.length === 0) return;
    const pos = selectedPosition;
    const select = (p: number) => {
      const clamped = Math.max(0, Math.min(order.length - 1, p));
      const index = order[clamped] ?? null;
      selectEntry(index);
      if (index !== null) requestFocus(index, activeColumn);
    };
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      if (!editable || pos < 0 || selectedIndex === null) return;
      const to = e.key === 'ArrowUp' ? pos - 1 : pos + 1;
      if (to < 0 || to >= order.length) return;
      move(selectedIndex, to);
      return;
    }
    const action = ENTRY_ACTIONS.find((a) => a.keyTest(e));
    if (action) {
      if (editable && selectedIndex !== null) {
        e.preventDefault();
        const next = runEntryAction(action, selectedIndex);
        if (next !== null && next !== undefined) requestFocus(next, activeColumn);
      }
      return;
    }
    if (e.ctrlKey || e.metaKey) return;
    const moveColumn = (step: 1 | -1) => {
      if (selectedIndex === null) return;
      const at = activeColumn === null ? -1 : CELL_COLUMNS.indexOf(activeColumn);
      const next = Math.max(-1, Math.min(CELL_COLUMNS.length - 1, at + step));
      const column = next < 0 ? null : (CELL_COLUMNS[next] as CellColumn);
      setActiveColumn(column);
      requestFocus(selectedIndex, column);
    };
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        select(pos < 0 ? 0 : pos + 1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        select(pos < 0 ? 0 : pos - 1);
        break;
      case 'ArrowRight':
        e.preventDefault();
        moveColumn(1);
        break;
      case 'ArrowLeft':
        e.preventDefault();
        moveColumn(-1);
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
      case 'Enter':
        if (selectedIndex !== null) {
          e.preventDefault();
          activate(selectedIndex, activeColumn);
        }
        break;
      case 'Escape':
        // Back from a cell to its row.
        if (activeColumn !== null && selectedIndex !== null) {
          e.preventDefault();
          setActiveColumn(null);
          requestFocus(selectedIndex, null);
        }
        break;
      case 'F2':
        if (selectedIndex !== null) {
          e.preventDefault();
          const entry = doc?.entries[selectedIndex];
          // F2 always edits in place: the active cell, else the row's first editable cell.
          const column =
            activeColumn !== null && isCellEditable(entry, activeColumn)
              ? activeColumn
              : CELL_COLUMNS.find((c) => isCellEditable(entry, c));
          if (column && editable) activate(selectedIndex, column);
        }
        break;
      default:
        // Typing on a priority or comment cell starts its edit with what was typed, as grids do.
        if (
          e.key.length === 1 &&
          !e.altKey &&
          editable &&
          selectedIndex !== null &&
          isTextColumn(activeColumn) &&
          activeColumn !== null &&
          isCellEditable(doc?.entries[selectedIndex], activeColumn)
        ) {
          e.preventDefault();
          setEditing({ index: selectedIndex, column: activeColumn, seed: e.key });
        }
    }
  };

  const sensors = useSensors(
    useSensor(PointerSensor, POINTER_SENSOR_OPTIONS),
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
    <div
      className={`rule-table${stale ? ' is-stale' : ''}`}
      style={{
        ['--rt-columns' as string]: grid.template,
        ['--rt-width' as string]: `${grid.total}px`,
      }}
    >
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
        ref={scrollRef}
        // The skip link's target.
        id="rules"
        tabIndex={-1}
      >
        <div role="rowgroup" className="rt-head">
          <div role="row" aria-rowindex={1} className="rt-row rt-header">
            <div role="columnheader" className="rt-cell rt-handle">
              <span className="visually-hidden">Move</span>
            </div>
            {columns.map((c) => (
              <div
                role="columnheader"
                key={c}
                className={`rt-cell${c === 'priority' ? ' rt-num' : c === 'hits' ? ' rt-hits' : ''}`}
                data-col={c}
              >
                {columnLabel(c)}
                <ColumnResizer
                  label={columnLabel(c)}
                  width={widths[c]}
                  onResize={(w) => setColumnWidth(c, w)}
                  onReset={() => setColumnWidth(c, null)}
                />
              </div>
            ))}
          </div>
        </div>
        <DndContext
          sensors={sensors}
          collisionDetection={closestCenter}
          onDragEnd={onDragEnd}
          // Its live region must not sit inside the table (only rows are allowed there).
          accessibility={DND_ACCESSIBILITY}
        >
          <SortableContext items={ids} strategy={verticalListSortingStrategy}>
            <div
              // Without rows it is no rowgroup (one must hold rows); the note below says why.
              role={order.length > 0 ? 'rowgroup' : undefined}
              ref={bodyRef}
              className="rt-body"
              onKeyDown={onKeyDown}
              tabIndex={order.length === 0 ? undefined : selectedPosition < 0 ? 0 : -1}
              aria-label={order.length > 0 ? 'Rule rows' : undefined}
            >
              <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
                {items.map((item) => {
                  const index = order[item.index] as number;
                  const entry = doc?.entries[index];
                  if (!entry) return null;
                  const selected = index === selectedIndex;
                  const editingColumn = activeEdit?.index === index ? activeEdit.column : null;
                  return (
                    <RuleRow
                      key={`${index}`}
                      entry={entry}
                      index={index}
                      position={item.index}
                      start={item.start - HEAD_HEIGHT}
                      selected={selected}
                      hits={
                        hits && entry.kind === 'rule'
                          ? (hits[`${doc?.name}#${index}`] ?? 0)
                          : undefined
                      }
                      hinted={hintedRef?.filter === doc?.name && hintedRef?.entryIndex === index}
                      readOnly={!editable}
                      activeColumn={selected ? activeColumn : null}
                      editingColumn={editingColumn}
                      editingSeed={editingColumn ? activeEdit?.seed : undefined}
                      ruleNumber={editingColumn && doc ? ruleNumberOf(doc, index) : 0}
                      onSelect={onSelectCell}
                      onActivate={activate}
                      onEditEnd={endEdit}
                      onEditMatch={editMatch}
                      onOpenRef={onOpenRef}
                    />
                  );
                })}
              </div>
            </div>
          </SortableContext>
        </DndContext>
      </div>
      {order.length === 0 && <p className="empty-note">No rules yet. Add one with “Add rule”.</p>}
    </div>
  );
}
