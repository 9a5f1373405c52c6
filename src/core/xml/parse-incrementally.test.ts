import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseFilterXml } from './parse-filter-xml';
import { EXAMPLES } from '../examples';
import { findEntrySpans, parseIncrementally, scanEntrySpans } from './parse-incrementally';

const texts = EXAMPLES.map((e) => e.xml);

describe('findEntrySpans', () => {
  it('finds every rule and filterref of the examples, skipping comments', () => {
    for (const text of texts) {
      const doc = parseFilterXml(text).doc;
      expect(findEntrySpans(text)).toHaveLength(doc?.entries.length ?? -1);
    }
  });
});

describe('parseIncrementally', () => {
  it('re-parses one edited rule', () => {
    const before = texts[0] as string;
    const doc = parseFilterXml(before).doc;
    if (!doc) throw new Error('example does not parse');
    const after = before.replace("dstportstart='80'", "dstportstart='8080'");
    const fast = parseIncrementally(parseFilterXml, doc, before, after);
    expect(fast).not.toBeNull();
    expect(fast?.doc).toEqual(parseFilterXml(after).doc);
  });

  it('whitespace typed between two entries keeps the document; anything else there is refused', () => {
    const before = texts[0] as string;
    const doc = parseFilterXml(before).doc!;
    const at = before.indexOf('</rule>') + '</rule>'.length;
    const spaced = before.slice(0, at) + '\n\n   \t' + before.slice(at);
    const same = parseIncrementally(parseFilterXml, doc, before, spaced);
    expect(same?.doc).toBe(doc);
    expect(parseFilterXml(spaced).doc).toEqual(doc);
    expect(findEntrySpans(spaced)).toEqual(scanEntrySpans(spaced));
    const commented = before.slice(0, at) + '\n  <!-- why -->' + before.slice(at);
    expect(parseIncrementally(parseFilterXml, doc, before, commented)?.doc).toBe(doc);
    for (const bad of ['x', '<!-- a -- b -->', '<!-- open', '<uuid/>']) {
      const texted = before.slice(0, at) + bad + before.slice(at);
      expect(parseIncrementally(parseFilterXml, doc, before, texted)).toBeNull();
    }
  });

  it('refuses edits across entries and edits that do not parse', () => {
    const before = texts[0] as string;
    const doc = parseFilterXml(before).doc;
    if (!doc) throw new Error('example does not parse');
    expect(
      parseIncrementally(parseFilterXml, doc, before, before.replace('</rule>', '')),
    ).toBeNull();
    expect(
      parseIncrementally(
        parseFilterXml,
        doc,
        before,
        before.replace("state='NEW'", "state='NEWISH'"),
      ),
    ).toBeNull();
    expect(
      parseIncrementally(
        parseFilterXml,
        doc,
        before,
        before.replace('<filter name', '<filter  name'),
      ),
    ).toBeNull();
  });

  it('whenever it answers, it agrees with a full parse (random edits of the examples)', () => {
    const alphabet = fc.constantFrom(...`<>/='"! -abcdefgilmnoprstuNEW0123456789\n\t`.split(''));
    fc.assert(
      fc.property(
        fc.nat({ max: texts.length - 1 }),
        fc.nat(),
        fc.nat({ max: 6 }),
        fc.string({ unit: alphabet, maxLength: 6 }),
        (which, at, del, insert) => {
          const before = texts[which] as string;
          const doc = parseFilterXml(before).doc;
          if (!doc) return;
          const pos = at % before.length;
          const after = before.slice(0, pos) + insert + before.slice(pos + del);
          const fast = parseIncrementally(parseFilterXml, doc, before, after);
          if (fast === null) return;
          const full = parseFilterXml(after);
          expect(full.diagnostics).toEqual([]);
          expect(fast.doc).toEqual(full.doc);
          // The spans it derived for the new text (cached for the XML pane) are a fresh scan's.
          expect(findEntrySpans(after)).toEqual(scanEntrySpans(after));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
