/**
 * How the simulator executes the nftables ruleset of libvirt's proposed driver: the two `bridge`
 * tables' base chains at the bridge PREROUTING / POSTROUTING hooks (ethernet table at priority 0,
 * inet at 1), the verdict-map dispatch on `iif` / `oif`, and every rule test read from the frame's
 * bytes the way nft's bytecode does — a payload load at the link-layer, network or transport
 * header, masked, compared (`==`, `!=`, prefix, range, set) — plus `meta`, `ct state`,
 * `ct direction` and `ct count` from the bridge family's conntrack (`nf_conntrack_bridge`).
 *
 * Kernel facts (src/core/conntrack/KERNEL-FACTS.md, N1–N10): a payload load past the packet's end
 * or a transport load without a transport header (not IP, a later fragment) makes the rule not
 * match, whatever its operator; `meta l4proto` and the transport header come from the bridge
 * family's own IPv4/IPv6 validation of the frame (`nft_do_chain_bridge`).
 */
import type { EthernetFrame } from '../../packet';
import { encodeFrame, parseIpv4, parseIpv6, parseMac } from '../../packet';
import type { MatchContext, PreparedMatch, Predicate } from '../../netfilter/match-eval';
import { ctStateBit, parseCtStateMask } from '../../conntrack/ct-match';
import { ipProtocolNumber } from '../../model/names';
import type { BackendSim, DispatchKey } from '../backend';
import { tableKey } from '../ir';
import type { NftMatch, NftRule, NftRuleset } from './ir';
import { NFT_TABLE_PRIORITY, NFT_TABLES } from './ir';
import { nftHandles } from './nft-handles';

/** What nft's bridge family knows about a frame before its rules run (`nft_do_chain_bridge`). */
interface NftPacketView {
  /** The frame's bytes with any 802.1Q tag in place (nft rebuilds it for link-layer loads). */
  bytes: Uint8Array;
  /** Offset of the network header (after the tag: the kernel untags on receive). */
  nh: number;
  /** Offset of the transport header, or -1 when nft has none (not valid IPv4/IPv6). */
  th: number;
  /** The upper-layer protocol (`meta l4proto`), or -1 without a transport header. */
  tprot: number;
  /** Non-zero for a later fragment: transport loads fail. */
  fragoff: number;
}

const views = new WeakMap<EthernetFrame, NftPacketView>();

const IPV6_EXT = new Set([0, 43, 44, 51, 60]);

function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

/** nft_set_pktinfo_ipv4_validate / _ipv6_validate on the frame (unspec when they fail). */
/** The last frame's view: every predicate of a walk asks for the same frame. */
let lastFrame: EthernetFrame | null = null;
let lastView: NftPacketView | null = null;

function viewOf(frame: EthernetFrame): NftPacketView {
  if (frame === lastFrame) return lastView as NftPacketView;
  const view = views.get(frame) ?? makeView(frame);
  lastFrame = frame;
  lastView = view;
  return view;
}

function makeView(frame: EthernetFrame): NftPacketView {
  const bytes = encodeFrame(frame, { preserveChecksums: true });
  const nh = frame.vlan ? 18 : 14;
  const view: NftPacketView = { bytes, nh, th: -1, tprot: -1, fragoff: 0 };
  const len = bytes.length - nh;
  // The EtherType the bridge family switches on is the inner one (the tag was taken off on receive).
  const et = frame.ethertype;
  if (et === 0x0800 && len >= 20) {
    const vihl = bytes[nh] as number;
    const ihl = vihl & 0x0f;
    const tot = u16(bytes, nh + 2);
    if (vihl >> 4 === 4 && ihl >= 5 && len >= tot && tot >= ihl * 4) {
      view.th = nh + ihl * 4;
      view.tprot = bytes[nh + 9] as number;
      view.fragoff = u16(bytes, nh + 6) & 0x1fff;
    }
  } else if (et === 0x86dd && len >= 40) {
    if ((bytes[nh] as number) >> 4 === 6 && u16(bytes, nh + 4) + 40 <= len) {
      // ipv6_find_hdr with no target: extension headers (AH too) skipped.
      let next = bytes[nh + 6] as number;
      let off = nh + 40;
      let fragoff = 0;
      while (IPV6_EXT.has(next) && off + 8 <= bytes.length) {
        if (next === 44) {
          fragoff = u16(bytes, off + 2) & 0xfff8;
          const inner = bytes[off] as number;
          off += 8;
          next = inner;
          if (fragoff !== 0) break;
          continue;
        }
        const hl =
          next === 51 ? ((bytes[off + 1] as number) + 2) * 4 : ((bytes[off + 1] as number) + 1) * 8;
        next = bytes[off] as number;
        off += hl;
      }
      if (off <= bytes.length) {
        view.th = off;
        view.tprot = next;
        view.fragoff = fragoff;
      }
    }
  }
  views.set(frame, view);
  return view;
}

