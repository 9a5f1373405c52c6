import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import type { Match, Ruleset } from '../compile/ebiptables/ir';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import { parseIpv4, parseMac } from '../packet/addr';
import type { MatchContext } from '../netfilter/match-eval';
import { prepareMatch } from '../netfilter/match-eval';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet, L4Packet } from '../packet/packet';
import { buildEthernet, buildIpv4, buildIpv6, buildTcp, buildUdp } from '../packet/packet-build';
import { parseFilterXml } from '../xml/parse-filter-xml';
import type { ProbePacket } from './probe-packet';
import { evaluateMatch, probePath } from './probe-packet';
import { probePacketArb, ruleXmlArb } from './testing/probe-arbitraries';

/** The probe as a frame of the project's packet model (addresses must be concrete). */
function toFrame(p: ProbePacket): { frame: EthernetFrame; ip: Ipv4Packet | Ipv6Packet | null } {
  const src = parseMac(p.srcMac) as number;
  const dst = parseMac(p.dstMac) as number;
  if (p.vlan) {
    const frame = buildEthernet(
      { src, dst, vlan: { vid: p.vlan.id } },
      { kind: 'raw', data: new Uint8Array(20) },
      p.vlan.encap,
    );
    return { frame, ip: null };
  }
  if (p.arp) {
    const a = p.arp;
    const arp = {
      kind: 'arp' as const,
      htype: a.htype,
      ptype: a.ptype,
      hlen: 6,
      plen: 4,
      op: a.opcode,
      sha: parseMac(a.macSrc) as number,
      spa: parseIpv4(a.ipSrc) as number,
      tha: parseMac(a.macDst) as number,
      tpa: parseIpv4(a.ipDst) as number,
    };
    return { frame: buildEthernet({ src, dst }, arp, p.ethertype), ip: null };
  }
  if (!p.ip)
    return {
      frame: buildEthernet({ src, dst }, { kind: 'raw', data: new Uint8Array(20) }, p.ethertype),
      ip: null,
    };
  const i = p.ip;
  let l4: L4Packet;
  if (i.proto === 6)
    l4 = buildTcp({ sport: i.sport ?? 0, dport: i.dport ?? 0, flags: i.tcpFlags ?? 0 });
  else if (i.proto === 17) l4 = buildUdp({ sport: i.sport ?? 0, dport: i.dport ?? 0 });
  else if (i.proto === 1 || i.proto === 58)
    l4 = {
      kind: i.proto === 1 ? 'icmp' : 'icmpv6',
      type: i.icmpType ?? 0,
      code: i.icmpCode ?? 0,
      rest: 0,
      payload: new Uint8Array(0),
    };
  else l4 = { kind: 'igmp', type: 0x11, maxResp: 0, group: 0, extra: new Uint8Array(0) };
  const ip =
    i.family === 4
      ? buildIpv4({ src: i.src, dst: i.dst, tos: i.tos }, l4, i.proto)
      : buildIpv6({ src: i.src, dst: i.dst, trafficClass: i.tos }, l4, i.proto);
  return { frame: buildEthernet({ src, dst }, ip, p.ethertype), ip };
}

/** Header matches both evaluators model from the packet alone. */
const COMPARED = new Set<Match['kind']>([
  'eb-mac',
  'eb-proto',
  'eb-vlan',
  'eb-arp',
  'eb-ip',
  'ipt-proto',
  'ipt-mac',
  'ipt-addr',
  'ipt-iprange',
  'ipt-dscp',
  'ipt-tcp-flags',
  'ipt-port',
  'ipt-icmp',
]);

function matchesOf(ruleset: Ruleset): Match[] {
  return ruleset.tables.flatMap((t) =>
    t.chains.flatMap((c) => c.rules.flatMap((r) => (r.provenance ? r.matches : []))),
  );
}

