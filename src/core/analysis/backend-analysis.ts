/**
 * The analysis' side of the backend seam: how a backend's IR rules read as regions of the header
 * space. Each backend supplies one {@link BackendAnalysis} (`Backend.analysis`, registered with
 * the backend itself); the walk (`analyse-ruleset.ts`) is the same for every backend.
 */
import type { IpsetSpec } from '../host/host-ipsets';
import type { HookContext, MatchRegion } from './match-region';
import type { Cube, Region } from './space';
import { FULL_CUBE, intersectCubes, subtractRegion } from './space';

/**
 * A rule's matches (their conjunction) as regions: where the rule matches, and where its outcome
 * depends on something the space has no dimension for (`opaque`: the analysis answers `error`
 * there, saying why, instead of guessing). Interface tests are constants of the hook walked.
 */
export type RuleRegion =
  | {
      kind: 'region';
      region: Region;
      opaque: Region;
      /** Why the opaque part cannot be answered (null when it is empty). */
      opaqueWhy: string | null;
      tests: ((ctx: HookContext) => boolean)[];
    }
  | { kind: 'unsupported'; why: string };

/** How the analysis reads one backend's rules (`M`: the backend's match type). */
export interface BackendAnalysis<M> {
  /**
   * The rule's matches as regions: exactly the packets for which the backend's simulator finds
   * every match true (or `unsupported` where the simulator cannot interpret a match either).
   */
  ruleRegion(matches: readonly M[], ipsets: Record<string, IpsetSpec>): RuleRegion;
}

/** `a ∩ b` of two regions. */
function intersect(a: Region, b: Region): Cube[] {
  const out: Cube[] = [];
  for (const x of a)
    for (const y of b) {
      const z = intersectCubes(x, y);
      if (z) out.push(z);
    }
  return out;
}

/**
 * The conjunction of match regions, in rule order: matched where every match is; opaque where
 * none is false and one is opaque. The first unsupported match makes the rule unsupported.
 */
export function conjoinMatches(parts: readonly MatchRegion[]): RuleRegion {
  let region: Region = [FULL_CUBE];
  // The packets no match so far is false for (matched or opaque); null while it is `region`.
  let maybe: Region | null = null;
  let opaqueWhy: string | null = null;
  const tests: ((ctx: HookContext) => boolean)[] = [];
  for (const r of parts) {
    if (r.kind === 'unsupported') return { kind: 'unsupported', why: r.why };
    if (r.kind === 'context') {
      tests.push(r.test);
      continue;
    }
    const opaque = r.opaque ?? [];
    if (opaque.length > 0) {
      opaqueWhy ??= r.opaqueWhy ?? 'not modelled';
      maybe = intersect(maybe ?? region, [...r.region, ...opaque]);
    } else if (maybe !== null) maybe = intersect(maybe, r.region);
    region = intersect(region, r.region);
  }
  const opaque = maybe === null ? [] : maybe.flatMap((c) => subtractRegion(c, region));
  return {
    kind: 'region',
    region,
    opaque,
    opaqueWhy: opaque.length > 0 ? opaqueWhy : null,
    tests,
  };
}
