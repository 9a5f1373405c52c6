/**
 * Compiles each IR match into a predicate over a packet context, following
 * the kernel's match modules (ebt_802_3/ebt_ip/ebt_ip6/ebt_arp/ebt_vlan/
 * ebt_stp, ip_tables' header match, xt_tcpudp, xt_mac, xt_iprange, xt_dscp,
 * xt_conntrack, xt_set, xt_connlimit, xt_physdev, icmp). Values are parsed
 * once here so evaluation allocates nothing. A match the model does not know
 * yields `unsupported`, which the interpreter reports when a packet reaches it.
 */
import type { Match } from '../compile/ebiptables/ir';
import type { Conntrack } from '../conntrack/conntrack';
import type { ConnlimitOptions } from '../conntrack/connlimit';
import { matchConntrack, parseCtStateMask } from '../conntrack/ct-match';
import type { CtPacket } from '../conntrack/types';
import type { Ip6Addr } from '../packet/addr';
import { ipProtocolNumber, tcpFlagBits } from '../model/names';
import {
  ipv4PrefixMask,
  ipv6PrefixMask,
  macMatcher,
  parseIpv4,
  parseIpv6,
  parseMac,
} from '../packet/addr';
import { ipsetDimension, ipsetFamily, parseIpsetMember } from '../host/host-ipsets';
import type { IpsetMember, IpsetSpec } from '../host/host-ipsets';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet } from '../packet/packet';
import { ETH_P_8021Q, ETH_P_ARP, ETH_P_IPV4, ETH_P_RARP, IPPROTO_AH } from '../packet/packet';

/** What a predicate sees. */
export interface MatchContext {
  frame: EthernetFrame;
  /** The IP layer when the frame is IP and visible to the IP hooks. */
  ip: Ipv4Packet | Ipv6Packet | null;
  ct: CtPacket;
  conntrack: Conntrack;
  now: number;
  /** ebtables `-i` / `-o`: the bridge ports of this hook (null when unknown at the hook). */
  inIface: string | null;
  outIface: string | null;
  /** physdev: bridge ports, and whether the packet is being bridged (not delivered locally). */
  physIn: string | null;
  physOut: string | null;
  bridged: boolean;
  /** Key of the rule being evaluated (connlimit keeps per-rule counts). */
  ruleKey: string;
  /** Bytes counted by ebtables (frame after the Ethernet header) and by iptables (the IP datagram). */
  l2Len: number;
  l3Len: number;
  /**
   * Set by a match that drops the packet outright (x_tables `hotdrop`): the
   * rule does not match, no counter moves and the table's verdict is DROP.
   */
  hotdrop: boolean;
}

export type Predicate = (ctx: MatchContext) => boolean;

export type { IpsetSpec } from '../host/host-ipsets';

export type PreparedMatch =
  { ok: true; pred: Predicate; header: boolean } | { ok: false; unsupported: string };

/** The protocol number iptables' `-p NAME` compares (0 for `all`), or undefined for a name the simulator does not know. */
export function iptProtocolNumber(name: string): number | undefined {
  if (name === 'all') return 0;
  // /etc/protocols' name for ICMPv6, which iptables also takes.
  return ipProtocolNumber(name === 'ipv6-icmp' ? 'icmpv6' : name);
}

type AddrTest = { v4: ((a: number) => boolean) | null; v6: ((a: Ip6Addr) => boolean) | null };

/** Address (v4 or v6) with an optional prefix length; null prefix = host. */
function addrMatcher(text: string, prefix: number | null): AddrTest | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) {
    const mask = ipv4PrefixMask(prefix ?? 32);
    const want = (v4 & mask) >>> 0;
    return { v4: (a) => (a & mask) >>> 0 === want, v6: null };
  }
  const v6 = parseIpv6(text);
  if (v6 !== null) {
    const m = ipv6PrefixMask(prefix ?? 128);
    const w = v6.map((x, i) => (x & (m[i] as number)) >>> 0);
    return {
      v4: null,
      v6: (a) =>
        (a[0] & m[0]) >>> 0 === w[0] &&
        (a[1] & m[1]) >>> 0 === w[1] &&
        (a[2] & m[2]) >>> 0 === w[2] &&
        (a[3] & m[3]) >>> 0 === w[3],
    };
  }
  return null;
}

