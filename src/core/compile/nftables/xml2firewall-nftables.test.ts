import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateFilter } from '../../instantiate/instantiate-filter';
import type { FilterDoc } from '../../model/types';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { compileNftables } from './compile-nftables';
import { printNftArgs, printNftArgsText } from './print-nft-args';
import { HARNESS_PARAMS, corpusDir, removeNftCommonRules } from './testing/nft-harness';

const DIR = path.join(corpusDir(), 'xml2firewall');
const cases = readFileSync(path.join(DIR, 'CASES.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [test, xml, , expected] = l.split('\t') as [string, string, string, string];
    return { test, xml, expected };
  })
  .filter((c) => c.expected !== '-');

function load(file: string): FilterDoc | undefined {
  try {
    return parseFilterXml(readFileSync(path.join(DIR, file), 'utf8')).doc ?? undefined;
  } catch {
    return undefined;
  }
}

function compileCase(xmlFile: string) {
  const root = load(xmlFile);
  if (!root) throw new Error(`${xmlFile} does not parse`);
  // The harness resolves filterrefs to files of the same folder, by filter name.
  const lookup = (name: string) => (name === root.name ? root : load(`${name}.xml`));
  const inst = instantiateFilter(lookup, root.name, { iface: 'vnet0', params: HARNESS_PARAMS });
  expect(inst.diagnostics).toEqual([]);
  return compileNftables(inst.rules, 'vnet0');
}

let passed = 0;
describe('xml2firewall corpus (nftables backend)', () => {
  it("has the 38 cases of the nftables series' harness", () => {
    expect(cases).toHaveLength(38);
  });
  it.each(cases)('$test', ({ xml, expected }) => {
    const want = readFileSync(path.join(DIR, expected), 'utf8');
    const res = compileCase(xml);
    expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(removeNftCommonRules(printNftArgsText(res.ruleset))).toBe(want);
    passed++;
  });
  it('all 38 cases are byte-identical to the driver', () => {
    expect(passed).toBe(38);
  });
  afterAll(() => {
    console.log(`xml2firewall(nftables): ${passed}/${cases.length}`);
  });
});

describe('the args line map', () => {
  it.each(cases)('$test: every rule of the IR is printed, with its provenance', ({ xml }) => {
    const rs = compileCase(xml).ruleset;
    const printed = printNftArgs(rs);
    const inArgs = new Set(printed.rules);
    for (const t of rs.tables)
      for (const c of t.chains) for (const r of c.rules) expect(inArgs.has(r)).toBe(true);
    printed.rules.forEach((r, i) => expect(printed.origins[i]).toBe(r?.provenance ?? null));
  });
});