describe('probe evaluator agrees with the simulator’s kernel match model (netfilter/match-eval)', () => {
  it('for the header matches of random compiled rules on random packets', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(ruleXmlArb, { minLength: 1, maxLength: 3 }),
        fc.array(probePacketArb, { minLength: 40, maxLength: 40 }),
        (rules, packets) => {
          const parsed = parseFilterXml(`<filter name='f'>${rules.join('')}</filter>`);
          if (!parsed.doc || parsed.diagnostics.some((d) => d.severity === 'error')) return;
          const inst = instantiateFilter([parsed.doc], 'f', { iface: 'vnet0' });
          const { ruleset } = compileEbiptables(inst.rules, 'vnet0');
          for (const m of matchesOf(ruleset)) {
            if (!COMPARED.has(m.kind)) continue;
            // The ip6tables icmpv6 match has no 255 wildcard (ip6_tables.c icmp6_type_code_match); match-eval gives it one.
            if (m.kind === 'ipt-icmp' && m.family === 6 && m.type === 255) continue;
            const prepared = prepareMatch(m, {});
            expect(prepared.ok).toBe(true);
            if (!prepared.ok) continue;
            for (const p of packets) {
              // iptables chains only ever see IP packets.
              if (m.kind.startsWith('ipt-') && !p.ip) continue;
              const mine = evaluateMatch(m, p);
              if (mine === 'unknown') continue;
              const { frame, ip } = toFrame(p);
              const ctx = {
                frame,
                ip,
                ct: null,
                conntrack: null,
                now: 0,
                inIface: null,
                outIface: null,
                physIn: null,
                physOut: null,
                bridged: true,
                ruleKey: '',
              } as unknown as MatchContext;
              const theirs = prepared.pred(ctx);
              if (mine !== theirs)
                throw new Error(
                  `${JSON.stringify(m)} on ${JSON.stringify(p)}: probe ${String(mine)}, match-eval ${String(theirs)}`,
                );
              compared++;
            }
          }
        },
      ),
      { numRuns: 150, seed: 5012 },
    );
    expect(compared).toBeGreaterThan(5000);
  });
});

describe('probePath', () => {
  const compile = (xml: string, params: Record<string, string[]> = {}) => {
    const doc = parseFilterXml(xml).doc;
    if (!doc) throw new Error('bad xml');
    const inst = instantiateFilter([doc], doc.name, { iface: 'vnet0', params });
    return compileEbiptables(inst.rules, 'vnet0').ruleset;
  };
  const udp = (src: string, dst: string, dport: number): ProbePacket => ({
    srcMac: '52:54:00:11:22:33',
    dstMac: '52:54:00:fe:dc:ba',
    ethertype: 0x0800,
    ip: { family: 4, src, dst, proto: 17, tos: 0, sport: 40000, dport },
    ct: { state: 'NEW', dir: 'Original' },
  });

  it('follows libvirt’s chains: ebtables then FI from the VM, FO then ebtables to it; accept in FI is a RETURN', () => {
    const rs = compile(`<filter name='f'>
      <rule action='accept' direction='out'><udp dstportstart='53'/></rule>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.9'/></rule>
      <rule action='drop' direction='inout'><all/></rule></filter>`);
    expect(probePath(rs, 'from-vm', udp('10.0.0.2', '198.51.100.1', 53)).verdict).toBe('pass');
    const dropped = probePath(rs, 'from-vm', udp('10.0.0.2', '198.51.100.1', 54));
    expect(dropped.verdict).toBe('drop');
    expect(dropped.rule?.provenance?.ruleIndex).toBe(2);
    // The ebtables drop of a spoofed source comes first.
    expect(
      probePath(rs, 'from-vm', udp('10.0.0.9', '198.51.100.1', 53)).rule?.provenance?.ruleIndex,
    ).toBe(1);
    expect(probePath(rs, 'to-vm', udp('198.51.100.1', '10.0.0.2', 53)).verdict).toBe('drop');
  });

  it('says unknown when a deciding rule depends on an unbound variable', () => {
    const rs = compile(
      `<filter name='f'><rule action='drop' direction='out'><udp srcipaddr='$IP'/></rule></filter>`,
      { IP: ['$IP'] },
    );
    expect(probePath(rs, 'from-vm', udp('10.0.0.2', '198.51.100.1', 53)).verdict).toBe('unknown');
    expect(
      probePath(rs, 'from-vm', {
        ...udp('10.0.0.2', '198.51.100.1', 53),
        ip: { ...udp('', '', 0).ip!, src: '$IP', dst: '198.51.100.1', dport: 53 },
      }).verdict,
    ).toBe('drop');
  });
});
