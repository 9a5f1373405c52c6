/**
 * The FTP conntrack helper after net/netfilter/nf_conntrack_ftp.c: in packets
 * of a helped control connection it finds PORT/EPRT (client → server) and
 * 227/229 replies (server → client) at the start of a line and returns the
 * expectation they announce. Only lines starting right after a newline the
 * helper has seen are parsed, as the kernel does (so the first line in each
 * direction is never parsed).
 */
import type { TcpSegment } from '../packet/packet';
import { parseIpv6 } from '../packet/addr';
import type { Conn, FtpHelperData } from './types';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY } from './types';
import type { Tuple } from './tuple';

/** What the helper decided for one packet. */
export interface FtpHelpResult {
  /** drop: a command matched partially (the kernel drops such packets to keep tracking accurate). */
  verdict: 'accept' | 'drop';
  /** The expected data connection, when a command announced one. */
  expect: { tuple: Tuple; command: string } | null;
  note: string | null;
}

interface Search {
  pattern: string;
  skip: string;
  term: string;
  /** Parses the payload from byte `start` on (the text after the command and its skip character). */
  parse: (payload: Uint8Array, start: number, cmdFamily: 4 | 6, term: string) => Parsed | null;
}

interface Parsed {
  /** IPv4 address as number, IPv6 as words, or null when the command gives none (EPSV). */
  addr: number | readonly number[] | null;
  port: number;
}

/**
 * PORT/227: "h1,h2,h3,h4,p1,p2" (try_rfc959) read straight from the payload
 * bytes; the terminator (`term`, or any character when '') must follow the
 * sixth number.
 */
function parseRfc959(b: Uint8Array, start: number, _fam: 4 | 6, term: string): Parsed | null {
  const nums = [0, 0, 0, 0, 0, 0];
  const termCode = term === '' ? -1 : term.charCodeAt(0);
  let i = 0;
  for (let len = start; len < b.length && i < 6; len++) {
    const ch = b[len] as number;
    if (ch >= 48 && ch <= 57) nums[i] = (nums[i] as number) * 10 + (ch - 48);
    else if (ch === 44) i++;
    else {
      if ((ch === termCode || termCode === -1) && i === 5) return toParsed(nums);
      return null;
    }
  }
  return null;
}

function toParsed(n: number[]): Parsed {
  const [a, b, c, d, p1, p2] = n as [number, number, number, number, number, number];
  return {
    addr: (((a & 255) << 24) | ((b & 255) << 16) | ((c & 255) << 8) | (d & 255)) >>> 0,
    port: ((p1 << 8) | p2) & 0xffff,
  };
}

/** 227 replies: scan to the first digit, then rfc959 without a terminator (try_rfc1123). */
function parseRfc1123(b: Uint8Array, start: number, fam: 4 | 6): Parsed | null {
  let i = start;
  while (i < b.length && !((b[i] as number) >= 48 && (b[i] as number) <= 57)) i++;
  if (i === b.length) return null;
  return parseRfc959(b, i, fam, '');
}

/** Port digits up to the delimiter; 0 or a stray char fails (get_port). */
function parsePort(data: string, start: number, delim: string): number | null {
  let port = 0;
  for (let i = start; i < data.length; i++) {
    const ch = data[i] as string;
    if (ch === delim) return port === 0 ? null : port;
    if (ch >= '0' && ch <= '9') port = (port * 10 + ch.charCodeAt(0) - 48) & 0xffff;
    else return null;
  }
  return null;
}

function validDelim(d: string | undefined): d is string {
  if (d === undefined) return false;
  const c = d.charCodeAt(0);
  return !(d >= '0' && d <= '9') && c >= 33 && c <= 126;
}

/** EPRT |1|a.b.c.d|port| or |2|v6addr|port| (try_eprt); the protocol must match the connection's family. */
function parseEprt(data: string, fam: 4 | 6): Parsed | null {
  if (data.length <= 3) return null;
  const delim = data[0];
  if (!validDelim(delim) || data[2] !== delim) return null;
  if ((fam === 4 && data[1] !== '1') || (fam === 6 && data[1] !== '2')) return null;
  const rest = data.slice(3);
  const close = rest.indexOf(delim);
  if (close <= 0) return null;
  const addrText = rest.slice(0, close);
  let addr: number | readonly number[];
  if (fam === 4) {
    const parts = addrText.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p))) return null;
    addr = toParsed([...parts.map(Number), 0, 0]).addr as number;
  } else {
    const a = parseIpv6(addrText);
    if (!a) return null;
    addr = a;
  }
  const port = parsePort(data, 3 + close + 1, delim);
  return port === null ? null : { addr, port };
}

/** 229 (|||port|): only the port (try_epsv_response). */
function parseEpsv(data: string): Parsed | null {
  if (data.length <= 3) return null;
  const delim = data[0];
  if (!validDelim(delim) || data[1] !== delim || data[2] !== delim) return null;
  const port = parsePort(data, 3, delim);
  return port === null ? null : { addr: null, port };
}

const SEARCH: readonly (readonly Search[])[] = [
  [
    { pattern: 'PORT', skip: ' ', term: '\r', parse: parseRfc959 },
    {
      pattern: 'EPRT',
      skip: ' ',
      term: '\r',
      parse: (b, start, fam) => parseEprt(latin1(b, start), fam),
    },
  ],
  [
    { pattern: '227 ', skip: '', term: '', parse: parseRfc1123 },
    { pattern: '229 ', skip: '(', term: ')', parse: (b, start) => parseEpsv(latin1(b, start)) },
  ],
];

