import { getElementSpec, MAX_RULE_PRIORITY, MIN_RULE_PRIORITY } from '../../core/model';
import { parseCInt } from '../../core/model';
import type { FilterEntry, Rule } from '../../core/model';

/** The rule table's data columns, in display order (after the drag handle). */
export const CELL_COLUMNS = [
  'priority',
  'action',
  'direction',
  'protocol',
  'match',
  'state',
  'comment',
] as const;
export type CellColumn = (typeof CELL_COLUMNS)[number];

/** Header text of each column. */
export const COLUMN_LABELS: Readonly<Record<CellColumn, string>> = {
  priority: 'Priority',
  action: 'Action',
  direction: 'Direction',
  protocol: 'Protocol',
  match: 'Match',
  state: 'State',
  comment: 'Comment',
};

/**
 * statematch only changes iptables/ip6tables rules: libvirt ignores it for the
 * ebtables elements (mac, arp, ip, …), so the cell offers it only where it does
 * something — or where it is already off, so it can be turned back on.
 */
export function statematchApplies(rule: Rule): boolean {
  if (!rule.statematch) return true;
  const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
  return spec !== undefined && spec.layer !== 'ethernet';
}

/** The protocol element has a `comment` attribute (every element but a few ebtables ones). */
export function commentApplies(rule: Rule): boolean {
  const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
  return spec?.attributes.some((a) => a.name === 'comment') ?? false;
}

/**
 * Whether a cell of `entry` can be edited in place. The match has many
 * attributes, so it is edited in the form below the table, not in the cell.
 */
export function isCellEditable(entry: FilterEntry | undefined, column: CellColumn): boolean {
  if (!entry || entry.kind !== 'rule') return false;
  switch (column) {
    case 'match':
      return false;
    case 'state':
      return statematchApplies(entry.rule);
    case 'comment':
      return commentApplies(entry.rule);
    default:
      return true;
  }
}

/** A cell by its place in the table: row position (evaluation order) and column. */
export interface CellPosition {
  position: number;
  column: CellColumn;
}

/**
 * The editable cell Tab (step 1) or Shift+Tab (step -1) moves to from `from`:
 * along the row, then on to the next (previous) rule, skipping filterrefs and
 * cells that cannot be edited. Null at either end of the table.
 */
export function nextEditableCell(
  entryAt: (position: number) => FilterEntry | undefined,
  rowCount: number,
  from: CellPosition,
  step: 1 | -1,
): CellPosition | null {
  const columns = CELL_COLUMNS.length;
  let flat = from.position * columns + CELL_COLUMNS.indexOf(from.column);
  const end = rowCount * columns;
  for (;;) {
    flat += step;
    if (flat < 0 || flat >= end) return null;
    const position = Math.floor(flat / columns);
    const column = CELL_COLUMNS[flat % columns] as CellColumn;
    if (isCellEditable(entryAt(position), column)) return { position, column };
  }
}

/** The verdict on a priority typed into a cell or the form. */
export type PriorityCheck = { ok: true; value: number } | { ok: false; message: string };

/**
 * Checks a rule priority as libvirt reads it (`virStrToLong_i`: optional
 * leading blanks and sign, decimal digits) and within its bounds. libvirt
 * silently replaces anything else by 500, so the editor refuses it instead of
 * storing a value libvirt would not keep. Variables are not allowed here.
 */
export function checkPriorityText(text: string): PriorityCheck {
  const value = parseCInt(text);
  if (value === null || value < MIN_RULE_PRIORITY || value > MAX_RULE_PRIORITY) {
    const variable = /^\s*\$/.test(text) ? ' (variables are not allowed in a priority)' : '';
    return {
      ok: false,
      message: `an integer from ${MIN_RULE_PRIORITY} to ${MAX_RULE_PRIORITY}${variable}`,
    };
  }
  return { ok: true, value };
}

/** Cells edited as text: typing a character on them starts the edit with it. */
export function isTextColumn(column: CellColumn | null): boolean {
  return column === 'priority' || column === 'comment';
}
