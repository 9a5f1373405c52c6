import type { RuleVisit } from '../../core/netfilter';

/** Visit lists longer than this show long runs of rules that did not match as one row. */
export const COLLAPSE_VISITS_OVER = 60;
/** Shortest run of non-matching rules that is collapsed. */
const MIN_COLLAPSED_RUN = 4;
/** Rows a click on a collapsed run reveals. */
export const REVEAL_STEP = 200;

/** A row to draw: one visit, or a run of non-matching visits `[start, end)` folded into one row. */
export type VisitRow =
  { kind: 'visit'; at: number } | { kind: 'folded'; start: number; end: number };

/**
 * The rows of a visit list: every visit of a short list; in a long one every matched visit, with
 * each run of at least `MIN_COLLAPSED_RUN` non-matching visits folded into one row after the part
 * of it the user opened (`revealed` maps a run's start to how many of its rows are open).
 */
export function layOutVisits(
  visits: readonly Pick<RuleVisit, 'matched'>[],
  revealed: ReadonlyMap<number, number>,
): VisitRow[] {
  const rows: VisitRow[] = [];
  const fold = visits.length > COLLAPSE_VISITS_OVER;
  let i = 0;
  while (i < visits.length) {
    if (!fold || visits[i]?.matched) {
      rows.push({ kind: 'visit', at: i++ });
      continue;
    }
    let end = i;
    while (end < visits.length && !visits[end]?.matched) end++;
    if (end - i < MIN_COLLAPSED_RUN) {
      for (; i < end; i++) rows.push({ kind: 'visit', at: i });
      continue;
    }
    const open = Math.min(end - i, revealed.get(i) ?? 0);
    for (let k = i; k < i + open; k++) rows.push({ kind: 'visit', at: k });
    if (i + open < end) rows.push({ kind: 'folded', start: i, end });
    i = end;
  }
  return rows;
}
