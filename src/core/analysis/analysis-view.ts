/**
 * The analysis' answers as plain data for a view (a Web Worker's reply, a JSON line): regions in
 * words, witnesses as text and as points the simulator can replay, rules as references. Cubes
 * stay behind: a page shows regions, it does not compute with them.
 */
import type { EthernetFrame } from '../packet';
import type { RuleRef, Side, Verdict } from '../netfilter/bridge-host';
import type { AnalysisPath, RulesetAnalysis } from './analyse-ruleset';
import type { AllowedIpRow, AllowedL2Row } from './allowed';
import { cubeText } from './describe-region';
import { diffAnalyses } from './diff';
import type { DiffSide, ReachAnswer } from './diff';
import { describeWitness, frameOfPoint } from './packet-point';
import type { WitnessText } from './packet-point';
import { reachQuery } from './query';
import type { ReachQuery } from './query';
import type { Cube, Point } from './space';
import { CT_NEW, CT_NONE, DIM } from './space';

/** How the views title each path. */
export const ANALYSIS_PATH_TITLES: Record<AnalysisPath, string> = {
  'from-vm': 'from the VM (bridged)',
  'to-vm': 'to the VM (bridged)',
  'to-host': 'from the VM to the host',
};

/** The columns of an IP row of the allowed report ({@link allowedIpCells}), rules apart. */
export const ALLOWED_IP_COLUMNS = [
  'FAMILY',
  'PROTOCOL',
  'SOURCE',
  'SPORT',
  'DESTINATION',
  'DPORT',
  'ICMP',
  'OTHER',
] as const;

/** The columns of a layer-2 row of the allowed report ({@link allowedL2Cells}), rules apart. */
export const ALLOWED_L2_COLUMNS = ['ETHERTYPE', 'SOURCE MAC', 'DESTINATION MAC', 'OTHER'] as const;

const join = (xs: readonly string[]) => xs.join(', ');

function otherText(other: Record<string, string[]>): string {
  return (
    Object.entries(other)
      .map(([k, v]) => `${k}=${v.join(',')}`)
      .join(' ') || '-'
  );
}

/** An IP row of the allowed report as the text of its columns. */
export function allowedIpCells(r: AllowedIpRow): string[] {
  return [
    r.family,
    join(r.protocol),
    join(r.source),
    join(r.sourcePorts),
    join(r.destination),
    join(r.destinationPorts),
    r.icmpTypes[0] === 'any' && r.icmpCodes[0] === 'any'
      ? 'any'
      : `${join(r.icmpTypes)}${r.icmpCodes[0] === 'any' ? '' : `/${join(r.icmpCodes)}`}`,
    otherText(r.other),
  ];
}

/** A layer-2 row of the allowed report as the text of its columns. */
export function allowedL2Cells(r: AllowedL2Row): string[] {
  return [join(r.etherTypes), join(r.sourceMac), join(r.destinationMac), otherText(r.other)];
}

/** A region of one path in words, with a witness packet. */
export interface RegionView {
  path: AnalysisPath;
  /** The region's fields (`proto=tcp dport=22 ctState=NEW …`). */
  region: string;
  witness: WitnessText;
  /** The witness as a point of the space: {@link witnessReplay} turns it into a frame to send. */
  point: Point;
  /** Why the simulator cannot replay the witness alone (null: it can, see {@link witnessReplay}). */
  noReplay: string | null;
}

/** A region whose verdict differs between two versions. */
export interface DiffRegionView extends RegionView {
  before: DiffSide;
  after: DiffSide;
}

/** One part of a reach answer: a piece of the query with one verdict and its deciding rule. */
export interface ReachPartView extends RegionView {
  verdict: Verdict;
  rule: RuleRef | null;
}

/** The answer to "can X reach Y" in words. */
export interface ReachView {
  answer: ReachAnswer['answer'];
  parts: ReachPartView[];
}

/** A witness as the simulator sends it: one frame, on one side, maybe to the host itself. */
export interface WitnessFrame {
  frame: EthernetFrame;
  side: Side;
  toHost: boolean;
}

/**
 * Why a witness cannot be replayed as a single packet, or null. A lone packet is the first of
 * its connection, counted once by connlimit: a witness that needs an established or related
 * connection, or other connections from its source, needs a history the witness does not give.
 */
function whyNoReplay(p: Point): string | null {
  const state = p[DIM.ctState];
  if (state !== CT_NEW && state !== CT_NONE)
    return 'it belongs to an established or related connection: a single packet cannot show it';
  if (p[DIM.conns] !== 1n)
    return `connlimit counts ${p[DIM.conns]} connections from its source: a single packet cannot show it`;
  if (!frameOfPoint(p))
    return 'the simulator builds IPv4, IPv6, ARP and RARP packets (tagged or not) only';
  return null;
}

function regionView(path: AnalysisPath, cube: Cube, point: Point): RegionView {
  return {
    path,
    region: cubeText(cube),
    witness: describeWitness(point),
    point,
    noReplay: whyNoReplay(point),
  };
}

/**
 * The frame that replays a witness in the simulator, or why none does: the witness point's
 * packet, sent on its path's side (a frame for the host comes from the VM).
 */
export function witnessReplay(path: AnalysisPath, point: Point): WitnessFrame | string {
  const why = whyNoReplay(point);
  if (why) return why;
  const frame = frameOfPoint(point) as EthernetFrame;
  return { frame, side: path === 'to-vm' ? 'to-vm' : 'from-vm', toHost: path === 'to-host' };
}

/** {@link diffAnalyses} in words, each region with its witness. */
export function diffView(before: RulesetAnalysis, after: RulesetAnalysis): DiffRegionView[] {
  return diffAnalyses(before, after).map((d) => ({
    ...regionView(d.path, d.cube, d.witness),
    before: d.before,
    after: d.after,
  }));
}

function reachParts(path: AnalysisPath, answer: ReachAnswer): ReachView {
  return {
    answer: answer.answer,
    parts: answer.parts.map((p) => ({
      ...regionView(path, p.cube, p.witness),
      verdict: p.verdict,
      rule: p.rule,
    })),
  };
}

/** {@link reachQuery} in words, or what is wrong with the query. */
export function reachView(
  analysis: RulesetAnalysis,
  path: AnalysisPath,
  query: ReachQuery,
): ReachView | string {
  const answer = reachQuery(analysis, path, query);
  return typeof answer === 'string' ? answer : reachParts(path, answer);
}
