import { describe, expect, it } from 'vitest';
import { COLLAPSE_VISITS_OVER, layOutVisits } from './lay-out-visits';
import type { VisitRow } from './lay-out-visits';

const visits = (pattern: string) => [...pattern].map((c) => ({ matched: c === 'y' }));
const none = new Map<number, number>();
/** The visit indices drawn, in order, with folded runs as `start-end`. */
const show = (rows: VisitRow[]) =>
  rows.map((r) => (r.kind === 'visit' ? String(r.at) : `${r.start}-${r.end}`)).join(' ');

describe('layOutVisits', () => {
  it('draws every visit of a short list, matched or not', () => {
    const short = visits('n'.repeat(COLLAPSE_VISITS_OVER - 1) + 'y');
    const rows = layOutVisits(short, none);
    expect(rows).toHaveLength(COLLAPSE_VISITS_OVER);
    expect(rows.every((r) => r.kind === 'visit')).toBe(true);
  });

  it('folds long runs of non-matching visits in a long list; matched visits and short runs stay', () => {
    // 2,000 rules tried: short runs of misses (0-1, 1996-1997) stay, the long ones fold.
    const pattern = ['nny', 'n'.repeat(996), 'y', 'n'.repeat(995), 'y', 'nny', 'y'].join('');
    expect(pattern).toHaveLength(2000);
    expect(show(layOutVisits(visits(pattern), none))).toBe(
      '0 1 2 3-999 999 1000-1995 1995 1996 1997 1998 1999',
    );
  });

  it('opens a folded run by the number of rows asked for, the rest stays folded', () => {
    const pattern = 'y' + 'n'.repeat(500) + 'y';
    const rows = layOutVisits(visits(pattern), new Map([[1, 200]]));
    expect(rows.filter((r) => r.kind === 'visit')).toHaveLength(202);
    expect(rows[200]).toEqual({ kind: 'visit', at: 200 });
    expect(rows[201]).toEqual({ kind: 'folded', start: 1, end: 501 });
    expect(rows[202]).toEqual({ kind: 'visit', at: 501 });
    // Opened past its end: every row drawn, no folded row left.
    const all = layOutVisits(visits(pattern), new Map([[1, 800]]));
    expect(all).toHaveLength(502);
    expect(all.every((r) => r.kind === 'visit')).toBe(true);
  });
});
