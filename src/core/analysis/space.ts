/**
 * The header space: one dimension per packet field a rule can test (plus the conntrack state,
 * direction and the connection count connlimit sees), a cube as one interval set per dimension
 * (null = any value), a region as a list of disjoint cubes.
 *
 * A field that a packet does not have (ports of ICMP, ARP fields of IPv4) is "any value" in the
 * packet's point: every region that constrains such a field also constrains the frame class or
 * protocol that carries it, exactly as the interpreter's predicates return false for a packet
 * without the field (whatever their negation).
 */
import type { IntervalSet } from './interval-set';
import {
  intersectSets,
  isEmptySet,
  setContains,
  setIsSubset,
  setsEqual,
  setsOverlap,
  subtractSets,
} from './interval-set';

/** The dimensions, in the order a cube difference splits them (coarse classes first). */
export const DIM = {
  /**
   * Frame class: the EtherType ebtables' `-p` compares for an untagged frame; 0x10000 + the
   * inner EtherType for an 802.1Q-tagged one; +0x20000 when the payload is an STP BPDU (an
   * 802.3 frame whose "EtherType" is its length).
   */
  eth: 0,
  vid: 1,
  macSrc: 2,
  macDst: 3,
  /** Upper-layer protocol (IPv6: after extension headers). */
  proto: 4,
  /**
   * 1 when the L4 header is out of the matches' reach although the protocol says which it is: a
   * non-first IPv4 fragment, or IPv6 behind AH (ip6tables' -p sees the next header, --dport does
   * not). No ports, TCP flags or ICMP type then.
   */
  frag: 5,
  src4: 6,
  dst4: 7,
  src6: 8,
  dst6: 9,
  tos: 10,
  sport: 11,
  dport: 12,
  tcpFlags: 13,
  icmpType: 14,
  icmpCode: 15,
  /** 0 NEW, 1 ESTABLISHED, 2 RELATED, 3 no connection (xt_conntrack's INVALID), 4 UNTRACKED. */
  ctState: 16,
  /** 0 ORIGINAL, 1 REPLY, 2 no connection. */
  ctDir: 17,
  /** Connections from the packet's source counted by connlimit (its own included). */
  conns: 18,
  arpHtype: 19,
  arpPtype: 20,
  arpHlen: 21,
  arpPlen: 22,
  arpOp: 23,
  arpSpa: 24,
  arpTpa: 25,
  arpSha: 26,
  arpTha: 27,
  arpGratuitous: 28,
  stpType: 29,
  stpFlags: 30,
  stpRootPri: 31,
  stpRootAddr: 32,
  stpRootCost: 33,
  stpSenderPri: 34,
  stpSenderAddr: 35,
  stpPort: 36,
  stpMsgAge: 37,
  stpMaxAge: 38,
  stpHelloTime: 39,
  stpForwardDelay: 40,
} as const;

export type DimName = keyof typeof DIM;
export const DIM_COUNT = 41;
export const DIM_NAMES: readonly DimName[] = (Object.keys(DIM) as DimName[]).sort(
  (a, b) => DIM[a] - DIM[b],
);

const b = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Each dimension's domain `[min, max]`. */
export const DIM_MIN: readonly bigint[] = DIM_NAMES.map((n) => (n === 'conns' ? 1n : 0n));
export const DIM_MAX: readonly bigint[] = DIM_NAMES.map((n): bigint => {
  switch (n) {
    case 'eth':
      return 0x3ffffn;
    case 'vid':
      return 4095n;
    case 'macSrc':
    case 'macDst':
    case 'arpSha':
    case 'arpTha':
    case 'stpRootAddr':
    case 'stpSenderAddr':
      return b(48);
    case 'src4':
    case 'dst4':
    case 'arpSpa':
    case 'arpTpa':
    case 'stpRootCost':
    case 'conns':
      return b(32);
    case 'src6':
    case 'dst6':
      return b(128);
    case 'sport':
    case 'dport':
    case 'arpHtype':
    case 'arpPtype':
    case 'arpOp':
    case 'stpRootPri':
    case 'stpSenderPri':
    case 'stpPort':
    case 'stpMsgAge':
    case 'stpMaxAge':
    case 'stpHelloTime':
    case 'stpForwardDelay':
      return b(16);
    case 'frag':
    case 'arpGratuitous':
      return 1n;
    case 'ctState':
      return 4n;
    case 'ctDir':
      return 2n;
    default:
      return b(8);
  }
});

export const CT_NEW = 0n;
export const CT_ESTABLISHED = 1n;
export const CT_RELATED = 2n;
export const CT_NONE = 3n;
export const CT_UNTRACKED = 4n;
export const DIR_ORIGINAL = 0n;
export const DIR_REPLY = 1n;
export const DIR_NONE = 2n;

/** Frame classes of the `eth` dimension. */
export const ETH_IPV4 = 0x0800n;
export const ETH_IPV6 = 0x86ddn;
export const ETH_ARP = 0x0806n;
export const ETH_RARP = 0x8035n;
export const ETH_TAGGED = 0x10000n;
export const ETH_STP = 0x20000n;

/**
 * The frame classes that exist: an STP BPDU travels in an 802.3 frame, so its "EtherType" is a
 * length below 0x600.
 */
export const ETH_FEASIBLE: IntervalSet = [
  0n,
  ETH_STP - 1n,
  ETH_STP,
  ETH_STP + 0x5ffn,
  ETH_STP + ETH_TAGGED,
  ETH_STP + ETH_TAGGED + 0x5ffn,
];