/** An unsigned big-endian field of up to 48 bits, or -1 past the end. */
function readUint(b: Uint8Array, off: number, len: number): number {
  if (off < 0 || off + len > b.length) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + (b[off + i] as number);
  return v;
}

/** `bitLen` bits from bit `bitOff` (nft's raw `@base,OFFSET,LENGTH`), or -1 past the end. */
function readBits(b: Uint8Array, base: number, bitOff: number, bitLen: number): number {
  const first = base + Math.floor(bitOff / 8);
  const last = base + Math.floor((bitOff + bitLen - 1) / 8);
  if (last >= b.length) return -1;
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + (b[i] as number);
  const tail = (last - base + 1) * 8 - (bitOff + bitLen);
  return Math.floor(v / 2 ** tail) % 2 ** bitLen;
}

/** 48-bit-safe AND. */
function and(a: number, m: number): number {
  const hi = (Math.floor(a / 2 ** 32) & Math.floor(m / 2 ** 32)) >>> 0;
  const lo = ((a % 2 ** 32) & (m % 2 ** 32)) >>> 0;
  return hi * 2 ** 32 + lo;
}

/** Where a payload load starts: link layer, network header, transport header. */
export type Base = 'll' | 'nh' | 'th';

/** A payload field: where nft loads it and how wide it is; `mask`/`shift` for sub-byte fields. */
export interface Field {
  base: Base;
  off: number;
  len: number;
  /** How a value is written: MAC, IPv4, IPv6 or a number (with names). */
  type: 'mac' | 'ipv4' | 'ipv6' | 'int';
  mask?: number;
  shift?: number;
  names?: Record<string, number>;
}

const ETHER_TYPES: Record<string, number> = {
  ip: 0x0800,
  ip6: 0x86dd,
  arp: 0x0806,
  rarp: 0x8035,
  vlan: 0x8100,
};

const ARP_OPS: Record<string, number> = {
  request: 1,
  reply: 2,
  rrequest: 3,
  rreply: 4,
  inrequest: 8,
  inreply: 9,
  nak: 10,
};

/** The payload fields nft's named selectors load (`ip saddr`, `tcp dport`, …). */
export const FIELDS: Record<string, Field> = {
  'ether daddr': { base: 'll', off: 0, len: 6, type: 'mac' },
  'ether saddr': { base: 'll', off: 6, len: 6, type: 'mac' },
  'ether type': { base: 'll', off: 12, len: 2, type: 'int', names: ETHER_TYPES },
  'vlan id': { base: 'll', off: 14, len: 2, type: 'int', mask: 0x0fff },
  'vlan type': { base: 'll', off: 16, len: 2, type: 'int', names: ETHER_TYPES },
  'ip protocol': { base: 'nh', off: 9, len: 1, type: 'int' },
  'ip dscp': { base: 'nh', off: 1, len: 1, type: 'int', mask: 0xfc, shift: 2 },
  'ip saddr': { base: 'nh', off: 12, len: 4, type: 'ipv4' },
  'ip daddr': { base: 'nh', off: 16, len: 4, type: 'ipv4' },
  'ip6 nexthdr': { base: 'nh', off: 6, len: 1, type: 'int' },
  'ip6 dscp': { base: 'nh', off: 0, len: 2, type: 'int', mask: 0x0fc0, shift: 6 },
  'ip6 saddr': { base: 'nh', off: 8, len: 16, type: 'ipv6' },
  'ip6 daddr': { base: 'nh', off: 24, len: 16, type: 'ipv6' },
  'arp htype': { base: 'nh', off: 0, len: 2, type: 'int' },
  'arp ptype': { base: 'nh', off: 2, len: 2, type: 'int', names: ETHER_TYPES },
  'arp operation': { base: 'nh', off: 6, len: 2, type: 'int', names: ARP_OPS },
  'arp saddr ether': { base: 'nh', off: 8, len: 6, type: 'mac' },
  'arp saddr ip': { base: 'nh', off: 14, len: 4, type: 'ipv4' },
  'arp daddr ether': { base: 'nh', off: 18, len: 6, type: 'mac' },
  'arp daddr ip': { base: 'nh', off: 24, len: 4, type: 'ipv4' },
  'tcp flags': { base: 'th', off: 13, len: 1, type: 'int' },
  'icmp type': { base: 'th', off: 0, len: 1, type: 'int' },
  'icmp code': { base: 'th', off: 1, len: 1, type: 'int' },
  'icmpv6 type': { base: 'th', off: 0, len: 1, type: 'int' },
  'icmpv6 code': { base: 'th', off: 1, len: 1, type: 'int' },
};
for (const p of ['tcp', 'udp', 'sctp', 'th']) {
  FIELDS[`${p} sport`] = { base: 'th', off: 0, len: 2, type: 'int' };
  FIELDS[`${p} dport`] = { base: 'th', off: 2, len: 2, type: 'int' };
}

