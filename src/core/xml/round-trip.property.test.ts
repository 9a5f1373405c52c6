import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../model/types';
import { validateFilterDoc } from '../validate/validate-filter-doc';
import { parseFilterXml } from './parse-filter-xml';
import { serializeFilterXml } from './serialize-filter-xml';
import { arbFilterDoc } from './testing/arbitrary-filter-doc';
import { loadXml2XmlCases } from './testing/xml2xml-corpus';

const SEED = 20261121;

/** Advice that does not predict a rewrite (chain/protocol fit, attributes without effect). */
const ADVISORY = new Set(['NWF070', 'NWF071']);

/** Diagnostics that say libvirt would store something other than the document. */
function rewriteNotes(doc: Parameters<typeof validateFilterDoc>[0]): Diagnostic[] {
  return validateFilterDoc(doc).filter((d) => !ADVISORY.has(d.code));
}

function expectSanePosition(d: Diagnostic, text: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  expect(d.code).toMatch(/^NWF\d{3}$/);
  expect(d.message.length).toBeGreaterThan(10);
  expect(Number.isInteger(d.line) && Number.isInteger(d.column)).toBe(true);
  expect(d.line).toBeGreaterThanOrEqual(1);
  expect(d.line).toBeLessThanOrEqual(lines.length);
  expect(d.column).toBeGreaterThanOrEqual(1);
  expect(d.column).toBeLessThanOrEqual((lines[d.line - 1] ?? '').length + 1);
}

describe('round trip over generated documents', () => {
  it('parse(serialize(doc)) equals doc and serializing again is stable whenever validation has nothing to say', () => {
    let clean = 0;
    let total = 0;
    fc.assert(
      fc.property(arbFilterDoc, (doc) => {
        total++;
        const text = serializeFilterXml(doc);
        const parsed = parseFilterXml(text);
        const notes = rewriteNotes(doc);
        if (!notes.some((d) => d.severity === 'error'))
          expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        if (notes.length === 0) {
          clean++;
          expect(parsed.doc).toEqual(doc);
          if (parsed.doc) expect(serializeFilterXml(parsed.doc)).toBe(text);
        }
      }),
      { numRuns: 300, seed: SEED },
    );
    // The property must not hold vacuously.
    expect(clean / total).toBeGreaterThan(0.3);
  });

  it('serializing is idempotent after one libvirt pass (serialize∘parse∘serialize = serialize on parsed documents)', () => {
    fc.assert(
      fc.property(arbFilterDoc, (doc) => {
        const first = parseFilterXml(serializeFilterXml(doc)).doc;
        if (!first || rewriteNotes(first).length > 0) return;
        const text = serializeFilterXml(first);
        const second = parseFilterXml(text).doc;
        expect(second).toEqual(first);
        if (second) expect(serializeFilterXml(second)).toBe(text);
      }),
      { numRuns: 200, seed: SEED + 1 },
    );
  });
});

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'flip'; at: number; char: string };

const NASTY = [
  ...`<>/='"&;$[]@!?-: \n\tx0aZé`,
  '<!--',
  '-->',
  '&amp;',
  '&#10;',
  '<![CDATA[',
  ']]>',
  '<!DOCTYPE x>',
  "match='no'",
  "<tcp srcportstart='1'/>",
  '0x',
];
const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(...NASTY),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.constantFrom(...NASTY.filter((s) => s.length === 1)),
  }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.length);
    else s = s.slice(0, at) + m.char + s.slice(at + 1);
  }
  return s;
}

describe('parsing mutated corpus files', () => {
  const cases = loadXml2XmlCases();
  const okInputs = cases.filter((c) => c.expect === 'ok').map((c) => c.input);
  const errorInputs = cases.filter((c) => c.expect === 'error').map((c) => c.input);
  const arbInput = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...okInputs) },
    { weight: 1, arbitrary: fc.constantFrom(...errorInputs) },
  );

  it('never throws, returns a doc or at least one error, with sane positions, and round-trips what it accepts', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        arbInput,
        fc.array(arbMutation, { minLength: 1, maxLength: 4 }),
        (input, mutations) => {
          const text = mutate(input, mutations);
          const result = parseFilterXml(text);
          const errors = result.diagnostics.filter((d) => d.severity === 'error');
          expect(result.doc === null).toBe(errors.length > 0);
          for (const d of result.diagnostics) expectSanePosition(d, text);
          if (!result.doc) {
            rejected++;
            return;
          }
          accepted++;
          if (rewriteNotes(result.doc).length > 0) return;
          const out = serializeFilterXml(result.doc);
          const again = parseFilterXml(out);
          expect(again.doc).toEqual(result.doc);
          if (again.doc) expect(serializeFilterXml(again.doc)).toBe(out);
        },
      ),
      { numRuns: 500, seed: SEED + 2 },
    );
    expect(accepted).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(40);
  });
});
