/**
 * One IR match as a region of the header space: exactly the packets for which the simulator's
 * predicate (core/netfilter match-eval) is true. Negation follows the predicate: where the
 * interpreter negates the whole test (`!` on an address or EtherType), the region is the
 * complement; where it negates only the field comparison (ports, ARP fields, ICMP type), the
 * packet must still have the field.
 */
import type { Match } from '../compile/ebiptables/ir';
import { tcpFlagBits } from '../model/names';
import { ipsetDimension, parseIpsetMember } from '../host/host-ipsets';
import type { IpsetSpec } from '../host/host-ipsets';
import { iptProtocolNumber } from '../netfilter/match-eval';
import { parseIpv4, parseIpv6, parseMac, parseMacMatch } from '../packet/addr';
import type { IntervalSet } from './interval-set';
import { maskedSet, prefixSet, rangeSet, setOf, subtractSets } from './interval-set';
import type { Cube, DimName, Region } from './space';
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
  complementRegion,
  cubeOf,
  fullDomain,
  intersectCubes,
  subtractCube,
} from './space';

/** What the walk needs to know about the hook a rule runs in (the interface matches). */
export interface HookContext {
  /** ebtables `-i`: the bridge port the frame came in on. */
  inIface: string;
  /** ebtables `-o`: the port it leaves by (null in PREROUTING, where it is not known yet). */
  outIface: string | null;
  /** physdev: bridge ports and whether the packet is bridged (not delivered to the host). */
  physIn: string;
  physOut: string | null;
  bridged: boolean;
}

/** A match translated: a region, a constant of the hook context, or something not modelled. */
export type MatchRegion =
  | {
      kind: 'region';
      region: Region;
      /** Where the predicate depends on what the space has no dimension for (see `RuleRegion`). */
      opaque?: Region;
      opaqueWhy?: string;
    }
  | { kind: 'context'; test: (ctx: HookContext) => boolean }
  | { kind: 'unsupported'; why: string };

const point = (v: number | bigint): IntervalSet => [BigInt(v), BigInt(v)];
const region = (...cubes: Cube[]): MatchRegion => ({ kind: 'region', region: cubes });
const unsupported = (why: string): MatchRegion => ({ kind: 'unsupported', why });

/** Frame classes whose IP header ebtables' ip/ip6 matches read (untagged IPv4 / IPv6). */
const EB_IP4 = point(ETH_IPV4);
const EB_IP6 = point(ETH_IPV6);
/**
 * Frame classes whose IP header iptables' matches read: IPv4 / IPv6, also 802.1Q-tagged (which
 * reach the IP hooks only with bridge-nf-filter-vlan-tagged; the walk decides who gets there).
 */
const IP4_CLASS = setOf([
  [ETH_IPV4, ETH_IPV4],
  [ETH_TAGGED + ETH_IPV4, ETH_TAGGED + ETH_IPV4],
]);
const IP6_CLASS = setOf([
  [ETH_IPV6, ETH_IPV6],
  [ETH_TAGGED + ETH_IPV6, ETH_TAGGED + ETH_IPV6],
]);
const IP_CLASS = setOf([
  [ETH_IPV4, ETH_IPV4],
  [ETH_IPV6, ETH_IPV6],
  [ETH_TAGGED + ETH_IPV4, ETH_TAGGED + ETH_IPV4],
  [ETH_TAGGED + ETH_IPV6, ETH_TAGGED + ETH_IPV6],
]);
const ARP_CLASS = setOf([
  [ETH_ARP, ETH_ARP],
  [ETH_RARP, ETH_RARP],
]);
const STP_CLASS: IntervalSet = [ETH_STP, 0x3ffffn];
/** Protocols with ports for xt_tcpudp / ebt_ip (TCP, UDP, UDP-Lite, SCTP). */
const PORT_PROTOS = setOf([6n, 17n, 136n, 132n].map((p) => [p, p] as [bigint, bigint]));

/** The values of a MAC field `-s MAC[/MASK]` (ebtables' named addresses included). */
function macSet(macText: string, maskText: string | null): IntervalSet | null {
  const p = parseMacMatch(macText, maskText);
  return p === null ? null : maskedSet(BigInt(p.mac), BigInt(p.mask), 48);
}

