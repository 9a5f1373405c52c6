/**
 * A small concrete evaluator of IR rules over "probe" packets: the fields the
 * IR's matches read, each with one value. Addresses may be a variable
 * placeholder (`$IP`, `$MAC`), which only equals the same placeholder text.
 * Results are three-valued: a match whose outcome depends on something the
 * probe does not pin down (ipset members, connection counts, a variable's
 * value) is `unknown`, and so is a chain walk that reaches such a rule.
 *
 * The lint checks use it to ask "what happens to a DNS query / DHCP request /
 * tagged frame / IPv6 packet?"; the unreachable-rule property test uses it as
 * the packet-level oracle, independent of the symbolic containment code.
 */
import type { CtState, IrChain, IrRule, IrTable, Match, Ruleset } from '../compile/ebiptables/ir';
import { ipProtocolNumber, resolveMacName, tcpFlagBits } from '../model/names';
import { macMatcher, parseIpv4, parseIpv6, parseMac } from '../packet/addr';

/** One probe packet. Absent parts are absent from the frame (no ARP header on an IPv4 frame, …). */
export interface ProbePacket {
  srcMac: string;
  dstMac: string;
  /** Outer EtherType (0x8100 for an 802.1Q-tagged frame). */
  ethertype: number;
  vlan?: { id: number; encap: number };
  arp?: {
    htype: number;
    opcode: number;
    ptype: number;
    ipSrc: string;
    ipDst: string;
    macSrc: string;
    macDst: string;
  };
  ip?: {
    family: 4 | 6;
    src: string;
    dst: string;
    proto: number;
    /** The whole TOS / traffic-class byte. */
    tos: number;
    sport?: number;
    dport?: number;
    icmpType?: number;
    icmpCode?: number;
    tcpFlags?: number;
  };
  /** UNTRACKED: conntrack leaves the packet alone (ICMPv6 neighbour discovery); no --ctstate list names it. */
  ct?: { state: CtState | 'UNTRACKED'; dir: 'Original' | 'Reply' };
}

/** true, false, or not decidable from the probe. */
export type Tri = boolean | 'unknown';

const PORT_PROTOS = [6, 17, 132, 33, 136];
function neg(v: Tri, negated: boolean): Tri {
  return v === 'unknown' ? v : v !== negated;
}

/** MAC equality under a mask, byte by byte (no 48-bit arithmetic). */
function macEq(pkt: string, ruleMac: string, ruleMask: string | null): Tri {
  const r = resolveMacName(ruleMac, ruleMask);
  if (pkt.startsWith('$') || r.mac.startsWith('$'))
    return r.mask === null && pkt === r.mac ? true : 'unknown';
  const a = parseMac(pkt);
  const test = macMatcher(ruleMac, ruleMask);
  return a === null || test === null ? 'unknown' : test(a);
}

function ipWords(text: string): number[] | null {
  if (text.includes(':')) {
    const a = parseIpv6(text);
    return a ? [...a] : null;
  }
  const v = parseIpv4(text);
  return v === null ? null : [v];
}

/** Address in prefix: compares the leading `prefix` bits word by word. */
function ipInPrefix(pkt: string, addr: string, prefix: number | null): Tri {
  if (pkt.startsWith('$') || addr.startsWith('$'))
    return prefix === null && pkt === addr ? true : 'unknown';
  const a = ipWords(pkt);
  const b = ipWords(addr);
  if (!a || !b) return 'unknown';
  if (a.length !== b.length) return false;
  let bits = prefix ?? a.length * 32;
  for (let i = 0; i < a.length; i++) {
    const take = Math.max(0, Math.min(32, bits));
    bits -= 32;
    if (take === 0) break;
    const shift = 32 - take;
    if ((a[i] as number) >>> shift !== (b[i] as number) >>> shift) return false;
  }
  return true;
}

function cmpIp(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function ipInRange(pkt: string, from: string, to: string | null): Tri {
  if (pkt.startsWith('$') || from.startsWith('$') || (to ?? '').startsWith('$')) return 'unknown';
  const a = ipWords(pkt);
  const lo = ipWords(from);
  const hi = ipWords(to ?? from);
  if (!a || !lo || !hi) return 'unknown';
  if (a.length !== lo.length || a.length !== hi.length) return false;
  return cmpIp(lo, a) <= 0 && cmpIp(a, hi) <= 0;
}

function inRange(v: number | undefined, lo: number, hi: number): Tri {
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) return 'unknown';
  return v !== undefined && v >= lo && v <= hi;
}

