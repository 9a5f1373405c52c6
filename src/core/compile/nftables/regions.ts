/**
 * How the exact analysis reads the nftables IR: each nft relational expression as exactly the
 * region of the header space where the simulator's predicate (`sim.ts`) holds — the payload load
 * and its dependency (`ip saddr` needs `ether type ip` at the link layer, `tcp dport` needs
 * `meta l4proto tcp` and a transport header), then the comparison. Like the kernel's `!=`, a
 * negated test still needs the load to succeed: `tcp dport != 22` is false for UDP.
 *
 * Where nft reads bytes the space has no dimension for, the region says so (`opaque`) instead of
 * guessing: `th dport` of a protocol without ports (ICMP's checksum), a raw `@nh` load of a frame
 * that is neither ARP nor an STP BPDU, one byte of the two ARP addresses compared alone.
 */
import type { BackendAnalysis, RuleRegion } from '../../analysis/backend-analysis';
import { conjoinMatches } from '../../analysis/backend-analysis';
import type { IntervalSet } from '../../analysis/interval-set';
import {
  intersectSets,
  maskedSet,
  prefixSet,
  rangeSet,
  setOf,
  subtractSets,
} from '../../analysis/interval-set';
import type { MatchRegion } from '../../analysis/match-region';
import { ip6ToBigint } from '../../analysis/match-region';
import type { Cube, DimName } from '../../analysis/space';
import {
  CT_ESTABLISHED,
  CT_NEW,
  CT_NONE,
  CT_RELATED,
  CT_UNTRACKED,
  DIM,
  DIM_MAX,
  DIR_ORIGINAL,
  DIR_REPLY,
  ETH_ARP,
  ETH_IPV4,
  ETH_IPV6,
  ETH_RARP,
  ETH_STP,
  ETH_TAGGED,
  FULL_CUBE,
  cubeOf,
  intersectCubes,
  subtractRegion,
} from '../../analysis/space';
import { parseCtStateMask } from '../../conntrack/ct-match';
import { parseIpv4, parseMac } from '../../packet/addr';
import type { NftMatch } from './ir';
import type { Field } from './sim';
import {
  FIELDS,
  parseInt_,
  parseIpv4Net,
  parseIpv6Value,
  prepareNftMatch,
  tcpFlagBits,
} from './sim';

const pt = (v: number | bigint): [bigint, bigint] => [BigInt(v), BigInt(v)];
const values = (...vs: (number | bigint)[]): IntervalSet => setOf(vs.map(pt));

/** Every 802.1Q-tagged frame class (the link layer's type is 0x8100). */
const TAGGED: IntervalSet = setOf([
  [ETH_TAGGED, ETH_TAGGED + 0xffffn],
  [ETH_TAGGED + ETH_STP, ETH_TAGGED + ETH_STP + 0xffffn],
]);
/** Frames nft's bridge family gives a transport header: IPv4 / IPv6, tagged or not. */
const IP_CLASS = values(ETH_IPV4, ETH_IPV6, ETH_TAGGED + ETH_IPV4, ETH_TAGGED + ETH_IPV6);
/** Frames whose network header is an ARP / RARP packet (nft reads it after the tag). */
const ARP_PAYLOAD = values(ETH_ARP, ETH_RARP, ETH_TAGGED + ETH_ARP, ETH_TAGGED + ETH_RARP);
/** STP BPDUs (802.3 frames), tagged or not. */
const STP_ALL: IntervalSet = setOf([
  [ETH_STP, ETH_STP + 0xffffn],
  [ETH_TAGGED + ETH_STP, ETH_TAGGED + ETH_STP + 0xffffn],
]);
/** Protocols whose transport header starts with two ports (TCP, UDP, UDP-Lite, SCTP). */
const PORT_PROTOS = values(6, 17, 136, 132);