/** Address (v4 or v6) with an optional prefix: its family's class and dimension values. */
function addrSet(text: string, prefix: number | null): { v6: boolean; set: IntervalSet } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { v6: false, set: prefixSet(BigInt(v4), prefix ?? 32, 32) };
  const v6 = parseIpv6(text);
  if (v6 !== null) return { v6: true, set: prefixSet(ip6ToBigint(v6), prefix ?? 128, 128) };
  return null;
}

/** An IPv6 address (four 32-bit words) as one 128-bit integer. */
export function ip6ToBigint(a: readonly number[]): bigint {
  return (
    (BigInt(a[0] as number) << 96n) |
    (BigInt(a[1] as number) << 64n) |
    (BigInt(a[2] as number) << 32n) |
    BigInt(a[3] as number)
  );
}

/** `set` when the comparison is positive, its complement in the dimension when negated. */
function maybeNot(dim: number, set: IntervalSet, negated: boolean): IntervalSet {
  return negated ? subtractSets(fullDomain(dim), set) : set;
}

/** The region of the whole predicate, negated as a whole when `negated`. */
function whole(cubes: Cube[], negated: boolean): MatchRegion {
  return { kind: 'region', region: negated ? complementRegion(cubes) : cubes };
}

const STP_FIELDS: Record<string, DimName> = {
  type: 'stpType',
  flags: 'stpFlags',
  'root-pri': 'stpRootPri',
  'root-addr': 'stpRootAddr',
  'root-cost': 'stpRootCost',
  'sender-prio': 'stpSenderPri',
  'sender-addr': 'stpSenderAddr',
  port: 'stpPort',
  'msg-age': 'stpMsgAge',
  'max-age': 'stpMaxAge',
  'hello-time': 'stpHelloTime',
  'forward-delay': 'stpForwardDelay',
};

/** Conntrack state names to the `ctState` values. */
const CT_VALUES: Record<string, bigint> = {
  NEW: CT_NEW,
  ESTABLISHED: CT_ESTABLISHED,
  RELATED: CT_RELATED,
  INVALID: CT_NONE,
  UNTRACKED: CT_UNTRACKED,
};

/** The set of byte values `v` with `(v & mask) === comp`. */
function flagValues(mask: number, comp: number, negated: boolean): IntervalSet {
  const pairs: [bigint, bigint][] = [];
  for (let v = 0; v < 256; v++)
    if (((v & mask) === comp) !== negated) pairs.push([BigInt(v), BigInt(v)]);
  return setOf(pairs);
}