function testAddr(t: AddrTest, ip: Ipv4Packet | Ipv6Packet, which: 'src' | 'dst'): boolean {
  if (ip.kind === 'ipv4') return t.v4 !== null && t.v4(ip[which]);
  return t.v6 !== null && t.v6(ip[which]);
}

function cmp6(a: Ip6Addr, b: Ip6Addr): number {
  for (let i = 0; i < 4; i++)
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
  return 0;
}

/** The upper-layer protocol as ip6tables/ebtables see it: extension headers and AH skipped (ipv6_find_hdr). */
export function upperProtocol(ip: Ipv4Packet | Ipv6Packet): number {
  if (ip.kind === 'ipv6' && ip.protocol === IPPROTO_AH && ip.payload.kind === 'ah')
    return ip.payload.nextHeader;
  return ip.protocol;
}

/**
 * The L4 port `--sport`/`--dport` compare, or -1 when the packet has none: not TCP/UDP/UDP-Lite/
 * SCTP, or a non-first IPv4 fragment (xt_tcpudp does not match those).
 */
export function l4Port(ip: Ipv4Packet | Ipv6Packet, field: 'sport' | 'dport'): number {
  if (ip.kind === 'ipv4' && ip.fragOffset !== 0) return -1;
  const l4 = ip.payload;
  if (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'udplite' || l4.kind === 'sctp')
    return field === 'sport' ? l4.srcPort : l4.dstPort;
  return -1;
}

/** The ethertype ebtables' `-p` compares: 802.1Q for tagged frames. */
export function ebEthertype(f: EthernetFrame): number {
  return f.vlan ? ETH_P_8021Q : f.ethertype;
}

/** The IP packet ebtables' ip/ip6 matches see (untagged IPv4/IPv6 frames). */
function ebIpOf(f: EthernetFrame): Ipv4Packet | Ipv6Packet | null {
  if (f.vlan) return null;
  const p = f.payload;
  return p.kind === 'ipv4' || p.kind === 'ipv6' ? p : null;
}

function inRange(v: number, r: { lo: number; hi: number }): boolean {
  return v >= r.lo && v <= r.hi;
}

const neg = (pred: Predicate, negated: boolean): Predicate => (negated ? (c) => !pred(c) : pred);