const region = (cubes: Cube[], opaque: Cube[] = [], opaqueWhy?: string): MatchRegion =>
  opaque.length > 0
    ? { kind: 'region', region: cubes, opaque, opaqueWhy: opaqueWhy ?? 'not modelled' }
    : { kind: 'region', region: cubes };
const unsupported = (why: string): MatchRegion => ({ kind: 'unsupported', why });

/** The cubes of `a` minus those of `b`. */
function minus(a: readonly Cube[], b: readonly Cube[]): Cube[] {
  return a.flatMap((c) => subtractRegion(c, b));
}

/** `cubes` with one more constraint. */
function within(cubes: readonly Cube[], extra: Partial<Record<DimName, IntervalSet>>): Cube[] {
  const e = cubeOf(extra);
  const out: Cube[] = [];
  for (const c of cubes) {
    const x = intersectCubes(c, e);
    if (x) out.push(x);
  }
  return out;
}

/**
 * A relational test: `hit` are the packets whose load succeeds and passes the comparison, within
 * `readable` (the load succeeds); negated, the rest of `readable`.
 */
function relational(readable: Cube[], hit: Cube[], negated: boolean): MatchRegion {
  return region(negated ? minus(readable, hit) : hit);
}

/** The set of loaded values a comparison accepts (`value`, `lo-hi`, `addr/prefix`, `& mask`). */
function valueSet(f: Field, m: NftMatch, bits: number): IntervalSet | string {
  const parse = (t: string): number | null =>
    f.type === 'mac' ? parseMac(t) : f.type === 'ipv4' ? parseIpv4(t) : parseInt_(t, f.names);
  if (m.mask !== null) {
    const mask = parse(m.mask);
    const want = parse(m.value);
    if (mask === null || want === null) return `${m.selector} & ${m.mask}`;
    return (
      maskedSet(BigInt(want), BigInt(mask), bits) ??
      `${m.selector} & ${m.mask}: too many value ranges`
    );
  }
  const text = m.value.trim();
  if (text.includes('/') && f.type === 'ipv4') {
    const net = parseIpv4Net(text);
    if (!net) return `cannot read ${text}`;
    if (net.prefix !== null) return prefixSet(BigInt(net.addr), net.prefix, 32);
    return maskedSet(BigInt(net.addr), BigInt(net.mask), 32) ?? `${text}: too many ranges`;
  }
  const dash = f.type === 'mac' ? -1 : text.indexOf('-');
  if (dash > 0) {
    const lo = parse(text.slice(0, dash));
    const hi = parse(text.slice(dash + 1));
    if (lo === null || hi === null) return `cannot read ${text}`;
    return lo > hi ? [] : rangeSet(BigInt(lo), BigInt(hi));
  }
  const v = parse(text);
  return v === null ? `cannot read ${text}` : [BigInt(v), BigInt(v)];
}

/** An IPv6 comparison's values (`addr`, `addr/prefix`, `lo-hi`). */
function ipv6Set(text: string): IntervalSet | string {
  const v = parseIpv6Value(text);
  if (!v) return `cannot read ${text}`;
  if ('lo' in v) {
    const a = ip6ToBigint(v.lo);
    const b = ip6ToBigint(v.hi);
    return a > b ? [] : rangeSet(a, b);
  }
  return prefixSet(ip6ToBigint(v.addr), v.prefix, 128);
}

/** Values `v` of a field read as `v >> 2` (the DSCP of a TOS / traffic class byte). */
function dscpToTos(dscp: IntervalSet): IntervalSet {
  const out: [bigint, bigint][] = [];
  for (let i = 0; i < dscp.length; i += 2) {
    const lo = dscp[i] as bigint;
    const hi = dscp[i + 1] as bigint;
    if (lo > 63n) continue;
    out.push([lo * 4n, (hi > 63n ? 63n : hi) * 4n + 3n]);
  }
  return setOf(out);
}