const TCP_FLAGS: Record<string, number> = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ecn: 0x40,
  cwr: 0x80,
};

/** A number as nft reads it: decimal, 0x hex, or a name of the field's type; null otherwise. */
export function parseInt_(text: string, names?: Record<string, number>): number | null {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  const named = names?.[t.toLowerCase()];
  if (named !== undefined) return named;
  const proto = ipProtocolNumber(t === 'ipv6-icmp' ? 'icmpv6' : t);
  return proto ?? null;
}

/** One side of a comparison: the field's value as a number (≤ 48 bits) or IPv6 words. */
type Scalar = number;

/** Loads the field (a number, -1 when nft's load fails) for the packet in hand. */
function loader(f: Field): (c: MatchContext) => Scalar {
  const { base, off, len } = f;
  const mask = f.mask;
  const shift = f.shift ?? 0;
  return (c) => {
    const v = viewOf(c.frame);
    let at: number;
    if (base === 'll') at = off;
    else if (base === 'nh') at = v.nh + off;
    else {
      if (v.th < 0 || v.fragoff !== 0) return -1;
      at = v.th + off;
    }
    const raw = readUint(v.bytes, at, len);
    if (raw < 0 || mask === undefined) return raw;
    return (raw & mask) >>> shift;
  };
}

function ipv6Words(c: MatchContext, f: Field): number[] | null {
  const v = viewOf(c.frame);
  const at = v.nh + f.off;
  if (at + 16 > v.bytes.length) return null;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push(readUint(v.bytes, at + 4 * i, 4));
  return out;
}

/**
 * `addr/prefix` or `addr/dotted-mask` as nft prints an IPv4 network: the address, the mask, and
 * the prefix length when it was given as one; null if either part cannot be read.
 */
export function parseIpv4Net(
  text: string,
): { addr: number; mask: number; prefix: number | null } | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = parseIpv4(text.slice(0, slash));
  const p = text.slice(slash + 1);
  const prefix = /^\d+$/.test(p) ? Number(p) : null;
  const dotted = prefix === null ? parseIpv4(p) : null;
  if (addr === null || (prefix === null && dotted === null) || (prefix !== null && prefix > 32))
    return null;
  const mask = dotted ?? (prefix === 0 ? 0 : (0xffffffff << (32 - (prefix as number))) >>> 0);
  return { addr, mask, prefix };
}

/** `value`, `value/prefix`, `lo-hi` for a scalar field: a test of the loaded value. */
function scalarTest(f: Field, text: string, bits: number): ((x: number) => boolean) | string {
  const parse = (t: string): number | null => {
    if (f.type === 'mac') return parseMac(t);
    if (f.type === 'ipv4') return parseIpv4(t);
    return parseInt_(t, f.names);
  };
  if (text.includes('/') && f.type === 'ipv4') {
    const net = parseIpv4Net(text);
    if (!net) return `cannot read ${text}`;
    const { mask } = net;
    const want = (net.addr & mask) >>> 0;
    return (x) => (x & mask) >>> 0 === want;
  }
  const dash = f.type === 'mac' ? -1 : text.indexOf('-');
  if (dash > 0) {
    const lo = parse(text.slice(0, dash));
    const hi = parse(text.slice(dash + 1));
    if (lo === null || hi === null) return `cannot read ${text}`;
    return (x) => x >= lo && x <= hi;
  }
  const v = parse(text);
  if (v === null) return `cannot read ${text}`;
  if (v >= 2 ** bits) return `${text} does not fit the ${bits}-bit field`;
  return (x) => x === v;
}

