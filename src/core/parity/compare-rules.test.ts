import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HARNESS_PARAMS, corpusDir } from '../compile/testing/libvirt-harness';
import { getBuiltinFilter } from '../library';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { compareBackends } from './compare-backends';
import type { RuleChange, RuleParity } from './compare-rules';
import { PARITY_FILTERS } from './testing/parity-filters';

const DIR = path.join(corpusDir(), 'xml2firewall');

function load(file: string): FilterDoc | undefined {
  try {
    return parseFilterXml(readFileSync(path.join(DIR, file), 'utf8')).doc ?? undefined;
  } catch {
    return undefined;
  }
}

/** Compares a corpus case as libvirt's harness binds it (filterrefs from the same folder). */
function corpusCase(file: string) {
  const root = load(file);
  if (!root) throw new Error(`${file} does not parse`);
  const lookup = (name: string) => (name === root.name ? root : load(`${name}.xml`));
  return {
    root,
    result: compareBackends(lookup, root.name, { iface: 'vnet0', params: HARNESS_PARAMS }),
  };
}

function compareXml(xml: string) {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  const lookup = (name: string) => (name === doc.name ? doc : getBuiltinFilter(name)?.doc);
  const res = compareBackends(lookup, doc.name, {
    iface: 'vnet0',
    mac: '52:54:00:11:22:33',
    params: { IP: ['10.0.0.2'] },
  });
  expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return res;
}

const ruleAt = (rules: RuleParity[], index: number) => rules.find((r) => r.ruleIndex === index);
const kinds = (r: RuleParity | undefined) =>
  r?.changes.map((c: RuleChange) => `${c.kind} ${c.slot ?? ''}`.trim());

describe('compareRuleTranslations over libvirt corpus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.xml'));

  it('links every difference to an XML rule of the filter with its action and direction', () => {
    let withChanges = 0;
    for (const file of files) {
      const { root, result } = corpusCase(file);
      for (const r of result.rules) {
        const doc = r.filter === root.name ? root : load(`${r.filter}.xml`);
        const entry = doc?.entries[r.entryIndex];
        expect(entry?.kind, `${file} entry ${r.entryIndex}`).toBe('rule');
        if (entry?.kind !== 'rule') continue;
        expect(entry.rule.action).toBe(r.action);
        expect(entry.rule.direction).toBe(r.direction);
        expect(r.changes.length).toBeGreaterThan(0);
        for (const c of r.changes) {
          expect(c.paths.length).toBeGreaterThan(0);
          // Each side's text is there exactly when that side has something at this place.
          expect(c.ebiptables === null).toBe(c.kind === 'added' || c.kind === 'only-nftables');
          expect(c.nftables === null).toBe(c.kind === 'dropped' || c.kind === 'only-ebiptables');
        }
        withChanges++;
      }
    }
    expect(withChanges).toBeGreaterThan(50);
  });

  it('finds no difference where the drivers install the same tests (mac, vlan, arp, iterators)', () => {
    for (const file of ['mac.xml', 'vlan.xml', 'arp.xml', 'iter1.xml', 'iter2.xml', 'iter3.xml']) {
      const { result } = corpusCase(file);
      expect(result.ebiptables.ruleset, file).not.toBeNull();
      expect(result.nftables.ruleset, file).not.toBeNull();
      expect(result.rules, file).toEqual([]);
    }
  });

  it('ipset: the nftables driver drops the set match on every path', () => {
    const r = ruleAt(corpusCase('ipset.xml').result.rules, 0);
    const ipset = r?.changes.filter((c) => c.slot === 'ipset') ?? [];
    expect(ipset.map((c) => c.kind)).toEqual(['dropped', 'dropped']);
    expect(ipset.flatMap((c) => c.paths).sort()).toEqual(['from-vm', 'to-host', 'to-vm']);
    expect(ipset[0]?.ebiptables).toBe('-m set --match-set tck_test src,dst');
  });

  it('REJECT: written as drop by the nftables driver', () => {
    const r = ruleAt(corpusCase('target.xml').result.rules, 2);
    const v = r?.changes.find((c) => c.kind === 'verdict');
    expect(v).toMatchObject({
      ebiptables: '-j REJECT',
      nftables: 'drop',
      paths: ['from-vm', 'to-host'],
    });
    expect(v?.why).toMatch(/no ICMP error or TCP reset/);
  });

  it('connlimit: per source address vs. per rule', () => {
    const rules = corpusCase('conntrack.xml').result.rules;
    expect(rules.map((r) => kinds(r))).toEqual([['changed connlimit'], ['changed connlimit']]);
    expect(rules[1]?.changes[0]).toMatchObject({
      ebiptables: '-m connlimit --connlimit-above 2',
      nftables: 'ct count over 2',
    });
  });

  it("statematch='false': the mirrored rule ebiptables installs for the VM's replies is missing", () => {
    const r = ruleAt(corpusCase('tcp.xml').result.rules, 1);
    expect(r?.changes.map((c) => [c.kind, c.paths])).toEqual([
      ['only-ebiptables', ['from-vm']],
      ['only-ebiptables', ['to-host']],
    ]);
  });

  it("state='NONE': nftables tracks the connection all the same", () => {
    const r = ruleAt(corpusCase('tcp.xml').result.rules, 3);
    expect(kinds(r)).toEqual([
      'only-nftables',
      'changed tcp flags',
      'added ct direction',
      'added ct state',
    ]);
  });

  it("tcp flags: nft's set lookup is not iptables' equality (checked on the kernel: KERNEL-FACTS N11)", () => {
    const rules = corpusCase('tcp.xml').result.rules;
    // SYN/ALL: iptables wants all six flags under a SYN mask (never); `{ * }` is nft's catch-all.
    expect(ruleAt(rules, 3)?.changes.find((c) => c.slot === 'tcp flags')).toMatchObject({
      kind: 'changed',
      nftables: 'tcp flags & syn == { * }',
      why: expect.stringContaining('catch-all'),
    });
    // SYN/SYN,ACK: iptables wants SYN and ACK under a SYN mask (never); nft takes either.
    expect(ruleAt(rules, 4)?.changes.find((c) => c.slot === 'tcp flags')).toMatchObject({
      kind: 'changed',
      nftables: 'tcp flags & syn == { syn,ack }',
    });
    // One element means the same on both sides.
    expect(ruleAt(rules, 5)?.changes.some((c) => c.slot === 'tcp flags')).toBe(false);
  });

  it('the driver slips show: rarp protocol type at @nh,40,16, stp ranges negated, ip dscp vs --ip-tos', () => {
    expect(kinds(ruleAt(corpusCase('rarp.xml').result.rules, 0))).toEqual([
      'dropped arp ptype',
      'added @nh,40,16',
    ]);
    const stp = ruleAt(corpusCase('stp.xml').result.rules, 1);
    expect(stp?.changes.find((c) => c.slot === 'stp root-pri')).toMatchObject({
      kind: 'changed',
      ebiptables: '--stp-root-pri 4660:9029',
      nftables: '@nh,64,16 != 0x1234-0x2345',
    });
    expect(kinds(ruleAt(corpusCase('ip.xml').result.rules, 1))).toEqual(['changed tos']);
  });
});