/** `v + offset` for every value of `s` within `0..max`. */
function shifted(s: IntervalSet, offset: bigint, max: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (let i = 0; i < s.length; i += 2) {
    const lo = s[i] as bigint;
    if (lo > max) continue;
    const hi = (s[i + 1] as bigint) > max ? max : (s[i + 1] as bigint);
    out.push([lo + offset, hi + offset]);
  }
  return out;
}

/** The frame classes whose link-layer type (bytes 12–13) is one of `types`. */
function classesOfLinkType(types: IntervalSet): IntervalSet {
  const untagged = subtractSets(intersectSets(types, [0n, 0xffffn]), values(0x8100));
  const parts: [bigint, bigint][] = [];
  for (let i = 0; i < untagged.length; i += 2)
    parts.push([untagged[i] as bigint, untagged[i + 1] as bigint]);
  // An 802.3 frame (an STP BPDU) carries its length there.
  parts.push(...shifted(types, ETH_STP, 0x5ffn));
  const out = setOf(parts);
  return intersectSets(types, values(0x8100)).length > 0
    ? setOf([...pairs(out), ...pairs(TAGGED)])
    : out;
}

function pairs(s: IntervalSet): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (let i = 0; i < s.length; i += 2) out.push([s[i] as bigint, s[i + 1] as bigint]);
  return out;
}

/** A named field read from the frame: which dimension holds it, and when its load succeeds. */
interface FieldDim {
  dim: DimName;
  readable: Partial<Record<DimName, IntervalSet>>;
  /** The dimension's values for the loaded values (default: the same). */
  map?: (v: IntervalSet) => IntervalSet;
}

const L4_READ = (proto: number) => ({ eth: IP_CLASS, proto: values(proto), frag: values(0) });

const FIELD_DIMS: Record<string, FieldDim> = {
  'ether daddr': { dim: 'macDst', readable: {} },
  'ether saddr': { dim: 'macSrc', readable: {} },
  'vlan id': { dim: 'vid', readable: { eth: TAGGED } },
  'ip protocol': { dim: 'proto', readable: { eth: values(ETH_IPV4) } },
  'ip dscp': { dim: 'tos', readable: { eth: values(ETH_IPV4) }, map: dscpToTos },
  'ip saddr': { dim: 'src4', readable: { eth: values(ETH_IPV4) } },
  'ip daddr': { dim: 'dst4', readable: { eth: values(ETH_IPV4) } },
  'ip6 dscp': { dim: 'tos', readable: { eth: values(ETH_IPV6) }, map: dscpToTos },
  'ip6 saddr': { dim: 'src6', readable: { eth: values(ETH_IPV6) } },
  'ip6 daddr': { dim: 'dst6', readable: { eth: values(ETH_IPV6) } },
  'arp htype': { dim: 'arpHtype', readable: { eth: values(ETH_ARP) } },
  'arp ptype': { dim: 'arpPtype', readable: { eth: values(ETH_ARP) } },
  'arp operation': { dim: 'arpOp', readable: { eth: values(ETH_ARP) } },
  'arp saddr ether': { dim: 'arpSha', readable: { eth: values(ETH_ARP) } },
  'arp saddr ip': { dim: 'arpSpa', readable: { eth: values(ETH_ARP) } },
  'arp daddr ether': { dim: 'arpTha', readable: { eth: values(ETH_ARP) } },
  'arp daddr ip': { dim: 'arpTpa', readable: { eth: values(ETH_ARP) } },
  'icmp type': { dim: 'icmpType', readable: L4_READ(1) },
  'icmp code': { dim: 'icmpCode', readable: L4_READ(1) },
  'icmpv6 type': { dim: 'icmpType', readable: L4_READ(58) },
  'icmpv6 code': { dim: 'icmpCode', readable: L4_READ(58) },
};
for (const [p, n] of [
  ['tcp', 6],
  ['udp', 17],
  ['sctp', 132],
] as const) {
  FIELD_DIMS[`${p} sport`] = { dim: 'sport', readable: L4_READ(n) };
  FIELD_DIMS[`${p} dport`] = { dim: 'dport', readable: L4_READ(n) };
}

