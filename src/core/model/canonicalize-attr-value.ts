/**
 * Table-driven reading of one protocol-element attribute value, reproducing
 * libvirt's `virNWFilterRuleDetailsParse` (data types tried in order,
 * attribute-specific validators) and its formatter (the canonical text).
 */

import {
  ARP_OPCODE_NAMES,
  DATA_TYPE_ORDER,
  IP_PROTOCOL_NAMES,
  MAC_PROTOCOL_NAMES,
  MAX_IPSET_NAME_LENGTH,
  STATE_FLAG_NAMES,
  TCP_FLAG_NAMES,
  VALID_IPSET_NAME_CHARS,
} from './attributes';
import type { AttributeSpec, DataType } from './attributes';
import {
  countNetmaskBits,
  formatIpv4,
  formatIpv6,
  formatMac,
  formatVarAccess,
  isContiguousMask,
  parseCUint,
  parseIpv4,
  parseIpv6,
  parseMac,
  parseVarAccess,
  truncateUtf8,
  utf8Length,
} from './libvirt-syntax';

/** Why a value was rejected; maps onto the diagnostic codes of the validator. */
export type ValueErrorKind = 'syntax' | 'range' | 'enum' | 'mask' | 'variable';

export type CanonicalValue =
  | {
      ok: true;
      /** libvirt's canonical text for the value. */
      value: string;
      /** true when the value is a variable reference. */
      variable: boolean;
      /** A note when libvirt silently altered the value (e.g. truncated a comment). */
      note?: string;
    }
  | { ok: false; kind: ValueErrorKind; message: string };

const ORDER = new Map<DataType, number>(DATA_TYPE_ORDER.map((t, i) => [t, i]));

type Parsed =
  | { t: 'num'; n: number; dt: DataType }
  | { t: 'bytes'; b: number[]; dt: DataType }
  | { t: 'mask'; bits: number }
  | { t: 'str'; s: string; dt: DataType }
  | { t: 'bool'; v: boolean };

type Attempt = Parsed | { fail: ValueErrorKind; message: string };

function isFail(a: Attempt): a is { fail: ValueErrorKind; message: string } {
  return 'fail' in a;
}

function tryDataType(dt: DataType, raw: string): Attempt {
  switch (dt) {
    case 'uint8':
    case 'uint8Hex':
    case 'uint16':
    case 'uint16Hex':
    case 'uint32':
    case 'uint32Hex': {
      const hex = dt.endsWith('Hex');
      const r = parseCUint(raw, hex ? 16 : 10);
      if (!r)
        return {
          fail: 'syntax',
          message: `'${raw}' is not a ${hex ? 'hexadecimal' : 'decimal'} number`,
        };
      const max = dt.startsWith('uint8') ? 0xff : dt.startsWith('uint16') ? 0xffff : 0xffffffff;
      if (r.value > max)
        return { fail: 'range', message: `${r.value} is out of range (0..${max})` };
      return { t: 'num', n: r.value, dt };
    }
    case 'ipv4Addr': {
      const b = parseIpv4(raw);
      return b
        ? { t: 'bytes', b, dt }
        : { fail: 'syntax', message: `'${raw}' is not an IPv4 address` };
    }
    case 'ipv6Addr': {
      // A zone (fe80::1%eth0) is accepted by getaddrinfo; libvirt prints the zone via
      // getnameinfo, which depends on the host's interfaces, so it is kept as written.
      const pct = raw.indexOf('%');
      const zone = pct === -1 ? '' : raw.slice(pct + 1);
      if (pct !== -1 && !/^[A-Za-z0-9_.-]+$/.test(zone))
        return { fail: 'syntax', message: `'${raw}' has an invalid zone after '%'` };
      const b = parseIpv6(pct === -1 ? raw : raw.slice(0, pct));
      if (!b) return { fail: 'syntax', message: `'${raw}' is not an IPv6 address` };
      return pct === -1 ? { t: 'bytes', b, dt } : { t: 'str', s: `${formatIpv6(b)}%${zone}`, dt };
    }
    case 'ipv4Mask':
    case 'ipv6Mask': {
      const v6 = dt === 'ipv6Mask';
      const limit = v6 ? 128 : 32;
      const r = parseCUint(raw, 10);
      if (r) {
        if (r.value > limit)
          return {
            fail: 'range',
            message: `prefix length ${r.value} is out of range (0..${limit})`,
          };
        return { t: 'mask', bits: r.value };
      }
      const b = v6 ? parseIpv6(raw) : parseIpv4(raw);
      if (!b)
        return {
          fail: 'syntax',
          message: `'${raw}' is neither a prefix length (0..${limit}) nor a netmask`,
        };
      const bits = countNetmaskBits(b);
      if (bits < 0)
        return {
          fail: 'mask',
          message: `netmask '${raw}' is not contiguous (ones followed by zeros)`,
        };
      return { t: 'mask', bits };
    }
    case 'macAddr':
    case 'macMask': {
      const b = parseMac(raw);
      if (!b)
        return {
          fail: 'syntax',
          message: `'${raw}' is not a MAC address (six hex pairs joined by ':')`,
        };
      if (dt === 'macMask' && !isContiguousMask(b)) {
        return {
          fail: 'mask',
          message: `MAC mask '${raw}' is not contiguous (ones followed by zeros)`,
        };
      }
      return { t: 'bytes', b, dt };
    }
    case 'string':
    case 'ipsetName':
    case 'ipsetFlags':
    case 'stringCopy':
      return { t: 'str', s: raw, dt };
    case 'boolean':
      return { t: 'bool', v: raw === 'true' || raw === '1' || raw === 'yes' };
  }
}