/** Compiles one IR match. `ipsets` are the host's sets for `-m set`. */
export function prepareMatch(m: Match, ipsets: Record<string, IpsetSpec>): PreparedMatch {
  const ok = (pred: Predicate, header = false): PreparedMatch => ({ ok: true, pred, header });
  const bad = (why: string): PreparedMatch => ({ ok: false, unsupported: why });
  switch (m.kind) {
    case 'eb-iface':
      return ok((c) => (m.dir === 'in' ? c.inIface : c.outIface) === m.iface, true);
    case 'eb-mac': {
      const t = macMatcher(m.mac, m.mask);
      if (!t) return bad(`eb-mac: cannot parse ${m.mac}`);
      return ok(
        neg((c) => t(c.frame[m.field]), m.negated),
        true,
      );
    }
    case 'eb-proto':
      return ok(
        neg((c) => ebEthertype(c.frame) === m.ethertype, m.negated),
        true,
      );
    case 'eb-vlan':
      return ok(
        neg((c) => {
          const v = c.frame.vlan;
          if (!v) return false;
          return m.field === 'id' ? v.vid === m.value : c.frame.ethertype === m.value;
        }, m.negated),
      );
    case 'eb-stp':
      return prepareStp(m);
    case 'eb-arp':
      return prepareArp(m);
    case 'eb-ip':
      return prepareEbIp(m);
    case 'ipt-proto': {
      const n = iptProtocolNumber(m.proto);
      if (n === undefined) return bad(`-p ${m.proto}`);
      if (n === 0) return ok(() => true, true);
      return ok((c) => c.ip !== null && upperProtocol(c.ip) === n, true);
    }
    case 'ipt-mac': {
      const t = macMatcher(m.mac, null);
      if (!t) return bad(`--mac-source ${m.mac}`);
      return ok(neg((c) => t(c.frame.src), m.negated));
    }
    case 'ipt-addr': {
      const t = addrMatcher(m.addr, m.prefix);
      if (!t) return bad(`address ${m.text}`);
      return ok(
        neg((c) => c.ip !== null && testAddr(t, c.ip, m.field), m.negated),
        true,
      );
    }
    case 'ipt-iprange': {
      const from4 = parseIpv4(m.from);
      const to4 = m.to === null ? from4 : parseIpv4(m.to);
      if (from4 !== null && to4 !== null) {
        return ok(
          neg(
            (c) =>
              c.ip !== null &&
              c.ip.kind === 'ipv4' &&
              c.ip[m.field] >= from4 &&
              c.ip[m.field] <= to4,
            m.negated,
          ),
        );
      }
      const from6 = parseIpv6(m.from);
      const to6 = m.to === null ? from6 : parseIpv6(m.to);
      if (from6 && to6) {
        return ok(
          neg(
            (c) =>
              c.ip !== null &&
              c.ip.kind === 'ipv6' &&
              cmp6(c.ip[m.field], from6) >= 0 &&
              cmp6(c.ip[m.field], to6) <= 0,
            m.negated,
          ),
        );
      }
      return bad(`iprange ${m.from}-${m.to ?? ''}`);
    }
    case 'ipt-dscp':
      return ok(
        neg(
          (c) =>
            c.ip !== null && (c.ip.kind === 'ipv4' ? c.ip.tos : c.ip.trafficClass) >> 2 === m.dscp,
          m.negated,
        ),
      );
    case 'ipt-tcp-flags': {
      const mask = tcpFlagBits(m.mask);
      if (mask === null) return bad(`--tcp-flags ${m.maskText}`);
      const comp = tcpFlagBits(m.comp);
      if (comp === null) return bad(`--tcp-flags ${m.compText}`);
      return ok((c) => {
        const l4 = c.ip?.payload;
        if (!l4 || l4.kind !== 'tcp' || (c.ip?.kind === 'ipv4' && c.ip.fragOffset !== 0))
          return false;
        return ((l4.flags & mask) === comp) !== m.negated;
      });
    }
    case 'ipt-port': {
      const { field, negated } = m;
      const { lo, hi } = m.range;
      return ok((c) => {
        const p = c.ip ? l4Port(c.ip, field) : -1;
        if (p < 0) return false;
        return (p >= lo && p <= hi) !== negated;
      });
    }
    case 'ipt-tcp-option':
      return ok((c) => {
        const l4 = c.ip?.payload;
        if (!l4 || l4.kind !== 'tcp') return false;
        return tcpHasOption(l4.options, m.option) !== m.negated;
      });
    case 'ipt-icmp':
      return ok((c) => {
        const l4 = c.ip?.payload;
        if (!l4 || l4.kind !== (m.family === 4 ? 'icmp' : 'icmpv6')) return false;
        if (c.ip?.kind === 'ipv4' && c.ip.fragOffset !== 0) return false;
        const hit =
          m.type === 0xff || (l4.type === m.type && (m.code === null || l4.code === m.code));
        return hit !== m.negated;
      });
    case 'ipt-ctstate': {
      const { mask } = parseCtStateMask(m.states.join(','));
      const spec = { state: { mask, invert: false } };
      return ok((c) => matchConntrack(c.ct, spec));
    }
    case 'ipt-ctdir': {
      const spec = { dir: m.dir === 'Original' ? ('ORIGINAL' as const) : ('REPLY' as const) };
      return ok((c) => matchConntrack(c.ct, spec));
    }
    case 'ipt-set':
      return prepareSet(m.set, m.flags, ipsets);
    case 'ipt-connlimit':
      return ok((c) => {
        const family = c.ip?.kind === 'ipv6' ? 6 : 4;
        const opts: ConnlimitOptions = { daddr: false, prefix: family === 6 ? 128 : 32 };
        const n = c.conntrack.connlimitCount(c.ruleKey, c.ct, c.frame, opts, c.now);
        // xt_connlimit: a count of 0 (no tuple, or the packet's own connection already closed and not counted) hot-drops.
        if (n === 0) {
          c.hotdrop = true;
          return false;
        }
        return n > m.above !== m.negated;
      });
    case 'ipt-comment':
      return ok(() => true);
    case 'ipt-physdev':
      return ok((c) => {
        if (m.isBridged && !c.bridged) return false;
        return (m.dir === 'in' ? c.physIn : c.physOut) === m.iface;
      });
    default:
      return bad(`match kind ${(m as { kind: string }).kind}`);
  }
}

function tcpHasOption(opts: Uint8Array | undefined, kind: number): boolean {
  if (!opts) return false;
  let i = 0;
  while (i < opts.length) {
    const k = opts[i] as number;
    if (k === kind) return true;
    if (k === 0) return false;
    if (k === 1) {
      i++;
      continue;
    }
    const len = opts[i + 1] ?? 0;
    if (len < 2) return false;
    i += len;
  }
  return false;
}