/** Bits of the value a field's comparison sees (after its mask and shift). */
function valueBits(f: Field): number {
  if (f.type === 'mac') return 48;
  if (f.type === 'ipv4') return 32;
  return f.mask !== undefined ? 8 * f.len - (f.shift ?? 0) : 8 * f.len;
}

function fieldRegion(m: NftMatch, fd: FieldDim, f: Field): MatchRegion {
  let v: IntervalSet | string;
  if (f.type === 'ipv6') v = m.mask === null ? ipv6Set(m.value) : `${m.selector} & ${m.mask}`;
  else v = valueSet(f, m, valueBits(f));
  if (typeof v === 'string') return unsupported(`${m.selector}: ${v}`);
  const readable = [cubeOf(fd.readable)];
  const hit = within(readable, { [fd.dim]: fd.map ? fd.map(v) : v });
  return relational(readable, hit, m.negated);
}

/** The `conns` values of `ct count over N` (the count includes the packet's own connection). */
function countRegion(m: NftMatch): MatchRegion {
  const limit = parseInt_(m.value);
  if (limit === null) return unsupported(`ct count over ${m.value}`);
  const over = rangeSet(BigInt(limit) + 1n, DIM_MAX[DIM.conns] as bigint);
  const upTo = rangeSet(1n, BigInt(limit));
  return region([cubeOf({ conns: m.negated ? upTo : over })]);
}

const CT_STATES: [string, bigint][] = [
  ['new', CT_NEW],
  ['established', CT_ESTABLISHED],
  ['related', CT_RELATED],
  ['invalid', CT_NONE],
  ['untracked', CT_UNTRACKED],
];

/** One byte-wide field of a packet laid out at fixed offsets after the network header. */
interface Slot {
  byte: number;
  width: number;
  dim: DimName;
}

const ARP_LAYOUT: Slot[] = [
  { byte: 0, width: 2, dim: 'arpHtype' },
  { byte: 2, width: 2, dim: 'arpPtype' },
  { byte: 4, width: 1, dim: 'arpHlen' },
  { byte: 5, width: 1, dim: 'arpPlen' },
  { byte: 6, width: 2, dim: 'arpOp' },
  { byte: 8, width: 6, dim: 'arpSha' },
  { byte: 14, width: 4, dim: 'arpSpa' },
  { byte: 18, width: 6, dim: 'arpTha' },
  { byte: 24, width: 4, dim: 'arpTpa' },
];

/** A BPDU after its LLC header (42 42 03), protocol id and version (bytes 0–5). */
const STP_LAYOUT: Slot[] = [
  { byte: 6, width: 1, dim: 'stpType' },
  { byte: 7, width: 1, dim: 'stpFlags' },
  { byte: 8, width: 2, dim: 'stpRootPri' },
  { byte: 10, width: 6, dim: 'stpRootAddr' },
  { byte: 16, width: 4, dim: 'stpRootCost' },
  { byte: 20, width: 2, dim: 'stpSenderPri' },
  { byte: 22, width: 6, dim: 'stpSenderAddr' },
  { byte: 28, width: 2, dim: 'stpPort' },
  { byte: 30, width: 2, dim: 'stpMsgAge' },
  { byte: 32, width: 2, dim: 'stpMaxAge' },
  { byte: 34, width: 2, dim: 'stpHelloTime' },
  { byte: 36, width: 2, dim: 'stpForwardDelay' },
];

/** The loaded values of a raw comparison: one value under a mask, or a range. */
type RawTest =
  { kind: 'eq'; value: bigint; mask: bigint } | { kind: 'range'; lo: bigint; hi: bigint };

/**
 * The constraints on a layout's fields for which a load of `len` bits at bit `off` passes `test`,
 * or null when the load leaves the layout or a range spans more than the top of one field.
 */
