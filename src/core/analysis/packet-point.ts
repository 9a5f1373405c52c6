/**
 * Between packets and the header space: the point of a concrete frame (to ask the analysis about
 * it) and a concrete frame inside a cube (a witness the simulator can replay).
 */
import type { CtStateName } from '../conntrack/types';
import { summarizeFrame } from '../packet/packet-summary';
import { describeDim } from './describe-region';
import { ip6ToBigint } from './match-region';
import { l4Port, upperProtocol } from '../netfilter/match-eval';
import type { ArpPacket, EthernetFrame, Ipv4Packet, Ipv6Packet, L4Packet } from '../packet/packet';
import {
  buildAh,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildIpv6,
  buildSctp,
  buildTcp,
  buildUdp,
  buildUdpLite,
  sctpInitChunk,
} from '../packet/packet-build';
import type { IntervalSet } from './interval-set';
import type { Cube, Point } from './space';
import {
  CT_ESTABLISHED,
  CT_NEW,
  CT_NONE,
  CT_RELATED,
  CT_UNTRACKED,
  DIM,
  DIM_COUNT,
  DIM_MIN,
  DIM_NAMES,
  DIR_NONE,
  DIR_ORIGINAL,
  DIR_REPLY,
  ETH_ARP,
  ETH_IPV4,
  ETH_IPV6,
  ETH_RARP,
  ETH_STP,
  ETH_TAGGED,
  cubeContains,
} from './space';
import type { Outcome } from './analyse-ruleset';

/** The conntrack view of a packet for {@link pointOfFrame}. */
export interface PointConntrack {
  state: CtStateName | null;
  dir: 'ORIGINAL' | 'REPLY' | null;
  /** Connections connlimit counts for the packet's source (default 1: the packet's own). */
  conns?: number;
}

const CT_STATE_VALUE: Record<CtStateName, bigint> = {
  NEW: CT_NEW,
  ESTABLISHED: CT_ESTABLISHED,
  RELATED: CT_RELATED,
  INVALID: CT_NONE,
  UNTRACKED: CT_UNTRACKED,
};

/** The frame class of the `eth` dimension. */
export function frameClass(f: EthernetFrame): bigint {
  let v = BigInt(f.ethertype);
  if (f.vlan) v += ETH_TAGGED;
  if (f.payload.kind === 'stp') v += ETH_STP;
  return v;
}

/** The point of a frame with its conntrack state (null state = conntrack does not see it). */
export function pointOfFrame(f: EthernetFrame, ct: PointConntrack): Point {
  const p: bigint[] = DIM_MIN.slice();
  p[DIM.eth] = frameClass(f);
  p[DIM.vid] = BigInt(f.vlan?.vid ?? 0);
  p[DIM.macSrc] = BigInt(f.src);
  p[DIM.macDst] = BigInt(f.dst);
  p[DIM.ctState] = ct.state === null ? CT_NONE : CT_STATE_VALUE[ct.state];
  p[DIM.ctDir] = ct.dir === null ? DIR_NONE : ct.dir === 'ORIGINAL' ? DIR_ORIGINAL : DIR_REPLY;
  p[DIM.conns] = BigInt(ct.conns ?? 1);
  const pl = f.payload;
  if (pl.kind === 'ipv4' || pl.kind === 'ipv6') {
    const ip = pl as Ipv4Packet | Ipv6Packet;
    if (ip.kind === 'ipv4') {
      p[DIM.src4] = BigInt(ip.src >>> 0);
      p[DIM.dst4] = BigInt(ip.dst >>> 0);
      p[DIM.frag] = ip.fragOffset !== 0 ? 1n : 0n;
      p[DIM.tos] = BigInt(ip.tos);
    } else {
      p[DIM.src6] = ip6ToBigint(ip.src);
      p[DIM.dst6] = ip6ToBigint(ip.dst);
      p[DIM.tos] = BigInt(ip.trafficClass);
      p[DIM.frag] = ip.payload.kind === 'ah' ? 1n : 0n;
    }
    p[DIM.proto] = BigInt(upperProtocol(ip));
    p[DIM.sport] = BigInt(Math.max(0, l4Port(ip, 'sport')));
    p[DIM.dport] = BigInt(Math.max(0, l4Port(ip, 'dport')));
    const l4 = ip.payload;
    if (l4.kind === 'tcp') p[DIM.tcpFlags] = BigInt(l4.flags);
    if (l4.kind === 'icmp' || l4.kind === 'icmpv6') {
      p[DIM.icmpType] = BigInt(l4.type);
      p[DIM.icmpCode] = BigInt(l4.code);
    }
  } else if (pl.kind === 'arp') {
    p[DIM.arpHtype] = BigInt(pl.htype);
    p[DIM.arpPtype] = BigInt(pl.ptype);
    p[DIM.arpHlen] = BigInt(pl.hlen);
    p[DIM.arpPlen] = BigInt(pl.plen);
    p[DIM.arpOp] = BigInt(pl.op);
    p[DIM.arpSpa] = BigInt(pl.spa >>> 0);
    p[DIM.arpTpa] = BigInt(pl.tpa >>> 0);
    p[DIM.arpSha] = BigInt(pl.sha);
    p[DIM.arpTha] = BigInt(pl.tha);
    p[DIM.arpGratuitous] = pl.spa === pl.tpa ? 1n : 0n;
  } else if (pl.kind === 'stp') {
    p[DIM.stpType] = BigInt(pl.bpduType);
    p[DIM.stpFlags] = BigInt(pl.flags);
    p[DIM.stpRootPri] = BigInt(pl.rootPriority);
    p[DIM.stpRootAddr] = BigInt(pl.rootAddr);
    p[DIM.stpRootCost] = BigInt(pl.rootCost);
    p[DIM.stpSenderPri] = BigInt(pl.senderPriority);
    p[DIM.stpSenderAddr] = BigInt(pl.senderAddr);
    p[DIM.stpPort] = BigInt(pl.port);
    p[DIM.stpMsgAge] = BigInt(pl.msgAge);
    p[DIM.stpMaxAge] = BigInt(pl.maxAge);
    p[DIM.stpHelloTime] = BigInt(pl.helloTime);
    p[DIM.stpForwardDelay] = BigInt(pl.forwardDelay);
  }
  return p;
}

