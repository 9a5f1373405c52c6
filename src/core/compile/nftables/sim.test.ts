/**
 * The simulator executing the nftables IR: every rule of every corpus, library and kernel-test-bed
 * filter is interpretable, the hooks run in the kernel's priority order with bridge-family
 * conntrack first, the verdict maps dispatch by interface, and the matches mean what nft's
 * bytecode means (failed loads, prefixes, ranges, sets, raw payloads, `ct count` per rule).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile-filter';
import { getBackend } from '../backends';
import { HARNESS_PARAMS, corpusDir } from '../testing/libvirt-harness';
import { createWorkspaceLookup } from '../../instantiate/instantiate-filter';
import { BUILTIN_FILTERS, getBuiltinFilter } from '../../library/builtin-filters';
import type { FilterDoc } from '../../model/types';
import { BridgeHost } from '../../netfilter/bridge-host';
import type { HostSettings } from '../../netfilter/bridge-host';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildTcp,
  buildUdp,
} from '../../packet';
import type { EthernetFrame } from '../../packet';
import { prepareRuleset } from '../../netfilter/prepare-ruleset';
import { DEFAULT_HOSTS, SCENARIOS } from '../../sim/scenarios';
import { runScenario } from '../../sim/run-scenario';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import type { NftMatch, NftRuleset } from './ir';
import { prepareNftMatch } from './sim';

const VM = DEFAULT_HOSTS.vm;
const REMOTE = DEFAULT_HOSTS.remote;
const nft = getBackend('nftables');

function parse(xml: string): FilterDoc {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  return doc;
}

function compile(doc: FilterDoc, params: Record<string, string[]> = { IP: [VM.ip] }) {
  const lookup = createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc);
  const res = compileFilter(lookup, doc.name, { iface: 'vnet0', mac: VM.mac, params }, nft);
  if (!res.ruleset) throw new Error(res.diagnostics.map((d) => d.message).join('; '));
  return res.ruleset as NftRuleset;
}

const kdDir = join(import.meta.dirname, '../../../../tests/kernel-diff/filters');
const kdFilters = readdirSync(kdDir)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => parse(readFileSync(join(kdDir, f), 'utf8')));

function corpusRulesets(): { id: string; ruleset: NftRuleset }[] {
  const dir = join(corpusDir(), 'xml2firewall');
  const load = (f: string) => parse(readFileSync(join(dir, f), 'utf8'));
  return readFileSync(join(dir, 'CASES.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [test, xml] = l.split('\t') as [string, string];
      const root = load(xml);
      const res = compileFilter(
        createWorkspaceLookup([root], (n) => {
          try {
            return load(`${n}.xml`);
          } catch {
            return undefined;
          }
        }),
        root.name,
        { iface: 'vnet0', params: HARNESS_PARAMS },
        nft,
      );
      return { id: test, ruleset: res.ruleset as NftRuleset };
    })
    .filter((c) => c.ruleset !== null);
}

describe('every rule the driver writes is interpreted', () => {
  it('corpus, library and kernel test bed filters: unsupported only where nft refuses the text', () => {
    const cases = [
      ...corpusRulesets(),
      ...BUILTIN_FILTERS.map((b) => ({
        id: `library/${b.name}`,
        ruleset: compile(parse(b.xml), {
          IP: [VM.ip],
          IPV6: ['fd00::2'],
          DHCPSERVER: [b.name.includes('v6') ? 'fd00::1' : '10.99.0.1'],
          GATEWAY_MAC: ['52:54:00:00:00:fe'],
        }),
      })),
      ...kdFilters.map((d) => ({ id: `kd/${d.name}`, ruleset: compile(d) })),
    ];
    expect(cases.length).toBeGreaterThan(70);
    const unsupported: string[] = [];
    for (const c of cases) {
      const prepared = prepareRuleset(c.ruleset);
      for (const t of prepared.tables.values())
        for (const ch of t.chains.values())
          for (const r of ch.rules)
            if (r.unsupported) unsupported.push(`${c.id}: ${r.unsupported}`);
    }
    // `tcp option N` is not nft syntax (NWF345): nft refuses the script, nothing to execute.
    expect(unsupported.filter((u) => !u.includes("'tcp option'"))).toEqual([]);
  });
});

const FILTER = `<filter name='t'>
  <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
  <rule action='accept' direction='out'><udp dstportstart='53'/></rule>
  <rule action='drop' direction='inout'><all/></rule>
</filter>`;

const tcpIn = (flags: number, sport = 40000) =>
  buildEthernet(
    { src: REMOTE.mac, dst: VM.mac },
    buildIpv4({ src: REMOTE.ip, dst: VM.ip }, buildTcp({ sport, dport: 22, flags, seq: 1 })),
  );

describe('the bridge path', () => {
  it('runs nf_conntrack_bridge before both tables, ethernet (priority 0) before inet (1)', () => {
    const host = new BridgeHost(compile(parse(FILTER)));
    const t = host.step(tcpIn(0x02), 'to-vm', 0);
    expect(t.verdict).toBe('accept');
    expect(t.ctstate).toBe('NEW');
    expect(t.hooks.map((h) => h.hook)).toEqual([
      'conntrack (bridge)',
      'table bridge libvirt_nwfilter_ethernet chain prerouting',
      'table bridge libvirt_nwfilter_inet chain prerouting',
      'table bridge libvirt_nwfilter_ethernet chain postrouting',
      'table bridge libvirt_nwfilter_inet chain postrouting',
      'confirm',
    ]);
    // A frame towards the VM: iif is the peer port, so prerouting's `iif vmap` finds no element;
    // postrouting's `oif vmap` jumps to vnet0-in, whose rule accepts.
    const pre = t.hooks[2];
    expect(pre?.visits.map((v) => v.matched)).toEqual([false]);
    const post = t.hooks[4];
    expect(post?.visits.map((v) => [v.chain, v.matched, v.target])).toEqual([
      ['postrouting', true, 'oif vmap @vmap-oif: jump vnet0-in'],
      ['vnet0-in', true, 'accept'],
    ]);
    expect(t.rule).toEqual({ filter: 't', index: 0, priority: 500, direction: 'in' });
  });

  it('bridge-family conntrack ignores bridge-nf-call-iptables and the iptables FTP helper rule', () => {
    const rs = compile(parse(FILTER));
    for (const settings of [{ callIptables: false }, { ftpHelper: true }] as HostSettings[]) {
      const host = new BridgeHost(rs, settings);
      expect(host.step(tcpIn(0x02), 'to-vm', 0).ctstate).toBe('NEW');
      expect(host.tracking).toEqual({ ipv4: true, ipv6: true });
    }
  });

  it('a ruleset without ct expressions tracks nothing (nf_ct_netns_get is never called)', () => {
    const rs = compile(
      parse(`<filter name='s'>
  <rule action='drop' direction='in'><tcp dstportstart='23'/></rule>
  <rule action='accept' direction='in' statematch='false'><tcp dstportstart='22'/></rule>
</filter>`),
    );
    const host = new BridgeHost(rs);
    expect(host.tracking).toEqual({ ipv4: false, ipv6: false });
    const t = host.step(tcpIn(0x02), 'to-vm', 0);
    expect(t.verdict).toBe('accept');
    expect(t.ctstate).toBeNull();
    expect(host.table(0)).toEqual([]);
    // The iptables raw-table helper rule then registers the IP family's conntrack, which
    // br_netfilter runs on bridged IPv4 as under the ebiptables backend.
    const helped = new BridgeHost(rs, { ftpHelper: true });
    expect(helped.tracking).toEqual({ ipv4: true, ipv6: false });
    expect(helped.bridgeConntrack).toBe(false);
    expect(helped.step(tcpIn(0x02), 'to-vm', 0).ctstate).toBe('NEW');
  });

  it('a frame dropped in prerouting takes its new conntrack entry with it', () => {
    const rs = compile(
      parse(`<filter name='d'>
  <rule action='drop' direction='out'><tcp dstportstart='25'/></rule>
  <rule action='accept' direction='out'><tcp/></rule>
</filter>`),
    );
    const host = new BridgeHost(rs);
    const out = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4({ src: VM.ip, dst: REMOTE.ip }, buildTcp({ sport: 1025, dport: 25, flags: 0x02 })),
    );
    const t = host.step(out, 'from-vm', 0);
    expect(t.verdict).toBe('drop');
    expect(t.ctstate).toBe('NEW');
    expect(host.table(0)).toEqual([]);
  });

  it('the simulator scenarios run without an unsupported rule under every test bed filter', () => {
    for (const doc of kdFilters) {
      const rs = compile(doc);
      for (const s of SCENARIOS) {
        for (const step of runScenario(rs, s).steps)
          expect(step.trace.error, `${doc.name} ${s.name}`).toBeNull();
      }
    }
  });

  it('the no-trace walk (dispatch index) decides as the traced walk', () => {
    for (const doc of kdFilters) {
      const rs = compile(doc);
      for (const s of SCENARIOS) {
        const frames = s.build(DEFAULT_HOSTS);
        const a = new BridgeHost(rs);
        const b = new BridgeHost(rs);
        for (const f of frames) {
          const x = a.step(f.frame, f.side, f.t);
          const y = b.step(f.frame, f.side, f.t, { detail: false });
          expect([y.verdict, y.rule, y.ctstate], `${doc.name} ${s.name}`).toEqual([
            x.verdict,
            x.rule,
            x.ctstate,
          ]);
        }
        expect(b.counters()).toEqual(a.counters());
      }
    }
  });
});

/** A predicate of one match, run on a frame with the given ports. */
function holds(
  m: Partial<NftMatch> & { selector: string; value: string },
  frame: EthernetFrame,
  iface: { in?: string; out?: string } = {},
): boolean {
  const p = prepareNftMatch({ mask: null, negated: false, args: [], ...m });
  if (!p.ok) throw new Error(p.unsupported);
  const host = new BridgeHost(compile(parse(FILTER)));
  const ctx = {
    ...(host as unknown as { ctx: object }).ctx,
    frame,
    inIface: iface.in ?? null,
    outIface: iface.out ?? null,
  };
  return p.pred(ctx as Parameters<typeof p.pred>[0]);
}