/** Evaluates one IR match on a probe (kernel semantics of the match module, reduced to the probe's fields). */
export function evaluateMatch(m: Match, p: ProbePacket): Tri {
  const ip = p.ip;
  switch (m.kind) {
    case 'eb-iface':
    case 'ipt-physdev':
    case 'ipt-comment':
      return true;
    case 'eb-mac':
      return neg(macEq(m.field === 'src' ? p.srcMac : p.dstMac, m.mac, m.mask), m.negated);
    case 'eb-proto':
      return Number.isInteger(m.ethertype)
        ? (p.ethertype === m.ethertype) !== m.negated
        : 'unknown';
    case 'eb-vlan': {
      if (!Number.isInteger(m.value)) return 'unknown';
      if (!p.vlan) return false;
      return ((m.field === 'id' ? p.vlan.id : p.vlan.encap) === m.value) !== m.negated;
    }
    case 'eb-stp':
      return p.ethertype >= 0x600 ? false : 'unknown';
    case 'eb-arp': {
      const a = p.arp;
      if (!a) return false;
      // ebt_arp reads the IP fields only of an IPv4 ARP and the MAC fields only of an Ethernet one.
      const ipv4Arp = a.ptype === 0x0800;
      const ethArp = a.htype === 1;
      switch (m.field) {
        case 'htype':
          return Number.isInteger(m.value) ? (a.htype === m.value) !== m.negated : 'unknown';
        case 'opcode':
          return Number.isInteger(m.value) ? (a.opcode === m.value) !== m.negated : 'unknown';
        case 'ptype':
          return Number.isInteger(m.value) ? (a.ptype === m.value) !== m.negated : 'unknown';
        case 'ip-src':
          return ipv4Arp && neg(ipInPrefix(a.ipSrc, m.ip ?? '', m.prefix), m.negated);
        case 'ip-dst':
          return ipv4Arp && neg(ipInPrefix(a.ipDst, m.ip ?? '', m.prefix), m.negated);
        case 'mac-src':
          return ethArp && neg(macEq(a.macSrc, m.mac ?? '', null), m.negated);
        case 'mac-dst':
          return ethArp && neg(macEq(a.macDst, m.mac ?? '', null), m.negated);
        default:
          return (
            ipv4Arp &&
            neg(
              a.ipSrc === a.ipDst
                ? true
                : a.ipSrc.startsWith('$') || a.ipDst.startsWith('$')
                  ? 'unknown'
                  : false,
              m.negated,
            )
          );
      }
    }
    case 'eb-ip': {
      if (!ip || ip.family !== m.family) return false;
      switch (m.field) {
        case 'src':
          return neg(ipInPrefix(ip.src, m.addr ?? '', m.prefix), m.negated);
        case 'dst':
          return neg(ipInPrefix(ip.dst, m.addr ?? '', m.prefix), m.negated);
        case 'protocol':
          return Number.isInteger(m.value) ? (ip.proto === m.value) !== m.negated : 'unknown';
        case 'tos':
          return Number.isInteger(m.value) ? (ip.tos === m.value) !== m.negated : 'unknown';
        case 'sport':
        case 'dport': {
          // ebt_ip(6) tests ports only for protocols that have them; others never match.
          if (!PORT_PROTOS.includes(ip.proto)) return false;
          const r = m.range;
          if (!r) return 'unknown';
          return neg(inRange(m.field === 'sport' ? ip.sport : ip.dport, r.lo, r.hi), m.negated);
        }
        default: {
          if (ip.proto !== 58) return false;
          const t = m.icmpType;
          const c = m.icmpCode;
          if (!t || !c) return 'unknown';
          const tt = inRange(ip.icmpType, t.lo, t.hi);
          const cc = inRange(ip.icmpCode, c.lo, c.hi);
          if (tt === 'unknown' || cc === 'unknown') return 'unknown';
          return (tt && cc) !== m.negated;
        }
      }
    }
    case 'ipt-proto': {
      if (!ip) return false;
      if (m.proto === 'all') return true;
      const n = ipProtocolNumber(m.proto);
      return n === undefined ? 'unknown' : ip.proto === n;
    }
    case 'ipt-mac':
      return neg(macEq(p.srcMac, m.mac, null), m.negated);
    case 'ipt-addr':
      if (!ip) return false;
      return neg(ipInPrefix(m.field === 'src' ? ip.src : ip.dst, m.addr, m.prefix), m.negated);
    case 'ipt-iprange':
      if (!ip) return false;
      return neg(ipInRange(m.field === 'src' ? ip.src : ip.dst, m.from, m.to), m.negated);
    case 'ipt-dscp':
      if (!ip) return false;
      return Number.isInteger(m.dscp) ? (ip.tos >> 2 === m.dscp) !== m.negated : 'unknown';
    case 'ipt-tcp-flags': {
      if (!ip || ip.proto !== 6) return false;
      const mask = tcpFlagBits(m.mask);
      const comp = tcpFlagBits(m.comp);
      if (mask === null || comp === null) return 'unknown';
      return (((ip.tcpFlags ?? 0) & mask) === comp) !== m.negated;
    }
    case 'ipt-port': {
      // xt_tcpudp on a packet without ports (a fragment, another protocol) never matches, negated or not.
      const port = ip ? (m.field === 'sport' ? ip.sport : ip.dport) : undefined;
      if (port === undefined) return false;
      return neg(inRange(port, m.range.lo, m.range.hi), m.negated);
    }
    case 'ipt-icmp': {
      if (!ip || ip.proto !== (m.family === 4 ? 1 : 58)) return false;
      if (!Number.isInteger(m.type) || (m.code !== null && !Number.isInteger(m.code)))
        return 'unknown';
      const any = m.family === 4 && m.type === 255;
      const hit = any || (ip.icmpType === m.type && (m.code === null || ip.icmpCode === m.code));
      return hit !== m.negated;
    }
    case 'ipt-ctstate':
      return p.ct ? (m.states as readonly string[]).includes(p.ct.state) : 'unknown';
    case 'ipt-ctdir':
      return p.ct ? p.ct.dir === m.dir : 'unknown';
    case 'ipt-tcp-option':
    case 'ipt-set':
    case 'ipt-connlimit':
      return 'unknown';
    default:
      return 'unknown';
  }
}