/** Translates one IR match (see the module comment). */
export function matchRegion(m: Match, ipsets: Record<string, IpsetSpec>): MatchRegion {
  switch (m.kind) {
    case 'eb-iface':
      return {
        kind: 'context',
        test: (c) => (m.dir === 'in' ? c.inIface : c.outIface) === m.iface,
      };
    case 'ipt-physdev':
      return {
        kind: 'context',
        test: (c) => {
          if (m.isBridged && !c.bridged) return false;
          return (m.dir === 'in' ? c.physIn : c.physOut) === m.iface;
        },
      };
    case 'ipt-comment':
      return region(FULL_CUBE);
    case 'eb-mac': {
      const s = macSet(m.mac, m.mask);
      if (!s) return unsupported(`eb-mac ${m.mac}${m.mask ? `/${m.mask}` : ''}`);
      return whole([cubeOf({ [m.field === 'src' ? 'macSrc' : 'macDst']: s })], m.negated);
    }
    case 'ipt-mac': {
      const s = macSet(m.mac, null);
      if (!s) return unsupported(`--mac-source ${m.mac}`);
      return whole([cubeOf({ macSrc: s })], m.negated);
    }
    case 'eb-proto': {
      // A tagged frame's -p value is 802.1Q; an STP BPDU's is its 802.3 length.
      const t = BigInt(m.ethertype);
      const eth =
        m.ethertype === 0x8100
          ? setOf([
              [ETH_TAGGED, ETH_TAGGED + 0xffffn],
              [ETH_TAGGED + ETH_STP, ETH_TAGGED + ETH_STP + 0xffffn],
            ])
          : setOf([
              [t, t],
              [ETH_STP + t, ETH_STP + t],
            ]);
      return whole([cubeOf({ eth })], m.negated);
    }
    case 'eb-vlan': {
      const cube =
        m.field === 'id'
          ? cubeOf({
              eth: setOf([
                [ETH_TAGGED, ETH_TAGGED + 0xffffn],
                [ETH_TAGGED + ETH_STP, 0x3ffffn],
              ]),
              vid: point(m.value),
            })
          : cubeOf({
              eth: setOf([
                [ETH_TAGGED + BigInt(m.value), ETH_TAGGED + BigInt(m.value)],
                [ETH_TAGGED + ETH_STP + BigInt(m.value), ETH_TAGGED + ETH_STP + BigInt(m.value)],
              ]),
            });
      return whole([cube], m.negated);
    }
    case 'eb-stp': {
      const dimName = STP_FIELDS[m.field];
      if (!dimName) return unsupported(`stp field ${m.field}`);
      const dim = DIM[dimName];
      let values: IntervalSet | null;
      if (m.mac !== null) values = macSet(m.mac, m.mask);
      else if (m.range) values = rangeSet(BigInt(m.range.lo), BigInt(m.range.hi));
      else values = [];
      if (values === null) return unsupported(`stp ${m.field} ${m.text}`);
      const tested = cubeOf({ eth: STP_CLASS, [dimName]: maybeNot(dim, values, m.negated) });
      if (m.field === 'type') return region(tested);
      // ebt_stp_mt reads the configuration fields only in a configuration BPDU (type 0); any
      // other BPDU matches them untested.
      return region(
        intersectCubes(tested, cubeOf({ stpType: point(0) })) as Cube,
        cubeOf({ eth: STP_CLASS, stpType: rangeSet(1n, 255n) }),
      );
    }
    case 'eb-arp':
      return arpRegion(m);
    case 'eb-ip':
      return ebIpRegion(m);
    case 'ipt-proto': {
      const n = iptProtocolNumber(m.proto);
      if (n === undefined) return unsupported(`-p ${m.proto}`);
      if (n === 0) return region(FULL_CUBE);
      return region(cubeOf({ eth: IP_CLASS, proto: point(n) }));
    }
    case 'ipt-addr': {
      const a = addrSet(m.addr, m.prefix);
      if (!a) return unsupported(`address ${m.text}`);
      const c = a.v6
        ? cubeOf({ eth: IP6_CLASS, [m.field === 'src' ? 'src6' : 'dst6']: a.set })
        : cubeOf({ eth: IP4_CLASS, [m.field === 'src' ? 'src4' : 'dst4']: a.set });
      return whole([c], m.negated);
    }
    case 'ipt-iprange': {
      const from4 = parseIpv4(m.from);
      const to4 = m.to === null ? from4 : parseIpv4(m.to);
      if (from4 !== null && to4 !== null) {
        const dim = m.field === 'src' ? 'src4' : 'dst4';
        return whole(
          [cubeOf({ eth: IP4_CLASS, [dim]: rangeSet(BigInt(from4), BigInt(to4)) })],
          m.negated,
        );
      }
      const from6 = parseIpv6(m.from);
      const to6 = m.to === null ? from6 : parseIpv6(m.to);
      if (from6 && to6) {
        const dim = m.field === 'src' ? 'src6' : 'dst6';
        return whole(
          [cubeOf({ eth: IP6_CLASS, [dim]: rangeSet(ip6ToBigint(from6), ip6ToBigint(to6)) })],
          m.negated,
        );
      }
      return unsupported(`iprange ${m.from}-${m.to ?? ''}`);
    }
    case 'ipt-dscp':
      return whole(
        [
          cubeOf({
            eth: IP_CLASS,
            tos: rangeSet(BigInt(m.dscp * 4), BigInt(m.dscp * 4 + 3)),
          }),
        ],
        m.negated,
      );
    case 'ipt-tcp-flags': {
      const mask = tcpFlagBits(m.mask);
      const comp = tcpFlagBits(m.comp);
      if (mask === null) return unsupported(`--tcp-flags ${m.maskText}`);
      if (comp === null) return unsupported(`--tcp-flags ${m.compText}`);
      return region(
        cubeOf({
          eth: IP_CLASS,
          proto: point(6),
          frag: point(0),
          tcpFlags: flagValues(mask, comp, m.negated),
        }),
      );
    }
    case 'ipt-port': {
      const dim = m.field === 'sport' ? DIM.sport : DIM.dport;
      const values = maybeNot(dim, rangeSet(BigInt(m.range.lo), BigInt(m.range.hi)), m.negated);
      return region(
        cubeOf({ eth: IP_CLASS, proto: PORT_PROTOS, frag: point(0), [m.field]: values }),
      );
    }
    case 'ipt-tcp-option':
      // TCP options are not a dimension of the space yet: the rule is reported, not guessed.
      return unsupported(`--tcp-option ${m.text}`);
    case 'ipt-icmp': {
      const proto = point(m.family === 4 ? 1 : 58);
      if (m.type === 0xff)
        return m.negated ? region() : region(cubeOf({ eth: IP_CLASS, proto, frag: point(0) }));
      const c: Partial<Record<DimName, IntervalSet>> = {
        eth: IP_CLASS,
        proto,
        frag: point(0),
        icmpType: point(m.type),
      };
      if (m.code !== null) c.icmpCode = point(m.code);
      const hit = cubeOf(c);
      if (!m.negated) return region(hit);
      // ICMP packets other than the type/code.
      const icmp = cubeOf({ eth: IP_CLASS, proto, frag: point(0) });
      const out: Cube[] = [];
      for (const piece of complementRegion([hit])) {
        const x = intersectCubes(piece, icmp);
        if (x) out.push(x);
      }
      return region(...out);
    }
    case 'ipt-ctstate': {
      const pairs: [bigint, bigint][] = [];
      for (const s of m.states) {
        const v = CT_VALUES[s];
        if (v !== undefined) pairs.push([v, v]);
      }
      return region(cubeOf({ ctState: setOf(pairs) }));
    }
    case 'ipt-ctdir':
      // Needs a connection: a packet without one never matches a --ctdir test.
      return region(cubeOf({ ctDir: point(m.dir === 'Original' ? DIR_ORIGINAL : DIR_REPLY) }));
    case 'ipt-connlimit':
      // xt_connlimit counts the packet's own connection (or tuple), so the count is at least 1;
      // its hot-drop at a count of 0 (the packet's own connection already closed) is not a
      // first-packet case and is not modelled.
      return region(
        cubeOf({
          conns: m.negated
            ? rangeSet(1n, BigInt(m.above))
            : rangeSet(BigInt(m.above) + 1n, DIM_MAX[DIM.conns] as bigint),
        }),
      );
    case 'ipt-set':
      return setRegion(m.set, m.flags, ipsets);
    default:
      return unsupported(`match kind ${(m as { kind: string }).kind}`);
  }
}