type FindResult = { found: 1; parsed: Parsed } | { found: 0 | -1 };
const NOT_FOUND: FindResult = Object.freeze({ found: 0 as const });
const PARTIAL: FindResult = Object.freeze({ found: -1 as const });

/** ASCII upper case of a byte (the patterns are upper case ASCII; latin-1 letters never fold to ASCII). */
const upperAscii = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);

/**
 * find_pattern over the payload bytes: 1 match, 0 no match, -1 partial
 * (which makes the kernel drop the packet). The case-insensitive compare
 * needs no decoding; only the text after a matched command is decoded.
 */
function findPattern(b: Uint8Array, s: Search, fam: 4 | 6): FindResult {
  const plen = s.pattern.length;
  const n = b.length < plen ? b.length : plen;
  for (let i = 0; i < n; i++)
    if (upperAscii(b[i] as number) !== s.pattern.charCodeAt(i)) return NOT_FOUND;
  if (b.length <= plen) return PARTIAL;
  let i = plen;
  if (s.skip) {
    const skip = s.skip.charCodeAt(0);
    while (b[i] !== skip) {
      if (i === b.length - 1) return PARTIAL;
      i++;
    }
    i++;
  }
  const parsed = s.parse(b, i, fam, s.term);
  return parsed ? { found: 1, parsed } : PARTIAL;
}

/** The payload from byte `start` on as latin-1 text (only EPRT and 229 lines are parsed as text). */
function latin1(b: Uint8Array, start: number): string {
  let s = '';
  for (let i = start; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

const before = (a: number, b: number) => ((a - b) | 0) < 0;
const after = (a: number, b: number) => before(b, a);

/** Remembers the sequence number after a newline (update_nl_seq keeps the two newest). */
function updateNlSeq(data: FtpHelperData, dir: 0 | 1, seq: number): void {
  const list = data.seqAftNl[dir];
  if (list.includes(seq)) return;
  if (list.length < 2) {
    list.push(seq);
    return;
  }
  const oldest = before(list[0] as number, list[1] as number) ? 0 : 1;
  if (after(seq, list[oldest] as number)) list[oldest] = seq;
}

/**
 * Runs the FTP helper on one packet of a helped connection (called where the
 * kernel calls helpers: when the packet leaves, before confirmation).
 */
export function ftpHelp(conn: Conn, ctinfo: number, seg: TcpSegment): FtpHelpResult {
  // Until there has been traffic both ways, the helper does not look.
  if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return HELP_NONE;
  const payload = seg.payload;
  const len = payload.length;
  if (len === 0) return HELP_NONE;
  const dir: 0 | 1 = ctinfo === IP_CT_ESTABLISHED ? 0 : 1;
  const data = (conn.ftp ??= { seqAftNl: [[], []] });
  const r = helpLine(conn, data, dir, payload, seg.seq);
  // A packet that is not dropped and ends a line marks where the next line starts.
  if (r.verdict !== 'drop' && payload[len - 1] === 10)
    updateNlSeq(data, dir, (seg.seq + len) >>> 0);
  return r;
}

/** The common results, shared (callers only read them). */
const HELP_NONE: FtpHelpResult = Object.freeze({
  verdict: 'accept' as const,
  expect: null,
  note: null,
});
const HELP_NOT_LINE_START: FtpHelpResult = Object.freeze({
  verdict: 'accept' as const,
  expect: null,
  note: 'not at a line start the helper has seen',
});

/** The helper's decision for a payload starting at `seq` (help_ftp after the newline bookkeeping). */
function helpLine(
  conn: Conn,
  data: FtpHelperData,
  dir: 0 | 1,
  payload: Uint8Array,
  seq: number,
): FtpHelpResult {
  // Only a line start the helper has seen is parsed: check that before looking at the payload.
  if (!data.seqAftNl[dir].includes(seq)) return HELP_NOT_LINE_START;

  const fam = conn.family;
  let hit: { s: Search; parsed: Parsed } | null = null;
  for (const s of SEARCH[dir] as Search[]) {
    const r = findPattern(payload, s, fam);
    if (r.found === -1)
      return { verdict: 'drop', expect: null, note: `partial matching of \`${s.pattern}'` };
    if (r.found === 1) {
      hit = { s, parsed: r.parsed };
      break;
    }
  }
  if (!hit) return HELP_NONE;

  const tuples = conn.tuple;
  const here = tuples[dir];
  const other = tuples[dir ^ 1] as Tuple;
  const { addr, port } = hit.parsed;
  if (addr !== null) {
    const same =
      typeof addr === 'number'
        ? fam === 4 && addr === here.s0
        : fam === 6 &&
          addr[0] === here.s0 &&
          addr[1] === here.s1 &&
          addr[2] === here.s2 &&
          addr[3] === here.s3;
    // The announced address must be the sender's own (the helper's loose=0 default).
    if (!same)
      return {
        verdict: 'accept',
        expect: null,
        note: `${hit.s.pattern.trim()} announces another address: not expected`,
      };
  }
  // The data connection comes from the peer of the announcing side, to the announced port.
  const tuple: Tuple = {
    family: other.family,
    proto: 6,
    s0: other.s0,
    s1: other.s1,
    s2: other.s2,
    s3: other.s3,
    d0: other.d0,
    d1: other.d1,
    d2: other.d2,
    d3: other.d3,
    sport: 0,
    dport: port,
  };
  return { verdict: 'accept', expect: { tuple, command: hit.s.pattern.trim() }, note: null };
}