/**
 * An IPv6 value as nft prints one: `lo-hi`, or `addr` / `addr/prefix` (prefix 128 when absent);
 * null if a part cannot be read or the prefix is not 0–128.
 */
export function parseIpv6Value(
  text: string,
):
  | { lo: readonly number[]; hi: readonly number[] }
  | { addr: readonly number[]; prefix: number }
  | null {
  const [addrText = '', prefixText] = text.split('/');
  const dash = addrText.indexOf('-');
  if (dash > 0 && prefixText === undefined) {
    const lo = parseIpv6(addrText.slice(0, dash));
    const hi = parseIpv6(addrText.slice(dash + 1));
    return lo && hi ? { lo, hi } : null;
  }
  const addr = parseIpv6(addrText);
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (!addr || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) return null;
  return { addr, prefix };
}

function ipv6Test(text: string): ((w: number[]) => boolean) | string {
  const v = parseIpv6Value(text);
  if (!v) return `cannot read ${text}`;
  if ('lo' in v) {
    const { lo, hi } = v;
    const cmp = (a: readonly number[], b: readonly number[]) => {
      for (let i = 0; i < 4; i++)
        if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
      return 0;
    };
    return (w) => cmp(w, lo) >= 0 && cmp(w, hi) <= 0;
  }
  const { addr, prefix } = v;
  const masks = [0, 1, 2, 3].map((i) => {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  });
  const want = addr.map((x, i) => (x & (masks[i] as number)) >>> 0);
  return (w) => w.every((x, i) => (x & (masks[i] as number)) >>> 0 === want[i]);
}

/** A relational test that only holds when the load succeeded: `!=` never matches a failed load. */
function relational(
  load: (c: MatchContext) => number,
  test: (x: number) => boolean,
  negated: boolean,
): Predicate {
  return negated
    ? (c) => {
        const x = load(c);
        return x >= 0 && !test(x);
      }
    : (c) => {
        const x = load(c);
        return x >= 0 && test(x);
      };
}

/** `syn,ack`, `*`, `0` as flag bits (`*`: the six flags libvirt means by ALL). */
export function tcpFlagBits(text: string): number | null {
  const t = text.trim();
  if (t === '*') return 0x3f;
  if (t === '0') return 0;
  let bits = 0;
  for (const n of t.split(',')) {
    const b = TCP_FLAGS[n.trim()];
    if (b === undefined) return null;
    bits |= b;
  }
  return bits;
}

/** `@nh,OFFSET,LENGTH` (the driver only writes network-header raw loads). */
function rawMatch(m: NftMatch): PreparedMatch {
  const r = /^@(ll|nh|th),(\d+),(\d+)$/.exec(m.selector);
  if (!r) return { ok: false, unsupported: `nft selector '${m.selector}'` };
  const base = r[1] as Base;
  const off = Number(r[2]);
  const len = Number(r[3]);
  if (len < 1 || len > 48) return { ok: false, unsupported: `raw payload of ${len} bits` };
  const load = (c: MatchContext) => {
    const v = viewOf(c.frame);
    const start = base === 'll' ? 0 : base === 'nh' ? v.nh : v.th;
    if (base === 'th' && (v.th < 0 || v.fragoff !== 0)) return -1;
    return readBits(v.bytes, start, off, len);
  };
  const f: Field = { base, off: 0, len: Math.ceil(len / 8), type: 'int' };
  const test = scalarTest(f, m.value, len);
  if (typeof test === 'string') return { ok: false, unsupported: `${m.selector}: ${test}` };
  let pred = test;
  if (m.mask !== null) {
    const mask = parseInt_(m.mask);
    const want = parseInt_(m.value);
    if (mask === null || want === null) return { ok: false, unsupported: `mask ${m.mask}` };
    pred = (x) => and(x, mask) === and(want, mask);
  }
  return { ok: true, pred: relational(load, pred, m.negated), header: true };
}

