import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyChange } from '../model/apply-change';
import type { DocChange } from '../model/apply-change';
import { EXAMPLES } from '../examples';
import { BUILTIN_FILTERS, getBuiltinFilter } from '../library';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from './parse-filter-xml';
import { serializeFilterXml } from './serialize-filter-xml';
import { findEntrySpans, scanEntrySpans } from './parse-incrementally';
import { serializeDoc, serializeEdited } from './serialize-edited';

const docs: FilterDoc[] = [
  ...EXAMPLES.map((e) => parseFilterXml(e.xml).doc!),
  ...BUILTIN_FILTERS.map((f) => getBuiltinFilter(f.name)!.doc),
].filter((d) => d.entries.length > 0);

/** Changes a cell edit makes to entry `index` (what the rule table and form send). */
function changesFor(doc: FilterDoc, index: number): DocChange[] {
  const entry = doc.entries[index];
  if (entry?.kind === 'filterref')
    return [{ type: 'update-filterref', index, params: [{ name: 'IP', value: "10.0.0.'1" }] }];
  return [
    { type: 'update-rule', index, patch: { action: 'reject' } },
    { type: 'update-rule', index, patch: { priority: -123 } },
    { type: 'update-rule', index, patch: { statematch: false } },
    {
      type: 'set-attr',
      index,
      name: 'comment',
      value: { value: `a 'quoted' <&> "c"`, negated: false },
    },
    { type: 'set-attr', index, name: 'dstportstart', value: { value: '8080', negated: true } },
    { type: 'set-protocol', index, protocol: 'udp', attrs: {} },
    { type: 'set-protocol', index, protocol: null },
  ];
}

describe('serializeEdited', () => {
  it('splices one re-serialized entry: the text equals a full serialization, for every entry and edit kind', () => {
    let checked = 0;
    for (const doc of docs) {
      const base = serializeDoc({ ...doc });
      expect(base).toBe(serializeFilterXml(doc));
      doc.entries.forEach((_, index) => {
        for (const change of changesFor(doc, index)) {
          const previous = { ...doc };
          serializeDoc(previous);
          const next = applyChange(previous, change);
          if (next === previous) continue;
          serializeEdited(previous, next);
          expect(serializeDoc(next)).toBe(serializeFilterXml(next));
          // The spans it records for the new text are a fresh scan's.
          expect(findEntrySpans(serializeDoc(next))).toEqual(scanEntrySpans(serializeDoc(next)));
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('a chain of random edits stays equal to a full serialization after every step', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: docs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 12 }),
        (which, steps) => {
          let doc: FilterDoc = { ...docs[which]! };
          serializeDoc(doc);
          for (const [at, kind] of steps) {
            const index = at % doc.entries.length;
            const changes = changesFor(doc, index);
            const next = applyChange(doc, changes[kind % changes.length]!);
            serializeEdited(doc, next);
            expect(serializeDoc(next)).toBe(serializeFilterXml(next));
            doc = next;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaves other edits (entries added, removed, moved; filter fields) to the full serializer', () => {
    const doc = { ...docs[0]! };
    serializeDoc(doc);
    for (const change of [
      { type: 'delete-entry', index: 0 },
      { type: 'duplicate-entry', index: 1 },
      { type: 'set-filter-fields', chainPriority: 10 },
    ] as DocChange[]) {
      const next = applyChange(doc, change);
      serializeEdited(doc, next);
      expect(serializeDoc(next)).toBe(serializeFilterXml(next));
    }
  });
});
