import { describe, expect, it } from 'vitest';
import type { FilterEntry } from '../../core/model';
import { fitColumnWidths, gridTemplate, MIN_COLUMN_WIDTH, shownColumns } from './column-widths';
import type { MeasureText, RowTexts } from './column-widths';

/** 7 px per character, like a monospace font. */
const measure: MeasureText = (text) => text.length * 7;

function row(match: string, comment = ''): { entry: FilterEntry; texts: RowTexts } {
  return {
    entry: {
      kind: 'rule',
      rule: {
        action: 'accept',
        direction: 'in',
        priority: 500,
        statematch: true,
        protocol: 'tcp',
        attrs: {},
      },
    },
    texts: {
      priority: '500',
      action: 'accept',
      direction: 'in',
      protocol: 'tcp',
      match,
      state: 'NEW',
      comment,
    },
  };
}

describe('fitColumnWidths', () => {
  it('sizes each column to its widest cell or header', () => {
    const w = fitColumnWidths(
      [row('tcp dst 22 · src 10.0.0.0/8'), row('tcp dst 443 · src 10.0.0.0/8 · state NEW', 'x')],
      null,
      measure,
    );
    // The longer match, its ✎ room and the cell padding.
    expect(w.match).toBe(
      Math.ceil('tcp dst 443 · src 10.0.0.0/8 · state NEW'.length * 7 + 26 + 17),
    );
    // The header is wider than 'x'.
    expect(w.comment).toBe(Math.ceil('Comment'.length * 7 + 8 + 17));
    expect(w.hits).toBeUndefined();
  });

  it('adds the hits column after the match when a simulation ran', () => {
    expect(shownColumns(true)).toEqual([
      'priority',
      'action',
      'direction',
      'protocol',
      'match',
      'hits',
      'state',
      'comment',
    ]);
    const w = fitColumnWidths([row('tcp')], [123456789], measure);
    expect(w.hits).toBe(Math.ceil(9 * 7 + 17));
  });

  it('keeps dragged widths within bounds', () => {
    const w = fitColumnWidths([row('tcp')], null, measure, { match: 3, comment: 300 });
    expect(w.match).toBe(MIN_COLUMN_WIDTH);
    expect(w.comment).toBe(300);
  });

  it('lets the last column take the space left', () => {
    const columns = shownColumns(false);
    const w = fitColumnWidths([row('tcp')], null, measure);
    const { template, total } = gridTemplate(columns, w);
    expect(template.startsWith('24px ')).toBe(true);
    expect(template.endsWith(`minmax(${w.comment}px, 1fr)`)).toBe(true);
    expect(total).toBe(24 + columns.reduce((s, c) => s + w[c], 0));
  });
});
