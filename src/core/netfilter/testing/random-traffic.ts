/**
 * fast-check generators of random filters and random traffic between the VM and its peers,
 * shared by the simulator's walk-equivalence proof and the analysis' property test.
 */
import fc from 'fast-check';
import { ruleXmlArb } from '../../lint/testing/probe-arbitraries';
import { DEFAULT_HOSTS } from '../../sim/scenarios';
import type { Side } from '../bridge-host';
import type { EthernetFrame, L4Packet } from '../../packet/packet';
import {
  buildAh,
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpv6Echo,
  buildIpv4,
  buildIpv6,
  buildSctp,
  buildTcp,
  buildUdp,
  sctpInitChunk,
} from '../../packet/packet-build';

const VM = DEFAULT_HOSTS.vm;

/** One frame of a feed: what crosses the bridge, from which side, when. */
export interface Feed {
  frame: EthernetFrame;
  side: Side;
  t: number;
  toHost?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Random filters and frames. Ports and addresses come from small pools shared by the rules and
// the frames, so rules match, flows recur in both directions (conntrack sees replies) and port
// ranges start and end on the ports frames carry.
// ---------------------------------------------------------------------------------------------

export const RULE_PORTS = [0, 20, 21, 22, 23, 53, 80, 443, 1023, 1024, 2000, 40000, 65535];
export const PEERS4 = ['10.99.0.3', '10.0.0.1', '10.0.1.1', '192.168.1.1', '10.1.0.1'];
export const PEERS6 = ['2001:db8::1', '2001:db8:1::1', 'fe80::1'];

const portRange = (name: 'src' | 'dst') =>
  fc.option(
    fc
      .tuple(
        fc.constantFrom(...RULE_PORTS),
        fc.option(fc.constantFrom(...RULE_PORTS), { nil: undefined }),
      )
      .map(([a, b]) =>
        b === undefined
          ? ` ${name}portstart='${a}'`
          : ` ${name}portstart='${Math.min(a, b)}' ${name}portend='${Math.max(a, b)}'`,
      ),
    { nil: '', freq: 3 },
  );

/**
 * Rules the dispatch index keys on: protocol and port ranges, some negated, some with connlimit or
 * state. No 'continue': on these iptables rules libvirt cannot bind it (-j CONTINUE).
 */
export const portRuleArb = fc
  .tuple(
    fc.constantFrom('accept', 'drop', 'reject', 'return', 'accept', 'drop'),
    fc.constantFrom('in', 'out', 'inout'),
    fc.constantFrom(-500, 100, 500, 500, 900),
    fc.constantFrom('tcp', 'udp', 'tcp', 'sctp', 'tcp-ipv6', 'udp-ipv6', 'udplite'),
    portRange('src'),
    portRange('dst'),
    fc.constantFrom('', '', '', " match='no'"),
    fc.constantFrom('', '', '', '', " connlimit-above='1'", " connlimit-above='2'"),
    fc.constantFrom('', '', " state='NEW'", " state='ESTABLISHED'", " state='NEW,ESTABLISHED'"),
  )
  .map(([a, d, p, proto, sp, dp, neg, cl, st]) => {
    const attrs = `${sp}${dp}${neg && (sp || dp) ? neg : ''}${proto.endsWith('ipv6') || proto === 'udplite' ? '' : cl}${st}`;
    return `<rule action='${a}' direction='${d}' priority='${p}'><${proto}${attrs}/></rule>`;
  });

// The lint pool's non-contiguous MAC mask is rejected by the parser, and libvirt cannot bind
// 'continue' on an iptables rule; leave both out so filters compile.
export const lintRuleArb = ruleXmlArb.filter(
  (x) =>
    !x.includes("srcmacmask='01:00:00:00:00:00'") &&
    !(x.includes("action='continue'") && !/<(mac|vlan|stp|arp|rarp|ip|ipv6)[\s/]/.test(x)),
);

export const filterArb = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof({ arbitrary: portRuleArb, weight: 3 }, { arbitrary: lintRuleArb, weight: 2 }),
      { minLength: 10, maxLength: 36 },
    ),
  )
  .map(
    ([clean, rules]) =>
      `<filter name='rnd' chain='root'>${clean ? "<filterref filter='clean-traffic'/>" : ''}${rules.join('')}</filter>`,
  );

/** A small pool of flows: frames pick one and a direction, so conversations recur. */
export const flowArb = fc.record({
  proto: fc.constantFrom('tcp', 'tcp', 'udp', 'icmp', 'sctp', 'tcp6', 'udp6', 'icmp6', 'ah6'),
  peer: fc.nat(PEERS4.length - 1),
  vmPort: fc.oneof(fc.constantFrom(...RULE_PORTS), fc.integer({ min: 1, max: 65535 })),
  peerPort: fc.oneof(fc.constantFrom(...RULE_PORTS), fc.integer({ min: 1, max: 65535 })),
});