function prepareStp(m: Extract<Match, { kind: 'eb-stp' }>): PreparedMatch {
  const mac = m.mac !== null ? macMatcher(m.mac, m.mask) : null;
  const r = m.range;
  if (m.mac !== null && !mac) return { ok: false, unsupported: `stp ${m.field} ${m.text}` };
  const fieldOf: Record<string, (b: Extract<EthernetFrame['payload'], { kind: 'stp' }>) => number> =
    {
      type: (b) => b.bpduType,
      flags: (b) => b.flags,
      'root-pri': (b) => b.rootPriority,
      'root-addr': (b) => b.rootAddr,
      'root-cost': (b) => b.rootCost,
      'sender-prio': (b) => b.senderPriority,
      'sender-addr': (b) => b.senderAddr,
      port: (b) => b.port,
      'msg-age': (b) => b.msgAge,
      'max-age': (b) => b.maxAge,
      'hello-time': (b) => b.helloTime,
      'forward-delay': (b) => b.forwardDelay,
    };
  const get = fieldOf[m.field];
  if (!get) return { ok: false, unsupported: `stp field ${m.field}` };
  return {
    ok: true,
    header: false,
    pred: (c) => {
      const b = c.frame.payload;
      if (b.kind !== 'stp') return false;
      // ebt_stp_mt reads the configuration fields only in a configuration BPDU: in any other
      // BPDU they are not tested at all, so they match (negated or not).
      if (m.field !== 'type' && b.bpduType !== 0) return true;
      const v = get(b);
      const hit = mac ? mac(v) : r ? inRange(v, r) : false;
      return hit !== m.negated;
    },
  };
}

function prepareArp(m: Extract<Match, { kind: 'eb-arp' }>): PreparedMatch {
  const isArp = (f: EthernetFrame) => {
    const t = ebEthertype(f);
    return (t === ETH_P_ARP || t === ETH_P_RARP) && f.payload.kind === 'arp';
  };
  const arpOf = (f: EthernetFrame) =>
    f.payload as Extract<EthernetFrame['payload'], { kind: 'arp' }>;
  switch (m.field) {
    case 'htype':
      return {
        ok: true,
        header: false,
        pred: (c) => isArp(c.frame) && (arpOf(c.frame).htype === m.value) !== m.negated,
      };
    case 'opcode':
      return {
        ok: true,
        header: false,
        pred: (c) => isArp(c.frame) && (arpOf(c.frame).op === m.value) !== m.negated,
      };
    case 'ptype':
      return {
        ok: true,
        header: false,
        pred: (c) => isArp(c.frame) && (arpOf(c.frame).ptype === m.value) !== m.negated,
      };
    case 'ip-src':
    case 'ip-dst': {
      const t = m.ip !== null ? addrMatcher(m.ip, m.prefix) : null;
      if (!t || !t.v4) return { ok: false, unsupported: `arp ${m.field} ${m.text}` };
      const test = t.v4;
      return {
        ok: true,
        header: false,
        pred: (c) => {
          if (!isArp(c.frame)) return false;
          const a = arpOf(c.frame);
          // IP fields need an IPv4 ARP (ebt_arp checks ar_pln and ar_pro).
          if (a.plen !== 4 || a.ptype !== ETH_P_IPV4) return false;
          return test(m.field === 'ip-src' ? a.spa : a.tpa) !== m.negated;
        },
      };
    }
    case 'mac-src':
    case 'mac-dst': {
      const t = m.mac !== null ? macMatcher(m.mac, null) : null;
      if (!t) return { ok: false, unsupported: `arp ${m.field} ${m.text}` };
      return {
        ok: true,
        header: false,
        pred: (c) => {
          if (!isArp(c.frame)) return false;
          const a = arpOf(c.frame);
          if (a.hlen !== 6 || a.htype !== 1) return false;
          return t(m.field === 'mac-src' ? a.sha : a.tha) !== m.negated;
        },
      };
    }
    case 'gratuitous':
      return {
        ok: true,
        header: false,
        pred: (c) => {
          if (!isArp(c.frame)) return false;
          const a = arpOf(c.frame);
          if (a.plen !== 4 || a.ptype !== ETH_P_IPV4) return false;
          return (a.spa === a.tpa) !== m.negated;
        },
      };
  }
}

