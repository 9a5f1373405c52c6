import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { corpusDir } from '../../testing/corpus-dir';
import {
  BUILTIN_FILTERS,
  BUILTIN_FILTER_NAMES,
  getBuiltinFilter,
  isBuiltinFilterName,
} from './builtin-filters';
import { DEFAULT_LIBVIRT_VERSION, parseLibvirtVersion } from './libvirt-versions';

const CORPUS = corpusDir();
const BUILTIN_DIR = path.join(CORPUS, 'builtin-filters');

function readCorpusFilters(): Map<string, string> {
  if (!existsSync(BUILTIN_DIR)) {
    throw new Error(
      `libvirt corpus not found at ${BUILTIN_DIR}; set NWFILTER_CORPUS to the libvirt-nwfilter folder`,
    );
  }
  const files = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.xml'));
  return new Map(
    files.map((f) => [f.slice(0, -'.xml'.length), readFileSync(path.join(BUILTIN_DIR, f), 'utf8')]),
  );
}

describe('built-in filter library', () => {
  const corpus = readCorpusFilters();

  it('has exactly the filters libvirt ships', () => {
    expect(corpus.size).toBe(24);
    expect([...BUILTIN_FILTER_NAMES].sort()).toEqual([...corpus.keys()].sort());
    expect(new Set(BUILTIN_FILTER_NAMES).size).toBe(BUILTIN_FILTER_NAMES.length);
  });

  it.each(BUILTIN_FILTERS.map((f) => f.name))(
    "%s parses to the same document as libvirt's file",
    (name) => {
      const libvirtXml = corpus.get(name);
      expect(libvirtXml, `no ${name}.xml in ${BUILTIN_DIR}`).toBeDefined();
      const expected = parseFilterXml(libvirtXml ?? '');
      expect(expected.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

      const filter = getBuiltinFilter(name);
      expect(filter?.doc).toEqual(expected.doc);
      expect(filter?.doc.name).toBe(name);
    },
  );

  it('answers unknown names with undefined', () => {
    expect(getBuiltinFilter('no-such-filter')).toBeUndefined();
    expect(isBuiltinFilterName('no-such-filter')).toBe(false);
    expect(isBuiltinFilterName('clean-traffic')).toBe(true);
  });

  it('returns the same parsed filter on every call', () => {
    expect(getBuiltinFilter('clean-traffic')).toBe(getBuiltinFilter('clean-traffic'));
  });
});

describe('built-in filters of libvirt 9.0 (Debian 12)', () => {
  // Debian's libvirt-daemon-config-nwfilter 9.0 installs its built-ins here; the libvirt
  // differential suite installs it (tests/libvirt-diff) and checks the rules they produce.
  const DEBIAN_DIR = '/usr/share/libvirt/nwfilter';
  const debian = existsSync(path.join(DEBIAN_DIR, 'qemu-announce-self.xml'));

  it.skipIf(!debian)(
    'the 9.0 overrides are the files Debian 12 installs, and every other built-in is identical to upstream',
    () => {
      for (const name of BUILTIN_FILTER_NAMES) {
        const installed = readFileSync(path.join(DEBIAN_DIR, `${name}.xml`), 'utf8');
        const ours = getBuiltinFilter(name, '9.0');
        expect(ours?.xml, name).toBe(installed);
        expect(ours?.doc, name).toEqual(parseFilterXml(installed).doc);
      }
    },
  );

  it("9.0's qemu-announce-self accepts protocol 0x835; upstream's is a shim; others are shared", () => {
    const old = getBuiltinFilter('qemu-announce-self', '9.0')?.doc;
    const rule = old?.entries.find((e) => e.kind === 'rule');
    expect(rule?.kind === 'rule' && rule.rule.attrs.protocolid?.value).toBe('0x835');
    expect(getBuiltinFilter('qemu-announce-self')?.doc.entries.some((e) => e.kind === 'rule')).toBe(
      false,
    );
    expect(getBuiltinFilter('allow-arp', '9.0')).toBe(getBuiltinFilter('allow-arp'));
    expect(getBuiltinFilter('nope', '9.0')).toBeUndefined();
  });
});

describe('parseLibvirtVersion', () => {
  it('reads the targets as users write them', () => {
    expect(parseLibvirtVersion('9.0')).toBe('9.0');
    expect(parseLibvirtVersion('9.0.0')).toBe('9.0');
    expect(parseLibvirtVersion('12.5')).toBe('12.5');
    expect(parseLibvirtVersion('latest')).toBe(DEFAULT_LIBVIRT_VERSION);
    expect(parseLibvirtVersion('10.0')).toBeNull();
    expect(parseLibvirtVersion('nine')).toBeNull();
  });
});
