/**
 * Symbolic view of IR matches for containment: each match becomes a constraint
 * on one packet field (a set of values, possibly negated). `impliesMatch(l, e)`
 * answers "does every packet that satisfies `l` satisfy `e`?" — only when that
 * is provable; anything the model cannot represent (ipsets, connlimit counts,
 * TCP options, values still holding a variable) proves nothing.
 */
import type { Match } from '../compile/ebiptables/ir';
import { ipProtocolNumber, tcpFlagBits } from '../model/names';
import { parseIpv4, parseIpv6, parseMacMatch } from '../packet/addr';

/** A set of field values. Empty sets are normalized to `{ kind: 'empty' }`. */
export type ValueSet =
  | { kind: 'empty' }
  | { kind: 'range'; lo: bigint; hi: bigint }
  | { kind: 'masked'; value: bigint; mask: bigint; width: number }
  | { kind: 'members'; bits: bigint }
  | { kind: 'product'; parts: ValueSet[] };

/** One match seen as a constraint on a field. */
export interface Constraint {
  /** Which field (and semantics) the constraint is about; only same-key constraints compare. */
  key: string;
  /** The constrained values; null when not representable (then only `identity` can prove anything). */
  set: ValueSet | null;
  negated: boolean;
  /** Structural identity for matches compared only by equality; null when even that proves nothing. */
  identity: string | null;
}

/** What a match means for containment. */
export type MatchView =
  { kind: 'ignore' } | { kind: 'unknown' } | { kind: 'constraint'; c: Constraint };

const IGNORE: MatchView = { kind: 'ignore' };
const UNKNOWN: MatchView = { kind: 'unknown' };

const CT_STATE_BITS: Record<string, bigint> = {
  NEW: 1n,
  ESTABLISHED: 2n,
  RELATED: 4n,
  INVALID: 8n,
};
function range(lo: bigint, hi: bigint): ValueSet {
  return lo > hi ? { kind: 'empty' } : { kind: 'range', lo, hi };
}

function num(n: number | null | undefined): bigint | null {
  return n === null || n === undefined || !Number.isInteger(n) || n < 0 ? null : BigInt(n);
}

function single(n: number | null | undefined): ValueSet | null {
  const v = num(n);
  return v === null ? null : range(v, v);
}

function masked(value: bigint, mask: bigint, width: number): ValueSet {
  // A value bit outside the mask can never equal a masked packet value: no packet matches.
  return (value & ~mask) !== 0n ? { kind: 'empty' } : { kind: 'masked', value, mask, width };
}

function macSet(macText: string, maskText: string | null): ValueSet | null {
  const p = parseMacMatch(macText, maskText);
  if (p === null) return null;
  const mk = BigInt(p.mask);
  return masked(BigInt(p.mac) & mk, mk, 48);
}

