/**
 * Both backends' matches in one vocabulary: an {@link Atom} is what one test of an installed rule
 * means (`slot` = the packet field or state it reads, `value` = what it requires, in a form that
 * is equal exactly when the two tests accept the same packets), plus the backend's own text.
 * Spelling differences (`-p tcp` / `meta l4proto tcp`, `--dport 20:21` / `tcp dport 20-21`,
 * `255.255.255.0` / `24`) vanish; what remains different is a difference of meaning.
 */
import type { Match, TableFamily } from '../compile/ebiptables/ir';
import { matchArgs } from '../compile/ebiptables/rule-args';
import type { NftMatch } from '../compile/nftables/ir';
import { ARP_OPCODE_NAMES, IP_PROTOCOL_NAMES, MAC_PROTOCOL_NAMES } from '../model/attributes';
import { tcpFlagBits } from '../model/names';

/** One test of an installed rule, in the shared vocabulary. */
export interface Atom {
  /** What it reads: `l4proto`, `ip saddr`, `dport`, `ct state`, `ipset`, `stp root-pri`, … */
  slot: string;
  /** What it requires (normalized: equal values accept the same packets). */
  value: string;
  negated: boolean;
  /** The backend's own text of the test. */
  text: string;
}

const ETHERTYPE_NAMES: Record<string, number> = {
  ip: 0x0800,
  ipv4: 0x0800,
  ip6: 0x86dd,
  ipv6: 0x86dd,
  arp: 0x0806,
  rarp: 0x8035,
  vlan: 0x8100,
};

const hex = (n: number, width = 4) => `0x${n.toString(16).padStart(width, '0')}`;

/** A number from decimal or `0x` text, names resolved through `names`; NaN when it is neither. */
function num(text: string, names: readonly (readonly [string, number])[] = []): number {
  const t = text.trim();
  const named = names.find(([n]) => n.toLowerCase() === t.toLowerCase());
  if (named) return named[1];
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  return NaN;
}

/** A number's canonical text (the input itself when it is not a number, e.g. a variable's raw value). */
function numText(text: string, names?: readonly (readonly [string, number])[]): string {
  const n = num(text, names);
  return Number.isNaN(n) ? text.trim().toLowerCase() : String(n);
}

/** `lo-hi` ranges (`:` for iptables/ebtables, `-` for nft), single values as themselves. */
function rangeText(text: string): string {
  const [lo = '', hi] = text.split(/[:-]/);
  const a = numText(lo);
  const b = hi === undefined ? a : numText(hi);
  return a === b ? a : `${a}-${b}`;
}

function ethertypeText(text: string): string {
  const t = text.trim().toLowerCase();
  const n = ETHERTYPE_NAMES[t] ?? num(t, MAC_PROTOCOL_NAMES);
  return Number.isNaN(n) ? t : hex(n);
}

/** A dotted IPv4 mask's prefix length, or null when the text is not a contiguous mask. */
function dottedPrefix(mask: string): number | null {
  const parts = mask.split('.').map((x) => Number(x));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return null;
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  let prefix = 0;
  while (prefix < 32 && bits & (2 ** (31 - prefix))) prefix++;
  return bits === (prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix)) ? prefix : null;
}

/** `ADDR[/MASK]` (mask as a prefix or dotted) as `addr/prefix`; `A-B` ranges as `a-b`. */
function addrText(text: string, prefix?: number | null): string {
  const t = text.trim().toLowerCase();
  if (t.includes('-') && !t.includes('/')) return t;
  const [addr = '', mask] = t.split('/');
  const v6 = addr.includes(':');
  let p: number | null = prefix ?? null;
  if (mask !== undefined) p = /^\d+$/.test(mask) ? Number(mask) : dottedPrefix(mask);
  return `${addr}/${p ?? (v6 ? 128 : 32)}`;
}

/** A MAC address with two-digit lower-case bytes; a `0x…` 48-bit number becomes one. */
function macText(text: string): string {
  const t = text.trim().toLowerCase();
  if (/^0x[0-9a-f]{1,12}$/.test(t)) {
    const h = t.slice(2).padStart(12, '0');
    return h.match(/../g)?.join(':') ?? t;
  }
  return t
    .split(':')
    .map((b) => b.padStart(2, '0'))
    .join(':');
}

/** TCP flag names as a mask; nft writes all six as `*` and none as `0`. Unknown names: -1. */
function flagBits(names: readonly string[]): number {
  const bits = tcpFlagBits(names.map((n) => (n === '*' ? 'ALL' : n === '0' ? 'NONE' : n)));
  return bits ?? -1;
}

