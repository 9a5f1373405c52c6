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
