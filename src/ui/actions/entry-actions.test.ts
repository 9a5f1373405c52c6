import { describe, expect, it } from 'vitest';
import { applyChange, evaluationOrder } from '../../core/model';
import type { FilterDoc } from '../../core/model';
import { parseFilterXml } from '../../core/xml';
import { ENTRY_ACTIONS, deleteEntry, duplicateEntry } from './entry-actions';

const doc = parseFilterXml(
  "<filter name='t' chain='root'>\n" +
    "  <rule action='accept' direction='in' priority='600'>\n    <tcp dstportstart='22'/>\n  </rule>\n" +
    "  <rule action='accept' direction='in' priority='100'>\n    <tcp dstportstart='80'/>\n  </rule>\n" +
    "  <rule action='drop' direction='inout' priority='900'/>\n" +
    '</filter>\n',
).doc as FilterDoc;

function run(action: typeof deleteEntry, d: FilterDoc, selected: number) {
  const r = action.perform(d, selected);
  if (!r) return null;
  const after = applyChange(d, r.change);
  return { after, select: r.selectAfter(after) };
}

describe('entry actions', () => {
  it('duplicate puts the copy right after the entry and selects it', () => {
    const r = run(duplicateEntry, doc, 0);
    expect(r?.after.entries).toHaveLength(4);
    expect(r?.select).toBe(1);
  });

  it('delete selects the entry that takes its place in evaluation order, or the new last', () => {
    expect(evaluationOrder(doc)).toEqual([1, 0, 2]);
    // Entry 0 is second in evaluation order: the entry now second (the old entry 2) is selected.
    const mid = run(deleteEntry, doc, 0);
    expect(mid?.after.entries).toHaveLength(2);
    expect(mid?.select).toBe(evaluationOrder(mid!.after)[1]);
    // Entry 2 is last: the new last is selected.
    const last = run(deleteEntry, doc, 2);
    expect(last?.select).toBe(evaluationOrder(last!.after)[1]);
    let one: FilterDoc = doc;
    for (const i of [2, 1]) one = applyChange(one, { type: 'delete-entry', index: i });
    expect(run(deleteEntry, one, 0)?.select).toBeNull();
  });

  it('does nothing for an entry that is not there', () => {
    expect(duplicateEntry.perform(doc, 9)).toBeNull();
    expect(deleteEntry.perform(doc, 9)).toBeNull();
  });

  it('keys: Ctrl/Cmd+D duplicates, Delete deletes, nothing else', () => {
    const key = (key: string, mods: { ctrlKey?: boolean; metaKey?: boolean } = {}) => ({
      key,
      ctrlKey: false,
      metaKey: false,
      ...mods,
    });
    const pick = (e: ReturnType<typeof key>) => ENTRY_ACTIONS.find((a) => a.keyTest(e))?.name;
    expect(pick(key('d', { ctrlKey: true }))).toBe('Duplicate');
    expect(pick(key('D', { metaKey: true }))).toBe('Duplicate');
    expect(pick(key('Delete'))).toBe('Delete');
    expect(pick(key('Delete', { ctrlKey: true }))).toBeUndefined();
    expect(pick(key('d'))).toBeUndefined();
  });
});