/**
 * nft's `tcp flags & MASK == { V }` in iptables' `mask/comp` form when it means the same: one
 * element. Several elements are a set lookup (the masked flags equal ANY of them, where iptables
 * wants all of them), and `*` is nft's catch-all element, which every packet finds (KERNEL-FACTS
 * N11): both say so, and so differ from the ebiptables side.
 */
function nftFlagsText(mask: string | null, value: string): string {
  const maskText = hex(flagBits((mask ?? '').split(',')), 2);
  const elements = value.split(',').map((e) => e.trim());
  if (elements.includes('*')) return `${maskText}/any (nft catch-all element *)`;
  if (elements.length > 1)
    return `${maskText}/one of ${elements.map((e) => hex(flagBits([e]), 2)).join(', ')}`;
  return `${maskText}/${hex(flagBits(elements), 2)}`;
}

const STATE_ORDER = ['new', 'established', 'related', 'invalid'];

function statesText(states: readonly string[]): string {
  const set = new Set(states.map((s) => s.trim().toLowerCase()));
  return STATE_ORDER.filter((s) => set.has(s)).join(',');
}

function protoText(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === 'ipv6-icmp') return '58';
  return numText(t, IP_PROTOCOL_NAMES);
}

// ---------------------------------------------------------------------------
// ebtables / iptables
// ---------------------------------------------------------------------------

const STP_SLOTS: Record<string, string> = {
  type: 'type',
  flags: 'flags',
  'root-pri': 'root-pri',
  'root-addr': 'root-addr',
  'root-cost': 'root-cost',
  'sender-prio': 'sender-prio',
  'sender-addr': 'sender-addr',
  port: 'port',
  'msg-age': 'msg-age',
  'max-age': 'max-age',
  'hello-time': 'hello-time',
  'forward-delay': 'forward-delay',
};

/**
 * The atoms of one ebtables/iptables match (none for the structural ones: interface and physdev
 * links, comments). `family` is the table's: an iptables rule reads only IPv4, an ip6tables rule
 * only IPv6, which nft writes as `ether type`.
 */
