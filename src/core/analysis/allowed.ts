/**
 * What a filter lets through, per path, as compact rows: the new connections (the first packet
 * of a connection, accepted), what passes only as part of an ESTABLISHED or RELATED connection,
 * and the layer-2 traffic (everything that is not IPv4/IPv6: ARP, RARP, other EtherTypes,
 * VLAN-tagged and STP frames).
 */
import type { RuleRef } from '../netfilter/bridge-host';
import type { AnalysisPath, RulesetAnalysis } from './analyse-ruleset';
import { ANALYSIS_PATHS } from './analyse-ruleset';
import { describeDim, mergeCubes } from './describe-region';
import type { RuleSetCube } from './describe-region';
import { setOf } from './interval-set';
import type { Cube } from './space';
import {
  CT_ESTABLISHED,
  CT_NEW,
  CT_NONE,
  CT_RELATED,
  DIM,
  DIM_NAMES,
  DIR_ORIGINAL,
  ETH_IPV4,
  ETH_IPV6,
  cubeOf,
  freeDim,
  intersectCubes,
  subtractCube,
  subtractRegion,
} from './space';

/** One row of IP traffic: a cube of the space in words. */
export interface AllowedIpRow {
  family: 'ipv4' | 'ipv6';
  protocol: string[];
  source: string[];
  sourcePorts: string[];
  destination: string[];
  destinationPorts: string[];
  /** ICMP / ICMPv6 types and codes (`any` when not restricted). */
  icmpTypes: string[];
  icmpCodes: string[];
  /** Any other field the row is restricted on (MAC addresses, TOS, TCP flags, connlimit count …). */
  other: Record<string, string[]>;
  /** The XML rules that accept it. */
  rules: RuleRef[];
}

/** One row of layer-2 traffic. */
export interface AllowedL2Row {
  etherTypes: string[];
  sourceMac: string[];
  destinationMac: string[];
  other: Record<string, string[]>;
  rules: RuleRef[];
}

export interface AllowedPathReport {
  path: AnalysisPath;
  newConnections: AllowedIpRow[];
  establishedOnly: AllowedIpRow[];
  layer2: AllowedL2Row[];
}

export interface AllowedReport {
  paths: AllowedPathReport[];
  tracking: { ipv4: boolean; ipv6: boolean };
  /** Rules the analysis could not model: their regions are reported as errors, not allowed. */
  unsupported: { rule: RuleRef | null; why: string }[];
}

const ruleKey = (r: RuleRef) => `${r.filter}#${r.index}`;
const pt = (v: bigint) => [v, v] as [bigint, bigint];

/** The conntrack view of a connection's first packet in a family tracked or not. */
export function firstPacketCube(tracked: boolean): Cube {
  return tracked
    ? cubeOf({ ctState: [CT_NEW, CT_NEW], ctDir: [DIR_ORIGINAL, DIR_ORIGINAL] })
    : cubeOf({ ctState: [CT_NONE, CT_NONE] });
}

const IP_DIMS = new Set<number>([
  DIM.eth,
  DIM.proto,
  DIM.src4,
  DIM.dst4,
  DIM.src6,
  DIM.dst6,
  DIM.sport,
  DIM.dport,
  DIM.icmpType,
  DIM.icmpCode,
  DIM.ctState,
  DIM.ctDir,
]);
const L2_DIMS = new Set<number>([DIM.eth, DIM.macSrc, DIM.macDst, DIM.ctState, DIM.ctDir]);

function otherOf(c: Cube, shown: Set<number>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let d = 0; d < c.length; d++) {
    if (shown.has(d) || c[d] === null) continue;
    out[DIM_NAMES[d] as string] = describeDim(d, c[d] ?? null);
  }
  return out;
}

function sortRules(rules: RuleRef[]): RuleRef[] {
  return rules.slice().sort((a, b) => a.filter.localeCompare(b.filter) || a.index - b.index);
}