function prepareEbIp(m: Extract<Match, { kind: 'eb-ip' }>): PreparedMatch {
  const fam = m.family === 4 ? 'ipv4' : 'ipv6';
  const ipOf = (c: MatchContext) => {
    const ip = ebIpOf(c.frame);
    return ip && ip.kind === fam ? ip : null;
  };
  switch (m.field) {
    case 'src':
    case 'dst': {
      const t = m.addr !== null ? addrMatcher(m.addr, m.prefix) : null;
      if (!t) return { ok: false, unsupported: `ebtables ip ${m.field} ${m.text}` };
      const field = m.field;
      return {
        ok: true,
        header: false,
        pred: (c) => {
          const ip = ipOf(c);
          return ip !== null && testAddr(t, ip, field) !== m.negated;
        },
      };
    }
    case 'protocol':
      return {
        ok: true,
        header: false,
        pred: (c) => {
          const ip = ipOf(c);
          return ip !== null && (upperProtocol(ip) === m.value) !== m.negated;
        },
      };
    case 'sport':
    case 'dport': {
      const r = m.range;
      if (!r) return { ok: false, unsupported: `ebtables ip ${m.field}` };
      const field = m.field;
      return {
        ok: true,
        header: false,
        pred: (c) => {
          const ip = ipOf(c);
          const p = ip ? l4Port(ip, field) : -1;
          return p >= 0 && inRange(p, r) !== m.negated;
        },
      };
    }
    case 'tos':
      // ebtables compares the whole TOS / traffic-class byte.
      return {
        ok: true,
        header: false,
        pred: (c) => {
          const ip = ipOf(c);
          return (
            ip !== null &&
            ((ip.kind === 'ipv4' ? ip.tos : ip.trafficClass) === m.value) !== m.negated
          );
        },
      };
    case 'icmp-type': {
      const tr = m.icmpType;
      const cr = m.icmpCode;
      if (!tr || !cr) return { ok: false, unsupported: `ebtables ip6 icmp-type ${m.text}` };
      return {
        ok: true,
        header: false,
        pred: (c) => {
          const ip = ipOf(c);
          const l4 = ip?.payload;
          if (!l4 || l4.kind !== 'icmpv6') return false;
          return (inRange(l4.type, tr) && inRange(l4.code, cr)) !== m.negated;
        },
      };
    }
  }
}

/**
 * `-m set --match-set NAME FLAGS` as xt_set and ip_set_test evaluate it: fewer flags than the
 * set's dimensions, or a packet of another family than the set's, never match; flag k says
 * whether dimension k reads the packet's source or destination (address, then port).
 */
function prepareSet(
  name: string,
  flags: ('src' | 'dst')[],
  ipsets: Record<string, IpsetSpec>,
): PreparedMatch {
  const set = ipsets[name];
  if (!set)
    return { ok: false, unsupported: `ipset '${name}' is not configured on the simulated host` };
  if (flags.length < ipsetDimension(set.type))
    return { ok: true, header: false, pred: () => false };
  const dim0 = flags[0] === 'dst' ? 'dst' : 'src';
  const dim1 = flags[1] === 'dst' ? 'dport' : 'sport';
  const members: IpsetMember[] = [];
  for (const text of set.members) {
    const m = parseIpsetMember(set.type, text);
    if ('error' in m) return { ok: false, unsupported: `ipset '${name}': ${m.error}` };
    members.push(m);
  }
  if (set.type === 'hash:mac') {
    const macs = members.map((m) => parseMac(m.addr) as number);
    return {
      ok: true,
      header: false,
      pred: (c) => macs.includes(dim0 === 'src' ? c.frame.src : c.frame.dst),
    };
  }
  const family = ipsetFamily(set);
  const entries = members.map((m) => ({
    addr: addrMatcher(m.addr, m.prefix) as AddrTest,
    proto: m.proto,
    lo: m.portLo,
    hi: m.portHi,
  }));
  return {
    ok: true,
    header: false,
    pred: (c) => {
      const ip = c.ip;
      if (!ip || ip.kind !== family) return false;
      const port = l4Port(ip, dim1);
      return entries.some((e) => {
        if (!testAddr(e.addr, ip, dim0)) return false;
        if (e.proto === null) return true;
        return port >= 0 && upperProtocol(ip) === e.proto && port >= e.lo && port <= e.hi;
      });
    },
  };
}
