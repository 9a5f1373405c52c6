import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile';
import { getBuiltinFilter } from '../library';
import { parseFilterXml } from '../xml/parse-filter-xml';
import type { Ruleset } from '../compile';
import { compareInterfaceRules, diffRules, ruleOriginsOf } from './compare-interface-rules';
import { parseSaveDump } from './save-dump';
import type { DriftReport, SaveDumps } from '.';

const DATA = join(import.meta.dirname, 'testdata');
const read = (f: string) => readFileSync(join(DATA, f), 'utf8');
// What real libvirt 9.0 installed for test-eth0 on vnet0 (testdata/README.md).
const LIBVIRT: SaveDumps = {
  ebtables: read('test-eth0.libvirt-9.0.ebtables-save'),
  iptables: read('test-eth0.libvirt-9.0.iptables-save'),
  ip6tables: read('test-eth0.libvirt-9.0.ip6tables-save'),
};

function ruleset(): Ruleset {
  const doc = parseFilterXml(read('test-eth0.xml')).doc;
  if (!doc) throw new Error('test-eth0.xml does not parse');
  const res = compileFilter(
    (n) => (n === doc.name ? doc : getBuiltinFilter(n, '9.0')?.doc),
    doc.name,
    {
      iface: 'vnet0',
      mac: '52:54:00:11:22:33',
      params: { IP: ['10.99.0.2'] },
    },
  );
  if (!res.ruleset) throw new Error('test-eth0 does not compile');
  return res.ruleset;
}

function compare(host: SaveDumps, studio: SaveDumps = LIBVIRT): DriftReport {
  const r = compareInterfaceRules({ ruleset: ruleset(), host, studio });
  if ('error' in r) throw new Error(r.error);
  return r;
}

const edit = (family: keyof SaveDumps, f: (text: string) => string): SaveDumps => ({
  ...LIBVIRT,
  [family]: f(LIBVIRT[family]),
});

describe('compareInterfaceRules', () => {
  it('finds the same listing identical and counts what it compared', () => {
    const r = compare(LIBVIRT);
    expect(r.identical).toBe(true);
    expect(r.compared.iptables).toBeGreaterThan(10);
    expect(r.compared.ebtables).toBeGreaterThan(10);
  });

  it('names the XML rule of a rule the host lost (iptables -D)', () => {
    const line = '-A FO-vnet0 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT';
    expect(LIBVIRT.iptables).toContain(line);
    const r = compare(edit('iptables', (t) => t.replace(`${line}\n`, '')));
    expect(r.identical).toBe(false);
    expect(r.lines).toEqual([
      expect.objectContaining({
        family: 'iptables',
        chain: 'FO-vnet0',
        only: 'studio',
        text: line,
      }),
    ]);
    const rule = r.lines[0]?.rule;
    expect(rule?.filter).toBe('test-eth0');
    // test-eth0's rule #4 is the one accepting tcp port 80 towards the VM.
    const doc = parseFilterXml(read('test-eth0.xml')).doc;
    const xmlRule = doc?.entries.filter((e) => e.kind === 'rule')[rule?.ruleIndex ?? -1];
    expect(JSON.stringify(xmlRule)).toContain('80');
  });

  it('reports a reordered chain (order decides in a chain)', () => {
    const a = '-A FI-vnet0 -p icmp -m conntrack --ctstate NEW -j RETURN';
    const b = '-A FI-vnet0 -p udp -m udp --dport 53 -m conntrack --ctstate NEW -j RETURN';
    const r = compare(edit('iptables', (t) => t.replace(`${a}\n${b}\n`, `${b}\n${a}\n`)));
    expect(r.identical).toBe(false);
    expect(r.lines.map((l) => l.only).sort()).toEqual(['host', 'studio']);
  });

  it('reports a rule added to the interface chain and a jump for the interface in a shared chain', () => {
    const r = compare(
      edit('iptables', (t) =>
        t.replace(
          '-A FI-vnet0 -j DROP\n',
          '-A FI-vnet0 -p tcp -j ACCEPT\n-A FI-vnet0 -j DROP\n-A libvirt-in -m physdev --physdev-in vnet0 -j ACCEPT\n',
        ),
      ),
    );
    expect(r.lines.map((l) => [l.only, l.chain, l.text])).toEqual([
      ['host', 'FI-vnet0', '-A FI-vnet0 -p tcp -j ACCEPT'],
      ['host', 'libvirt-in', '-A libvirt-in -m physdev --physdev-in vnet0 -j ACCEPT'],
    ]);
  });

  it("ignores other interfaces' and other software's rules in shared chains", () => {
    const r = compare(
      edit('iptables', (t) =>
        t
          .replace(':FI-vnet0 - [0:0]\n', ':FI-vnet0 - [0:0]\n:FI-vnet1 - [0:0]\n')
          .replace(
            '-A FORWARD -j libvirt-in\n',
            '-A FORWARD -j libvirt-in\n-A FORWARD -i eth0 -j DROP\n-A libvirt-in -m physdev --physdev-in vnet1 -g FI-vnet1\n',
          ),
      ),
    );
    expect(r.identical).toBe(true);
  });

  it('reports a lost jump from a built-in chain (a firewall restart wiped FORWARD)', () => {
    const r = compare(edit('iptables', (t) => t.replace('-A FORWARD -j libvirt-in\n', '')));
    expect(r.lines).toEqual([
      expect.objectContaining({
        chain: 'FORWARD',
        only: 'studio',
        text: '-A FORWARD -j libvirt-in',
      }),
    ]);
  });

  it('reports every rule of a host that holds nothing for the interface (iptables -F)', () => {
    const r = compare({ ebtables: '', iptables: '', ip6tables: '' });
    const total = r.compared.ebtables + r.compared.iptables + r.compared.ip6tables;
    expect(r.lines.filter((l) => l.only === 'studio').length).toBeGreaterThanOrEqual(total);
  });

  it('refuses a listing it cannot read, naming the line', () => {
    const r = compareInterfaceRules({
      ruleset: ruleset(),
      host: { ...LIBVIRT, iptables: '-A FORWARD -j ACCEPT\n' },
      studio: LIBVIRT,
    });
    expect(r).toEqual({ error: expect.stringMatching(/iptables-save of the host, line 1/) });
  });
});

describe('ruleOriginsOf', () => {
  it("gives each listed rule of the interface's chains its XML rule, in listing order", () => {
    const origins = ruleOriginsOf(ruleset());
    const tables = parseSaveDump(LIBVIRT.iptables);
    if ('error' in tables) throw new Error(tables.error);
    const fo = tables[0]?.rules.get('FO-vnet0') ?? [];
    expect(origins.iptables.get('FO-vnet0')?.length).toBe(fo.length);
    expect(origins.iptables.get('FO-vnet0')?.every((p) => p?.filter === 'test-eth0')).toBe(true);
  });
});

describe('diffRules', () => {
  it('emits the lines on one side only, with their index', () => {
    const out: string[] = [];
    diffRules(['a', 'b', 'c'], ['a', 'c', 'd'], (only, text, at) =>
      out.push(`${only}:${text}:${at}`),
    );
    expect(out).toEqual(['host:b:1', 'studio:d:2']);
  });
});
