import type { VarAccess } from './var-access';

/** One iterator of libvirt's combination iterator: variables stepped in lock-step. */
interface IterEntry {
  /** Iterator id (`@n`), or a private id for an element access. */
  key: string;
  varNames: string[];
  min: number;
  max: number;
  cur: number;
}

/** A failure libvirt reports while building the iterator. */
export interface ExpandError {
  kind: 'missing' | 'cardinality';
  variable: string;
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

function isUnique(e: IterEntry, vars: ReadonlyMap<string, readonly string[]>): boolean {
  // Skip a position whose tuple of values already occurred at an earlier position of this iterator.
  const first = vars.get(e.varNames[0] as string) ?? [];
  const value = first[e.cur];
  for (let i = 0; i < e.cur; i++) {
    if (first[i] !== value) continue;
    let same = true;
    for (let j = 1; j < e.varNames.length; j++) {
      const vals = vars.get(e.varNames[j] as string) ?? [];
      if (vals[e.cur] !== vals[i]) {
        same = false;
        break;
      }
    }
    if (same) return false;
  }
  return true;
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
): { combinations: Combination[]; error: ExpandError | null } {
  const entries: IterEntry[] = [{ key: '@0', varNames: [], min: 0, max: 0, cur: 0 }];
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
      entry = found ?? { key, varNames: [], min: 0, max: 0, cur: 0 };
      if (!found) entries.push(entry);
      min = 0;
      max = values.length - 1;
    } else {
      if (a.index >= values.length)
        return { combinations: [], error: { kind: 'missing', variable: accessKey(a) } };
      entry = { key: `#${elementId++}`, varNames: [], min: a.index, max: a.index, cur: a.index };
      entries.push(entry);
      min = a.index;
      max = a.index;
    }
    if (entry.varNames.length === 0) {
      entry.min = min;
      entry.max = max;
      entry.cur = min;
    } else if (entry.max !== max) {
      return { combinations: [], error: { kind: 'cardinality', variable: accessKey(a) } };
    }
    entry.varNames.push(a.name);
    entryOf.set(accessKey(a), entry);
  }

  const combinations: Combination[] = [];
  for (;;) {
    const byAccess = new Map<string, string>();
    const bindings: Record<string, string> = {};
    for (const a of accesses) {
      const e = entryOf.get(accessKey(a)) as IterEntry;
      const v = (vars.get(a.name) as readonly string[])[e.cur] as string;
      byAccess.set(accessKey(a), v);
      bindings[accessKey(a)] = v;
    }
    combinations.push({ byAccess, bindings });

    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i] as IterEntry;
      let advanced = false;
      for (;;) {
        e.cur++;
        if (e.cur <= e.max) {
          if (!isUnique(e, vars)) continue;
          advanced = true;
        } else {
          e.cur = e.min;
        }
        break;
      }
      if (advanced) break;
    }
    if (i === entries.length) break;
  }
  return { combinations, error: null };
}

export { accessKey };