describe('nft expressions', () => {
  const udp = buildEthernet(
    { src: VM.mac, dst: REMOTE.mac },
    buildIpv4({ src: '10.1.2.3', dst: REMOTE.ip, dscp: 10 }, buildUdp({ sport: 5353, dport: 53 })),
  );
  const arp = buildEthernet(
    { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
    buildArp({ op: 1, sha: VM.mac, spa: '10.1.2.3', tpa: '10.1.2.3' }),
  );
  const ping = buildEthernet(
    { src: VM.mac, dst: REMOTE.mac },
    buildIpv4({ src: VM.ip, dst: REMOTE.ip }, buildIcmpEcho({ id: 1, seq: 1 })),
  );

  it('addresses with prefixes and ranges, ports, dscp', () => {
    expect(holds({ selector: 'ip saddr', value: '10.1.0.0/16' }, udp)).toBe(true);
    expect(holds({ selector: 'ip saddr', value: '10.1.0.0/255.255.0.0' }, udp)).toBe(true);
    expect(holds({ selector: 'ip saddr', value: '10.1.2.4-10.1.2.9' }, udp)).toBe(false);
    expect(holds({ selector: 'ip saddr', value: '10.1.2.0-10.1.2.9' }, udp)).toBe(true);
    expect(holds({ selector: 'udp dport', value: '50-60' }, udp)).toBe(true);
    expect(holds({ selector: 'udp dport', value: '53', negated: true }, udp)).toBe(false);
    expect(holds({ selector: 'ip dscp', value: '10' }, udp)).toBe(true);
    expect(holds({ selector: 'ether saddr', value: VM.mac }, udp)).toBe(true);
    expect(
      holds(
        { selector: 'ether daddr', value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' },
        arp,
      ),
    ).toBe(true);
  });

  it('a load the frame cannot satisfy fails the rule whatever its operator', () => {
    // `udp dport != 53` on an ICMP packet: the implicit `meta l4proto udp` dependency fails.
    expect(holds({ selector: 'udp dport', value: '53', negated: true }, ping)).toBe(false);
    // `ip saddr != …` on an ARP frame: the `ether type ip` dependency fails.
    expect(holds({ selector: 'ip saddr', value: '10.0.0.1', negated: true }, arp)).toBe(false);
    // `th dport` has no dependency: it reads the ICMP header's bytes 2-3 (the checksum).
    expect(holds({ selector: 'th dport', value: '0-65535' }, ping)).toBe(true);
  });

  it('tcp flags as a masked set membership, meta l4proto, interfaces', () => {
    const syn = tcpIn(0x02);
    const synAck = tcpIn(0x12);
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: 'syn' }, syn)).toBe(true);
    expect(holds({ selector: 'tcp flags', mask: 'ack', value: 'ack' }, syn)).toBe(false);
    expect(holds({ selector: 'tcp flags', mask: 'ack', value: 'ack', negated: true }, syn)).toBe(
      true,
    );
    expect(holds({ selector: 'tcp flags', mask: 'ack', value: 'ack' }, synAck)).toBe(true);
    expect(holds({ selector: 'meta l4proto', value: 'tcp' }, syn)).toBe(true);
    expect(holds({ selector: 'meta l4proto', value: 'tcp' }, arp)).toBe(false);
    expect(holds({ selector: 'iif', value: 'vnet0' }, syn, { in: 'vnet0' })).toBe(true);
    expect(holds({ selector: 'oif', value: 'vnet0' }, syn, { in: 'vnet0' })).toBe(false);
  });

  it("tcp flags: `*` is nft's catch-all set element, several elements are alternatives (measured on Linux 6.18, KERNEL-FACTS N11)", () => {
    const rst = tcpIn(0x04);
    const syn = tcpIn(0x02);
    // `tcp flags & syn == { * }` counted a SYN and the RST answering it; `!= { * }` neither.
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: '*' }, rst)).toBe(true);
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: '*' }, syn)).toBe(true);
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: '*', negated: true }, rst)).toBe(
      false,
    );
    // Not a TCP packet: the dependency fails, whatever the set (even where byte 13 exists).
    const udpLong = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4(
        { src: VM.ip, dst: REMOTE.ip },
        buildUdp({ sport: 5353, dport: 53, payload: new Uint8Array(32).fill(0x02) }),
      ),
    );
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: '*' }, udpLong)).toBe(false);
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: 'syn' }, udpLong)).toBe(false);
    // `& syn == { syn,ack }` takes the SYN (syn is one element); `!=` takes the RST (0 is none).
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: 'syn,ack' }, syn)).toBe(true);
    expect(holds({ selector: 'tcp flags', mask: 'syn', value: 'syn,ack' }, rst)).toBe(false);
    expect(
      holds({ selector: 'tcp flags', mask: 'syn', value: 'syn,ack', negated: true }, rst),
    ).toBe(true);
  });

  it('ARP fields, the gratuitous-ARP set and raw network-header loads', () => {
    expect(holds({ selector: 'arp operation', value: '1' }, arp)).toBe(true);
    expect(holds({ selector: 'arp saddr ip', value: '10.1.2.0/24' }, arp)).toBe(true);
    expect(holds({ selector: 'arp saddr ether', value: VM.mac }, arp)).toBe(true);
    const garp = { selector: 'arp saddr ip . arp daddr ip', value: '@same-ip-set' };
    expect(holds({ ...garp, mask: '0.0.0.255' }, arp)).toBe(true);
    const other = buildEthernet(
      { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: VM.mac, spa: '10.1.2.3', tpa: '10.1.2.4' }),
    );
    expect(holds({ ...garp, mask: '0.0.0.255' }, other)).toBe(false);
    expect(holds({ ...garp, mask: '255.0.0.0' }, other)).toBe(true);
    // @nh,48,16 is the ARP opcode; @nh,112,32 the sender IP.
    expect(holds({ selector: '@nh,48,16', value: '0x0001' }, arp)).toBe(true);
    expect(holds({ selector: '@nh,112,32', value: '0x0a010203' }, arp)).toBe(true);
    expect(holds({ selector: '@nh,112,24', value: '0x0a0102' }, arp)).toBe(true);
  });

  it('ct count keeps one list per rule: connections from any address count together', () => {
    const rs = compile(
      parse(`<filter name='c'>
  <rule action='drop' direction='out' priority='400'><icmp connlimit-above='1'/></rule>
  <rule action='accept' direction='out'><icmp/></rule>
</filter>`),
    );
    const host = new BridgeHost(rs);
    const echo = (src: string, id: number) =>
      buildEthernet(
        { src: VM.mac, dst: REMOTE.mac },
        buildIpv4({ src, dst: REMOTE.ip }, buildIcmpEcho({ id, seq: 1 })),
      );
    expect(host.step(echo('10.99.0.102', 9), 'from-vm', 0).verdict).toBe('accept');
    // xt_connlimit would count per source address (1 each); nft_connlimit counts 2 > 1.
    expect(host.step(echo(VM.ip, 9), 'from-vm', 1).verdict).toBe('drop');
  });
});
