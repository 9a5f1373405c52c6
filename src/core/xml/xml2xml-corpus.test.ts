import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateFilterDoc } from '../validate/validate-filter-doc';
import { parseFilterXml } from './parse-filter-xml';
import { serializeFilterXml } from './serialize-filter-xml';
import { corpusRoot, loadXml2XmlCases } from './testing/xml2xml-corpus';

const cases = loadXml2XmlCases();
let passed = 0;

/** Diagnostic codes for values libvirt rejects (see diagnostic-codes.ts). */
const VALUE_ERRORS = ['NWF040', 'NWF041', 'NWF042', 'NWF043', 'NWF044', 'NWF047'];

describe('libvirt xml2xml corpus', () => {
  afterAll(() => {
    console.log(`xml2xml: ${passed}/${cases.length}`);
    expect(passed).toBe(cases.length);
  });

  it('has the cases of the newest libvirt harness', () => {
    expect(cases.filter((c) => c.expect === 'ok')).toHaveLength(21);
    expect(cases.filter((c) => c.expect === 'error')).toHaveLength(21);
  });

  it.each(cases.filter((c) => c.expect === 'ok').map((c) => [c.name, c] as const))(
    '%s parses and serializes byte-identical',
    (_name, c) => {
      const parsed = parseFilterXml(c.input);
      expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(parsed.doc).not.toBeNull();
      if (!parsed.doc) return;
      const text = serializeFilterXml(parsed.doc);
      expect(text).toBe(c.expected);
      // Second pass (Prettier-style idempotence) and round trip.
      const again = parseFilterXml(text);
      expect(again.doc).toEqual(parsed.doc);
      if (again.doc) expect(serializeFilterXml(again.doc)).toBe(text);
      passed++;
    },
  );

  it.each(cases.filter((c) => c.expect === 'error').map((c) => [c.name, c] as const))(
    '%s is rejected as libvirt rejects it',
    (_name, c) => {
      const parsed = parseFilterXml(c.input);
      expect(parsed.doc).toBeNull();
      const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(VALUE_ERRORS).toContain(e.code);
        expect(e.line).toBeGreaterThan(1);
        expect(e.column).toBeGreaterThan(1);
      }
      passed++;
    },
  );

  it('folds the protocol elements of quirks-invalid as libvirt does and says so', () => {
    const c = cases.find((x) => x.name === 'quirks-invalid');
    const parsed = parseFilterXml(c?.input ?? '');
    const codes = parsed.diagnostics.map((d) => d.code);
    expect(codes).toContain('NWF022');
    expect(codes).toContain('NWF021');
    const rule = parsed.doc?.entries[0];
    expect(rule?.kind === 'rule' && rule.rule.attrs).toEqual({
      srcipaddr: { value: '10.1.2.3', negated: true },
      srcipmask: { value: '32', negated: true },
      srcportstart: { value: '22', negated: true },
      dstportstart: { value: '22', negated: true },
      comment: { value: 'comment', negated: false },
    });
  });
});

describe('libvirt built-in filters', () => {
  const dir = path.join(corpusRoot(), 'builtin-filters');
  const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));

  it('are all there', () => {
    expect(files).toHaveLength(24);
  });

  it.each(files)('%s parses without diagnostics and round-trips', (file) => {
    const parsed = parseFilterXml(readFileSync(path.join(dir, file), 'utf8'));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.doc?.name).toBe(file.replace(/\.xml$/, ''));
    if (!parsed.doc) return;
    expect(validateFilterDoc(parsed.doc)).toEqual([]);
    const text = serializeFilterXml(parsed.doc);
    expect(parseFilterXml(text).doc).toEqual(parsed.doc);
  });
});