/** The outcome whose region holds `point` (the regions of a path partition its space). */
export function outcomeAt(outcomes: readonly Outcome[], point: Point): Outcome | null {
  for (const o of outcomes) if (cubeContains(o.cube, point)) return o;
  return null;
}

/** A value of `set` (or of the domain), preferring `want` when the set has it. */
function pick(set: IntervalSet | null, dim: number, ...want: bigint[]): bigint {
  if (set === null) return want[0] ?? (DIM_MIN[dim] as bigint);
  for (const w of want) {
    for (let i = 0; i < set.length; i += 2)
      if ((set[i] as bigint) <= w && w <= (set[i + 1] as bigint)) return w;
  }
  // Prefer the first value of an interval that is not 0 when the set allows it (port 0 is odd).
  const lo = set[0] as bigint;
  if (lo === 0n && (set[1] as bigint) > 0n && want.length === 0) return 1n;
  return lo;
}

/** Plausible defaults for a witness, used when the region allows them. */
const IP4_DEFAULT = 0x0a000001n;

/** A witness: a concrete point of the cube, with readable values where the cube allows them. */
export function witnessPoint(c: Cube): Point {
  const p: bigint[] = new Array<bigint>(DIM_COUNT);
  for (let d = 0; d < DIM_COUNT; d++) p[d] = pick(c[d] as IntervalSet | null, d);
  const proto = pick(c[DIM.proto] ?? null, DIM.proto, 6n, 17n, 1n, 58n);
  p[DIM.proto] = proto;
  p[DIM.eth] = pick(c[DIM.eth] ?? null, DIM.eth, ETH_IPV4, ETH_IPV6, 0x0806n);
  p[DIM.src4] = pick(c[DIM.src4] ?? null, DIM.src4, IP4_DEFAULT + 1n);
  p[DIM.dst4] = pick(c[DIM.dst4] ?? null, DIM.dst4, IP4_DEFAULT + 2n);
  p[DIM.src6] = pick(c[DIM.src6] ?? null, DIM.src6, (0xfd00n << 112n) | 1n);
  p[DIM.dst6] = pick(c[DIM.dst6] ?? null, DIM.dst6, (0xfd00n << 112n) | 2n);
  p[DIM.sport] = pick(c[DIM.sport] ?? null, DIM.sport, 40000n);
  p[DIM.dport] = pick(c[DIM.dport] ?? null, DIM.dport, 80n);
  p[DIM.tcpFlags] = pick(c[DIM.tcpFlags] ?? null, DIM.tcpFlags, 0x02n);
  p[DIM.icmpType] = pick(c[DIM.icmpType] ?? null, DIM.icmpType, proto === 58n ? 128n : 8n);
  p[DIM.macSrc] = pick(c[DIM.macSrc] ?? null, DIM.macSrc, 0x525400000001n);
  p[DIM.macDst] = pick(c[DIM.macDst] ?? null, DIM.macDst, 0x525400000002n);
  // An ordinary ARP request where the region allows one.
  p[DIM.arpHtype] = pick(c[DIM.arpHtype] ?? null, DIM.arpHtype, 1n);
  p[DIM.arpPtype] = pick(c[DIM.arpPtype] ?? null, DIM.arpPtype, 0x0800n);
  p[DIM.arpHlen] = pick(c[DIM.arpHlen] ?? null, DIM.arpHlen, 6n);
  p[DIM.arpPlen] = pick(c[DIM.arpPlen] ?? null, DIM.arpPlen, 4n);
  p[DIM.arpOp] = pick(c[DIM.arpOp] ?? null, DIM.arpOp, 1n);
  p[DIM.arpSpa] = pick(c[DIM.arpSpa] ?? null, DIM.arpSpa, IP4_DEFAULT + 1n);
  p[DIM.arpTpa] = pick(c[DIM.arpTpa] ?? null, DIM.arpTpa, IP4_DEFAULT + 2n);
  p[DIM.arpSha] = pick(c[DIM.arpSha] ?? null, DIM.arpSha, 0x525400000001n);
  gratuitousAgree(c, p);
  // A first packet where the region has one (a single packet can replay it), with a direction
  // its state can have.
  const states = c[DIM.ctState] ?? null;
  const dirs = c[DIM.ctDir] ?? null;
  const has = (s: IntervalSet | null, v: bigint) => s === null || pick(s, 0, v) === v;
  for (const [st, dir] of WITNESS_CT) {
    if (has(states, st) && has(dirs, dir)) {
      p[DIM.ctState] = st;
      p[DIM.ctDir] = dir;
      break;
    }
  }
  return p;
}