function rawConstraints(
  layout: Slot[],
  off: number,
  len: number,
  test: RawTest,
): Partial<Record<DimName, IntervalSet>> | null {
  const first = layout[0] as Slot;
  const last = layout[layout.length - 1] as Slot;
  if (off < first.byte * 8 || off + len > (last.byte + last.width) * 8) return null;
  const out: Partial<Record<DimName, IntervalSet>> = {};
  const hitSlots = layout.filter((s) => s.byte * 8 < off + len && (s.byte + s.width) * 8 > off);
  if (test.kind === 'range') {
    const s = hitSlots[0] as Slot;
    // Only a load of a field's top bits keeps a range one interval of the field.
    if (hitSlots.length !== 1 || off !== s.byte * 8) return null;
    const free = BigInt((s.byte + s.width) * 8 - (off + len));
    out[s.dim] = [test.lo << free, (test.hi << free) | ((1n << free) - 1n)];
    return out;
  }
  for (const s of hitSlots) {
    const fs = s.byte * 8;
    const fe = fs + s.width * 8;
    let val = 0n;
    let mask = 0n;
    for (let p = Math.max(off, fs); p < Math.min(off + len, fe); p++) {
      const xb = BigInt(off + len - 1 - p);
      const yb = BigInt(fe - 1 - p);
      if (((test.mask >> xb) & 1n) === 0n) continue;
      mask |= 1n << yb;
      val |= ((test.value >> xb) & 1n) << yb;
    }
    if (mask === 0n) continue;
    const set = maskedSet(val, mask, s.width * 8);
    if (set === null) return null;
    out[s.dim] = set;
  }
  return out;
}

/** `@nh,OFFSET,LENGTH` (the driver's RARP and STP fields) over ARP packets and BPDUs. */
function rawRegion(m: NftMatch): MatchRegion {
  const r = /^@(ll|nh|th),(\d+),(\d+)$/.exec(m.selector) as RegExpExecArray;
  const where = `${m.selector}`;
  if (r[1] !== 'nh')
    return region([], [FULL_CUBE], `the raw load ${where} is not one the driver writes`);
  const off = Number(r[2]);
  const len = Number(r[3]);
  const full = (1n << BigInt(len)) - 1n;
  const num = (t: string) => BigInt(parseInt_(t) as number);
  const text = m.value.trim();
  const dash = text.indexOf('-');
  // null: no loaded value passes (an empty range).
  let test: RawTest | null;
  if (m.mask !== null) test = { kind: 'eq', value: num(text), mask: num(m.mask) & full };
  else if (dash > 0) {
    const lo = num(text.slice(0, dash));
    const hi = num(text.slice(dash + 1));
    test =
      lo > hi
        ? null
        : lo === hi
          ? { kind: 'eq', value: lo, mask: full }
          : { kind: 'range', lo, hi };
  } else test = { kind: 'eq', value: num(text), mask: full };
  const probe: RawTest = test ?? { kind: 'eq', value: 0n, mask: 0n };
  const readable: Cube[] = [];
  const hit: Cube[] = [];
  const opaque: Cube[] = [
    cubeOf({ eth: subtractSets(subtractSets([0n, 0x3ffffn], ARP_PAYLOAD), STP_ALL) }),
  ];
  const arp = rawConstraints(ARP_LAYOUT, off, len, probe);
  if (arp === null) opaque.push(cubeOf({ eth: ARP_PAYLOAD }));
  else {
    readable.push(cubeOf({ eth: ARP_PAYLOAD }));
    if (test) hit.push(...within([cubeOf({ eth: ARP_PAYLOAD })], arp));
  }
  const stp = rawConstraints(STP_LAYOUT, off, len, probe);
  if (stp === null) opaque.push(cubeOf({ eth: STP_ALL }));
  else {
    // A topology change notification ends after its type byte: later loads fail.
    const base =
      off + len > 7 * 8
        ? cubeOf({ eth: STP_ALL, stpType: subtractSets([0n, 255n], values(0x80)) })
        : cubeOf({ eth: STP_ALL });
    readable.push(base);
    if (test) hit.push(...within([base], stp));
  }
  const out = negatedOr(readable, hit, m.negated);
  return region(
    out,
    opaque,
    `the raw load ${where} reads a frame that is neither an ARP packet nor an STP BPDU (or beyond its fields)`,
  );
}

