/**
 * Whether earlier rules take every packet of a later one, decided on regions: the later rule's
 * region (its matches, within what the host can give a packet of its table: the frame classes,
 * the conntrack states with their directions) minus the regions of the earlier rules, in order.
 * Empty means no packet ever reaches the later rule — the exact shadowing and redundancy lint
 * reports, including covers made of several rules, connlimit counts and conntrack state sets.
 */
import type { Match, TableFamily } from '../compile/ebiptables/ir';
import type { IpsetSpec } from '../host';
import { pathSpace } from './analyse-ruleset';
import type { IntervalSet } from './interval-set';
import { intersectSets, isEmptySet, setOf } from './interval-set';
import { matchRegion } from './match-region';
import { witnessPoint } from './packet-point';
import type { Cube, Region } from './space';
import {
  ETH_IPV4,
  ETH_IPV6,
  DIM_COUNT,
  cubeContains,
  cubeOf,
  cubesOverlap,
  intersectRegion,
  intersectRegions,
  subtractRegion,
} from './space';

/** Every packet a table's rules can see: its frame classes, with the states the host gives them. */
function tableSpace(family: TableFamily): Cube[] {
  const space = pathSpace({ ipv4: true, ipv6: true });
  if (family === 'ebtables') return space;
  const eth = family === 'iptables' ? ETH_IPV4 : ETH_IPV6;
  return space.flatMap((c) => intersectRegion(c, [cubeOf({ eth: setOf([[eth, eth]]) })]));
}

const SPACES = new Map<TableFamily, Cube[]>();

/** Every packet a table's rules can see (cached per family). */
function spaceOf(family: TableFamily): Cube[] {
  let space = SPACES.get(family);
  if (!space) SPACES.set(family, (space = tableSpace(family)));
  return space;
}

/**
 * The region of a conjunction of IR matches alone (not yet within a table's space), or null when
 * it cannot be decided: a match the analysis does not model, or one that tests the hook
 * (interface, physdev) — lint reasons within one interface's chains, where those are constant
 * but not known here. Most matches are one cube: those are intersected in place, dimension by
 * dimension, which keeps linting thousands of rules cheap.
 */
function conjunction(matches: readonly Match[], ipsets: Record<string, IpsetSpec>): Cube[] | null {
  const acc = new Array<IntervalSet | null>(DIM_COUNT).fill(null);
  let multi: Cube[] | null = null;
  for (const m of matches) {
    const r = matchRegion(m, ipsets);
    if (r.kind !== 'region') return null;
    if (r.region.length !== 1) {
      multi = multi ? intersectRegions(multi, r.region) : [...r.region];
      if (multi.length === 0) return [];
      continue;
    }
    const cube = r.region[0] as Cube;
    for (let d = 0; d < DIM_COUNT; d++) {
      const y = cube[d] as IntervalSet | null;
      if (y === null) continue;
      const x = acc[d] as IntervalSet | null;
      const z = x === null ? y : intersectSets(x, y);
      if (isEmptySet(z)) return [];
      acc[d] = z;
    }
  }
  return multi ? intersectRegion(acc, multi) : [acc];
}

/** The part of `region` the host can give a packet of `family`'s table. */
function withinSpace(region: Cube[], family: TableFamily): Cube[] {
  return intersectRegions(region, spaceOf(family));
}

/**
 * The region of a conjunction of IR matches in `family`'s table (see {@link conjunction}), or
 * null when it cannot be decided.
 */
export function matchesRegion(
  matches: readonly Match[],
  family: TableFamily,
  ipsets: Record<string, IpsetSpec> = {},
): Cube[] | null {
  const r = conjunction(matches, ipsets);
  return r && withinSpace(r, family);
}

/**
 * Whether the packets of `later` (matches in `family`'s table) are all taken by `earlier`
 * candidates: the indexes of those that take part, or null when some packet gets past them (or
 * `later` cannot be decided). `regionOf` gives a candidate's region (null: it covers nothing);
 * it is asked only when needed. An empty list: no packet the host can give matches `later`.
 */
export function coverOfMatches(
  later: readonly Match[],
  family: TableFamily,
  earlier: number,
  regionOf: (i: number) => Region | null,
): number[] | null {
  const alone = conjunction(later, {});
  if (alone === null) return null;
  const space = spaceOf(family);
  // No packet of the table matches it: dead whatever comes before.
  if (!alone.some((c) => space.some((s) => cubesOverlap(c, s)))) return [];
  if (earlier === 0) return null;
  const regions: (Region | null)[] = [];
  for (let i = 0; i < earlier; i++) regions.push(regionOf(i));
  return coveringRegions(withinSpace(alone, family), regions);
}

/**
 * How many disjoint pieces a covering proof may split the later region into before it gives up
 * (reporting "not covered"): a broad rule after thousands of narrow ones would otherwise cost
 * quadratic time to prove what one packet already shows.
 */
export const MAX_COVER_PIECES = 512;

/**
 * The earlier regions (by index into `earlier`, in order) that together take all of `later`, or
 * null when some packet of `later` gets past them all (or the proof would take more than
 * {@link MAX_COVER_PIECES} pieces). A null earlier region (undecidable) covers nothing. Only
 * regions that take some packet not taken before are listed.
 */
export function coveringRegions(
  later: Region,
  earlier: readonly (Region | null)[],
): number[] | null {
  // One packet of the later region that no earlier region holds settles it at once.
  const probe = witnessPoint(later[0] as Cube);
  if (!earlier.some((e) => e?.some((c) => cubeContains(c, probe)))) return null;
  let rest: Cube[] = [...later];
  const used: number[] = [];
  for (let i = 0; i < earlier.length && rest.length > 0; i++) {
    const e = earlier[i];
    if (!e) continue;
    if (!rest.some((c) => e.some((d) => cubesOverlap(c, d)))) continue;
    const next: Cube[] = [];
    for (const c of rest) for (const q of subtractRegion(c, e)) next.push(q);
    if (next.length > MAX_COVER_PIECES) return null;
    rest = next;
    used.push(i);
  }
  return rest.length === 0 ? used : null;
}
