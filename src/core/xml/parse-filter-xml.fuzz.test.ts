import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../../testing/corpus-dir';
import { assertFuzz, hostileString } from '../../testing/fuzz';
import { parseFilterXml } from './parse-filter-xml';

/**
 * Fuzz suite (issue 15): the XML reader never throws, refuses with at least one error or returns
 * a document, and every diagnostic is positioned inside the text with a short message — on
 * corpus files cut, spliced and sprinkled with hostile text.
 */

const IN = path.join(corpusDir(), 'xml2xml', 'in');
const CORPUS = readdirSync(IN)
  .filter((f) => f.endsWith('.xml'))
  .sort()
  .map((f) => readFileSync(path.join(IN, f), 'utf8'));

/** A corpus file mutated: cut, a slice deleted or repeated, hostile text inserted. */
const mutated = fc
  .tuple(
    fc.constantFrom(...CORPUS),
    fc.array(
      fc.tuple(
        fc.constantFrom('cut', 'delete', 'insert', 'repeat'),
        fc.nat(),
        fc.nat({ max: 200 }),
        hostileString,
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [kind, at, len, s] of edits) {
      const i = t.length === 0 ? 0 : at % (t.length + 1);
      if (kind === 'cut') t = t.slice(0, i);
      else if (kind === 'delete') t = t.slice(0, i) + t.slice(i + len);
      else if (kind === 'insert') t = t.slice(0, i) + s + t.slice(i);
      else t = t.slice(0, i) + t.slice(i, i + len).repeat(1 + (len % 50)) + t.slice(i);
    }
    return t;
  });

const tagSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<filter>',
        "<filter name='f'>",
        '</filter>',
        '<rule>',
        "<rule action='accept' direction='in'>",
        '</rule>',
        '<tcp/>',
        "<tcp dstportstart='$'/>",
        '<filterref/>',
        "<filterref filter='clean-traffic'>",
        '</filterref>',
        "<parameter name='IP' value='1.2.3.4'/>",
        '<!--',
        '-->',
        '<![CDATA[',
        ']]>',
        "<?xml version='1.0'?>",
        '<?pi?>',
        '<!DOCTYPE x>',
        '&',
        '&lt;',
        '&#x1b;',
        "'",
        '"',
        '<',
        '>',
      ),
      hostileString,
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

function checkResult(text: string): void {
  const res = parseFilterXml(text);
  if (!res.doc) expect(res.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  const lines = text.split('\n').length;
  for (const d of res.diagnostics) {
    expect(d.code).toMatch(/^NWF\d{3}$/);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeLessThan(2_000);
  }
}

describe('fuzz: the XML reader', () => {
  it('mutated corpus files: no throw, a doc or an error, positioned short diagnostics', () => {
    assertFuzz(fc.property(mutated, checkResult), 300);
  });

  it('tag soup and hostile text: the same', () => {
    assertFuzz(fc.property(tagSoup, checkResult), 300);
  });
});
