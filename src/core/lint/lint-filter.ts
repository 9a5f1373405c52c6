import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import { createWorkspaceLookup, instantiateFilter } from '../instantiate/instantiate-filter';
import type { FilterLookup, RuleInstance, Workspace } from '../instantiate/types';
import { getBuiltinFilter } from '../library';
import type { Diagnostic, FilterDoc } from '../model/types';
import type { VmIdentity } from './check-probes';
import { checkCleanTraffic } from './check-clean-traffic';
import { LINT_CHECKS } from './checks';
import { dedupeFindings } from './lint-check';
import type { LintContext, LintStage } from './lint-check';
import type { LintFinding, LintOptions, LintResult } from './types';
import { placeholderParams } from './walk-filter-tree';

const DEFAULT_IFACE = 'vnet0';
/** The VM's identity in probes when the binding leaves it to libvirt (documentation address ranges). */
const STAND_IN = { MAC: '52:54:00:5e:00:02', IP: '203.0.113.2', IPV6: '2001:db8:5e::2' } as const;

function builtinLookup(name: string): FilterDoc | undefined {
  return getBuiltinFilter(name)?.doc;
}

function toLookup(ws: Workspace): FilterLookup {
  return typeof ws === 'function'
    ? ws
    : createWorkspaceLookup(ws as readonly FilterDoc[], builtinLookup);
}

/**
 * Lint one filter as bound to an interface: instantiate it (unbound variables become unknown
 * values), compile it, and run every check on the result. Findings point at the filter and rule
 * (or filterref) they are about, which may be a referenced filter.
 */
export function lintFilter(
  workspace: Workspace,
  rootFilterName: string,
  options: LintOptions = {},
): LintResult {
  const lookup = toLookup(workspace);
  const root = lookup(rootFilterName);
  const diagnostics: Diagnostic[] = [];
  if (!root) {
    diagnostics.push({
      code: 'NWF305',
      severity: 'error',
      message: `filter '${rootFilterName}' does not exist`,
      line: 1,
      column: 1,
    });
    return { findings: [], diagnostics };
  }
  const vars = new Map<string, readonly string[]>(Object.entries(options.params ?? {}));
  if (options.mac !== undefined && !vars.has('MAC')) vars.set('MAC', [options.mac]);
  const params: Record<string, readonly string[]> = { ...options.params };
  for (const [name, values] of Object.entries(placeholderParams(lookup, root, vars))) {
    if (!vars.has(name)) params[name] = values;
  }
  const iface = options.iface ?? DEFAULT_IFACE;
  const limit = options.maxExpansion !== undefined ? { maxExpansion: options.maxExpansion } : {};
  // The probes are the VM's own packets. When MAC/IP/IPV6 are unbound, libvirt fills them in
  // (learning) with whatever the VM uses; a stand-in value from the documentation ranges plays
  // that part, so "from the VM's own address" is decidable. Other unbound variables stay unknown.
  const vm: VmIdentity = {
    mac: options.mac ?? vars.get('MAC')?.[0] ?? STAND_IN.MAC,
    ip: vars.get('IP')?.[0] ?? STAND_IN.IP,
    ip6: vars.get('IPV6')?.[0] ?? STAND_IN.IPV6,
  };
  const tree = {
    lookup,
    root,
    vars,
    options,
    vm,
    cleanTraffic: checkCleanTraffic(lookup, root, vars, () => {}),
  };
  const findings: Omit<LintFinding, 'root'>[] = [];
  const run = (stage: LintStage, ctx: LintContext) => {
    for (const check of LINT_CHECKS) if (check.stage === stage) findings.push(...check.run(ctx));
  };
  const done = () => ({
    findings: sortFindings(
      dedupeFindings(findings.map((f) => ({ ...f, root: root.name }))),
      root.name,
    ),
    diagnostics,
  });
  run('tree', { ...tree, instances: [], ruleset: null, probe: null });

  const inst = instantiateFilter(lookup, root.name, {
    iface,
    ...(options.mac !== undefined ? { mac: options.mac } : {}),
    params,
    ...limit,
  });
  diagnostics.push(...inst.diagnostics);
  if (inst.diagnostics.some((d) => d.severity === 'error')) return done();
  const instances: RuleInstance[] = inst.rules;
  run('instances', { ...tree, instances, ruleset: null, probe: null });

  const compiled = compileEbiptables(instances, iface);
  // A binding failure the compiler also reports (NWF321, at 1:1) is the finding at the rule.
  const reported = new Set(findings.map((f) => f.code));
  diagnostics.push(...compiled.diagnostics.filter((d) => !reported.has(d.code)));
  if (compiled.diagnostics.some((d) => d.severity === 'error')) return done();

  const probeParams: Record<string, readonly string[]> = { ...params };
  for (const [name, value] of Object.entries(STAND_IN))
    if (!vars.has(name) && name in params) probeParams[name] = [value];
  const probeInst = instantiateFilter(lookup, root.name, {
    iface,
    mac: vm.mac,
    params: probeParams,
    ...limit,
  });
  const probeSet =
    probeInst.diagnostics.length === 0 ? compileEbiptables(probeInst.rules, iface) : null;
  const probe =
    probeSet !== null && probeSet.diagnostics.length === 0
      ? { rules: probeInst.rules, ruleset: probeSet.ruleset }
      : null;
  const full: LintContext = { ...tree, instances, ruleset: compiled.ruleset, probe };
  run('compiled', full);
  if (probe) run('probe', full);
  return done();
}

function sortFindings(findings: LintFinding[], root: string): LintFinding[] {
  return [...findings].sort(
    (a, b) =>
      Number(a.filter !== root) - Number(b.filter !== root) ||
      (a.filter < b.filter ? -1 : a.filter > b.filter ? 1 : 0) ||
      a.entryIndex - b.entryIndex ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** Options of {@link lintWorkspace}: lint options plus which filters to treat as roots. */
export interface LintWorkspaceOptions extends LintOptions {
  /** Root filters to lint; default: every given filter that no other given filter references. */
  roots?: readonly string[];
}

/**
 * Lint a workspace of user filters (the built-in library resolves the rest): each root filter is
 * instantiated and checked; findings about a shared filter are reported once.
 */
export function lintWorkspace(
  filters: readonly FilterDoc[],
  options: LintWorkspaceOptions = {},
): LintResult {
  const referenced = new Set(
    filters.flatMap((f) =>
      f.entries.flatMap((e) => (e.kind === 'filterref' ? [e.ref.filter] : [])),
    ),
  );
  let roots = options.roots ?? filters.filter((f) => !referenced.has(f.name)).map((f) => f.name);
  if (roots.length === 0) roots = filters.map((f) => f.name);
  const lookup = createWorkspaceLookup(filters, builtinLookup);
  const findings: LintFinding[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const root of roots) {
    const r = lintFilter(lookup, root, options);
    findings.push(...r.findings);
    diagnostics.push(...r.diagnostics);
  }
  return { findings: dedupeFindings(findings), diagnostics };
}