function negatedOr(readable: Cube[], hit: Cube[], negated: boolean): Cube[] {
  return negated ? minus(readable, hit) : hit;
}

/** `ip6 nexthdr`: the fixed header's next header — AH (51) for a packet behind AH. */
function nexthdrRegion(m: NftMatch): MatchRegion {
  const v = valueSet(FIELDS['ip6 nexthdr'] as Field, m, 8);
  if (typeof v === 'string') return unsupported(`ip6 nexthdr: ${v}`);
  const readable = [cubeOf({ eth: values(ETH_IPV6) })];
  const hit = [cubeOf({ eth: values(ETH_IPV6), frag: values(0), proto: v })];
  if (intersectSets(v, values(51)).length > 0)
    hit.push(cubeOf({ eth: values(ETH_IPV6), frag: values(1) }));
  return relational(readable, hit, m.negated);
}

/** `th sport` / `th dport`: the first two 16-bit words of any transport header. */
function thRegion(m: NftMatch, dim: 'sport' | 'dport'): MatchRegion {
  const v = valueSet({ base: 'th', off: 0, len: 2, type: 'int' }, m, 16);
  if (typeof v === 'string') return unsupported(`${m.selector}: ${v}`);
  const readable = [cubeOf({ eth: IP_CLASS, frag: values(0), proto: PORT_PROTOS })];
  const hit = within(readable, { [dim]: v });
  const opaque = [
    cubeOf({ eth: IP_CLASS, frag: values(0), proto: subtractSets([0n, 255n], PORT_PROTOS) }),
  ];
  return region(
    negatedOr(readable, hit, m.negated),
    opaque,
    `${m.selector} reads bytes ${dim === 'sport' ? '0–1' : '2–3'} of a transport header without ports (ICMP's type and code or checksum, …)`,
  );
}

