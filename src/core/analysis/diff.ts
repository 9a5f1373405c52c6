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
import { mergeCubes } from './describe-region';
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

const sideKey = (s: DiffSide) =>
  `${s.verdict}|${s.rule ? `${s.rule.filter}#${s.rule.index}` : '-'}`;

/** Dimensions most regions of a walk hold one value of: the frame class, protocol, state. */
const KEY_DIMS = [DIM.eth, DIM.proto, DIM.ctState];

/** The key of a cube that holds one value in each of {@link KEY_DIMS}, else null. */
function pointKey(c: Cube): string | null {
  let k = '';
  for (const d of KEY_DIMS) {
    const s = c[d] ?? null;
    if (s === null || s.length !== 2 || s[0] !== s[1]) return null;
    k += `${s[0] as bigint}/`;
  }
  return k;
}

/**
 * The outcomes a cube may overlap, in their order: those with its key (two single values
 * overlap only when equal) and those without one. Comparing every pair of two 17,000-region
 * analyses took seconds.
 */
class PointIndex {
  private readonly byKey = new Map<string, number[]>();
  private readonly wide: number[] = [];

  constructor(private readonly outcomes: readonly Outcome[]) {
    outcomes.forEach((o, i) => {
      const k = pointKey(o.cube);
      if (k === null) this.wide.push(i);
      else {
        const list = this.byKey.get(k);
        if (list) list.push(i);
        else this.byKey.set(k, [i]);
      }
    });
  }

  candidates(c: Cube): readonly Outcome[] {
    const k = pointKey(c);
    if (k === null) return this.outcomes;
    const keyed = this.byKey.get(k) ?? [];
    // Merged by position: the same order as a walk over every outcome.
    const out: Outcome[] = [];
    let i = 0;
    let j = 0;
    while (i < keyed.length || j < this.wide.length) {
      const next =
        j >= this.wide.length ||
        (i < keyed.length && (keyed[i] as number) < (this.wide[j] as number))
          ? (keyed[i++] as number)
          : (this.wide[j++] as number);
      out.push(this.outcomes[next] as Outcome);
    }
    return out;
  }
}

/**
 * The regions whose verdict differs between `before` and `after`, path by path; regions with the
 * same verdicts and deciding rules on both sides are merged where their union is one cube.
 */
export function diffAnalyses(before: RulesetAnalysis, after: RulesetAnalysis): DiffRegion[] {
  const out: DiffRegion[] = [];
  for (const path of ANALYSIS_PATHS) {
    const a = comparable(before, path);
    const b = comparable(after, path);
    const groups = new Map<string, { before: DiffSide; after: DiffSide; cubes: Cube[] }>();
    const index = new PointIndex(b);
    for (const x of a) {
      for (const y of index.candidates(x.cube)) {
        if (x.verdict === y.verdict || !cubesOverlap(x.cube, y.cube)) continue;
        const cube = intersectCubes(x.cube, y.cube);
        if (!cube) continue;
        const k = `${sideKey(side(x))}>${sideKey(side(y))}`;
        const g = groups.get(k);
        if (g) g.cubes.push(cube);
        else groups.set(k, { before: side(x), after: side(y), cubes: [cube] });
      }
    }
    for (const g of groups.values())
      for (const m of mergeCubes(
        g.cubes.map((cube) => ({ cube, rules: [] })),
        () => '',
      ))
        out.push({
          path,
          cube: m.cube,
          witness: witnessPoint(m.cube),
          before: g.before,
          after: g.after,
        });
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
  const groups = new Map<string, { verdict: Verdict; rule: RuleRef | null; cubes: Cube[] }>();
  for (const o of analysis.paths[path]) {
    const cube = intersectCubes(o.cube, query);
    if (!cube) continue;
    const k = `${o.verdict}|${o.rule ? `${o.rule.filter}#${o.rule.index}` : '-'}`;
    const g = groups.get(k);
    if (g) g.cubes.push(cube);
    else groups.set(k, { verdict: o.verdict, rule: o.rule, cubes: [cube] });
  }
  const parts: ReachAnswer['parts'] = [];
  for (const g of groups.values())
    for (const m of mergeCubes(
      g.cubes.map((cube) => ({ cube, rules: [] })),
      () => '',
    ))
      parts.push({ cube: m.cube, witness: witnessPoint(m.cube), verdict: g.verdict, rule: g.rule });
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