/**
 * Makes the witness' `arpGratuitous` say what its two ARP addresses say (equal or not), moving
 * one address or the flag within the cube; left as it is when the cube allows neither.
 */
function gratuitousAgree(c: Cube, p: bigint[]): void {
  const has = (d: number, v: bigint) => {
    const s = c[d] ?? null;
    return s === null || pick(s, d, v) === v;
  };
  const spa = p[DIM.arpSpa] as bigint;
  const tpa = p[DIM.arpTpa] as bigint;
  const want = p[DIM.arpGratuitous] === 1n;
  if (want === (spa === tpa)) return;
  if (want) {
    if (has(DIM.arpTpa, spa)) p[DIM.arpTpa] = spa;
    else if (has(DIM.arpSpa, tpa)) p[DIM.arpSpa] = tpa;
    else if (has(DIM.arpGratuitous, 0n)) p[DIM.arpGratuitous] = 0n;
    return;
  }
  for (const other of [tpa + 1n, tpa - 1n])
    if (other >= 0n && other <= 0xffffffffn && has(DIM.arpTpa, other)) {
      p[DIM.arpTpa] = other;
      return;
    }
  if (has(DIM.arpGratuitous, 1n)) p[DIM.arpGratuitous] = 1n;
}

/** Conntrack cases in the order a witness prefers them: first packets first. */
const WITNESS_CT: readonly [bigint, bigint][] = [
  [CT_NEW, DIR_ORIGINAL],
  [CT_NONE, DIR_NONE],
  [CT_ESTABLISHED, DIR_ORIGINAL],
  [CT_ESTABLISHED, DIR_REPLY],
  [CT_RELATED, DIR_ORIGINAL],
  [CT_RELATED, DIR_REPLY],
];

function word(v: bigint, shift: bigint): number {
  return Number((v >> shift) & 0xffffffffn);
}

/**
 * A frame for the IP / TCP-UDP-ICMP part of a witness point, or null when the point's frame
 * class is not one the witness builder makes (IPv4/IPv6 with the protocol's first packet: a SYN,
 * a datagram, an echo request or the point's ICMP type; ARP and RARP; 802.1Q-tagged or not).
 */
