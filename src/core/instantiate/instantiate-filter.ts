import type { AttrValue, Diagnostic, FilterDoc, Rule } from '../model/types';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../model/limits';
import { accessKey, expandCombinations } from './expand-combinations';
import type {
  FilterLookup,
  InstantiateOptions,
  InstantiateResult,
  RuleInstance,
  Workspace,
} from './types';
import { collectVarAccesses, formatVarAccess, parseVarAccess } from './var-access';

/** Diagnostic codes of the instantiate layer. */
export const INSTANTIATE_CODES = {
  missingFilter: 'NWF301',
  cycle: 'NWF302',
  unresolvedVariable: 'NWF303',
  cardinality: 'NWF304',
  unknownRoot: 'NWF305',
  tooLarge: 'NWF306',
  /** `CTRL_IP_LEARNING` is not any, dhcp or none (gentech driver: "learning value … invalid"). */
  learningValue: 'NWF307',
  /** Info: the binding has no `IP`, libvirt learns it; the rules are those in force while it learns. */
  learning: 'NWF308',
} as const;

/** libvirt's default chain priorities by chain-name prefix (nwfilter_conf.c). */
const CHAIN_PRIORITIES: readonly (readonly [string, number])[] = [
  ['stp', -810],
  ['mac', -800],
  ['vlan', -750],
  ['ipv4', -700],
  ['ipv6', -600],
  ['arp', -500],
  ['rarp', -400],
];

/** The chain priority libvirt gives a filter: explicit, else the default of its chain prefix, else 0. */
export function chainPriorityOf(doc: FilterDoc): number {
  const chain = doc.chain || 'root';
  // Without a chain attribute libvirt ignores the priority attribute (the root chain has priority 0).
  if (chain === 'root') return doc.chainPriority ?? 0;
  if (doc.chainPriority !== null) return doc.chainPriority;
  for (const [prefix, prio] of CHAIN_PRIORITIES) if (chain.startsWith(prefix)) return prio;
  return 0;
}

function toLookup(ws: Workspace): FilterLookup {
  if (typeof ws === 'function') return ws;
  const list = ws as readonly FilterDoc[];
  return (name) => list.find((f) => f.name === name);
}

/** Build a lookup over user filters that falls back to another lookup (e.g. the built-in library). */
export function createWorkspaceLookup(
  filters: readonly FilterDoc[],
  fallback?: FilterLookup,
): FilterLookup {
  return (name) => filters.find((f) => f.name === name) ?? fallback?.(name);
}

function diag(code: string, message: string, entry?: Diagnostic['entry']): Diagnostic {
  const d: Diagnostic = { code, severity: 'error', message, line: 1, column: 1 };
  if (entry) d.entry = entry;
  return d;
}

type Vars = Map<string, readonly string[]>;

interface RawInstance {
  doc: FilterDoc;
  rule: Rule;
  entryIndex: number;
  ruleIndex: number;
  path: string[];
  vars: Vars;
  seq: number;
}

/**
 * Instantiate `rootFilterName` for one interface the way libvirt does when a filter is bound to a
 * port: walk the filterref tree depth-first (a filterref's parameters are defaults — variables the
 * caller already has win), check that every variable a rule uses has a value, sort the rules
 * (root-chain rules first, then by priority, stable) and expand lists and `$X[@n]` iterators into
 * one {@link RuleInstance} per combination.
 */