/** IP rows of one family from accepted cubes (ct dimensions already free). */
export function ipRows(items: RuleSetCube<RuleRef>[], family: 'ipv4' | 'ipv6'): AllowedIpRow[] {
  const v6 = family === 'ipv6';
  return mergeCubes(items, ruleKey).map(({ cube: c, rules }) => ({
    family,
    protocol: describeDim(DIM.proto, c[DIM.proto] ?? null),
    source: describeDim(v6 ? DIM.src6 : DIM.src4, c[v6 ? DIM.src6 : DIM.src4] ?? null),
    sourcePorts: describeDim(DIM.sport, c[DIM.sport] ?? null),
    destination: describeDim(v6 ? DIM.dst6 : DIM.dst4, c[v6 ? DIM.dst6 : DIM.dst4] ?? null),
    destinationPorts: describeDim(DIM.dport, c[DIM.dport] ?? null),
    icmpTypes: describeDim(DIM.icmpType, c[DIM.icmpType] ?? null),
    icmpCodes: describeDim(DIM.icmpCode, c[DIM.icmpCode] ?? null),
    other: otherOf(c, IP_DIMS),
    rules: sortRules(rules),
  }));
}

function l2Rows(items: RuleSetCube<RuleRef>[]): AllowedL2Row[] {
  return mergeCubes(items, ruleKey).map(({ cube: c, rules }) => ({
    etherTypes: describeDim(DIM.eth, c[DIM.eth] ?? null),
    sourceMac: describeDim(DIM.macSrc, c[DIM.macSrc] ?? null),
    destinationMac: describeDim(DIM.macDst, c[DIM.macDst] ?? null),
    other: otherOf(c, L2_DIMS),
    rules: sortRules(rules),
  }));
}

/** The allowed traffic of every path of an analysis. */
export function allowedTraffic(analysis: RulesetAnalysis): AllowedReport {
  const paths: AllowedPathReport[] = [];
  const families = [
    { family: 'ipv4' as const, eth: ETH_IPV4, tracked: analysis.tracking.ipv4 },
    { family: 'ipv6' as const, eth: ETH_IPV6, tracked: analysis.tracking.ipv6 },
  ];
  const ipClass = cubeOf({ eth: setOf([pt(ETH_IPV4), pt(ETH_IPV6)]) });
  const established = cubeOf({ ctState: setOf([pt(CT_ESTABLISHED), pt(CT_RELATED)]) });
  for (const path of ANALYSIS_PATHS) {
    const accepted = analysis.paths[path].filter((o) => o.verdict === 'accept');
    const newConnections: AllowedIpRow[] = [];
    const establishedOnly: AllowedIpRow[] = [];
    for (const { family, eth, tracked } of families) {
      const fam = cubeOf({ eth: [eth, eth] });
      const first = intersectCubes(fam, firstPacketCube(tracked)) as Cube;
      const news: RuleSetCube<RuleRef>[] = [];
      const ests: RuleSetCube<RuleRef>[] = [];
      for (const o of accepted) {
        const rules = o.rule ? [o.rule] : [];
        const n = intersectCubes(o.cube, first);
        if (n) news.push({ cube: freeDim(n, DIM.ctState, DIM.ctDir), rules });
        const e = tracked ? intersectCubes(intersectCubes(o.cube, fam) ?? fam, established) : null;
        if (e && intersectCubes(o.cube, fam))
          ests.push({ cube: freeDim(e, DIM.ctState, DIM.ctDir), rules });
      }
      newConnections.push(...ipRows(news, family));
      // Accepted as ESTABLISHED/RELATED but not as a new connection.
      const newRegion = news.map((x) => x.cube);
      const only: RuleSetCube<RuleRef>[] = [];
      for (const e of ests)
        for (const cube of subtractRegion(e.cube, newRegion)) only.push({ cube, rules: e.rules });
      establishedOnly.push(...ipRows(only, family));
    }
    const l2: RuleSetCube<RuleRef>[] = [];
    for (const o of accepted)
      for (const cube of subtractCube(o.cube, ipClass))
        l2.push({ cube: freeDim(cube, DIM.ctState, DIM.ctDir), rules: o.rule ? [o.rule] : [] });
    paths.push({ path, newConnections, establishedOnly, layer2: l2Rows(l2) });
  }
  return { paths, tracking: analysis.tracking, unsupported: analysis.unsupported };
}
