/**
 * Low-level value syntax exactly as libvirt (and the C library it calls)
 * reads and writes it: numbers (`virStrToLong_ui` over `g_ascii_strtoull`),
 * IPv4 (`inet_aton`-style, as glibc's numeric getaddrinfo), IPv6
 * (`inet_pton`/`inet_ntop`), MAC addresses (`virMacAddrParse`), UUIDs
 * (`virUUIDParse`) and variable references (`virNWFilterVarAccessParse`).
 */

import { MAX_ITERATOR_ID, VALID_VAR_NAME_CHARS } from './attributes';

const UINT_MAX = 0xffffffffn;
const ULLONG_MAX = 0xffffffffffffffffn;
const TWO64 = 0x10000000000000000n;

function isAsciiSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

function digitValue(ch: string | undefined): number {
  if (ch === undefined) return 99;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

export function isHexDigit(ch: string | undefined): boolean {
  return digitValue(ch) < 16;
}

interface StrtoullResult {
  value: bigint;
  /** Index just after the parsed number; equals `start` when nothing was converted. */
  end: number;
  overflow: boolean;
  negative: boolean;
}

/** `g_ascii_strtoull`: skips ASCII space, accepts a sign and, for base 16, a `0x` prefix. */
function strtoull(s: string, start: number, base: 10 | 16): StrtoullResult {
  let i = start;
  while (isAsciiSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if (base === 16 && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && isHexDigit(s[i + 2]))
    i += 2;
  const digitsStart = i;
  let value = 0n;
  let overflow = false;
  const b = BigInt(base);
  while (digitValue(s[i]) < base) {
    value = value * b + BigInt(digitValue(s[i]));
    if (value > ULLONG_MAX) overflow = true;
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: start, overflow: false, negative: false };
  if (overflow) value = ULLONG_MAX;
  else if (negative) value = (TWO64 - value) % TWO64;
  return { value, end: i, overflow, negative };
}

/**
 * libvirt's `virStrToLong_ui`: an unsigned int, where "-1" wraps to UINT_MAX.
 * With `full`, trailing characters are an error (libvirt's NULL end pointer).
 * Returns null on error, else the value and the end index.
 */
export function parseCUint(
  s: string,
  base: 10 | 16,
  full = true,
  start = 0,
): { value: number; end: number } | null {
  const r = strtoull(s, start, base);
  if (r.end === start) return null;
  let val = r.value;
  let err = r.overflow;
  if (r.negative) {
    const neg = (TWO64 - val) % TWO64;
    if (neg > UINT_MAX) err = true;
    else val &= UINT_MAX;
  }
  if (full && r.end !== s.length) err = true;
  if (val > UINT_MAX) err = true;
  return err ? null : { value: Number(val), end: r.end };
}

/** libvirt's `virStrToLong_i(s, NULL, 10)`: a full-string C int, or null. */
export function parseCInt(s: string): number | null {
  let i = 0;
  while (isAsciiSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const start = i;
  let value = 0n;
  while (digitValue(s[i]) < 10) {
    value = value * 10n + BigInt(digitValue(s[i]));
    if (value > 0x7fffffffffffffffn + 1n) return null;
    i++;
  }
  if (i === start || i !== s.length) return null;
  const v = negative ? -value : value;
  if (v < -0x80000000n || v > 0x7fffffffn) return null;
  return Number(v);
}

// ---------------------------------------------------------------------------
// IPv4

/** glibc `inet_aton_exact`: 1 to 4 parts in decimal, octal (0…) or hex (0x…). Returns 4 bytes or null. */
export function parseIpv4(s: string): number[] | null {
  const parts: number[] = [];
  let i = 0;
  let val: number;
  let digit: boolean;
  for (;;) {
    if (digitValue(s[i]) >= 10) return null;
    let base = 10;
    val = 0;
    digit = false;
    if (s[i] === '0') {
      i++;
      if (s[i] === 'x' || s[i] === 'X') {
        base = 16;
        i++;
      } else {
        base = 8;
        digit = true;
      }
    }
    for (;;) {
      const d = digitValue(s[i]);
      if (d < 10) {
        if (base === 8 && d > 7) return null;
      } else if (!(base === 16 && d < 16)) break;
      val = val * base + d;
      if (val > 0xffffffff) return null;
      digit = true;
      i++;
    }
    if (s[i] === '.') {
      if (parts.length > 2 || val > 0xff) return null;
      parts.push(val);
      i++;
    } else break;
  }
  if (i !== s.length || !digit) return null;
  const n = parts.length + 1;
  const limits = [0xffffffff, 0xffffff, 0xffff, 0xff];
  if (val > (limits[n - 1] ?? 0)) return null;
  let addr = val;
  parts.forEach((part, k) => {
    addr += part * 2 ** (8 * (3 - k));
  });
  return [(addr >>> 24) & 0xff, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff];
}

export function formatIpv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

// ---------------------------------------------------------------------------
// IPv6

/** glibc `inet_pton4` (strict dotted quad, no leading zeros), used inside IPv6. */
function parseDottedQuadStrict(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const v = Number(p);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

/** glibc `inet_pton(AF_INET6)`. Returns 16 bytes or null. */
export function parseIpv6(s: string): number[] | null {
  const words: number[] = [];
  let colonp = -1;
  let i = 0;
  if (s[0] === ':') {
    if (s[1] !== ':') return null;
    i = 1;
  }
  let curtok = i;
  let sawXdigit = false;
  let val = 0;
  let ndigits = 0;
  while (i < s.length) {
    const ch = s[i++];
    if (isHexDigit(ch)) {
      if (ndigits === 4) return null;
      val = (val << 4) | digitValue(ch);
      ndigits++;
      sawXdigit = true;
      continue;
    }
    if (ch === ':') {
      curtok = i;
      if (!sawXdigit) {
        if (colonp !== -1) return null;
        colonp = words.length;
        continue;
      }
      if (i >= s.length) return null;
      if (words.length >= 8) return null;
      words.push(val);
      sawXdigit = false;
      val = 0;
      ndigits = 0;
      continue;
    }
    if (ch === '.' && words.length <= 6) {
      const q = parseDottedQuadStrict(s.slice(curtok));
      if (!q) return null;
      words.push(((q[0] ?? 0) << 8) | (q[1] ?? 0), ((q[2] ?? 0) << 8) | (q[3] ?? 0));
      sawXdigit = false;
      break;
    }
    return null;
  }
  if (sawXdigit) {
    if (words.length >= 8) return null;
    words.push(val);
  }
  if (colonp !== -1) {
    if (words.length === 8) return null;
    const fill = new Array<number>(8 - words.length).fill(0);
    words.splice(colonp, 0, ...fill);
  }
  if (words.length !== 8) return null;
  const bytes: number[] = [];
  for (const w of words) bytes.push((w >> 8) & 0xff, w & 0xff);
  return bytes;
}

/** glibc `inet_ntop(AF_INET6)`: the text libvirt prints for an IPv6 address. */
export function formatIpv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let k = 0; k < 8; k++) words.push(((bytes[2 * k] ?? 0) << 8) | (bytes[2 * k + 1] ?? 0));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if ((words[k] ?? 0) === 0) {
      if (curBase === -1) {
        curBase = k;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (bestBase !== -1 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) out += ':';
      continue;
    }
    if (k !== 0) out += ':';
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIpv4(bytes.slice(12, 16));
      return out;
    }
    out += (words[k] ?? 0).toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** libvirt's `virSocketAddrGetNumNetmaskBits`: prefix length of a contiguous mask, or -1. */
export function countNetmaskBits(bytes: readonly number[]): number {
  let bits = 0;
  let k = 0;
  for (; k < bytes.length && bytes[k] === 0xff; k++) bits += 8;
  if (k === bytes.length) return bits;
  let b = bytes[k] ?? 0;
  let ones = 0;
  while (b & 0x80) {
    ones++;
    b = (b << 1) & 0xff;
  }
  if (b !== 0) return -1;
  bits += ones;
  for (k++; k < bytes.length; k++) if (bytes[k] !== 0) return -1;
  return bits;
}

/** libvirt's checkValidMask: ones followed by zeros. */
export function isContiguousMask(bytes: readonly number[]): boolean {
  return countNetmaskBits(bytes) >= 0;
}

// ---------------------------------------------------------------------------
// MAC

/** libvirt's `virMacAddrParse`: six groups of 1-2 hex digits joined by ':'; anything after a space is ignored. */
export function parseMac(s: string): number[] | null {
  const out: number[] = [];
  let i = 0;
  for (let g = 0; g < 6; g++) {
    if (!isHexDigit(s[i])) return null;
    let len = 0;
    let v = 0;
    while (isHexDigit(s[i])) {
      v = v * 16 + digitValue(s[i]);
      i++;
      len++;
      if (len > 2) return null;
    }
    out.push(v);
    if (g === 5) {
      const next = s.charCodeAt(i);
      return Number.isNaN(next) || next <= 0x20 ? out : null;
    }
    if (s[i] !== ':') return null;
    i++;
  }
  return null;
}

export function formatMac(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------------------
// UUID

/** libvirt's `virUUIDParse` + `virUUIDFormat`: the canonical lowercase form, or null. */
export function canonicalizeUuid(s: string): string | null {
  let i = 0;
  while (isAsciiSpace(s[i])) i++;
  let hex = '';
  while (hex.length < 32) {
    const ch = s[i];
    if (ch === undefined) return null;
    if (ch === '-' || ch === ' ') {
      i++;
      continue;
    }
    if (!isHexDigit(ch) || !isHexDigit(s[i + 1])) return null;
    hex += (ch + s[i + 1]).toLowerCase();
    i += 2;
  }
  for (; i < s.length; i++) if (!isAsciiSpace(s[i])) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------
// variables

/** A parsed variable reference. */
export interface VarAccess {
  name: string;
  /** `iterator` for `$X` / `$X[@n]`, `element` for `$X[n]`. */
  kind: 'iterator' | 'element';
  index: number;
}

/**
 * libvirt's `virNWFilterVarAccessParse` over the text after `$`.
 * Returns the access or an error message.
 */
export function parseVarAccess(s: string): VarAccess | { error: string } {
  let idx = 0;
  while (idx < s.length && VALID_VAR_NAME_CHARS.includes(s[idx] ?? '')) idx++;
  const name = s.slice(0, idx);
  if (idx === s.length) return { name, kind: 'iterator', index: 0 };
  if (s[idx] !== '[') return { error: 'malformed variable reference' };
  let i = idx + 1;
  while (isAsciiSpace(s[i])) i++;
  let kind: VarAccess['kind'] = 'element';
  if (s[i] === '@') {
    kind = 'iterator';
    i++;
  }
  const num = parseCUint(s, 10, false, i);
  let ok = num !== null;
  if (num) {
    i = num.end;
    while (isAsciiSpace(s[i])) i++;
    if (s[i] !== ']') ok = false;
  }
  if (!ok || !num)
    return { error: kind === 'element' ? 'malformed array index' : 'malformed iterator id' };
  if (kind === 'iterator' && num.value > MAX_ITERATOR_ID) {
    return { error: `iterator id exceeds the maximum of ${MAX_ITERATOR_ID}` };
  }
  return { name, kind, index: num.value };
}

/** libvirt's `virNWFilterVarAccessPrint`, without the leading `$`. */
export function formatVarAccess(v: VarAccess): string {
  if (v.kind === 'element') return `${v.name}[${v.index}]`;
  return v.index !== 0 ? `${v.name}[@${v.index}]` : v.name;
}

/** UTF-8 byte length of a string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Truncates to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  let n = 0;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n + len > maxBytes) break;
    n += len;
    out += ch;
  }
  return out;
}
