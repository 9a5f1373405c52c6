import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFilterXml } from './parse-filter-xml';
import { serializeFilterXml } from './serialize-filter-xml';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata/libvirt-9.0');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.in.xml'))
  .map((f) => f.slice(0, -'.in.xml'.length))
  .sort();

/** Cases where libvirt 9.0 splits negated runs differently from the newer libvirt of the xml2xml corpus (see README.md). */
const NEGATION_LAYOUT = new Set(['neg3', 'negcopy']);

describe('libvirt 9.0 goldens (define + dumpxml on real libvirt)', () => {
  it('covers the recorded cases', () => {
    expect(names.length).toBeGreaterThanOrEqual(67);
  });

  it.each(names)('%s', (name) => {
    const input = readFileSync(path.join(dir, `${name}.in.xml`), 'utf8');
    const expected = readFileSync(path.join(dir, `${name}.out.xml`), 'utf8');
    const parsed = parseFilterXml(input);
    if (expected.startsWith('REJECTED:')) {
      expect(parsed.doc).toBeNull();
      expect(parsed.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      return;
    }
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!parsed.doc) return;
    const text = serializeFilterXml(parsed.doc);
    if (NEGATION_LAYOUT.has(name)) {
      expect(text).not.toBe(expected);
      expect(parseFilterXml(expected).doc).toEqual(parsed.doc);
    } else expect(text).toBe(expected);
  });
});