function arpRegion(m: Extract<Match, { kind: 'eb-arp' }>): MatchRegion {
  const arp = { eth: ARP_CLASS };
  const ipv4Arp = { ...arp, arpPlen: point(4), arpPtype: point(0x0800) };
  switch (m.field) {
    case 'htype':
    case 'opcode':
    case 'ptype': {
      const dimName: DimName =
        m.field === 'htype' ? 'arpHtype' : m.field === 'opcode' ? 'arpOp' : 'arpPtype';
      const dim = DIM[dimName];
      const values = maybeNot(dim, point(m.value ?? 0), m.negated);
      if (m.field === 'ptype' && !m.negated) return region(cubeOf({ ...arp, arpPtype: values }));
      return region(cubeOf({ ...arp, [dimName]: values }));
    }
    case 'ip-src':
    case 'ip-dst': {
      const a = m.ip !== null ? addrSet(m.ip, m.prefix) : null;
      if (!a || a.v6) return unsupported(`arp ${m.field} ${m.text}`);
      const dimName: DimName = m.field === 'ip-src' ? 'arpSpa' : 'arpTpa';
      return region(
        cubeOf({
          ...ipv4Arp,
          [dimName]: maybeNot(DIM[dimName], a.set, m.negated),
        }),
      );
    }
    case 'mac-src':
    case 'mac-dst': {
      const s = m.mac !== null ? macSet(m.mac, null) : null;
      if (!s) return unsupported(`arp ${m.field} ${m.text}`);
      const dimName: DimName = m.field === 'mac-src' ? 'arpSha' : 'arpTha';
      return region(
        cubeOf({
          ...arp,
          arpHlen: point(6),
          arpHtype: point(1),
          [dimName]: maybeNot(DIM[dimName], s, m.negated),
        }),
      );
    }
    case 'gratuitous':
      return region(cubeOf({ ...ipv4Arp, arpGratuitous: point(m.negated ? 0 : 1) }));
  }
}