export function frameOfPoint(p: Point): EthernetFrame | null {
  const cls = p[DIM.eth] as bigint;
  // An 802.1Q-tagged IPv4 / IPv6 frame carries the point's VLAN id.
  const tagged = cls >= ETH_TAGGED && cls < ETH_STP;
  const eth = tagged ? cls - ETH_TAGGED : cls;
  const vlan = tagged ? { vlan: { vid: Number(p[DIM.vid]) } } : {};
  if (eth === ETH_ARP || eth === ETH_RARP) return arpFrameOfPoint(p, eth, vlan);
  if (eth !== ETH_IPV4 && eth !== ETH_IPV6) return null;
  const proto = Number(p[DIM.proto]);
  const sport = Number(p[DIM.sport]);
  const dport = Number(p[DIM.dport]);
  let l4: L4Packet;
  if (proto === 6) l4 = buildTcp({ sport, dport, flags: Number(p[DIM.tcpFlags]), seq: 1000 });
  else if (proto === 17) l4 = buildUdp({ sport, dport, payload: new Uint8Array(8) });
  else if (proto === 136) l4 = buildUdpLite({ sport, dport, payload: new Uint8Array(8) });
  else if (proto === 132) l4 = buildSctp({ sport, dport, chunks: [sctpInitChunk()] });
  else if (proto === 1 || proto === 58) {
    const echo = buildIcmpEcho({ id: 1, seq: 1 });
    l4 = {
      ...echo,
      kind: proto === 1 ? 'icmp' : 'icmpv6',
      type: Number(p[DIM.icmpType]),
      code: Number(p[DIM.icmpCode]),
    } as L4Packet;
  } else l4 = { kind: 'raw', data: new Uint8Array(8) };
  const tos = Number(p[DIM.tos]);
  const ip =
    eth === ETH_IPV4
      ? buildIpv4({ src: Number(p[DIM.src4]), dst: Number(p[DIM.dst4]), tos }, l4, proto)
      : buildIpv6(
          {
            src: [96n, 64n, 32n, 0n].map((s) => word(p[DIM.src6] as bigint, s)) as unknown as [
              number,
              number,
              number,
              number,
            ],
            dst: [96n, 64n, 32n, 0n].map((s) => word(p[DIM.dst6] as bigint, s)) as unknown as [
              number,
              number,
              number,
              number,
            ],
          },
          l4,
          proto,
        );
  ip.protocol = proto;
  if (eth === ETH_IPV6) (ip as Ipv6Packet).trafficClass = tos;
  if (p[DIM.frag] === 1n) {
    // Out of the matches' reach: a non-first IPv4 fragment; IPv6 behind an AH header.
    if (eth === ETH_IPV4) (ip as Ipv4Packet).fragOffset = 185;
    else {
      ip.payload = buildAh({ spi: 1, seq: 1, nextHeader: proto });
      ip.protocol = 51;
    }
  }
  return buildEthernet({ src: Number(p[DIM.macSrc]), dst: Number(p[DIM.macDst]), ...vlan }, ip);
}

/** An ARP or RARP frame with the point's fields (null when its addresses and flag disagree). */
function arpFrameOfPoint(
  p: Point,
  eth: bigint,
  vlan: { vlan?: { vid: number } },
): EthernetFrame | null {
  const spa = Number(p[DIM.arpSpa]);
  const tpa = Number(p[DIM.arpTpa]);
  if ((spa === tpa) !== (p[DIM.arpGratuitous] === 1n)) return null;
  const arp: ArpPacket = {
    kind: 'arp',
    htype: Number(p[DIM.arpHtype]),
    ptype: Number(p[DIM.arpPtype]),
    hlen: Number(p[DIM.arpHlen]),
    plen: Number(p[DIM.arpPlen]),
    op: Number(p[DIM.arpOp]),
    sha: Number(p[DIM.arpSha]),
    spa,
    tha: Number(p[DIM.arpTha]),
    tpa,
  };
  return buildEthernet(
    { src: Number(p[DIM.macSrc]), dst: Number(p[DIM.macDst]), ...vlan },
    arp,
    Number(eth),
  );
}

/** A witness as people read it: the frame's summary and its conntrack state. */
export interface WitnessText {
  /** The packet (`10.0.0.1:40000 → 10.0.0.2:22 TCP [S] …`), or the fields when no frame is built. */
  packet: string;
  ctstate: CtStateName | null;
  ctdir: 'ORIGINAL' | 'REPLY' | null;
  /** Connections connlimit counts for its source. */
  conns: number;
}

// No connection reads as INVALID to xt_conntrack (the simulator shows null when the family is not tracked).
const CT_NAMES: CtStateName[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];

/** The witness point as text, with a frame the simulator can replay when one can be built. */
export function describeWitness(p: Point): WitnessText {
  const frame = frameOfPoint(p);
  const dir = p[DIM.ctDir];
  return {
    packet: frame
      ? summarizeFrame(frame)
      : DIM_NAMES.filter((n) => !n.startsWith('ct') && n !== 'conns')
          .filter((n) => (p[DIM[n]] as bigint) !== (DIM_MIN[DIM[n]] as bigint) || n === 'eth')
          .map(
            (n) =>
              `${n}=${describeDim(DIM[n], [p[DIM[n]] as bigint, p[DIM[n]] as bigint]).join(',')}`,
          )
          .join(' '),
    ctstate: CT_NAMES[Number(p[DIM.ctState])] ?? null,
    ctdir: dir === DIR_ORIGINAL ? 'ORIGINAL' : dir === DIR_REPLY ? 'REPLY' : null,
    conns: Number(p[DIM.conns]),
  };
}