function lookupName(map: readonly (readonly [string, number])[], s: string): number | undefined {
  const lower = s.toLowerCase();
  return map.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function nameOf(map: readonly (readonly [string, number])[], n: number): string | undefined {
  return map.find(([, v]) => v === n)?.[0];
}

/** libvirt's parseStringItems: names (case-insensitive prefixes) separated by `sep` or spaces. */
function parseStringItems(
  map: readonly (readonly [string, number])[],
  input: string,
  sep: string,
): number | null {
  let flags = 0;
  let i = 0;
  while (i < input.length) {
    while (i < input.length && (/\s/.test(input[i] ?? '') || input[i] === sep)) i++;
    if (i >= input.length) break;
    const hit = map.find(([n]) => input.slice(i, i + n.length).toUpperCase() === n.toUpperCase());
    if (!hit) return null;
    flags |= hit[1];
    i += hit[0].length;
  }
  return flags;
}

/** libvirt's printStringItems. */
function printStringItems(
  map: readonly (readonly [string, number])[],
  flags: number,
  sep: string,
): string {
  const out: string[] = [];
  for (let mask = 1; mask <= 0x40000000 && flags; mask <<= 1) {
    if (flags & mask) {
      for (const [n, v] of map) if (v === mask) out.push(n);
      flags ^= mask;
    }
  }
  return out.join(sep);
}

function printTcpFlags(flags: number): string {
  if (flags === 0) return 'NONE';
  if (flags === 0x3f) return 'ALL';
  return printStringItems(TCP_FLAG_NAMES, flags, ',');
}

function formatNumber(n: number, dt: DataType): string {
  return dt.endsWith('Hex') ? `0x${n.toString(16)}` : String(n);
}

function formatDefault(p: Parsed): string {
  switch (p.t) {
    case 'num':
      return formatNumber(p.n, p.dt);
    case 'mask':
      return String(p.bits);
    case 'bytes':
      if (p.dt === 'ipv4Addr') return formatIpv4(p.b);
      if (p.dt === 'ipv6Addr') return formatIpv6(p.b);
      return formatMac(p.b);
    case 'bool':
      return p.v ? 'true' : 'false';
    case 'str':
      return p.s;
  }
}

const ok = (value: string, note?: string): CanonicalValue =>
  note ? { ok: true, value, variable: false, note } : { ok: true, value, variable: false };
const bad = (kind: ValueErrorKind, message: string): CanonicalValue => ({
  ok: false,
  kind,
  message,
});

/** Runs libvirt's attribute-specific validator and formatter over the parsed value. */
function applySpecial(spec: AttributeSpec, p: Parsed, raw: string): CanonicalValue {
  switch (spec.special) {
    case undefined:
      if (p.t === 'str' && p.dt === 'stringCopy') {
        const max = spec.maxLength ?? Infinity;
        if (utf8Length(p.s) > max) {
          return ok(truncateUtf8(p.s, max), `libvirt truncates ${spec.name} to ${max} bytes`);
        }
      }
      return ok(formatDefault(p));
    case 'macProtocolId':
    case 'vlanEncap': {
      const min = spec.special === 'macProtocolId' ? 0x600 : 0x3c;
      let n: number | undefined;
      let dt: DataType = 'uint16';
      if (p.t === 'str') n = lookupName(MAC_PROTOCOL_NAMES, p.s);
      else if (p.t === 'num') {
        dt = p.dt;
        n = p.n >= min ? p.n : undefined;
      }
      if (n === undefined) {
        return p.t === 'num'
          ? bad(
              'range',
              `${spec.name} must be at least 0x${min.toString(16)} (${min}) or one of ${MAC_PROTOCOL_NAMES.map(([x]) => x).join(', ')}`,
            )
          : bad(
              'enum',
              `'${raw}' is not a known ${spec.name}; use ${MAC_PROTOCOL_NAMES.map(([x]) => x).join(', ')} or a number >= 0x${min.toString(16)}`,
            );
      }
      return ok(nameOf(MAC_PROTOCOL_NAMES, n) ?? formatNumber(n, dt));
    }
    case 'vlanId':
      if (p.t !== 'num' || p.n > 4095)
        return bad('range', `vlanid ${p.t === 'num' ? p.n : raw} is out of range (0..4095)`);
      return ok(formatDefault(p));
    case 'arpOpcode': {
      let n: number | undefined;
      if (p.t === 'str') n = lookupName(ARP_OPCODE_NAMES, p.s);
      else if (p.t === 'num') n = p.n;
      if (n === undefined) {
        return bad(
          'enum',
          `'${raw}' is not an ARP opcode; use ${ARP_OPCODE_NAMES.map(([x]) => x).join(', ')} or a number (0..65535)`,
        );
      }
      return ok(nameOf(ARP_OPCODE_NAMES, n) ?? String(n));
    }
    case 'ipProtocol': {
      let n: number | undefined;
      let dt: DataType = 'uint8Hex';
      if (p.t === 'str') n = lookupName(IP_PROTOCOL_NAMES, p.s);
      else if (p.t === 'num') {
        n = p.n;
        dt = p.dt;
      }
      if (n === undefined) {
        return bad(
          'enum',
          `'${raw}' is not an IP protocol; use ${IP_PROTOCOL_NAMES.map(([x]) => x).join(', ')} or a number (0..255)`,
        );
      }
      return ok(nameOf(IP_PROTOCOL_NAMES, n) ?? formatNumber(n, dt));
    }
    case 'dscp':
      if (p.t !== 'num' || p.n > 63)
        return bad('range', `dscp ${p.t === 'num' ? p.n : raw} is out of range (0..63)`);
      return ok(formatDefault(p));
    case 'state': {
      if (p.t !== 'str') return bad('syntax', `invalid state '${raw}'`);
      let flags = parseStringItems(STATE_FLAG_NAMES, p.s, ',');
      if (flags === null) {
        return bad(
          'enum',
          `'${raw}' is not a list of connection states; use NEW, ESTABLISHED, RELATED, INVALID or NONE separated by commas`,
        );
      }
      if (flags & (1 << 5)) flags = 1 << 5;
      return ok(printStringItems(STATE_FLAG_NAMES, flags, ','));
    }
    case 'tcpFlags': {
      if (p.t !== 'str') return bad('syntax', `invalid flags '${raw}'`);
      const slash = p.s.indexOf('/');
      const mask = slash < 0 ? null : parseStringItems(TCP_FLAG_NAMES, p.s.slice(0, slash), ',');
      const set = slash < 0 ? null : parseStringItems(TCP_FLAG_NAMES, p.s.slice(slash + 1), ',');
      if (mask === null || set === null) {
        return bad(
          'enum',
          `'${raw}' is not MASK/SET TCP flags; each side is a comma list of FIN, SYN, RST, PSH, ACK, URG, ALL or NONE`,
        );
      }
      return ok(`${printTcpFlags(mask & 0x3f)}/${printTcpFlags(set & 0x3f)}`);
    }
    case 'ipsetName': {
      if (p.t !== 'str') return bad('syntax', `invalid ipset '${raw}'`);
      if (utf8Length(p.s) >= MAX_IPSET_NAME_LENGTH) {
        return bad(
          'range',
          `ipset name is too long (at most ${MAX_IPSET_NAME_LENGTH - 1} characters)`,
        );
      }
      for (const ch of p.s) {
        if (!VALID_IPSET_NAME_CHARS.includes(ch)) {
          return bad(
            'syntax',
            `ipset name contains the invalid character '${ch}'; allowed are letters, digits, space and _ . : - +`,
          );
        }
      }
      return ok(p.s);
    }
    case 'ipsetFlags': {
      if (p.t !== 'str') return bad('syntax', `invalid ipsetflags '${raw}'`);
      const out: string[] = [];
      let i = 0;
      const s = p.s;
      while (out.length < 6) {
        const word = s.slice(i, i + 3).toLowerCase();
        if (word !== 'src' && word !== 'dst')
          return bad(
            'enum',
            `malformed ipsetflags '${raw}'; use up to 6 of src/dst separated by commas`,
          );
        out.push(word);
        i += 3;
        if (s[i] !== ',') break;
        i++;
      }
      if (i !== s.length)
        return bad(
          'enum',
          `malformed ipsetflags '${raw}'; use up to 6 of src/dst separated by commas`,
        );
      return ok(out.join(','));
    }
  }
}

const ORDERED_TYPES = new WeakMap<AttributeSpec, readonly DataType[]>();

/** The attribute's data types in the order libvirt tries them, sorted once per spec. */
function orderedDataTypes(spec: AttributeSpec): readonly DataType[] {
  let types = ORDERED_TYPES.get(spec);
  if (!types) {
    types = [...spec.dataTypes].sort((a, b) => (ORDER.get(a) ?? 0) - (ORDER.get(b) ?? 0));
    ORDERED_TYPES.set(spec, types);
  }
  return types;
}

/**
 * Reads one attribute value as libvirt does and returns its canonical text
 * (what libvirt's formatter would write back), or why libvirt rejects it.
 */
export function canonicalizeAttrValue(spec: AttributeSpec, raw: string): CanonicalValue {
  // Parsing canonicalizes every value and validation does it again on the result, which is
  // nearly always the same text: remember recent answers per attribute (results are immutable).
  let memo = MEMO.get(spec);
  if (!memo) {
    memo = new Map();
    MEMO.set(spec, memo);
  }
  const known = memo.get(raw);
  if (known) return known;
  const result = computeCanonicalValue(spec, raw);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(raw, result);
  return result;
}

const MEMO = new WeakMap<AttributeSpec, Map<string, CanonicalValue>>();
/** Entries kept per attribute before the memo starts over (bounds memory on huge documents). */
const MEMO_LIMIT = 4096;

function computeCanonicalValue(spec: AttributeSpec, raw: string): CanonicalValue {
  if (raw.startsWith('$')) {
    const v = parseVarAccess(raw.slice(1));
    if ('error' in v)
      return bad('variable', `${v.error} in '${raw}' (use $NAME, $NAME[@n] or $NAME[n])`);
    return { ok: true, value: `$${formatVarAccess(v)}`, variable: true };
  }
  const types = orderedDataTypes(spec);
  let last: { fail: ValueErrorKind; message: string } = {
    fail: 'syntax',
    message: `'${raw}' is not valid`,
  };
  for (const dt of types) {
    const attempt = tryDataType(dt, raw);
    if (isFail(attempt)) {
      // libvirt keeps trying the remaining data types; the most specific complaint wins.
      if (last.fail === 'syntax') last = attempt;
      continue;
    }
    const r = applySpecial(spec, attempt, raw);
    // '65536' for a number-or-name attribute: the number being out of range is the real problem.
    if (!r.ok && r.kind === 'enum' && attempt.t === 'str' && last.fail === 'range')
      return bad('range', last.message);
    return r;
  }
  return bad(last.fail, last.message);
}
