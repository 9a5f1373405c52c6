import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FilterDoc } from '../../model/types';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { compileFilter } from '../compile-filter';
import type { IrRule, IrTable, Ruleset } from './ir';
import { findChain } from './ir';
import { printArgs, formatDryRunCommand } from './print-args';
import { matchArgs, targetArgs } from './rule-args';
import { corpusDir } from '../testing/libvirt-harness';
import { ethertypeNumber } from '../../model/names';

const BUILTIN = path.join(corpusDir(), 'builtin-filters');
const builtins = new Map<string, FilterDoc>(
  readdirSync(BUILTIN)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => {
      const doc = parseFilterXml(readFileSync(path.join(BUILTIN, f), 'utf8')).doc as FilterDoc;
      return [doc.name, doc];
    }),
);

function compile(
  root: FilterDoc | string,
  params: Record<string, string[]> = {},
  mac?: string,
): Ruleset {
  const rootDoc = typeof root === 'string' ? undefined : root;
  const lookup = (n: string) => (rootDoc && n === rootDoc.name ? rootDoc : builtins.get(n));
  const res = compileFilter(lookup, typeof root === 'string' ? root : root.name, {
    iface: 'vnet0',
    params,
    ...(mac ? { mac } : {}),
  });
  expect(res.diagnostics).toEqual([]);
  return res.ruleset as Ruleset;
}

const table = (rs: Ruleset, family: IrTable['family']) =>
  rs.tables.find((t) => t.family === family) as IrTable;
const show = (r: IrRule) =>
  [...r.matches.flatMap(matchArgs), ...targetArgs(r.target, (n) => n)].join(' ');
const chainRules = (t: IrTable, name: string) => (findChain(t, name)?.rules ?? []).map(show);

const MAC = '52:54:00:aa:bb:cc';

describe('compileEbiptables: clean-traffic (built-in filters from libvirt)', () => {
  const rs = compile('clean-traffic', { IP: ['10.0.0.1'] }, MAC);
  const eb = table(rs, 'ebtables');

  it('touches only ebtables (no IP-layer rules)', () => {
    expect(rs.tables.map((t) => t.family)).toEqual(['ebtables']);
  });

  it('interleaves sub-chain jumps with root rules by priority', () => {
    expect(chainRules(eb, 'libvirt-I-vnet0')).toEqual([
      '-j I-vnet0-mac',
      '-p 0x0800 -j I-vnet0-ipv4-ip',
      '-p 0x800 -j ACCEPT',
      '-p 0x0806 -j I-vnet0-arp-mac',
      '-p 0x0806 -j I-vnet0-arp-ip',
      '-p 0x806 -j ACCEPT',
      '-p 0x8035 -j I-vnet0-rarp',
      '-j DROP',
    ]);
    expect(chainRules(eb, 'libvirt-O-vnet0')).toEqual([
      '-p 0x0800 -j O-vnet0-ipv4',
      '-p 0x806 -j ACCEPT',
      '-p 0x8035 -j O-vnet0-rarp',
      '-j DROP',
    ]);
  });

  it("fills the sub chains with the referenced filters' rules, in priority order", () => {
    expect(chainRules(eb, 'I-vnet0-mac')).toEqual([`-s ${MAC} -j RETURN`, '-j DROP']);
    expect(chainRules(eb, 'I-vnet0-ipv4-ip')).toEqual([
      '-p ipv4 --ip-source 0.0.0.0 --ip-protocol 17 -j RETURN',
      '-p ipv4 --ip-source 10.0.0.1 -j RETURN',
      '-j DROP',
    ]);
    expect(chainRules(eb, 'O-vnet0-ipv4')).toEqual(['-j ACCEPT']);
    expect(chainRules(eb, 'I-vnet0-arp-mac')).toEqual([
      `-p 0x806 --arp-mac-src ${MAC} -j RETURN`,
      '-j DROP',
    ]);
    expect(chainRules(eb, 'I-vnet0-arp-ip')).toEqual([
      '-p 0x806 --arp-ip-src 10.0.0.1/32 -j RETURN',
      '-j DROP',
    ]);
    expect(chainRules(eb, 'I-vnet0-rarp')).toEqual([
      `-s ${MAC} -d ff:ff:ff:ff:ff:ff -p 0x8035 --arp-opcode 3 --arp-ip-src 0.0.0.0/32 --arp-ip-dst 0.0.0.0/32 --arp-mac-src ${MAC} --arp-mac-dst ${MAC} -j ACCEPT`,
      '-j DROP',
    ]);
    expect(chainRules(eb, 'PREROUTING')).toEqual(['-i vnet0 -j libvirt-I-vnet0']);
    expect(chainRules(eb, 'POSTROUTING')).toEqual(['-o vnet0 -j libvirt-O-vnet0']);
  });

  it('records temporary names and provenance', () => {
    expect(findChain(eb, 'I-vnet0-arp-ip')).toMatchObject({
      tempName: 'J-vnet0-arp-ip',
      kind: 'iface-sub',
      dir: 'in',
      suffix: 'arp-ip',
      priority: -510,
    });
    const spoof = findChain(eb, 'I-vnet0-ipv4-ip')?.rules[1];
    expect(spoof?.provenance).toMatchObject({
      filter: 'no-ip-spoofing',
      ruleIndex: 1,
      filterPath: ['clean-traffic', 'no-ip-spoofing'],
      bindings: { IP: '10.0.0.1' },
    });
    expect(findChain(eb, 'libvirt-I-vnet0')?.rules[0]?.provenance).toBeNull();
  });

  it('one IP list value → one rule per address', () => {
    const two = table(compile('clean-traffic', { IP: ['10.0.0.1', '10.0.0.2'] }, MAC), 'ebtables');
    expect(chainRules(two, 'I-vnet0-arp-ip')).toEqual([
      '-p 0x806 --arp-ip-src 10.0.0.1/32 -j RETURN',
      '-p 0x806 --arp-ip-src 10.0.0.2/32 -j RETURN',
      '-j DROP',
    ]);
  });
});

