import type { FilterLookup } from '../instantiate/types';
import { collectVarAccesses } from '../instantiate/var-access';
import type { FilterDoc, FilterRef, Rule } from '../model/types';

/** Variable values in scope while walking (name → list). */
export type ScopeVars = ReadonlyMap<string, readonly string[]>;

/** Callbacks of {@link walkFilterTree}. */
export interface TreeVisitor {
  rule?(doc: FilterDoc, rule: Rule, entryIndex: number, ruleIndex: number, vars: ScopeVars): void;
  /** Called for each filterref, with the referenced filter (undefined when missing) and the variables it gets. */
  ref?(
    doc: FilterDoc,
    ref: FilterRef,
    entryIndex: number,
    child: FilterDoc | undefined,
    childVars: ScopeVars,
  ): void;
}

/**
 * Walks the filterref tree depth-first the way instantiation does: a filterref's parameters are
 * defaults and the caller's variables win; cycles stop the walk.
 */
export function walkFilterTree(
  lookup: FilterLookup,
  root: FilterDoc,
  vars: ScopeVars,
  visit: TreeVisitor,
): void {
  const go = (doc: FilterDoc, scope: ScopeVars, path: readonly string[]): void => {
    let ruleIndex = 0;
    doc.entries.forEach((entry, entryIndex) => {
      if (entry.kind === 'rule') {
        visit.rule?.(doc, entry.rule, entryIndex, ruleIndex++, scope);
        return;
      }
      const child = path.includes(entry.ref.filter) ? undefined : lookup(entry.ref.filter);
      const childVars = new Map<string, readonly string[]>();
      for (const p of entry.ref.params)
        childVars.set(p.name, [...(childVars.get(p.name) ?? []), p.value]);
      for (const [k, v] of scope) childVars.set(k, v);
      visit.ref?.(doc, entry.ref, entryIndex, child, childVars);
      if (child) go(child, childVars, [...path, child.name]);
    });
  };
  go(root, vars, [root.name]);
}

/**
 * Placeholder values for every variable a rule uses without a value in scope: the value is the
 * variable's own reference text (`$IP`), so compiled matches keep saying "unknown", and lists are
 * long enough for the highest element access.
 */
export function placeholderParams(
  lookup: FilterLookup,
  root: FilterDoc,
  vars: ScopeVars,
): Record<string, string[]> {
  const need = new Map<string, number>();
  walkFilterTree(lookup, root, vars, {
    rule(_doc, rule, _e, _r, scope) {
      for (const a of collectVarAccesses(rule)) {
        const have = scope.get(a.name);
        const len = a.kind === 'element' ? a.index + 1 : 1;
        if (!have || have.length < len) need.set(a.name, Math.max(need.get(a.name) ?? 0, len));
      }
    },
  });
  const out: Record<string, string[]> = {};
  for (const [name, len] of need) out[name] = Array.from({ length: len }, () => `$${name}`);
  return out;
}
