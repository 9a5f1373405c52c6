import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FilterDoc } from '../../model/types';
import { compileFilter } from '../compile-filter';
import { spawnSync } from 'node:child_process';
import { printArgs, printArgsText } from './print-args';
import { printScript, printScriptText } from './print-script';
import { HARNESS_PARAMS, corpusDir, removeCommonRules } from '../testing/libvirt-harness';
import { parseFilterXml } from '../../xml/parse-filter-xml';

const DIR = path.join(corpusDir(), 'xml2firewall');
const cases = readFileSync(path.join(DIR, 'CASES.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [test, xml, expected] = l.split('\t') as [string, string, string];
    return { test, xml, expected };
  });

const docs = new Map<string, FilterDoc>();
function load(file: string): FilterDoc {
  const res = parseFilterXml(readFileSync(path.join(DIR, file), 'utf8'));
  if (!res.doc) throw new Error(`${file}: ${res.diagnostics.map((d) => d.message).join('; ')}`);
  return res.doc;
}

/** Our output for one corpus case, after the harness's common-rule stripping. */
function actualFor(xmlFile: string): string {
  const root = load(xmlFile);
  // The harness resolves filterrefs to files of the same folder, by filter name.
  const lookup = (name: string) =>
    name === root.name ? root : (docs.get(name) ?? safeLoad(`${name}.xml`));
  const res = compileFilter(lookup, root.name, { iface: 'vnet0', params: HARNESS_PARAMS });
  expect(res.diagnostics).toEqual([]);
  if (!res.ruleset) throw new Error('no ruleset');
  return removeCommonRules(printArgsText(res.ruleset));
}

function safeLoad(file: string): FilterDoc | undefined {
  try {
    const d = load(file);
    docs.set(d.name, d);
    return d;
  } catch {
    return undefined;
  }
}

describe('both printers print the same IR (corpus filters)', () => {
  it.each(cases)('$test', ({ xml }) => {
    const root = load(xml);
    const res = compileFilter([root], root.name, { iface: 'vnet0', params: HARNESS_PARAMS });
    const rs = res.ruleset;
    if (!rs) throw new Error('no ruleset');
    const all = rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => ({ c, r }))));
    const inArgs = new Set(printArgs(rs).rules);
    const inScript = new Set(printScript(rs).rules);
    for (const { c, r } of all) {
      // The args form prints libvirt's fixed set-up commands instead of the shared root-chain rules.
      if (!(
        c.kind === 'libvirt-root' ||
        (c.kind === 'builtin' && c.name !== 'PREROUTING' && c.name !== 'POSTROUTING')
      )) {
        expect(inArgs.has(r)).toBe(true);
      }
      expect(inScript.has(r)).toBe(true);
    }
    expect(spawnSync('sh', ['-n'], { input: printScriptText(rs) }).status).toBe(0);
  });
});

let passed = 0;
describe('xml2firewall corpus (ebiptables backend)', () => {
  it("has the 39 cases of libvirt's harness", () => {
    expect(cases).toHaveLength(39);
  });
  it.each(cases)('$test', ({ xml, expected }) => {
    const want = readFileSync(path.join(DIR, expected), 'utf8');
    expect(actualFor(xml)).toBe(want);
    passed++;
  });
  it('all 39 cases are byte-identical to libvirt', () => {
    expect(passed).toBe(39);
  });
  afterAll(() => {
    console.log(`xml2firewall(ebiptables): ${passed}/${cases.length}`);
  });
});