function ebIpRegion(m: Extract<Match, { kind: 'eb-ip' }>): MatchRegion {
  const eth = m.family === 4 ? EB_IP4 : EB_IP6;
  switch (m.field) {
    case 'src':
    case 'dst': {
      const a = m.addr !== null ? addrSet(m.addr, m.prefix) : null;
      if (!a) return unsupported(`ebtables ip ${m.field} ${m.text}`);
      // An address of the other family never matches (the packet's family is fixed by -p).
      if (a.v6 !== (m.family === 6)) return region();
      const dimName: DimName = a.v6
        ? m.field === 'src'
          ? 'src6'
          : 'dst6'
        : m.field === 'src'
          ? 'src4'
          : 'dst4';
      return region(cubeOf({ eth, [dimName]: maybeNot(DIM[dimName], a.set, m.negated) }));
    }
    case 'protocol':
      return region(cubeOf({ eth, proto: maybeNot(DIM.proto, point(m.value ?? 0), m.negated) }));
    case 'sport':
    case 'dport': {
      const r = m.range;
      if (!r) return unsupported(`ebtables ip ${m.field}`);
      const dim = DIM[m.field];
      return region(
        cubeOf({
          eth,
          proto: PORT_PROTOS,
          frag: point(0),
          [m.field]: maybeNot(dim, rangeSet(BigInt(r.lo), BigInt(r.hi)), m.negated),
        }),
      );
    }
    case 'tos':
      return region(cubeOf({ eth, tos: maybeNot(DIM.tos, point(m.value ?? 0), m.negated) }));
    case 'icmp-type': {
      const tr = m.icmpType;
      const cr = m.icmpCode;
      if (!tr || !cr) return unsupported(`ebtables ip6 icmp-type ${m.text}`);
      const hit = cubeOf({
        eth,
        proto: point(58),
        icmpType: rangeSet(BigInt(tr.lo), BigInt(tr.hi)),
        icmpCode: rangeSet(BigInt(cr.lo), BigInt(cr.hi)),
      });
      if (!m.negated) return region(hit);
      const icmp = cubeOf({ eth, proto: point(58) });
      const out: Cube[] = [];
      for (const piece of complementRegion([hit])) {
        const x = intersectCubes(piece, icmp);
        if (x) out.push(x);
      }
      return region(...out);
    }
  }
}

function setRegion(
  name: string,
  flags: ('src' | 'dst')[],
  ipsets: Record<string, IpsetSpec>,
): MatchRegion {
  const set = ipsets[name];
  if (!set) return unsupported(`ipset '${name}' is not configured on the simulated host`);
  // Fewer flags than the set has dimensions never match (ip_set_test).
  if (flags.length < ipsetDimension(set.type)) return region();
  const src = flags[0] !== 'dst';
  const portDim: DimName = flags[1] === 'dst' ? 'dport' : 'sport';
  const cubes: Cube[] = [];
  for (const text of set.members) {
    const m = parseIpsetMember(set.type, text);
    if ('error' in m) return unsupported(`ipset '${name}': ${m.error}`);
    if (m.family === 'mac') {
      const v = parseMac(m.addr);
      if (v === null) return unsupported(`ipset '${name}' member ${text}`);
      cubes.push(cubeOf({ [src ? 'macSrc' : 'macDst']: point(v) }));
      continue;
    }
    const addr = addrSet(m.addr, m.prefix);
    if (!addr) return unsupported(`ipset '${name}' member ${text}`);
    const c: Partial<Record<DimName, IntervalSet>> = addr.v6
      ? { eth: IP6_CLASS, [src ? 'src6' : 'dst6']: addr.set }
      : { eth: IP4_CLASS, [src ? 'src4' : 'dst4']: addr.set };
    if (m.proto !== null) {
      // A protocol without ports never matches a port member (no port to compare).
      if (![6, 17, 136, 132].includes(m.proto)) continue;
      c.proto = point(m.proto);
      c.frag = point(0);
      c[portDim] = rangeSet(BigInt(m.portLo), BigInt(m.portHi));
    }
    cubes.push(cubeOf(c));
  }
  // Members may overlap: keep the union disjoint.
  const disjoint: Cube[] = [];
  for (const c of cubes) {
    let parts: Cube[] = [c];
    for (const d of disjoint) parts = parts.flatMap((x) => subtractCube(x, d));
    disjoint.push(...parts);
  }
  return region(...disjoint);
}