export function ebiptablesAtoms(m: Match): Atom[] {
  const text = matchArgs(m).join(' ');
  const neg = 'negated' in m ? m.negated : false;
  const atom = (slot: string, value: string, negated = neg): Atom => ({
    slot,
    value,
    negated,
    text,
  });
  switch (m.kind) {
    case 'eb-iface':
    case 'ipt-physdev':
    case 'ipt-comment':
      return [];
    case 'eb-mac':
      return [
        atom(
          `ether ${m.field === 'src' ? 'saddr' : 'daddr'}`,
          m.mask ? `${macText(m.mac)}/${macText(m.mask)}` : macText(m.mac),
        ),
      ];
    case 'ipt-mac':
      return [atom('ether saddr', macText(m.mac))];
    case 'eb-proto':
      return [atom('ether type', hex(m.ethertype))];
    case 'eb-vlan':
      return [
        atom(m.field === 'id' ? 'vlan id' : 'vlan type', numText(m.text, MAC_PROTOCOL_NAMES)),
      ];
    case 'eb-stp': {
      const slot = `stp ${STP_SLOTS[m.field] ?? m.field}`;
      if (m.mac !== null)
        return [atom(slot, m.mask ? `${macText(m.mac)}/${macText(m.mask)}` : macText(m.mac))];
      const r = m.range;
      return [atom(slot, r ? (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`) : m.text)];
    }
    case 'eb-arp':
      switch (m.field) {
        case 'htype':
        case 'ptype':
          return [atom(`arp ${m.field}`, String(m.value))];
        case 'opcode':
          return [atom('arp opcode', String(m.value))];
        case 'ip-src':
        case 'ip-dst':
          return [atom(`arp ${m.field === 'ip-src' ? 'sip' : 'dip'}`, addrText(m.text))];
        case 'mac-src':
        case 'mac-dst':
          return [atom(`arp ${m.field === 'mac-src' ? 'smac' : 'dmac'}`, macText(m.text))];
        case 'gratuitous':
          return [atom('arp gratuitous', 'sender IP = target IP')];
      }
      return [];
    case 'eb-ip':
      switch (m.field) {
        case 'src':
        case 'dst':
          return [atom(`ip ${m.field === 'src' ? 'saddr' : 'daddr'}`, addrText(m.text))];
        case 'protocol':
          return [atom('l4proto', `l4proto ${protoText(m.text)}`)];
        case 'sport':
        case 'dport':
          return [atom(m.field, rangeText(m.text))];
        case 'tos':
          return [atom('tos', `whole TOS byte = ${hex(num(m.text), 2)}`)];
        case 'icmp-type': {
          const out: Atom[] = [];
          const r = (x: { lo: number; hi: number }) =>
            x.lo === x.hi ? String(x.lo) : `${x.lo}-${x.hi}`;
          // ebtables fills the half not given with 0:255, which tests nothing.
          const any = (x: { lo: number; hi: number }) => !m.negated && x.lo === 0 && x.hi === 255;
          if (m.icmpType && !any(m.icmpType)) out.push(atom('icmp type', r(m.icmpType)));
          if (m.icmpCode && !any(m.icmpCode)) out.push(atom('icmp code', r(m.icmpCode)));
          return out;
        }
      }
      return [];
    case 'ipt-proto':
      return m.proto === 'all' ? [] : [atom('l4proto', `l4proto ${protoText(m.proto)}`, false)];
    case 'ipt-addr':
      return [atom(`ip ${m.field === 'src' ? 'saddr' : 'daddr'}`, addrText(m.addr, m.prefix))];
    case 'ipt-iprange':
      return [
        atom(
          `ip ${m.field === 'src' ? 'saddr' : 'daddr'}`,
          m.to !== null ? `${m.from}-${m.to}`.toLowerCase() : addrText(m.from),
        ),
      ];
    case 'ipt-dscp':
      return [atom('tos', `DSCP (upper 6 bits) = ${m.dscp}`)];
    case 'ipt-tcp-flags':
      return [atom('tcp flags', `${hex(flagBits(m.mask), 2)}/${hex(flagBits(m.comp), 2)}`)];
    case 'ipt-port':
      return [atom(m.field, rangeText(m.text))];
    case 'ipt-tcp-option':
      return [atom('tcp option', String(m.option))];
    case 'ipt-icmp':
      return [
        atom('icmp type', String(m.type)),
        ...(m.code !== null ? [atom('icmp code', String(m.code))] : []),
      ];
    case 'ipt-ctstate':
      return [atom('ct state', statesText(m.states), false)];
    case 'ipt-ctdir':
      return [atom('ct direction', m.dir.toLowerCase(), false)];
    case 'ipt-set':
      return [atom('ipset', `set ${m.set} (${m.flags.join(',')})`, false)];
    case 'ipt-connlimit':
      return [atom('connlimit', `over ${m.above} connections per source address`)];
  }
}

/** The implicit test of the table an iptables rule is in: which EtherType reaches it. */
export function familyAtoms(family: TableFamily): Atom[] {
  if (family === 'ebtables') return [];
  const v6 = family === 'ip6tables';
  return [
    {
      slot: 'ether type',
      value: hex(v6 ? 0x86dd : 0x0800),
      negated: false,
      text: `(${family}: ${v6 ? 'IPv6' : 'IPv4'} only)`,
    },
  ];
}

// ---------------------------------------------------------------------------
// nftables
// ---------------------------------------------------------------------------

/** Fields of an ARP/RARP header at `@nh,OFFSET,LENGTH` (bits). */
const ARP_OFFSETS: Record<number, string> = {
  0: 'arp htype',
  16: 'arp ptype',
  48: 'arp opcode',
  64: 'arp smac',
  112: 'arp sip',
  144: 'arp dmac',
  192: 'arp dip',
};

/** Fields of an STP BPDU at `@nh,OFFSET,LENGTH` (bits, from the LLC header). */
const STP_OFFSETS: Record<number, string> = {
  48: 'type',
  56: 'flags',
  64: 'root-pri',
  80: 'root-addr',
  128: 'root-cost',
  160: 'sender-prio',
  176: 'sender-addr',
  224: 'port',
  240: 'msg-age',
  256: 'max-age',
  272: 'hello-time',
  288: 'forward-delay',
};

function ipv4FromHex(h: string, prefix: number): string {
  const n = parseInt(h, 16);
  const octets = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/** What a raw payload test `@nh,OFF,LEN` reads, knowing the rule's protocol. */
function rawAtom(m: NftMatch, protocol: string, text: string): Atom {
  const [, offText = '', lenText = ''] = m.selector.split(',');
  const off = Number(offText);
  const len = Number(lenText);
  const raw: Atom = { slot: m.selector, value: m.value, negated: m.negated, text };
  if (protocol === 'stp') {
    const field = STP_OFFSETS[off];
    if (!field) return raw;
    const slot = `stp ${field}`;
    if (len === 48) {
      const v = macText(m.value);
      return { ...raw, slot, value: m.mask ? `${v}/${macText(m.mask)}` : v };
    }
    return { ...raw, slot, value: rangeText(m.value) };
  }
  if (protocol === 'rarp' || protocol === 'arp') {
    const slot = ARP_OFFSETS[off];
    // A field read with the wrong length reads other bytes: keep it raw.
    if (!slot) return raw;
    if (slot === 'arp sip' || slot === 'arp dip')
      return { ...raw, slot, value: ipv4FromHex(m.value.replace(/^0x/, ''), len) };
    if (len === 48) return { ...raw, slot, value: macText(m.value) };
    if (len !== 16) return raw;
    return { ...raw, slot, value: numText(m.value) };
  }
  return raw;
}

/**
 * The atoms of one nft rule's matches (`protocol` is the XML rule's protocol element, which says
 * how to read raw payload offsets). The gratuitous-ARP test, four byte-wise lookups in
 * `same-ip-set`, is one atom.
 */
export function nftablesAtoms(matches: readonly NftMatch[], protocol: string): Atom[] {
  const out: Atom[] = [];
  const garp = matches.filter((m) => m.value === '@same-ip-set');
  if (garp.length > 0) {
    const neg = garp.every((m) => m.negated);
    out.push({
      slot: 'arp gratuitous',
      // Four `!=` lookups require every byte to differ, not "not gratuitous".
      value: neg ? 'every byte of sender IP ≠ target IP' : 'sender IP = target IP',
      negated: false,
      text: garp.map((m) => m.args.join(' ')).join(' '),
    });
  }
  for (const m of matches) {
    if (m.value === '@same-ip-set') continue;
    const text = m.args.join(' ');
    const atom = (slot: string, value: string, negated = m.negated): Atom => ({
      slot,
      value,
      negated,
      text,
    });
    const sel = m.selector;
    if (sel.startsWith('@nh,')) {
      out.push(rawAtom(m, protocol, text));
      continue;
    }
    const port = /^(tcp|udp|sctp|th) (sport|dport)$/.exec(sel);
    if (port) {
      out.push(atom(port[2] as string, rangeText(m.value)));
      continue;
    }
    switch (sel) {
      case 'iif':
      case 'oif':
        break;
      case 'ether saddr':
      case 'ether daddr':
        out.push(atom(sel, m.mask ? `${macText(m.value)}/${macText(m.mask)}` : macText(m.value)));
        break;
      case 'ether type':
        out.push(atom(sel, ethertypeText(m.value)));
        break;
      case 'meta l4proto':
      case 'ip protocol':
        out.push(atom('l4proto', `l4proto ${protoText(m.value)}`));
        break;
      case 'ip6 nexthdr':
        // The first next-header field: an ICMPv6 packet behind a hop-by-hop header (MLD) has 0.
        out.push(atom('l4proto', `first IPv6 next header ${protoText(m.value)}`));
        break;
      case 'ip saddr':
      case 'ip6 saddr':
        out.push(atom('ip saddr', addrText(m.value)));
        break;
      case 'ip daddr':
      case 'ip6 daddr':
        out.push(atom('ip daddr', addrText(m.value)));
        break;
      case 'ip dscp':
      case 'ip6 dscp':
        out.push(atom('tos', `DSCP (upper 6 bits) = ${numText(m.value)}`));
        break;
      case 'tcp flags':
        out.push(atom('tcp flags', nftFlagsText(m.mask, m.value)));
        break;
      case 'tcp option':
        out.push(atom(sel, numText(m.value)));
        break;
      case 'icmp type':
      case 'icmpv6 type':
        out.push(atom('icmp type', rangeText(m.value)));
        break;
      case 'icmp code':
      case 'icmpv6 code':
        out.push(atom('icmp code', rangeText(m.value)));
        break;
      case 'ct state':
        out.push(atom(sel, statesText(m.value.split(','))));
        break;
      case 'ct direction':
        out.push(atom(sel, m.value.toLowerCase()));
        break;
      case 'ct count':
        out.push(atom('connlimit', `over ${m.value} connections of this rule (any source)`));
        break;
      case 'vlan id':
        out.push(atom(sel, numText(m.value)));
        break;
      case 'vlan type':
        out.push(atom(sel, numText(m.value, MAC_PROTOCOL_NAMES)));
        break;
      case 'arp htype':
        out.push(atom(sel, numText(m.value)));
        break;
      case 'arp ptype':
        out.push(atom(sel, numText(m.value)));
        break;
      case 'arp operation':
        out.push(atom('arp opcode', numText(m.value, ARP_OPCODE_NAMES)));
        break;
      case 'arp saddr ip':
        out.push(atom('arp sip', addrText(m.value)));
        break;
      case 'arp daddr ip':
        out.push(atom('arp dip', addrText(m.value)));
        break;
      case 'arp saddr ether':
        out.push(atom('arp smac', macText(m.value)));
        break;
      case 'arp daddr ether':
        out.push(atom('arp dmac', macText(m.value)));
        break;
      default:
        // Anything not read above is compared as written: a difference, never silently equal.
        out.push(atom(sel, m.mask ? `${m.value}/${m.mask}` : m.value));
    }
  }
  return out;
}
