/**
 * Conntrack tuples: what identifies one direction of a connection, as in the
 * kernel's `struct nf_conntrack_tuple` (addresses, L4 protocol, and the
 * protocol's "ports": TCP/UDP/SCTP ports; for ICMP the echo id as source and
 * type/code as destination; nothing for generic protocols). Addresses are
 * numeric words so tuples hash and compare without building strings.
 */
import { formatIpv4, formatIpv6 } from '../packet/addr';
import type { Ipv4Packet, Ipv6Packet } from '../packet/packet';
import type { PortPair } from './l4-tracker';
import { l4TrackerOf } from './l4-trackers';

export interface Tuple {
  family: 4 | 6;
  proto: number;
  /** Source address words (IPv4 uses s0 only). */
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  d0: number;
  d1: number;
  d2: number;
  d3: number;
  /** Source port, or the ICMP echo id. */
  sport: number;
  /** Destination port, or ICMP `type << 8 | code`. */
  dport: number;
}

/** Direction index as in the kernel: 0 original, 1 reply. */
export type CtDir = 0 | 1;

/** An all-zero tuple (IPv4, protocol 0), to fill in. */
export function emptyTuple(): Tuple {
  return {
    family: 4,
    proto: 0,
    s0: 0,
    s1: 0,
    s2: 0,
    s3: 0,
    d0: 0,
    d1: 0,
    d2: 0,
    d3: 0,
    sport: 0,
    dport: 0,
  };
}

/**
 * The tuple of an IP packet, or null when its L4 header is missing (the
 * kernel then cannot track it: the packet is INVALID).
 */
export function packetTuple(ip: Ipv4Packet | Ipv6Packet): Tuple | null {
  const t = emptyTuple();
  return fillPacketTuple(ip, t) ? t : null;
}

/** Writes the packet's tuple into `out` (no allocation); false when the L4 header is missing. */
export function fillPacketTuple(ip: Ipv4Packet | Ipv6Packet, out: Tuple): boolean {
  const proto = ip.protocol;
  if (!l4TrackerOf(proto).pickTuple(ip.payload, out)) return false;
  out.proto = proto;
  if (ip.kind === 'ipv4') {
    out.family = 4;
    out.s0 = ip.src;
    out.d0 = ip.dst;
    out.s1 = out.s2 = out.s3 = out.d1 = out.d2 = out.d3 = 0;
    return true;
  }
  out.family = 6;
  out.s0 = ip.src[0];
  out.s1 = ip.src[1];
  out.s2 = ip.src[2];
  out.s3 = ip.src[3];
  out.d0 = ip.dst[0];
  out.d1 = ip.dst[1];
  out.d2 = ip.dst[2];
  out.d3 = ip.dst[3];
  return true;
}

/** A copy of a tuple. */
export function copyTuple(t: Tuple): Tuple {
  return {
    family: t.family,
    proto: t.proto,
    s0: t.s0,
    s1: t.s1,
    s2: t.s2,
    s3: t.s3,
    d0: t.d0,
    d1: t.d1,
    d2: t.d2,
    d3: t.d3,
    sport: t.sport,
    dport: t.dport,
  };
}

/** Scratch for the reply ports (read at once). */
const REPLY: PortPair = { sport: 0, dport: 0 };

/** The reply tuple of `t`, or null when it cannot be inverted (ICMP types without a reply). */
export function invertTuple(t: Tuple): Tuple | null {
  if (!l4TrackerOf(t.proto).invert(t, REPLY)) return null;
  const sport = REPLY.sport;
  const dport = REPLY.dport;
  return {
    family: t.family,
    proto: t.proto,
    s0: t.d0,
    s1: t.d1,
    s2: t.d2,
    s3: t.d3,
    d0: t.s0,
    d1: t.s1,
    d2: t.s2,
    d3: t.s3,
    sport,
    dport,
  };
}

/** True when two tuples are identical. */
export function tupleEqual(a: Tuple, b: Tuple): boolean {
  return (
    a.sport === b.sport &&
    a.dport === b.dport &&
    a.s0 === b.s0 &&
    a.d0 === b.d0 &&
    a.proto === b.proto &&
    a.family === b.family &&
    a.s1 === b.s1 &&
    a.s2 === b.s2 &&
    a.s3 === b.s3 &&
    a.d1 === b.d1 &&
    a.d2 === b.d2 &&
    a.d3 === b.d3
  );
}

/** A 32-bit hash of a tuple (for the connection table's buckets). */
export function hashTuple(t: Tuple): number {
  let h = Math.imul(t.family * 256 + t.proto, 0x9e3779b1);
  h = Math.imul(h ^ t.s0, 0x85ebca6b);
  h = Math.imul(h ^ t.d0, 0xc2b2ae35);
  h = Math.imul(h ^ ((t.sport << 16) | t.dport), 0x27d4eb2f);
  if (t.family === 6) {
    h = Math.imul(h ^ t.s1 ^ (t.s2 << 1) ^ (t.s3 << 2), 0x165667b1);
    h = Math.imul(h ^ t.d1 ^ (t.d2 << 1) ^ (t.d3 << 2), 0x9e3779b1);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/** The tuple's source address as text. */
export function tupleSrc(t: Tuple): string {
  return t.family === 4 ? formatIpv4(t.s0) : formatIpv6([t.s0, t.s1, t.s2, t.s3]);
}

/** The tuple's destination address as text. */
export function tupleDst(t: Tuple): string {
  return t.family === 4 ? formatIpv4(t.d0) : formatIpv6([t.d0, t.d1, t.d2, t.d3]);
}

/** `conntrack -L`-style text of a tuple: `src=… dst=… sport=… dport=…` or `type=8 code=0 id=…`. */
export function formatTuple(t: Tuple): string {
  return `src=${tupleSrc(t)} dst=${tupleDst(t)}${l4TrackerOf(t.proto).formatPorts(t)}`;
}
