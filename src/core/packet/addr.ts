/**
 * Address codecs used by the packet model. Addresses are numbers so that the
 * hot paths (rule matching, conntrack tuples) compare and mask without
 * allocating: a MAC is a 48-bit integer (exact in a double), an IPv4 address
 * an unsigned 32-bit integer, an IPv6 address four unsigned 32-bit words.
 */

import { resolveMacName } from '../model/names';

/** An IPv6 address as four big-endian 32-bit words (each 0..2^32-1). */
export type Ip6Addr = readonly [number, number, number, number];

/** Parses `52:54:00:11:22:33` (also `-` separated, 1-2 hex digits per byte); null if malformed. */
export function parseMac(text: string): number | null {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    v = v * 256 + parseInt(p, 16);
  }
  return v;
}

/**
 * A MAC match's address and mask (ebtables' names such as `broadcast` resolved; no mask = all
 * 48 bits) as numbers; null when either does not parse.
 */
export function parseMacMatch(
  macText: string,
  maskText: string | null,
): { mac: number; mask: number } | null {
  const r = resolveMacName(macText, maskText);
  const mac = parseMac(r.mac);
  const mask = r.mask === null ? 0xffffffffffff : parseMac(r.mask);
  return mac === null || mask === null ? null : { mac, mask };
}

const HI = 0x100000000;

/**
 * The MAC-with-mask test (`-s MAC/MASK`, `--arp-mac-src`, `ether saddr & MASK == MAC`): the
 * address and mask split into 16- and 32-bit halves so masking stays in 32-bit integer ops.
 * Null when the address or mask does not parse.
 */
export function macMatcher(
  macText: string,
  maskText: string | null,
): ((mac: number) => boolean) | null {
  const p = parseMacMatch(macText, maskText);
  if (p === null) return null;
  const kHi = Math.floor(p.mask / HI);
  const kLo = p.mask >>> 0;
  const wantHi = Math.floor(p.mac / HI) & kHi;
  const wantLo = ((p.mac >>> 0) & kLo) >>> 0;
  return (v: number) => (Math.floor(v / HI) & kHi) === wantHi && ((v >>> 0) & kLo) >>> 0 === wantLo;
}

/** Formats a 48-bit MAC as lower-case `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: number): string {
  let out = '';
  for (let i = 5; i >= 0; i--) {
    const b = Math.floor(mac / 2 ** (8 * i)) % 256;
    out += (b < 16 ? '0' : '') + b.toString(16) + (i > 0 ? ':' : '');
  }
  return out;
}

/** Parses dotted-quad IPv4; null if malformed. */
export function parseIpv4(text: string): number | null {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Formats an unsigned 32-bit IPv4 address as dotted quad. */
export function formatIpv4(ip: number): string {
  return `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Parses an IPv6 address (with `::` compression and an optional dotted IPv4 tail); null if malformed. */
export function parseIpv6(text: string): Ip6Addr | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0] as string);
  if (!head) return null;
  let groups: number[];
  if (halves.length === 2) {
    const tail = parseGroups(halves[1] as string);
    if (!tail) return null;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  const w = (i: number) =>
    (((groups[i * 2] as number) << 16) | (groups[i * 2 + 1] as number)) >>> 0;
  return [w(0), w(1), w(2), w(3)];
}

/** Formats an IPv6 address in RFC 5952 canonical form (longest zero run compressed, lower case). */
export function formatIpv6(a: Ip6Addr): string {
  const g: number[] = [];
  for (const w of a) g.push(w >>> 16, w & 0xffff);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number[]) => x.map((n) => n.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** IPv4 netmask for a prefix length 0..32 as an unsigned integer. */
export function ipv4PrefixMask(prefix: number): number {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffff;
  return (0xffffffff << (32 - prefix)) >>> 0;
}

/** IPv6 netmask words for a prefix length 0..128. */
export function ipv6PrefixMask(prefix: number): Ip6Addr {
  const w = (i: number) => ipv4PrefixMask(Math.max(0, Math.min(32, prefix - 32 * i)));
  return [w(0), w(1), w(2), w(3)];
}

/** True when two IPv6 addresses are equal. */
export function ip6Equal(a: Ip6Addr, b: Ip6Addr): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
