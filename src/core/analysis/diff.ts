/**
 * What an edit changed, over all packets: the regions whose verdict differs between two
 * analyses, each with a witness packet and the rules that decide it before and after; and the
 * query "can X reach Y" (a region of interest against one analysis).
 */
import type { RuleRef, Verdict } from '../netfilter/bridge-host';
import type { AnalysisPath, Outcome, RulesetAnalysis } from './analyse-ruleset';
import { ANALYSIS_PATHS } from './analyse-ruleset';
import { setOf } from './interval-set';
import type { Cube, Point } from './space';
import { DIM, cubeOf, cubesOverlap, freeDim, intersectCubes } from './space';
import { witnessPoint } from './packet-point';

/** One side of a difference: the verdict and who decided it. */
export interface DiffSide {
  verdict: Verdict;
  rule: RuleRef | null;
  hooks: Outcome['hooks'];
}

/** A region whose verdict differs between the two versions. */
export interface DiffRegion {
  path: AnalysisPath;
  cube: Cube;
  witness: Point;
  before: DiffSide;
  after: DiffSide;
}

/**
 * The outcomes of a path with the conntrack dimensions opened up for a family conntrack does not
 * track: its verdicts cannot depend on the state, and the other version may track it.
 */
function comparable(a: RulesetAnalysis, path: AnalysisPath): Outcome[] {
  const tracked = cubeOf({ eth: setOf(a.trackedClasses.map((v) => [v, v] as [bigint, bigint])) });
  return a.paths[path].map((o) =>
    cubesOverlap(o.cube, tracked)
      ? o
      : { ...o, cube: freeDim(o.cube, DIM.ctState, DIM.ctDir, DIM.conns) },
  );
}

const side = (o: Outcome): DiffSide => ({ verdict: o.verdict, rule: o.rule, hooks: o.hooks });

/** The regions whose verdict differs between `before` and `after`, path by path. */
export function diffAnalyses(before: RulesetAnalysis, after: RulesetAnalysis): DiffRegion[] {
  const out: DiffRegion[] = [];
  for (const path of ANALYSIS_PATHS) {
    const a = comparable(before, path);
    const b = comparable(after, path);
    for (const x of a) {
      for (const y of b) {
        if (x.verdict === y.verdict || !cubesOverlap(x.cube, y.cube)) continue;
        const cube = intersectCubes(x.cube, y.cube);
        if (!cube) continue;
        out.push({ path, cube, witness: witnessPoint(cube), before: side(x), after: side(y) });
      }
    }
  }
  return out;
}

/** The answer to "can X reach Y": the query region split by verdict. */
export interface ReachAnswer {
  /** `yes` when every packet of the query is accepted, `no` when none is, else `partly`. */
  answer: 'yes' | 'no' | 'partly' | 'empty';
  parts: { cube: Cube; witness: Point; verdict: Verdict; rule: RuleRef | null }[];
}

/** Intersects the query region with a path of the analysis. */
export function queryReach(
  analysis: RulesetAnalysis,
  path: AnalysisPath,
  query: Cube,
): ReachAnswer {
  const parts: ReachAnswer['parts'] = [];
  for (const o of analysis.paths[path]) {
    const cube = intersectCubes(o.cube, query);
    if (cube) parts.push({ cube, witness: witnessPoint(cube), verdict: o.verdict, rule: o.rule });
  }
  const accepted = parts.filter((p) => p.verdict === 'accept').length;
  const answer =
    parts.length === 0
      ? 'empty'
      : accepted === parts.length
        ? 'yes'
        : accepted === 0
          ? 'no'
          : 'partly';
  return { answer, parts };
}