/** A product of one set per dimension; null = the whole domain. */
export type Cube = readonly (IntervalSet | null)[];
/** A union of disjoint cubes. */
export type Region = readonly Cube[];

export function fullDomain(dim: number): IntervalSet {
  return [DIM_MIN[dim] as bigint, DIM_MAX[dim] as bigint];
}

/** The cube of every packet. */
export const FULL_CUBE: Cube = Object.freeze(new Array<IntervalSet | null>(DIM_COUNT).fill(null));

/** The cube constraining the given dimensions only. */
export function cubeOf(constraints: Partial<Record<DimName, IntervalSet>>): Cube {
  const c = new Array<IntervalSet | null>(DIM_COUNT).fill(null);
  for (const [name, set] of Object.entries(constraints)) {
    const d = DIM[name as DimName];
    c[d] = normalize(d, set as IntervalSet);
  }
  return c;
}

/** A dimension's set, with the whole domain written as null. */
function normalize(dim: number, set: IntervalSet): IntervalSet | null {
  const clipped = intersectSets(set, fullDomain(dim));
  return setsEqual(clipped, fullDomain(dim)) ? null : clipped;
}

/** `a ∩ b`, or null when empty. */
export function intersectCubes(a: Cube, b: Cube): Cube | null {
  const out = new Array<IntervalSet | null>(DIM_COUNT);
  for (let d = 0; d < DIM_COUNT; d++) {
    const x = a[d] as IntervalSet | null;
    const y = b[d] as IntervalSet | null;
    if (x === null) out[d] = y;
    else if (y === null || x === y) out[d] = x;
    else {
      const s = intersectSets(x, y);
      if (isEmptySet(s)) return null;
      out[d] = s;
    }
  }
  return out;
}

/** Whether `a ∩ b` is non-empty (no allocation). */
export function cubesOverlap(a: Cube, b: Cube): boolean {
  for (let d = 0; d < DIM_COUNT; d++) {
    const x = a[d] as IntervalSet | null;
    const y = b[d] as IntervalSet | null;
    if (x !== null && y !== null && x !== y && !setsOverlap(x, y)) return false;
  }
  return true;
}

/** `a \ b` as disjoint cubes (at most one per dimension `b` constrains). */
export function subtractCube(a: Cube, b: Cube): Cube[] {
  if (!cubesOverlap(a, b)) return [a];
  const out: Cube[] = [];
  const rest = a.slice();
  for (let d = 0; d < DIM_COUNT; d++) {
    const y = b[d] as IntervalSet | null;
    if (y === null) continue;
    const x = (rest[d] as IntervalSet | null) ?? fullDomain(d);
    const outside = subtractSets(x, y);
    if (!isEmptySet(outside)) {
      const piece = rest.slice();
      piece[d] = outside;
      out.push(piece);
    }
    rest[d] = x === y ? x : intersectSets(x, y);
  }
  return out;
}

/** `cube \ region`. */
export function subtractRegion(cube: Cube, region: Region): Cube[] {
  let parts: Cube[] = [cube];
  for (const r of region) {
    if (parts.length === 0) break;
    const next: Cube[] = [];
    for (const p of parts) for (const q of subtractCube(p, r)) next.push(q);
    parts = next;
  }
  return parts;
}

/** `cube ∩ region`. */
export function intersectRegion(cube: Cube, region: Region): Cube[] {
  const out: Cube[] = [];
  for (const r of region) {
    const x = intersectCubes(cube, r);
    if (x) out.push(x);
  }
  return out;
}

/** `a ∩ b` of two regions. */
export function intersectRegions(a: Region, b: Region): Cube[] {
  const out: Cube[] = [];
  for (const x of a)
    for (const y of b) {
      const z = intersectCubes(x, y);
      if (z) out.push(z);
    }
  return out;
}

/** The complement of a region (disjoint cubes). */
export function complementRegion(region: Region): Cube[] {
  return subtractRegion(FULL_CUBE, region);
}

/** Whether `a ⊆ b` for two cubes. */
export function cubeIsSubset(a: Cube, b: Cube): boolean {
  for (let d = 0; d < DIM_COUNT; d++) {
    const y = b[d] as IntervalSet | null;
    if (y === null) continue;
    const x = (a[d] as IntervalSet | null) ?? fullDomain(d);
    if (!setIsSubset(x, y)) return false;
  }
  return true;
}

/** A packet as a point: one value per dimension. */
export type Point = readonly bigint[];

export function cubeContains(c: Cube, p: Point): boolean {
  for (let d = 0; d < DIM_COUNT; d++) {
    const s = c[d] as IntervalSet | null;
    if (s !== null && !setContains(s, p[d] as bigint)) return false;
  }
  return true;
}

/** The cube with `dim` set to any value. */
export function freeDim(c: Cube, ...dims: number[]): Cube {
  const out = c.slice();
  for (const d of dims) out[d] = null;
  return out;
}

/** A stable text key of a cube (for grouping). */
export function cubeKey(c: Cube, skip = -1): string {
  let k = '';
  for (let d = 0; d < DIM_COUNT; d++) {
    if (d === skip) {
      k += '|*';
      continue;
    }
    const s = c[d] as IntervalSet | null;
    k += s === null ? '|' : `|${s.join(',')}`;
  }
  return k;
}
