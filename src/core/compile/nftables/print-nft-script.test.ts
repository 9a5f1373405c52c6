import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantiateFilter } from '../../instantiate/instantiate-filter';
import type { FilterDoc } from '../../model/types';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { compileNftables } from './compile-nftables';
import { printNftScript, quoteNftString } from './print-nft-script';

const BASE = parseFilterXml(
  `<filter name='f'><rule action='drop' direction='out'><tcp comment='x'/></rule></filter>`,
).doc as FilterDoc;

/** The one-rule filter with an arbitrary comment (beyond what XML text can spell easily). */
function filterWithComment(comment: string): FilterDoc {
  const doc = structuredClone(BASE);
  const entry = doc.entries[0];
  if (entry?.kind !== 'rule') throw new Error('no rule');
  entry.rule.attrs.comment = { value: comment, negated: false };
  return doc;
}

function script(doc: FilterDoc) {
  const inst = instantiateFilter([doc], doc.name, { iface: 'vnet0' });
  expect(inst.diagnostics).toEqual([]);
  return printNftScript(compileNftables(inst.rules, 'vnet0').ruleset, { filterName: doc.name });
}

describe('printNftScript', () => {
  it('prints every rule once, after a comment naming its XML rule, and maps its lines to it', () => {
    const printed = script(filterWithComment('hello'));
    const i = printed.lines.findIndex((l) => l.includes('usercomment=hello'));
    expect(printed.lines[i]).toBe(
      '\t\tether type ip meta l4proto tcp drop comment "usercomment=hello"',
    );
    expect(printed.lines[i - 1]).toBe(
      '\t\t# filter "f", rule 1 (action drop, direction out, priority 500)',
    );
    expect(printed.origins[i]?.ruleIndex).toBe(0);
    expect(printed.lines.filter((l) => l.includes('@vmap-oif'))).toHaveLength(2);
    expect(printed.lines[1]).toContain('not yet in a release');
  });

  it('keeps any comment inside its one nft string (nft strings have no escapes)', () => {
    fc.assert(
      // A comment starting with '$' is a variable reference to libvirt (a lone '$' names the
      // empty variable, which nothing sets), not text; one whose '$' follows whitespace is text
      // (libvirt tests the untrimmed value's first character; ld-comments on real 9.0).
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((c) => !c.startsWith('$')),
        (comment) => {
          const printed = script(filterWithComment(comment));
          const text = printed.lines.join('\n');
          const want = `usercomment=${comment.replace(/"/g, "'")}`;
          const start = text.indexOf(' comment "');
          expect(start).toBeGreaterThan(0);
          // The string runs from the opening quote to the very next quote: exactly libvirt's text.
          const open = start + ' comment "'.length;
          const close = text.indexOf('"', open);
          expect(text.slice(open, close)).toBe(want);
          expect(text.slice(close + 1, close + 2)).toBe('\n');
          // Every physical line of the string maps to the rule.
          const rows = printed.lines
            .map((l, i) => [l, printed.origins[i]] as const)
            .filter(([, o]) => o !== null);
          expect(rows.length).toBe(1 + (want.match(/\n/g)?.length ?? 0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses to write a string holding a double quote', () => {
    expect(() => quoteNftString('a"b')).toThrow();
    expect(quoteNftString('a b')).toBe('"a b"');
  });
});