/** An IPv4 or IPv6 address with an optional prefix length, as a range over its family's space. */
function ipPrefixSet(addr: string, prefix: number | null, family: 4 | 6 | null): ValueSet | null {
  if (addr.startsWith('$')) return null;
  const v6 = addr.includes(':');
  if ((family === 4 && v6) || (family === 6 && !v6)) return null;
  const width = v6 ? 128 : 32;
  let value: bigint;
  if (v6) {
    const a = parseIpv6(addr);
    if (!a) return null;
    value = a.reduce((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
  } else {
    const a = parseIpv4(addr);
    if (a === null) return null;
    value = BigInt(a >>> 0);
  }
  const p = prefix ?? width;
  if (!Number.isInteger(p) || p < 0 || p > width) return null;
  const host = (1n << BigInt(width - p)) - 1n;
  const lo = value & ~host & ((1n << BigInt(width)) - 1n);
  return { kind: 'range', lo, hi: lo | host };
}

function ipKey(addr: string): string {
  return addr.includes(':') ? '6' : '4';
}

function flagBits(names: readonly string[]): bigint | null {
  const bits = tcpFlagBits(names);
  return bits === null ? null : BigInt(bits);
}

function constraint(
  key: string,
  set: ValueSet | null,
  negated: boolean,
  identity: string | null,
): MatchView {
  return { kind: 'constraint', c: { key, set, negated, identity } };
}

function hasVariable(m: Match): boolean {
  return JSON.stringify(m).includes('"$');
}

/** Views already computed: IR matches are immutable, and lint compares each one many times. */
const VIEWS = new WeakMap<Match, MatchView>();

/** How containment sees one IR match. */
export function viewMatch(m: Match): MatchView {
  let v = VIEWS.get(m);
  if (!v) {
    v = computeView(m);
    VIEWS.set(m, v);
  }
  return v;
}

/**
 * The one value a constraint allows (`key=value`), or null when it allows none or several or is
 * negated: the key {@link CandidateIndex} files rules under.
 */
export function singletonKey(c: Constraint): string | null {
  const s = c.set;
  if (c.negated || !s) return null;
  if (s.kind === 'range' && s.lo === s.hi) return `${c.key}=${s.lo}`;
  if (s.kind === 'masked' && s.mask === (1n << BigInt(s.width)) - 1n) return `${c.key}=${s.value}`;
  return null;
}

function computeView(m: Match): MatchView {
  // A value still holding a variable reference stands for an unknown value.
  const id = hasVariable(m) ? null : JSON.stringify(m);
  switch (m.kind) {
    case 'ipt-comment':
      return IGNORE;
    case 'eb-iface':
      return constraint(`eb-iface:${m.dir}`, null, false, id);
    case 'ipt-physdev':
      return constraint(`ipt-physdev:${m.dir}`, null, false, id);
    case 'eb-mac':
      return constraint(`eb-mac:${m.field}`, macSet(m.mac, m.mask), m.negated, id);
    case 'eb-proto':
      return constraint('eb-proto', single(m.ethertype), m.negated, id);
    case 'eb-vlan':
      return constraint(`eb-vlan:${m.field}`, single(m.value), m.negated, id);
    case 'eb-stp':
      return constraint(`eb-stp:${m.field}`, null, m.negated, id);
    case 'eb-arp':
      switch (m.field) {
        case 'htype':
        case 'opcode':
        case 'ptype':
          return constraint(`eb-arp:${m.field}`, single(m.value), m.negated, id);
        case 'ip-src':
        case 'ip-dst':
          return constraint(
            `eb-arp:${m.field}`,
            m.ip === null ? null : ipPrefixSet(m.ip, m.prefix, 4),
            m.negated,
            id,
          );
        case 'mac-src':
        case 'mac-dst':
          return constraint(
            `eb-arp:${m.field}`,
            m.mac === null ? null : macSet(m.mac, null),
            m.negated,
            id,
          );
        default:
          return constraint('eb-arp:gratuitous', null, m.negated, id);
      }
    case 'eb-ip': {
      const key = `eb-ip${m.family}:${m.field}`;
      switch (m.field) {
        case 'src':
        case 'dst':
          return constraint(
            key,
            m.addr === null ? null : ipPrefixSet(m.addr, m.prefix, m.family),
            m.negated,
            id,
          );
        case 'protocol':
        case 'tos':
          return constraint(key, single(m.value), m.negated, id);
        case 'sport':
        case 'dport': {
          const lo = num(m.range?.lo);
          const hi = num(m.range?.hi);
          return constraint(key, lo === null || hi === null ? null : range(lo, hi), m.negated, id);
        }
        default: {
          const t = m.icmpType;
          const c = m.icmpCode;
          const parts = [t, c].map((r) => {
            const lo = num(r?.lo);
            const hi = num(r?.hi);
            return lo === null || hi === null ? null : range(lo, hi);
          });
          if (parts.some((p) => p === null)) return constraint(key, null, m.negated, id);
          return constraint(key, { kind: 'product', parts: parts as ValueSet[] }, m.negated, id);
        }
      }
    }
    case 'ipt-proto': {
      if (m.proto === 'all') return IGNORE;
      const p = ipProtocolNumber(m.proto);
      return constraint('ipt-proto', p === undefined ? null : single(p), false, id);
    }
    case 'ipt-mac':
      return constraint('ipt-mac', macSet(m.mac, null), m.negated, id);
    case 'ipt-addr':
      return constraint(
        `ipt-ip${ipKey(m.addr)}:${m.field}`,
        ipPrefixSet(m.addr, m.prefix, null),
        m.negated,
        id,
      );
    case 'ipt-iprange': {
      const from = ipPrefixSet(m.from, null, null);
      const to = m.to === null ? from : ipPrefixSet(m.to, null, null);
      const set =
        from?.kind === 'range' && to?.kind === 'range' && ipKey(m.from) === ipKey(m.to ?? m.from)
          ? range(from.lo, to.hi)
          : null;
      return constraint(`ipt-ip${ipKey(m.from)}:${m.field}`, set, m.negated, id);
    }
    case 'ipt-dscp':
      return constraint('ipt-dscp', single(m.dscp), m.negated, id);
    case 'ipt-tcp-flags': {
      const mask = flagBits(m.mask);
      const comp = flagBits(m.comp);
      return constraint(
        'ipt-tcp-flags',
        mask === null || comp === null ? null : masked(comp & 0x3fn, mask, 8),
        m.negated,
        id,
      );
    }
    case 'ipt-port': {
      const lo = num(m.range.lo);
      const hi = num(m.range.hi);
      return constraint(
        `ipt-port:${m.field}`,
        lo === null || hi === null ? null : range(lo, hi),
        m.negated,
        id,
      );
    }
    case 'ipt-tcp-option':
      return constraint('ipt-tcp-option', null, m.negated, id);
    case 'ipt-icmp': {
      const t = num(m.type);
      const c = m.code === null ? null : num(m.code);
      if (t === null || (m.code !== null && c === null))
        return constraint(`ipt-icmp${m.family}`, null, m.negated, id);
      // IPv4 type 255 is iptables' "any" (xt icmp_type_code_match); IPv6 has no such wildcard.
      const typeSet = m.family === 4 && t === 255n ? range(0n, 255n) : range(t, t);
      const codeSet =
        m.family === 4 && t === 255n ? range(0n, 255n) : c === null ? range(0n, 255n) : range(c, c);
      return constraint(
        `ipt-icmp${m.family}`,
        { kind: 'product', parts: [typeSet, codeSet] },
        m.negated,
        id,
      );
    }
    case 'ipt-ctstate': {
      let bits = 0n;
      for (const s of m.states) bits |= CT_STATE_BITS[s] ?? 0n;
      return constraint(
        'ipt-ctstate',
        bits === 0n ? { kind: 'empty' } : { kind: 'members', bits },
        false,
        id,
      );
    }
    case 'ipt-ctdir':
      return constraint(
        'ipt-ctdir',
        { kind: 'members', bits: m.dir === 'Original' ? 1n : 2n },
        false,
        id,
      );
    case 'ipt-set':
    case 'ipt-connlimit':
      // Host state (set members, connection counts) that no rule text pins down.
      return UNKNOWN;
    default:
      return UNKNOWN;
  }
}

/** A masked set with a prefix mask is a range; others stay masked. */
function asRange(s: ValueSet): ValueSet | null {
  if (s.kind === 'range' || s.kind === 'empty') return s;
  if (s.kind !== 'masked') return null;
  const full = (1n << BigInt(s.width)) - 1n;
  const host = ~s.mask & full;
  if ((host & (host + 1n)) !== 0n) return null;
  return { kind: 'range', lo: s.value, hi: s.value | host };
}

/** a ⊆ b, when provable. */
export function isSubset(a: ValueSet, b: ValueSet): boolean {
  if (a.kind === 'empty') return true;
  if (b.kind === 'empty') return false;
  if (a.kind === 'masked' && b.kind === 'masked' && a.width === b.width) {
    return (b.mask & ~a.mask) === 0n && (a.value & b.mask) === (b.value & b.mask);
  }
  if (a.kind === 'members' && b.kind === 'members') return (a.bits & ~b.bits) === 0n;
  if (a.kind === 'product' && b.kind === 'product') {
    if (a.parts.some((p) => p.kind === 'empty')) return true;
    return (
      a.parts.length === b.parts.length &&
      a.parts.every((p, i) => isSubset(p, b.parts[i] as ValueSet))
    );
  }
  const ra = asRange(a);
  const rb = asRange(b);
  if (ra?.kind === 'range' && rb?.kind === 'range') return rb.lo <= ra.lo && ra.hi <= rb.hi;
  return false;
}

/** a ∩ b = ∅, when provable. */
export function isDisjoint(a: ValueSet, b: ValueSet): boolean {
  if (a.kind === 'empty' || b.kind === 'empty') return true;
  if (a.kind === 'masked' && b.kind === 'masked' && a.width === b.width) {
    const common = a.mask & b.mask;
    return (a.value & common) !== (b.value & common);
  }
  if (a.kind === 'members' && b.kind === 'members') return (a.bits & b.bits) === 0n;
  if (a.kind === 'product' && b.kind === 'product') {
    return (
      a.parts.length === b.parts.length &&
      a.parts.some((p, i) => isDisjoint(p, b.parts[i] as ValueSet))
    );
  }
  const ra = asRange(a);
  const rb = asRange(b);
  if (ra?.kind === 'range' && rb?.kind === 'range') return ra.hi < rb.lo || rb.hi < ra.lo;
  return false;
}

/** Every value satisfying constraint `l` satisfies `e` (same field), when provable. */
export function impliesConstraint(l: Constraint, e: Constraint): boolean {
  if (l.key !== e.key) return false;
  if (l.identity !== null && l.identity === e.identity) return true;
  if (!l.set || !e.set) return false;
  if (!l.negated && !e.negated) return isSubset(l.set, e.set);
  if (!l.negated && e.negated) return isDisjoint(l.set, e.set);
  if (l.negated && e.negated) return isSubset(e.set, l.set);
  return false;
}

/**
 * Whether every packet matching all of `later` matches all of `earlier`: each constraint of
 * `earlier` must be implied by one constraint of `later` on the same field.
 */
export function matchesContain(earlier: readonly Match[], later: readonly Match[]): boolean {
  const lc: Constraint[] = [];
  for (const m of later) {
    const v = viewMatch(m);
    if (v.kind !== 'constraint') continue;
    // A later rule that can match nothing by itself (flags outside their mask, an empty range) is
    // vacuously "contained"; blaming an earlier rule for it would mislead, so it is not reported.
    if (!v.c.negated && v.c.set?.kind === 'empty') return false;
    lc.push(v.c);
  }
  for (const m of earlier) {
    const v = viewMatch(m);
    if (v.kind === 'ignore') continue;
    if (v.kind === 'unknown') return false;
    if (!lc.some((l) => impliesConstraint(l, v.c))) return false;
  }
  return true;
}