export function instantiateFilter(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
): InstantiateResult {
  const lookup = toLookup(workspace);
  const diagnostics: Diagnostic[] = [];
  const root = lookup(rootFilterName);
  if (!root) {
    return {
      rules: [],
      diagnostics: [
        diag(INSTANTIATE_CODES.unknownRoot, `filter '${rootFilterName}' does not exist`),
      ],
    };
  }

  const vars: Vars = new Map();
  for (const [name, values] of Object.entries(options.params ?? {})) vars.set(name, [...values]);
  if (options.mac !== undefined && !vars.has('MAC')) vars.set('MAC', [options.mac]);

  const maxExpansion = options.maxExpansion ?? DEFAULT_LIMITS.expansion;
  const tooLarge = (what: string) =>
    diag(
      INSTANTIATE_CODES.tooLarge,
      `${what}: over the limit '${LIMIT_NAMES.expansion}' of ${maxExpansion} rule instances and filterref visits`,
    );
  // Rules met plus filterrefs followed: bounds filterref "diamonds", whose walk doubles per level.
  let work = 0;
  let overflow = false;
  const raw: RawInstance[] = [];
  const reported = new Set<string>();
  // Every variable access without a value, as libvirt keys its missing variables ('IP', 'A[@1]').
  const unresolved = new Set<string>();
  const walk = (doc: FilterDoc, docVars: Vars, path: string[]): void => {
    let ruleIndex = 0;
    doc.entries.forEach((entry, entryIndex) => {
      if (overflow) return;
      if (++work > maxExpansion) {
        overflow = true;
        diagnostics.push(
          tooLarge(
            `filter '${rootFilterName}' expands to more than ${maxExpansion} rules and filterref visits (a filter referenced on N paths is instantiated N times)`,
          ),
        );
        return;
      }
      if (entry.kind === 'rule') {
        const rule = entry.rule;
        for (const access of collectVarAccesses(rule)) {
          const values = docVars.get(access.name);
          const ok =
            values !== undefined &&
            values.length > 0 &&
            (access.kind === 'iterator' || access.index < values.length);
          if (!ok) {
            unresolved.add(formatVarAccess(access));
            const where = path.join(' → ');
            const key = `${formatVarAccess(access)}|${where}`;
            if (!reported.has(key)) {
              reported.add(key);
              const what =
                access.kind === 'element' && values && values.length > 0
                  ? `variable '${access.name}' has no element ${access.index} (it has ${values.length} value${values.length === 1 ? '' : 's'})`
                  : `variable '${access.name}' has no value`;
              diagnostics.push(
                diag(
                  INSTANTIATE_CODES.unresolvedVariable,
                  `${what}: rule ${ruleIndex + 1} of filter '${doc.name}' uses '$${formatVarAccess(access)}' (filterref path: ${where})`,
                  { filter: doc.name, entryIndex, ruleIndex },
                ),
              );
            }
          }
        }
        raw.push({ doc, rule, entryIndex, ruleIndex, path, vars: docVars, seq: raw.length });
        ruleIndex++;
      } else {
        const ref = entry.ref;
        if (path.includes(ref.filter)) {
          diagnostics.push(
            diag(INSTANTIATE_CODES.cycle, `filterref cycle: ${[...path, ref.filter].join(' → ')}`),
          );
          return;
        }
        const child = lookup(ref.filter);
        if (!child) {
          diagnostics.push(
            diag(
              INSTANTIATE_CODES.missingFilter,
              `filter '${doc.name}' references filter '${ref.filter}', which does not exist (filterref path: ${[...path, ref.filter].join(' → ')})`,
              { filter: doc.name, entryIndex, ruleIndex: null },
            ),
          );
          return;
        }
        // Parameters of the filterref first, then the caller's variables on top (libvirt's
        // virNWFilterCreateVarsFrom: the second table overwrites the first).
        const lists = new Map<string, string[]>();
        for (const p of ref.params) {
          const list = lists.get(p.name);
          if (list) list.push(p.value);
          else lists.set(p.name, [p.value]);
        }
        const childVars: Vars = new Map(lists);
        for (const [k, v] of docVars) childVars.set(k, v);
        walk(child, childVars, [...path, child.name]);
      }
    });
  };
  walk(root, vars, [root.name]);
  if (diagnostics.length > 0)
    return unresolved.size > 0
      ? { rules: [], diagnostics, unresolved: [...unresolved] }
      : { rules: [], diagnostics };

  // libvirt's applyNewRules sort: rules of the 'root' chain before all others, then by priority.
  // glibc's qsort is a merge sort here, i.e. stable: equal keys keep instantiation order.
  const sorted = [...raw].sort((a, b) => {
    const ra = (a.doc.chain || 'root') === 'root';
    const rb = (b.doc.chain || 'root') === 'root';
    if (ra !== rb) return ra ? -1 : 1;
    return a.rule.priority - b.rule.priority || a.seq - b.seq;
  });

  const rules: RuleInstance[] = [];
  for (const r of sorted) {
    if (overflow) break;
    const chain = r.doc.chain || 'root';
    const chainPriority = chainPriorityOf(r.doc);
    const effectivePriority =
      chain !== 'root' && chainPriority > r.rule.priority ? chainPriority : r.rule.priority;
    const accesses = collectVarAccesses(r.rule);
    const { combinations, error } = expandCombinations(
      accesses,
      r.vars,
      maxExpansion - rules.length,
    );
    if (error?.kind === 'too-many') {
      overflow = true;
      diagnostics.push(
        tooLarge(
          `rule ${r.ruleIndex + 1} of filter '${r.doc.name}' expands to ${error.count} combinations of its variables' values${rules.length > 0 ? ` after ${rules.length} other rule instances` : ''}`,
        ),
      );
      break;
    }
    if (error) {
      const msg =
        error.kind === 'cardinality'
          ? `lists used in parallel by rule ${r.ruleIndex + 1} of filter '${r.doc.name}' have different lengths ('$${error.variable}'); use different iterators ($X[@1], $Y[@2]) to combine them`
          : `variable '${error.variable}' has no value (rule ${r.ruleIndex + 1} of filter '${r.doc.name}')`;
      diagnostics.push(
        diag(
          error.kind === 'cardinality'
            ? INSTANTIATE_CODES.cardinality
            : INSTANTIATE_CODES.unresolvedVariable,
          `${msg} (filterref path: ${r.path.join(' → ')})`,
          { filter: r.doc.name, entryIndex: r.entryIndex, ruleIndex: r.ruleIndex },
        ),
      );
      continue;
    }
    combinations.forEach((combo, combination) => {
      const attrs: Record<string, AttrValue> = {};
      const fromVariable: string[] = [];
      for (const [name, attr] of Object.entries(r.rule.attrs)) {
        const access = parseVarAccess(attr.value);
        if (access) {
          attrs[name] = {
            value: combo.byAccess.get(accessKey(access)) as string,
            negated: attr.negated,
          };
          fromVariable.push(name);
        } else {
          attrs[name] = { ...attr };
        }
      }
      rules.push({
        rule: { ...r.rule, attrs },
        fromVariable,
        chain,
        chainPriority,
        effectivePriority,
        provenance: {
          filter: r.doc.name,
          entryIndex: r.entryIndex,
          ruleIndex: r.ruleIndex,
          priority: r.rule.priority,
          direction: r.rule.direction,
          action: r.rule.action,
          filterPath: r.path,
          bindings: combo.bindings,
          combination,
        },
      });
    });
  }
  if (diagnostics.length > 0) return { rules: [], diagnostics };
  return { rules, diagnostics };
}