/** Compiles one nft relational expression to a predicate over the frame in hand. */
export function prepareNftMatch(m: NftMatch): PreparedMatch {
  const ok = (pred: Predicate, header = true): PreparedMatch => ({ ok: true, pred, header });
  const bad = (why: string): PreparedMatch => ({ ok: false, unsupported: why });
  const sel = m.selector;
  switch (sel) {
    // The simulator knows ports by name, so the index (`iif`, the map key) and the name
    // (`iifname`, the drop-all learning rules' jumps) compare alike.
    case 'iif':
    case 'iifname':
      return ok((c) => (c.inIface === m.value) !== m.negated);
    case 'oif':
    case 'oifname':
      // In PREROUTING there is no output device yet: `oif` never matches there.
      return ok((c) => c.outIface !== null && (c.outIface === m.value) !== m.negated);
    case 'meta l4proto': {
      const n = parseInt_(m.value);
      if (n === null) return bad(`meta l4proto ${m.value}`);
      return ok(
        relational(
          (c) => viewOf(c.frame).tprot,
          (x) => x === n,
          m.negated,
        ),
      );
    }
    case 'ct state': {
      const { mask, unknown } = parseCtStateMask(m.value);
      if (unknown.length > 0) return bad(`ct state ${m.value}`);
      // A bitmask test: the packet's state bit is one of the listed ones.
      return ok((c) => ((ctStateBit(c.ct) & mask) !== 0) !== m.negated, false);
    }
    case 'ct direction': {
      const dir = m.value === 'original' ? 0 : m.value === 'reply' ? 1 : null;
      if (dir === null) return bad(`ct direction ${m.value}`);
      // Without a conntrack entry the expression breaks: the rule does not match either way.
      return ok((c) => c.ct.dir !== null && (c.ct.dir === dir) !== m.negated, false);
    }
    case 'ct count': {
      const limit = parseInt_(m.value);
      if (limit === null) return bad(`ct count over ${m.value}`);
      // nft_connlimit: one list per rule for every connection it sees (no per-address key).
      const opts = { daddr: false, prefix: 0 };
      return ok((c) => {
        const n = c.conntrack.connlimitCount(c.ruleKey, c.ct, c.frame, opts, c.now);
        return n > limit !== m.negated;
      }, false);
    }
    case 'tcp option':
      return bad("'tcp option' (nft refuses what the driver writes)");
    case 'arp saddr ip . arp daddr ip': {
      // `& mask . & mask == @same-ip-set`: the set holds every pair of equal one-byte values.
      const mask = parseIpv4(m.mask ?? '');
      if (mask === null || m.value !== '@same-ip-set') return bad(`${sel} ${m.value}`);
      const s = loader(FIELDS['arp saddr ip'] as Field);
      const d = loader(FIELDS['arp daddr ip'] as Field);
      return ok((c) => {
        const a = s(c);
        const b = d(c);
        if (a < 0 || b < 0) return false;
        return ((a & mask) >>> 0 === (b & mask) >>> 0) !== m.negated;
      });
    }
    case 'tcp flags': {
      const f = FIELDS[sel] as Field;
      const mask = m.mask === null ? 0xff : tcpFlagBits(m.mask);
      const elements = m.value.split(',').map((x) => x.trim());
      // `*` in a set is nft's catch-all element, not "all six flags" as the driver means it: the
      // lookup finds it for every key (N11), so `== { * }` matches every TCP packet, `!=` none.
      // Like every transport field, with its `meta l4proto tcp` dependency (N7).
      const tcp = dependencyOf(sel) as Predicate;
      const flags = loader(f);
      if (elements.includes('*')) {
        const any = relational(flags, () => true, m.negated);
        return ok((c) => tcp(c) && any(c));
      }
      const members = elements.map((x) => tcpFlagBits(x));
      if (mask === null || members.some((x) => x === null)) return bad(`tcp flags ${m.value}`);
      // `& mask == { a,b }`: the masked flags are one of the set's elements.
      const inSet = relational(flags, (x) => members.includes(x & mask), m.negated);
      return ok((c) => tcp(c) && inSet(c));
    }
    default:
      break;
  }
  if (sel.startsWith('@')) return rawMatch(m);
  const f = FIELDS[sel];
  if (!f) return bad(`nft selector '${sel}'`);
  const inner = prepareField(m, f);
  if (!inner.ok) return inner;
  // nft compiles a protocol field with its dependency (`ip saddr` → `ether type ip`, `tcp dport` →
  // `meta l4proto tcp`) unless the rule already tests it; the driver always writes it, so this
  // only matters for a field whose protocol the frame does not have.
  const dep = dependencyOf(sel);
  if (!dep) return inner;
  const pred = inner.pred;
  return ok((c) => dep(c) && pred(c));
}