/** One nft expression as a region (see the module comment). */
export function nftMatchRegion(m: NftMatch): MatchRegion {
  const prepared = prepareNftMatch(m);
  if (!prepared.ok) return unsupported(prepared.unsupported);
  const sel = m.selector;
  switch (sel) {
    case 'iif':
      return { kind: 'context', test: (c) => (c.inIface === m.value) !== m.negated };
    case 'oif':
      return {
        kind: 'context',
        test: (c) => c.outIface !== null && (c.outIface === m.value) !== m.negated,
      };
    case 'meta l4proto': {
      const n = parseInt_(m.value) as number;
      return relational(
        [cubeOf({ eth: IP_CLASS })],
        [cubeOf({ eth: IP_CLASS, proto: values(n) })],
        m.negated,
      );
    }
    case 'ct state': {
      const { mask } = parseCtStateMask(m.value);
      const states = CT_STATES.filter(([n]) => (parseCtStateMask(n).mask & mask) !== 0).map(
        ([, v]) => pt(v),
      );
      return relational([FULL_CUBE], [cubeOf({ ctState: setOf(states) })], m.negated);
    }
    case 'ct direction': {
      const dir = m.value === 'original' ? DIR_ORIGINAL : DIR_REPLY;
      return relational(
        [cubeOf({ ctDir: values(DIR_ORIGINAL, DIR_REPLY) })],
        [cubeOf({ ctDir: values(dir) })],
        m.negated,
      );
    }
    case 'ct count':
      return countRegion(m);
    case 'ether type': {
      const v = valueSet(FIELDS['ether type'] as Field, m, 16);
      if (typeof v === 'string') return unsupported(`ether type: ${v}`);
      return relational([FULL_CUBE], [cubeOf({ eth: classesOfLinkType(v) })], m.negated);
    }
    case 'vlan type': {
      const v = valueSet(FIELDS['vlan type'] as Field, m, 16);
      if (typeof v === 'string') return unsupported(`vlan type: ${v}`);
      const eth = setOf([
        ...shifted(v, ETH_TAGGED, 0xffffn),
        ...shifted(v, ETH_TAGGED + ETH_STP, 0x5ffn),
      ]);
      return relational([cubeOf({ eth: TAGGED })], [cubeOf({ eth })], m.negated);
    }
    case 'ip6 nexthdr':
      return nexthdrRegion(m);
    case 'th sport':
    case 'th dport':
      return thRegion(m, sel === 'th sport' ? 'sport' : 'dport');
    case 'tcp flags': {
      const readable = [cubeOf(L4_READ(6))];
      const elements = m.value.split(',').map((x) => x.trim());
      if (elements.includes('*')) return relational(readable, readable, m.negated);
      const mask = m.mask === null ? 0xff : (tcpFlagBits(m.mask) as number);
      const members = elements.map((x) => tcpFlagBits(x) as number);
      const flags: [bigint, bigint][] = [];
      for (let x = 0; x < 256; x++) if (members.includes(x & mask)) flags.push(pt(x));
      return relational(readable, within(readable, { tcpFlags: setOf(flags) }), m.negated);
    }
    case 'arp saddr ip . arp daddr ip':
      return sameIpRegion([m]);
    default:
      break;
  }
  if (sel.startsWith('@')) return rawRegion(m);
  const fd = FIELD_DIMS[sel];
  const f = FIELDS[sel];
  if (!fd || !f) return unsupported(`nft selector '${sel}' is not modelled by the analysis`);
  return fieldRegion(m, fd, f);
}

/**
 * The driver's gratuitous-ARP test: four `arp saddr ip & M . arp daddr ip & M == @same-ip-set`,
 * one per byte — together, the two addresses are equal (`arpGratuitous`). Alone, or negated
 * (every byte differs), a test is only decided for equal addresses (negated: false).
 */
function sameIpRegion(group: readonly NftMatch[]): MatchRegion {
  const arp = cubeOf({ eth: ARP_PAYLOAD });
  const others = cubeOf({ eth: subtractSets([0n, 0x3ffffn], ARP_PAYLOAD) });
  const why =
    'one byte of the two ARP addresses compared (the driver writes four such tests for gratuitous ARP)';
  const masks = new Set(group.map((g) => g.mask));
  const whole = group.length === 4 && masks.size === 4;
  const equal = within([arp], { arpGratuitous: values(1) });
  const unequal = within([arp], { arpGratuitous: values(0) });
  if (group.every((g) => !g.negated)) {
    if (whole) return region(equal, [others], `${why}, on a frame that is not ARP`);
    return region(equal, [...unequal, others], why);
  }
  if (group.every((g) => g.negated)) return region([], [...unequal, others], why);
  return region([], [arp, others], why);
}

/** The rule's matches, the gratuitous-ARP group read as one test. */
function nftRuleRegion(matches: readonly NftMatch[]): RuleRegion {
  const group = matches.filter((m) => m.selector === 'arp saddr ip . arp daddr ip');
  const parts: MatchRegion[] = [];
  for (const m of matches) {
    if (m.selector !== 'arp saddr ip . arp daddr ip') parts.push(nftMatchRegion(m));
    else if (m === group[0]) {
      const bad = group.map((g) => prepareNftMatch(g)).find((p) => !p.ok);
      parts.push(bad && !bad.ok ? unsupported(bad.unsupported) : sameIpRegion(group));
    }
  }
  return conjoinMatches(parts);
}

/** The nftables backend's part of the analysis (`Backend.analysis`). */
export const nftablesAnalysis: BackendAnalysis<NftMatch> = {
  ruleRegion: (matches) => nftRuleRegion(matches),
};