describe('compareBackends', () => {
  it('clean-traffic and default-state tcp/udp rules are installed alike', () => {
    const res = compareXml(
      `<filter name='a'><filterref filter='clean-traffic'/>
       <rule action='accept' direction='out'><tcp dstportstart='22'/></rule>
       <rule action='accept' direction='in'><udp dstportstart='53'/></rule>
       <rule action='drop' direction='inout'><all/></rule></filter>`,
    );
    expect(res.ebiptables.errors).toEqual([]);
    expect(res.nftables.errors).toEqual([]);
    expect(res.instances.length).toBeGreaterThan(15);
    expect(res.rules).toEqual([]);
  });

  it('connlimit on an incoming drop: nftables drops every connection to the VM', () => {
    const res = compareXml(
      `<filter name='a'><rule action='drop' direction='in'><tcp connlimit-above='1'/></rule></filter>`,
    );
    expect(res.rules).toHaveLength(1);
    expect(res.rules[0]?.changes).toEqual([
      expect.objectContaining({ kind: 'dropped', slot: 'connlimit', paths: ['to-vm'] }),
    ]);
  });

  it('a binding only ebiptables refuses: that side has errors, no rule comparison', () => {
    const res = compareXml(PARITY_FILTERS.cont);
    expect(res.ebiptables.ruleset).toBeNull();
    expect(res.ebiptables.errors.map((e) => e.code)).toEqual(['NWF331']);
    expect(res.nftables.ruleset).not.toBeNull();
    expect(res.rules).toEqual([]);
  });

  it('one entry per XML rule, with the variable values of the expansions that differ', () => {
    const res = compareXml(
      `<filter name='a'><rule action='reject' direction='out'><tcp dstipaddr='$A'/></rule></filter>`.replace(
        '$A',
        '$IP',
      ),
    );
    expect(res.rules).toHaveLength(1);
    expect(res.rules[0]?.bindings).toEqual(['IP=10.0.0.2']);
  });
});