describe('compileEbiptables: iptables layout', () => {
  const doc = parseFilterXml(
    "<filter name='t'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='22' comment='ssh in'/>\n  </rule>\n  <rule action='drop' direction='inout'>\n    <all-ipv6/>\n  </rule>\n</filter>\n",
  ).doc as FilterDoc;
  const rs = compile(doc);

  it("links the interface chains from libvirt's root chains, which FORWARD/INPUT jump to", () => {
    const ipt = table(rs, 'iptables');
    expect(chainRules(ipt, 'FORWARD')).toEqual([
      '-j libvirt-in',
      '-j libvirt-out',
      '-j libvirt-in-post',
    ]);
    expect(chainRules(ipt, 'INPUT')).toEqual(['-j libvirt-host-in']);
    expect(chainRules(ipt, 'libvirt-out')).toEqual([
      '-m physdev --physdev-is-bridged --physdev-out vnet0 -g FO-vnet0',
    ]);
    expect(chainRules(ipt, 'libvirt-in')).toEqual(['-m physdev --physdev-in vnet0 -g FI-vnet0']);
    expect(chainRules(ipt, 'libvirt-host-in')).toEqual([
      '-m physdev --physdev-in vnet0 -g HI-vnet0',
    ]);
    expect(chainRules(ipt, 'libvirt-in-post')).toEqual(['-m physdev --physdev-in vnet0 -j ACCEPT']);
    expect(chainRules(ipt, 'FI-vnet0')).toEqual([
      '-p tcp --sport 22 -m conntrack --ctstate ESTABLISHED -m conntrack --ctdir Reply -m comment --comment ssh in -j RETURN',
    ]);
    expect(chainRules(table(rs, 'ip6tables'), 'FO-vnet0')).toEqual(['-p all -j DROP']);
  });

  it('maps printed args lines back to their XML rules', () => {
    const { lines, origins, rules } = printArgs(rs);
    expect(lines).toHaveLength(origins.length);
    expect(rules).toHaveLength(lines.length);
    expect(rules[lines.findIndex((l) => l === '-A FP-vnet0 \\')]).toBe(
      findChain(table(rs, 'iptables'), 'FO-vnet0')?.rules[0],
    );
    const idx = lines.findIndex((l) => l === '-A FP-vnet0 \\');
    expect(origins[idx]).toMatchObject({ filter: 't', ruleIndex: 0, direction: 'in' });
    expect(origins[idx + 3]).toMatchObject({ filter: 't', ruleIndex: 0 });
    expect(origins[lines.findIndex((l) => l === 'iptables \\')]).toBeNull();
    const v6 = lines.findIndex((l, i) => l === '-A FJ-vnet0 \\' && lines[i - 2] === 'ip6tables \\');
    expect(origins[v6]).toMatchObject({ filter: 't', ruleIndex: 1, direction: 'inout' });
  });

  it("formats commands as libvirt's dry run does", () => {
    expect(
      formatDryRunCommand(['iptables', '-w', '-I', 'FORWARD', '1', '-j', 'libvirt-in']),
    ).toEqual(['iptables \\', '-w \\', '-I FORWARD 1 \\', '-j libvirt-in']);
    expect(
      formatDryRunCommand(['iptables', '-m', 'mac', '!', '--mac-source', 'x', '--comment', "it's"]),
    ).toEqual(['iptables \\', "-m mac '!' \\", '--mac-source x \\', "--comment 'it'\\''s'"]);
  });
});

describe('compileEbiptables: EtherType names come from the model (libvirt macProtoMap)', () => {
  const doc = parseFilterXml(
    "<filter name='vlan-proto' chain='root'>\n" +
      "  <rule action='drop' direction='out' priority='500'>\n    <mac protocolid='vlan'/>\n  </rule>\n" +
      "  <rule action='drop' direction='out' priority='500'>\n    <mac protocolid='arp'/>\n  </rule>\n" +
      '</filter>\n',
  ).doc as FilterDoc;

  it("prints <mac protocolid='vlan'/> as libvirt does: -p 0x8100 (the name's number, in hex)", () => {
    expect(ethertypeNumber('vlan')).toBe(0x8100);
    const eb = table(compile(doc), 'ebtables');
    expect(chainRules(eb, 'libvirt-I-vnet0')).toEqual(['-p 0x8100 -j DROP', '-p 0x806 -j DROP']);
    const rule = findChain(eb, 'libvirt-I-vnet0')?.rules[0];
    expect(rule?.matches[0]).toMatchObject({ kind: 'eb-proto', ethertype: 0x8100 });
  });
});
