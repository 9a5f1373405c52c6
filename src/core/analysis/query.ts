/**
 * "Can X reach Y?" as a region: a query given as text (addresses with prefixes or ranges, port
 * ranges, protocol, conntrack state) parsed into a cube of the header space.
 */
import { ipProtocolNumber } from '../model/names';
import { parseIpv4, parseIpv6 } from '../packet/addr';
import type { IntervalSet } from './interval-set';
import { prefixSet, rangeSet } from './interval-set';
import { ip6ToBigint } from './match-region';
import type { Cube, DimName } from './space';
import {
  CT_ESTABLISHED,
  CT_RELATED,
  DIM,
  ETH_IPV4,
  ETH_IPV6,
  cubeOf,
  intersectCubes,
} from './space';
import type { AnalysisPath, RulesetAnalysis } from './analyse-ruleset';
import { firstPacketCube } from './allowed';
import { queryReach } from './diff';
import type { ReachAnswer } from './diff';

/** A query as the CLI and the custom-packet form take it; every field optional. */
export interface ReachQuery {
  family?: 'ipv4' | 'ipv6';
  /** `10.0.0.5`, `10.0.0.0/24`, `10.0.0.1-10.0.0.9` (IPv6 alike). */
  source?: string;
  destination?: string;
  /** A name (`tcp`, `udp`, `icmp`, …) or a number. */
  protocol?: string;
  /** `22`, `1024-65535`. */
  sourcePort?: string;
  destinationPort?: string;
  /** ICMP type (`8`) or range. */
  icmpType?: string;
  /** NEW (default), ESTABLISHED or RELATED. */
  state?: 'NEW' | 'ESTABLISHED' | 'RELATED';
}

function addrRange(text: string): { v6: boolean; set: IntervalSet } | string {
  const t = text.trim();
  const dash = t.indexOf('-');
  const slash = t.indexOf('/');
  const one = (s: string): { v6: boolean; v: bigint } | null => {
    const a = parseIpv4(s);
    if (a !== null) return { v6: false, v: BigInt(a) };
    const b = parseIpv6(s);
    return b ? { v6: true, v: ip6ToBigint(b) } : null;
  };
  if (dash > 0) {
    const lo = one(t.slice(0, dash));
    const hi = one(t.slice(dash + 1));
    if (!lo || !hi || lo.v6 !== hi.v6 || lo.v > hi.v) return `'${text}' is not an address range`;
    return { v6: lo.v6, set: rangeSet(lo.v, hi.v) };
  }
  const a = one(slash > 0 ? t.slice(0, slash) : t);
  if (!a) return `'${text}' is not an IPv4 or IPv6 address`;
  const bits = a.v6 ? 128 : 32;
  const len = slash > 0 ? Number(t.slice(slash + 1)) : bits;
  if (!Number.isInteger(len) || len < 0 || len > bits) return `'${text}' has a bad prefix length`;
  return { v6: a.v6, set: prefixSet(a.v, len, bits) };
}

function numRange(text: string, max: number, what: string): IntervalSet | string {
  const m = /^\s*(\d+)\s*(?:[-:]\s*(\d+)\s*)?$/.exec(text);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo > hi || hi > max) return `'${text}' is not a ${what} (0-${max}, or LO-HI)`;
  return rangeSet(BigInt(lo), BigInt(hi));
}

/**
 * The cube of a query, or the text of what is wrong with it. A port or ICMP type implies the
 * packet's first fragment; a new TCP connection's first packet is a SYN.
 */
export function reachQueryCube(q: ReachQuery): Cube | string {
  const c: Partial<Record<DimName, IntervalSet>> = {};
  let v6: boolean | null = q.family === undefined ? null : q.family === 'ipv6';
  for (const [field, dims] of [
    [q.source, ['src4', 'src6']],
    [q.destination, ['dst4', 'dst6']],
  ] as const) {
    if (field === undefined || field === '' || field === 'any') continue;
    const r = addrRange(field);
    if (typeof r === 'string') return r;
    if (v6 !== null && v6 !== r.v6) return `'${field}' is not an ${v6 ? 'IPv6' : 'IPv4'} address`;
    v6 = r.v6;
    c[dims[r.v6 ? 1 : 0]] = r.set;
  }
  c.eth = v6 ? [ETH_IPV6, ETH_IPV6] : [ETH_IPV4, ETH_IPV4];
  let proto: number | null = null;
  if (q.protocol !== undefined && q.protocol !== '' && q.protocol !== 'any') {
    const p = ipProtocolNumber(q.protocol) ?? Number(q.protocol);
    if (!Number.isInteger(p) || p < 0 || p > 255) return `unknown protocol '${q.protocol}'`;
    proto = p;
    c.proto = [BigInt(p), BigInt(p)];
  }
  const ports: [string | undefined, 'sport' | 'dport'][] = [
    [q.sourcePort, 'sport'],
    [q.destinationPort, 'dport'],
  ];
  for (const [text, dim] of ports) {
    if (text === undefined || text === '' || text === 'any') continue;
    if (proto === null || ![6, 17, 132, 136].includes(proto))
      return 'ports need --proto tcp, udp, udplite or sctp';
    const r = numRange(text, 65535, 'port');
    if (typeof r === 'string') return r;
    c[dim] = r;
    c.frag = [0n, 0n];
  }
  if (q.icmpType !== undefined && q.icmpType !== '' && q.icmpType !== 'any') {
    if (proto !== 1 && proto !== 58) return 'an ICMP type needs --proto icmp or icmpv6';
    const r = numRange(q.icmpType, 255, 'ICMP type');
    if (typeof r === 'string') return r;
    c.icmpType = r;
    c.frag = [0n, 0n];
  }
  const state = q.state ?? 'NEW';
  if (state === 'NEW') {
    // The first packet: NEW, or no entry where conntrack does not track the family; the caller
    // narrows it with the analysis' tracking (see reachQuery).
    if (proto === 6) c.tcpFlags = [2n, 2n];
  } else
    c.ctState =
      state === 'ESTABLISHED' ? [CT_ESTABLISHED, CT_ESTABLISHED] : [CT_RELATED, CT_RELATED];
  return cubeOf(c);
}

/** Answers a query against one path of an analysis, or says what is wrong with the query. */
export function reachQuery(
  analysis: RulesetAnalysis,
  path: AnalysisPath,
  q: ReachQuery,
): ReachAnswer | string {
  const cube = reachQueryCube(q);
  if (typeof cube === 'string') return cube;
  if ((q.state ?? 'NEW') !== 'NEW') return queryReach(analysis, path, cube);
  const v6 = cube[DIM.eth]?.[0] === ETH_IPV6;
  const first = intersectCubes(
    cube,
    firstPacketCube(v6 ? analysis.tracking.ipv6 : analysis.tracking.ipv4),
  );
  return queryReach(analysis, path, first ?? cube);
}