const L4_DEPS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

/**
 * The upper protocol a transport field's test needs whatever its value or operator (`icmp type 8`,
 * `tcp dport != 22`, `tcp flags & syn == syn`: nft's `meta l4proto` dependency), as a key that only
 * narrows the rule's candidates.
 */
/** The transport fields the inet table's index keys by, and which frame key holds each. */
const PORT_KEYS: Record<string, { key: 'sport' | 'dport'; proto: number; bytes: number }> = {
  'icmp type': { key: 'sport', proto: 1, bytes: 1 },
  'icmp code': { key: 'dport', proto: 1, bytes: 1 },
  'icmpv6 type': { key: 'sport', proto: 58, bytes: 1 },
  'icmpv6 code': { key: 'dport', proto: 58, bytes: 1 },
};
for (const [p, proto] of [
  ['tcp', 6],
  ['udp', 17],
  ['sctp', 132],
] as const) {
  PORT_KEYS[`${p} sport`] = { key: 'sport', proto, bytes: 2 };
  PORT_KEYS[`${p} dport`] = { key: 'dport', proto, bytes: 2 };
}

function impliedProto(m: NftMatch): DispatchKey | null {
  const dep = L4_DEPS[m.selector.split(' ')[0] as string];
  return dep === undefined || m.selector === 'meta l4proto'
    ? null
    : { field: 'proto', value: dep, implied: true };
}
const L3_DEPS: Record<string, number> = { ip: 0x0800, ip6: 0x86dd, arp: 0x0806, vlan: 0x8100 };

function dependencyOf(sel: string): Predicate | null {
  const proto = sel.split(' ')[0] as string;
  const l4 = L4_DEPS[proto];
  if (l4 !== undefined) return (c) => viewOf(c.frame).tprot === l4;
  const l3 = L3_DEPS[proto];
  if (l3 !== undefined) return (c) => readUint(viewOf(c.frame).bytes, 12, 2) === l3;
  return null;
}

function prepareField(m: NftMatch, f: Field): PreparedMatch {
  const ok = (pred: Predicate): PreparedMatch => ({ ok: true, pred, header: true });
  const bad = (why: string): PreparedMatch => ({ ok: false, unsupported: why });
  const sel = m.selector;
  if (f.type === 'ipv6') {
    const test = ipv6Test(m.value);
    if (typeof test === 'string') return bad(`${sel}: ${test}`);
    return ok((c) => {
      const w = ipv6Words(c, f);
      return w !== null && test(w) !== m.negated;
    });
  }
  const load = loader(f);
  if (m.mask !== null) {
    const mask = f.type === 'mac' ? parseMac(m.mask) : parseInt_(m.mask, f.names);
    const want = f.type === 'mac' ? parseMac(m.value) : parseInt_(m.value, f.names);
    if (mask === null || want === null) return bad(`${sel} & ${m.mask}`);
    const w = and(want, mask);
    return ok(relational(load, (x) => and(x, mask) === w, m.negated));
  }
  const bits = f.mask !== undefined ? 8 * f.len - (f.shift ?? 0) : 8 * f.len;
  const test = scalarTest(f, m.value, bits);
  if (typeof test === 'string') return bad(`${sel}: ${test}`);
  return ok(relational(load, test, m.negated));
}

/**
 * The simulator's view: where the base chains hook in (both tables on the bridge's prerouting and
 * postrouting, ethernet before inet by priority), conntrack in the bridge family, and how traces
 * name targets.
 */
