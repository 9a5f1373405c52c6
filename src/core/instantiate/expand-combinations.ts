import type { VarAccess } from './var-access';

/** One iterator of libvirt's combination iterator: variables stepped in lock-step. */
interface IterEntry {
  /** Iterator id (`@n`), or a private id for an element access. */
  key: string;
  varNames: string[];
  min: number;
  max: number;
  /** The positions the iterator visits: min..max without those repeating an earlier tuple. */
  positions: number[];
  /** Index into `positions`. */
  cur: number;
}

/** A failure libvirt reports while building the iterator. */
export interface ExpandError {
  /** `too-many`: the combinations would exceed the caller's maximum (`count` of them). */
  kind: 'missing' | 'cardinality' | 'too-many';
  variable: string;
  count?: number;
}

/** One combination: a value for every access (keyed by its text `A`, `A[@1]`, `A[2]`) and per variable name. */
export interface Combination {
  /** access text → value */
  byAccess: Map<string, string>;
  /** variable name → value chosen (for provenance) */
  bindings: Record<string, string>;
}

function accessKey(a: VarAccess): string {
  return a.kind === 'element'
    ? `${a.name}[${a.index}]`
    : a.iterId === 0
      ? a.name
      : `${a.name}[@${a.iterId}]`;
}

/**
 * The positions of an iterator whose tuple of values did not occur at an earlier position
 * (libvirt's virNWFilterVarCombIterEntryAreUniqueEntries, which compares with every earlier
 * position; a set of seen tuples gives the same positions in linear time).
 */
function uniquePositions(e: IterEntry, vars: ReadonlyMap<string, readonly string[]>): number[] {
  if (e.min === e.max) return [e.min];
  const lists = e.varNames.map((n) => vars.get(n) ?? []);
  const seen = new Set<string>();
  const out: number[] = [];
  for (let p = e.min; p <= e.max; p++) {
    // Values never hold a NUL (XML and the CLI refuse it), so it separates them unambiguously.
    const key =
      lists.length === 1 ? (lists[0]?.[p] as string) : lists.map((l) => l[p]).join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/**
 * Every combination of variable values a rule is instantiated with, in libvirt's order
 * (virNWFilterVarCombIter): accesses sharing an iterator id advance together (`$A` and `$B`
 * are both iterator 0), different iterators form a cross product with the FIRST iterator varying
 * fastest, element accesses (`$A[2]`) are fixed, and a position whose values repeat an earlier
 * position of the same iterator is skipped.
 */
export function expandCombinations(
  accesses: readonly VarAccess[],
  vars: ReadonlyMap<string, readonly string[]>,
  maxCombinations = Infinity,
): { combinations: Combination[]; error: ExpandError | null } {
  const entries: IterEntry[] = [
    { key: '@0', varNames: [], min: 0, max: 0, positions: [0], cur: 0 },
  ];
  const entryOf = new Map<string, IterEntry>();
  let elementId = 0;
  for (const a of accesses) {
    const values = vars.get(a.name);
    if (!values || values.length === 0)
      return { combinations: [], error: { kind: 'missing', variable: accessKey(a) } };
    let entry: IterEntry;
    let min: number;
    let max: number;
    if (a.kind === 'iterator') {
      const key = `@${a.iterId}`;
      const found = entries.find((e) => e.key === key);
      entry = found ?? { key, varNames: [], min: 0, max: 0, positions: [], cur: 0 };
      if (!found) entries.push(entry);
      min = 0;
      max = values.length - 1;
    } else {
      if (a.index >= values.length)
        return { combinations: [], error: { kind: 'missing', variable: accessKey(a) } };
      entry = {
        key: `#${elementId++}`,
        varNames: [],
        min: a.index,
        max: a.index,
        positions: [],
        cur: 0,
      };
      entries.push(entry);
      min = a.index;
      max = a.index;
    }
    if (entry.varNames.length === 0) {
      entry.min = min;
      entry.max = max;
    } else if (entry.max !== max) {
      return { combinations: [], error: { kind: 'cardinality', variable: accessKey(a) } };
    }
    entry.varNames.push(a.name);
    entryOf.set(accessKey(a), entry);
  }

  // Count before building: a hostile cross product must cost nothing beyond this product.
  let total = 1;
  for (const e of entries) {
    if (e.varNames.length > 0) e.positions = uniquePositions(e, vars);
    total *= e.positions.length;
  }
  if (total > maxCombinations) {
    return { combinations: [], error: { kind: 'too-many', variable: '', count: total } };
  }

  const combinations: Combination[] = [];
  for (;;) {
    const byAccess = new Map<string, string>();
    const bindings: Record<string, string> = {};
    for (const a of accesses) {
      const e = entryOf.get(accessKey(a)) as IterEntry;
      const v = (vars.get(a.name) as readonly string[])[e.positions[e.cur] as number] as string;
      byAccess.set(accessKey(a), v);
      bindings[accessKey(a)] = v;
    }
    combinations.push({ byAccess, bindings });

    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i] as IterEntry;
      e.cur++;
      if (e.cur < e.positions.length) break;
      e.cur = 0;
    }
    if (i === entries.length) break;
  }
  return { combinations, error: null };
}

export { accessKey };
