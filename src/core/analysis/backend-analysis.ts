/**
 * The analysis' side of the backend seam: how a backend's IR rules read as regions of the header
 * space. Each backend supplies one {@link BackendAnalysis} (`Backend.analysis`, registered with
 * the backend itself); the walk (`analyse-ruleset.ts`) is the same for every backend.
 */
import type { IpsetSpec } from '../host/host-ipsets';
import type { HookContext, MatchRegion } from './match-region';
import type { Region } from './space';
import { FULL_CUBE, intersectRegions, subtractRegion } from './space';

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
      maybe = intersectRegions(maybe ?? region, [...r.region, ...opaque]);
    } else if (maybe !== null) maybe = intersectRegions(maybe, r.region);
    region = intersectRegions(region, r.region);
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