export const nftablesSim: BackendSim<NftMatch> = {
  hooks() {
    return (['bridge-prerouting', 'bridge-postrouting'] as const).flatMap((point) =>
      [NFT_TABLES.ethernet, NFT_TABLES.inet].map((table) => {
        const chain = point === 'bridge-prerouting' ? 'prerouting' : 'postrouting';
        return {
          point,
          table: tableKey({ family: 'bridge', name: table }),
          chain,
          label: `table bridge ${table} chain ${chain}`,
          // Both at or above br_netfilter's 0: after its IP header check.
          priority: NFT_TABLE_PRIORITY[table],
        };
      }),
    );
  },
  // Both tables see the frame after its Ethernet header (skb->len in the bridge family). The
  // ethernet table's rules select by EtherType; every rule of the inet table has the same few
  // (`ether type ip|ip6`) and selects by `meta l4proto` and ports, so its chains are indexed by
  // those. nft has no REJECT here: the driver writes drop.
  tableTraits(t) {
    return {
      layer: 'l2',
      rejectIsDrop: true,
      dispatch: t.name === NFT_TABLES.inet ? 'l4' : 'ethertype',
    };
  },
  prepareMatch: (m) => prepareNftMatch(m),
  dispatchKey(m, kind): DispatchKey | null {
    if (kind === 'l4' && (m.negated || m.mask !== null)) return impliedProto(m);
    if (m.negated || m.mask !== null) return null;
    const single = (names?: Record<string, number>) =>
      /[-{},/@]/.test(m.value) ? null : parseInt_(m.value, names);
    if (kind === 'ethertype') {
      const v = m.selector === 'ether type' ? single(ETHER_TYPES) : null;
      return v === null ? null : { field: 'proto', value: v };
    }
    if (m.selector === 'meta l4proto') {
      const n = single();
      return n === null ? null : { field: 'proto', value: n };
    }
    // `tcp dport 22`, `udp sport 1024-65535`, `icmp type 8`: what the frame's port keys hold for
    // that protocol (frameKeys), with nft's implicit `meta l4proto` dependency. Never `th dport`:
    // it has no dependency, and an ICMP frame's keys are not its first 16-bit words.
    const field = PORT_KEYS[m.selector];
    const range = /^(\d+)(?:-(\d+))?$/.exec(m.value.trim());
    if (!field || !range) return impliedProto(m);
    const lo = Number(range[1]);
    const hi = Number(range[2] ?? range[1]);
    if (lo > hi || hi >= 2 ** (8 * field.bytes)) return impliedProto(m);
    return { field: field.key, lo, hi, proto: field.proto };
  },
  frameKeys(frame, out) {
    // The keys as the rules read them: `ether type` at the link layer (the tag in place),
    // `meta l4proto` and ports from nft's own view of the headers.
    const v = viewOf(frame);
    out.ethertype = readUint(v.bytes, 12, 2);
    out.proto = v.tprot;
    const ports = v.th >= 0 && v.fragoff === 0;
    // ICMP and ICMPv6 have no ports: their keys are the type and code bytes.
    const icmp = v.tprot === 1 || v.tprot === 58;
    out.sport = !ports ? -1 : icmp ? readUint(v.bytes, v.th, 1) : readUint(v.bytes, v.th, 2);
    out.dport = !ports
      ? -1
      : icmp
        ? readUint(v.bytes, v.th + 1, 1)
        : readUint(v.bytes, v.th + 2, 2);
  },
  hasSideEffects: (m) => m.selector === 'ct count',
  conntrackUsers(ruleset) {
    const uses = usesConntrack(ruleset as NftRuleset);
    return { ipv4: uses, ipv6: uses };
  },
  conntrackFamily: 'bridge',
  ruleHandles: (ruleset) => nftHandles(ruleset as NftRuleset).rules,
  targetText(r) {
    const rule = r as NftRule;
    if (rule.viaMap)
      return `${rule.viaMap === 'vmap-oif' ? 'oif' : 'iif'} vmap @${rule.viaMap}: jump ${(r.target as { chain: string }).chain}`;
    return r.target.kind === 'verdict'
      ? r.target.verdict.toLowerCase()
      : `${r.target.kind} ${r.target.chain}`;
  },
};

/** Whether any rule has a `ct` expression (each one registers bridge-family conntrack). */
export function usesConntrack(ruleset: NftRuleset): boolean {
  return ruleset.tables.some((t) =>
    t.chains.some((c) => c.rules.some((r) => r.matches.some((m) => m.selector.startsWith('ct ')))),
  );
}
