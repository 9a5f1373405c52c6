import type { FilterEntry } from '../../core/model';
import { CELL_COLUMNS, COLUMN_LABELS } from './table-cells';
import type { CellColumn } from './table-cells';

/** The rule table's sized columns: the data cells and, while a simulation ran, its hit counts. */
export type SizedColumn = CellColumn | 'hits';

/** The columns shown, in order (after the drag handle). */
export function shownColumns(withHits: boolean): SizedColumn[] {
  if (!withHits) return [...CELL_COLUMNS];
  const at = CELL_COLUMNS.indexOf('match') + 1;
  return [...CELL_COLUMNS.slice(0, at), 'hits', ...CELL_COLUMNS.slice(at)];
}

export const HITS_LABEL = 'Hits';

/** Header text of a shown column. */
export function columnLabel(column: SizedColumn): string {
  return column === 'hits' ? HITS_LABEL : COLUMN_LABELS[column];
}

/** How a cell's text is set: the match in the monospace font, the rest in the body font. */
export type TextFace = 'body' | 'mono' | 'header';

/** Width in px of `text` set in `face` (a canvas in the browser, a stub in tests). */
export type MeasureText = (text: string, face: TextFace) => number;

/** The texts of one rule row, per column (filterref rows span the table and are not sized). */
export type RowTexts = Readonly<Record<CellColumn, string>>;

/** Horizontal padding of a cell (8 px each side) plus a pixel against rounding. */
const CELL_PADDING = 17;
/** The action badge's minimum width and padding (`.action-badge`). */
const BADGE_MIN = 56;
const BADGE_PADDING = 12;
/** The ✎ button the selected row shows in its match cell, and the gap before it. */
const EDIT_MATCH_ROOM = 26;
/** Header cells hold a resize handle at their right edge. */
const HEADER_ROOM = 8;
/** A column never gets narrower than this, whatever the user drags. */
export const MIN_COLUMN_WIDTH = 36;
/** Nor wider than this. */
export const MAX_COLUMN_WIDTH = 1600;

type Widths = Record<SizedColumn, number>;

/** Per entry, the content width of each cell: entries keep their identity across unrelated
 * edits, so an edit among 2,000 rules measures one row again, not 2,000. */
const cache = new WeakMap<FilterEntry, Partial<Widths>>();

function rowWidths(entry: FilterEntry, texts: RowTexts, measure: MeasureText): Partial<Widths> {
  const known = cache.get(entry);
  if (known) return known;
  const w: Partial<Widths> = {};
  for (const c of CELL_COLUMNS) {
    const text = texts[c];
    if (c === 'action') w[c] = Math.max(BADGE_MIN, measure(text, 'body') + BADGE_PADDING);
    else if (c === 'match') w[c] = measure(text, 'mono') + EDIT_MATCH_ROOM;
    else w[c] = measure(text, 'body');
  }
  cache.set(entry, w);
  return w;
}

/**
 * Each shown column's width in px: the widest of its header and its cells, so nothing that
 * tells two rows apart sits behind an ellipsis; `overrides` are the widths the user dragged.
 */
export function fitColumnWidths(
  rows: readonly { entry: FilterEntry; texts: RowTexts | null }[],
  hits: readonly number[] | null,
  measure: MeasureText,
  overrides: Partial<Record<SizedColumn, number>> = {},
): Record<SizedColumn, number> {
  const columns = shownColumns(hits !== null);
  const widths = {} as Widths;
  for (const c of columns) widths[c] = measure(columnLabel(c), 'header') + HEADER_ROOM;
  for (const { entry, texts } of rows) {
    if (!texts) continue;
    const w = rowWidths(entry, texts, measure);
    for (const c of CELL_COLUMNS) widths[c] = Math.max(widths[c], w[c] ?? 0);
  }
  if (hits) for (const n of hits) widths.hits = Math.max(widths.hits, measure(String(n), 'body'));
  for (const c of columns) {
    const fitted = Math.ceil(widths[c] + CELL_PADDING);
    const chosen = overrides[c] ?? fitted;
    widths[c] = Math.max(MIN_COLUMN_WIDTH, Math.min(MAX_COLUMN_WIDTH, chosen));
  }
  return widths;
}

/** The CSS grid columns: the handle, then each shown column; the last one takes what is left. */
export function gridTemplate(columns: readonly SizedColumn[], widths: Record<SizedColumn, number>) {
  const parts = columns.map((c, i) =>
    i === columns.length - 1 ? `minmax(${widths[c]}px, 1fr)` : `${widths[c]}px`,
  );
  const total = 24 + columns.reduce((sum, c) => sum + widths[c], 0);
  return { template: `24px ${parts.join(' ')}`, total };
}