export const frameArb = fc.record({
  flow: fc.nat(7),
  fromVm: fc.boolean(),
  kind: fc.constantFrom(
    'flow',
    'flow',
    'flow',
    'flow',
    'flow',
    'arp',
    'fragment',
    'vlan',
    'broadcast',
    'tohost',
    'spoofed',
  ),
  flags: fc.constantFrom('S', 'S', 'S.', '.', 'P.', 'F.', 'R'),
  seq: fc.nat(),
  dt: fc.constantFrom(0.001, 0.01, 1, 30),
});

export function l4For(
  proto: string,
  sport: number,
  dport: number,
  flags: string,
  seq: number,
): L4Packet {
  if (proto.startsWith('tcp')) return buildTcp({ sport, dport, flags, seq });
  if (proto.startsWith('udp')) return buildUdp({ sport, dport, payload: new Uint8Array(8) });
  if (proto === 'sctp') return buildSctp({ sport, dport, chunks: [sctpInitChunk()] });
  // IPv6 AH: ip6tables' -p sees the next header behind it (ipv6_find_hdr), --sport/--dport see no ports.
  if (proto === 'ah6') return buildAh({ spi: sport, seq: seq % 1000, nextHeader: 6 });
  if (proto === 'icmp6') return buildIcmpv6Echo({ id: sport, seq: 1, reply: flags === 'S.' });
  return buildIcmpEcho({ id: sport, seq: 1, reply: flags === 'S.' });
}

export type Flow = { proto: string; peer: number; vmPort: number; peerPort: number };
export type FrameSpec = {
  flow: number;
  fromVm: boolean;
  kind: string;
  flags: string;
  seq: number;
  dt: number;
};

export function buildFeed(flows: Flow[], frames: FrameSpec[]): Feed[] {
  let t = 100;
  return frames.map((r): Feed => {
    t += r.dt;
    const flow = flows[r.flow % flows.length] as Flow;
    const v6 = flow.proto.endsWith('6');
    const peerMac = '52:54:00:aa:bb:cc';
    const side: Side = r.fromVm ? 'from-vm' : 'to-vm';
    if (r.kind === 'arp') {
      const arp = r.fromVm
        ? buildArp({ op: 1, sha: VM.mac, spa: VM.ip, tpa: PEERS4[flow.peer] as string })
        : buildArp({ op: 2, sha: peerMac, spa: PEERS4[flow.peer] as string, tpa: VM.ip });
      return {
        frame: buildEthernet(
          { src: r.fromVm ? VM.mac : peerMac, dst: r.fromVm ? 'ff:ff:ff:ff:ff:ff' : VM.mac },
          arp,
        ),
        side,
        t,
      };
    }
    const vmIp = r.kind === 'spoofed' ? '10.0.0.2' : VM.ip;
    const [sport, dport] = r.fromVm ? [flow.vmPort, flow.peerPort] : [flow.peerPort, flow.vmPort];
    const l4 = l4For(flow.proto, sport, dport, r.flags, r.seq);
    if (r.kind === 'broadcast' && !v6) {
      // A bridged broadcast: forwarded, and a copy passed up to the host's INPUT chain.
      const dst = flow.peer % 2 === 0 ? '255.255.255.255' : '224.0.0.1';
      const ip = buildIpv4({ src: r.fromVm ? vmIp : (PEERS4[flow.peer] as string), dst }, l4);
      return {
        frame: buildEthernet(
          {
            src: r.fromVm ? VM.mac : peerMac,
            dst: dst === '224.0.0.1' ? '01:00:5e:00:00:01' : 'ff:ff:ff:ff:ff:ff',
          },
          ip,
        ),
        side,
        t,
      };
    }
    const peer6 = PEERS6[flow.peer % PEERS6.length] as string;
    const ip = v6
      ? buildIpv6({ src: r.fromVm ? 'fd00::2' : peer6, dst: r.fromVm ? peer6 : 'fd00::2' }, l4)
      : buildIpv4(
          {
            src: r.fromVm ? vmIp : (PEERS4[flow.peer] as string),
            dst: r.fromVm ? (PEERS4[flow.peer] as string) : vmIp,
          },
          l4,
        );
    if (r.kind === 'fragment' && ip.kind === 'ipv4') {
      // A non-first fragment: no ports for --sport/--dport.
      ip.fragOffset = 185;
      ip.flags = 0;
    }
    const eth = {
      src: r.fromVm ? VM.mac : peerMac,
      dst: r.fromVm ? peerMac : VM.mac,
      ...(r.kind === 'vlan' ? { vlan: { vid: 10 } } : {}),
    };
    return { frame: buildEthernet(eth, ip), side, t, toHost: r.kind === 'tohost' };
  });
}