/** All matches of a rule (false wins over unknown). */
export function evaluateMatches(matches: readonly Match[], p: ProbePacket): Tri {
  let unknown = false;
  for (const m of matches) {
    const v = evaluateMatch(m, p);
    if (v === false) return false;
    if (v === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : true;
}

/** What a chain walk ends in, with the rule that decided (null when the chain ran out). */
export interface WalkOutcome {
  kind: 'accept' | 'drop' | 'return' | 'unknown';
  rule: IrRule | null;
}

function walk(table: IrTable, chain: IrChain, p: ProbePacket, depth: number): WalkOutcome {
  if (depth > 16) return { kind: 'unknown', rule: null };
  for (const rule of chain.rules) {
    const t = rule.target;
    const hit = evaluateMatches(rule.matches, p);
    if (hit === false) continue;
    if (t.kind === 'verdict' && t.verdict === 'CONTINUE') continue;
    if (hit === 'unknown') return { kind: 'unknown', rule };
    if (t.kind === 'verdict') {
      if (t.verdict === 'ACCEPT') return { kind: 'accept', rule };
      if (t.verdict === 'RETURN') return { kind: 'return', rule };
      return { kind: 'drop', rule };
    }
    const sub = table.chains.find((c) => c.name === t.chain);
    if (!sub) return { kind: 'unknown', rule };
    const r = walk(table, sub, p, depth + 1);
    if (t.kind === 'goto') return r;
    if (r.kind !== 'return') return r;
  }
  return { kind: 'return', rule: null };
}

/** Walks a chain from its first rule. */
export function walkChain(table: IrTable, chainName: string, p: ProbePacket): WalkOutcome | null {
  const chain = table.chains.find((c) => c.name === chainName);
  return chain ? walk(table, chain, p, 0) : null;
}

/** The path a probe takes through the interface's chains. */
export type ProbePath = 'from-vm' | 'from-vm-to-host' | 'to-vm';

/** The probe's fate on one path: passed, dropped (by `rule`), or not decidable. */
export interface PathVerdict {
  verdict: 'pass' | 'drop' | 'unknown';
  rule: IrRule | null;
}

/**
 * The probe's fate through the interface's ebtables nat chain and, for IP packets, the iptables
 * or ip6tables chain of the path (FI forwarded from the VM, HI from the VM to the host, FO to the
 * VM). A table libvirt did not touch lets everything through.
 */
export function probePath(ruleset: Ruleset, path: ProbePath, p: ProbePacket): PathVerdict {
  const iface = ruleset.iface;
  const eb = ruleset.tables.find((t) => t.family === 'ebtables');
  const ipFamily = p.ip?.family === 6 ? 'ip6tables' : 'iptables';
  const ipt = p.ip ? ruleset.tables.find((t) => t.family === ipFamily) : undefined;
  const steps: [IrTable | undefined, string][] = [];
  const ebChain = path === 'to-vm' ? `libvirt-O-${iface}` : `libvirt-I-${iface}`;
  const iptChain =
    path === 'to-vm' ? `FO-${iface}` : path === 'from-vm' ? `FI-${iface}` : `HI-${iface}`;
  // Frames to the VM meet iptables FORWARD before ebtables POSTROUTING; frames from it the reverse.
  if (path === 'to-vm') steps.push([ipt, iptChain], [eb, ebChain]);
  else steps.push([eb, ebChain], [ipt, iptChain]);
  for (const [table, chainName] of steps) {
    if (!table) continue;
    const r = walkChain(table, chainName, p);
    if (!r) continue;
    if (r.kind === 'drop') return { verdict: 'drop', rule: r.rule };
    if (r.kind === 'unknown') return { verdict: 'unknown', rule: r.rule };
  }
  return { verdict: 'pass', rule: null };
}
