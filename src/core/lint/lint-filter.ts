import { BINDING_CODES, findInstanceBindingFailures } from '../binding/find-binding-failures';
import { describeMissingIpset, findMissingIpsets } from '../host/host-binding';
import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import { createWorkspaceLookup, instantiateFilter } from '../instantiate/instantiate-filter';
import type { FilterLookup, Provenance, RuleInstance, Workspace } from '../instantiate/types';
import { getBuiltinFilter } from '../library';
import { applyLibvirtFixups } from '../model/apply-libvirt-fixups';
import { getElementSpec } from '../model/attributes';
import type { Diagnostic, DroppedAttribute, FilterDoc, Rule } from '../model/types';
import {
  checkDhcpBlocked,
  checkIpv6Open,
  checkSshWithoutDns,
  checkVlanBypass,
} from './check-probes';
import type { VmIdentity } from './check-probes';
import type { Report } from './check-rules';
import { checkFtpPassive, checkRelatedWithoutHelper } from './check-ftp';
import {
  checkChainProtocols,
  checkConnlimitClosing,
  checkConnlimitIcmpTimeout,
  checkConnlimitOrder,
  checkReject,
  checkStatematchFalse,
} from './check-rules';
import {
  checkDroppedAttributes,
  checkDscpReplies,
  checkIcmpTypeRules,
  checkInoutPorts,
} from './check-translation';
import { describeRuleRef, summarizeRule } from './describe-rule';
import { findUnreachableRules } from './find-unreachable-rules';
import { LINT_CODES } from './lint-codes';
import type { LintFinding, LintOptions, LintRef, LintResult } from './types';
import { placeholderParams, walkFilterTree } from './walk-filter-tree';

const CLEAN_TRAFFIC = ['clean-traffic', 'clean-traffic-gateway'];
/** Binding failures that do not depend on a variable's value (safe with stand-in values). */
const VALUE_FREE_BINDING_CODES = new Set<string>([
  BINDING_CODES.continueInIptables,
  BINDING_CODES.commentVariable,
  BINDING_CODES.stpInoutSrcMac,
]);
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

/** Each document's rules by index, built once: findings look rules up by provenance many times. */
const RULES_OF = new WeakMap<FilterDoc, Rule[]>();

function ruleAt(
  lookup: FilterLookup,
  p: Pick<Provenance, 'filter' | 'ruleIndex'>,
): Rule | undefined {
  const doc = lookup(p.filter);
  if (!doc) return undefined;
  let rules = RULES_OF.get(doc);
  if (!rules) {
    rules = doc.entries.flatMap((e) => (e.kind === 'rule' ? [e.rule] : []));
    RULES_OF.set(doc, rules);
  }
  return rules[p.ruleIndex];
}

const VERBS: Record<Rule['action'], string> = {
  accept: 'accepts',
  drop: 'drops',
  reject: 'rejects',
  return: 'returns',
  continue: 'continues with',
};

/** clean-traffic references: IP learning and DHCP trust. */
function checkCleanTraffic(
  lookup: FilterLookup,
  root: FilterDoc,
  vars: ReadonlyMap<string, readonly string[]>,
  report: Report,
): { at: LintRef; learning: boolean }[] {
  const refs: { at: LintRef; learning: boolean }[] = [];
  walkFilterTree(lookup, root, vars, {
    ref(doc, ref, entryIndex, child, childVars) {
      if (!child || !CLEAN_TRAFFIC.includes(child.name)) return;
      const at: LintRef = { filter: doc.name, ruleIndex: null, entryIndex };
      const mode = (childVars.get('CTRL_IP_LEARNING')?.[0] ?? 'any').toLowerCase();
      const hasIp = childVars.has('IP');
      refs.push({ at, learning: !hasIp });
      if (!hasIp) {
        const message =
          mode === 'none'
            ? `${ref.filter} uses $IP, which has no value, and CTRL_IP_LEARNING='none' turns learning off: libvirt refuses to start the interface's filter. Pass IP='…'.`
            : mode === 'dhcp'
              ? `${ref.filter} is referenced without IP: libvirt takes the VM's addresses from the DHCP leases it snoops (CTRL_IP_LEARNING='dhcp'). Until the VM completes a DHCP exchange it may send from no address, and a VM with a static address never gets one. Pass IP='…' to pin the address.`
              : `${ref.filter} is referenced without IP, so libvirt learns the VM's address from the first IPv4 packet the VM sends (CTRL_IP_LEARNING='any'): until then only libvirt's learning rules apply instead of this filter, the first address seen is locked in (whatever the VM sends first, including a spoofed one), and the VM cannot change its address later — a new one counts as spoofing. Pass IP='…' to pin it.`;
        report({
          ...at,
          code: LINT_CODES.CLEAN_TRAFFIC_NO_IP.code,
          severity: mode === 'none' ? 'error' : LINT_CODES.CLEAN_TRAFFIC_NO_IP.severity,
          message,
        });
        if (mode === 'dhcp' && !childVars.has('DHCPSERVER')) {
          report({
            ...at,
            code: LINT_CODES.CLEAN_TRAFFIC_DHCP.code,
            severity: LINT_CODES.CLEAN_TRAFFIC_DHCP.severity,
            message:
              "CTRL_IP_LEARNING='dhcp' without DHCPSERVER: libvirt trusts a DHCP answer from any host, so another VM on the segment that answers first can hand this VM an address that libvirt then locks in. " +
              'Set DHCPSERVER to the trusted server(s) and reference allow-dhcp-server, which accepts answers only from them.',
          });
        }
      }
    },
  });
  return refs;
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
  const findings: LintFinding[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!root) {
    diagnostics.push({
      code: 'NWF305',
      severity: 'error',
      message: `filter '${rootFilterName}' does not exist`,
      line: 1,
      column: 1,
    });
    return { findings, diagnostics };
  }
  // One finding per code, place and message, found in a set (a scan of the findings so far made
  // a filter with thousands of findings quadratic).
  const reported = new Set<string>();
  const report: Report = (f) => {
    const key = `${f.code}\u0000${f.filter}\u0000${f.entryIndex}\u0000${f.message}`;
    if (reported.has(key)) return;
    reported.add(key);
    findings.push({ ...f, root: root.name });
  };

  const vars = new Map<string, readonly string[]>(Object.entries(options.params ?? {}));
  if (options.mac !== undefined && !vars.has('MAC')) vars.set('MAC', [options.mac]);
  const params: Record<string, readonly string[]> = { ...options.params };
  for (const [name, values] of Object.entries(placeholderParams(lookup, root, vars))) {
    if (!vars.has(name)) params[name] = values;
  }

  const clean = checkCleanTraffic(lookup, root, vars, report);
  // Attributes libvirt drops: recorded by the parser (options.dropped), or still in a document
  // built another way (the rule form can put ipset and ipsetflags on a <tcp> rule).
  const inTree = new Set([root.name]);
  const held: Record<string, DroppedAttribute[]> = {};
  walkFilterTree(lookup, root, vars, {
    ref(_doc, _ref, _e, child) {
      if (child) inTree.add(child.name);
    },
    rule(doc, rule, entryIndex) {
      const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
      if (!spec?.ipsetFixup || !(rule.attrs.ipset || rule.attrs.ipsetflags)) return;
      const fixed = applyLibvirtFixups(spec, rule.attrs).attrs;
      for (const name of ['ipset', 'ipsetflags'] as const) {
        const written = rule.attrs[name];
        if (written && !fixed[name])
          (held[doc.name] ??= []).push({
            entryIndex,
            element: spec.name,
            attribute: name,
            value: written.value,
            reason: 'ipset-fixup',
          });
      }
    },
  });
  checkDroppedAttributes(lookup, inTree, options.dropped ?? {}, 'read', report);
  checkDroppedAttributes(lookup, inTree, held, 'written', report);

  const iface = options.iface ?? DEFAULT_IFACE;
  const inst = instantiateFilter(lookup, root.name, {
    iface,
    ...(options.mac !== undefined ? { mac: options.mac } : {}),
    params,
    ...(options.maxExpansion !== undefined ? { maxExpansion: options.maxExpansion } : {}),
  });
  diagnostics.push(...inst.diagnostics);
  if (inst.diagnostics.some((d) => d.severity === 'error'))
    return { findings: sortFindings(findings, root.name), diagnostics };
  const instances: RuleInstance[] = inst.rules;

  // Bindings libvirt refuses although it defines the filter (src/core/binding): errors at the
  // rule. A rule whose value came from a stand-in for an unbound variable proves nothing about
  // values, so only the checks that do not read values run on it.
  const refused = new Set<string>();
  for (const f of findInstanceBindingFailures(
    instances.filter((i) => !Object.values(i.provenance.bindings).some((v) => v.startsWith('$'))),
  ).concat(
    findInstanceBindingFailures(
      instances.filter((i) => Object.values(i.provenance.bindings).some((v) => v.startsWith('$'))),
    ).filter((f) => VALUE_FREE_BINDING_CODES.has(f.code)),
  )) {
    refused.add(f.code);
    report({
      filter: f.filter,
      ruleIndex: f.ruleIndex,
      entryIndex: f.entryIndex,
      code: f.code,
      severity: 'error',
      message: `libvirt cannot bind this filter: ${f.message}`,
    });
  }

  const limited = checkConnlimitOrder(instances, report);
  checkConnlimitIcmpTimeout(instances, options.icmpTimeout ?? 30, report);
  checkStatematchFalse(instances, report);
  checkChainProtocols(instances, report);
  checkReject(instances, options.bridgeHasAddress ?? false, report);
  checkInoutPorts(instances, report);

  const compiled = compileEbiptables(instances, iface);
  // The compiler's own NWF321 (at 1:1) is the finding above, at the rule.
  diagnostics.push(...compiled.diagnostics.filter((d) => !refused.has(d.code)));
  if (compiled.diagnostics.some((d) => d.severity === 'error'))
    return { findings: sortFindings(findings, root.name), diagnostics };
  const ruleset = compiled.ruleset;

  if (options.ipsets)
    for (const m of findMissingIpsets(ruleset, options.ipsets))
      report({
        filter: m.provenance.filter,
        ruleIndex: m.provenance.ruleIndex,
        entryIndex: m.provenance.entryIndex,
        code: LINT_CODES.IPSET_MISSING.code,
        severity: LINT_CODES.IPSET_MISSING.severity,
        message: `This binding cannot be instantiated: ${describeMissingIpset(m)}`,
      });

  for (const u of findUnreachableRules(ruleset)) {
    const p = u.rule;
    if (limited.has(`${p.filter}\u0000${p.ruleIndex}`)) continue;
    const covers = u.coveredBy
      .map((c) => {
        const r = ruleAt(lookup, c);
        return `${describeRuleRef(c)}${r ? ` (${summarizeRule(r)}, priority ${r.priority})` : ''}${r ? ` ${VERBS[r.action]}` : ' decides'}`;
      })
      .join('; ');
    const self = ruleAt(lookup, p);
    report({
      filter: p.filter,
      ruleIndex: p.ruleIndex,
      entryIndex: p.entryIndex,
      code: LINT_CODES.UNREACHABLE_RULE.code,
      severity: LINT_CODES.UNREACHABLE_RULE.severity,
      message:
        `This rule${self ? ` (${summarizeRule(self)}, priority ${self.priority})` : ''} can never match: in libvirt's evaluation order (chains, then priorities, then document order) ` +
        `${covers} every packet it would match before it is reached, in every chain it is installed in.`,
      related: u.coveredBy.map((c) => ({
        filter: c.filter,
        ruleIndex: c.ruleIndex,
        entryIndex: c.entryIndex,
      })),
    });
  }

  // The probes are the VM's own packets. When MAC/IP/IPV6 are unbound, libvirt fills them in
  // (learning) with whatever the VM uses; a stand-in value from the documentation ranges plays
  // that part, so "from the VM's own address" is decidable. Other unbound variables stay unknown.
  const vm: VmIdentity = {
    mac: options.mac ?? vars.get('MAC')?.[0] ?? STAND_IN.MAC,
    ip: vars.get('IP')?.[0] ?? STAND_IN.IP,
    ip6: vars.get('IPV6')?.[0] ?? STAND_IN.IPV6,
  };
  const probeParams: Record<string, readonly string[]> = { ...params };
  for (const [name, value] of Object.entries(STAND_IN))
    if (!vars.has(name) && name in params) probeParams[name] = [value];
  const probeInst = instantiateFilter(lookup, root.name, {
    iface,
    mac: vm.mac,
    params: probeParams,
    ...(options.maxExpansion !== undefined ? { maxExpansion: options.maxExpansion } : {}),
  });
  const probeSet =
    probeInst.diagnostics.length === 0 ? compileEbiptables(probeInst.rules, iface) : null;
  const probeOk = probeSet !== null && probeSet.diagnostics.length === 0;
  checkIcmpTypeRules(instances, probeOk ? probeSet.ruleset : null, vm, report);
  checkDscpReplies(instances, probeOk ? probeSet.ruleset : null, vm, report);
  if (probeSet && probeOk) {
    const probeRules = probeInst.rules;
    const helper = options.ftpHelper ?? false;
    checkRelatedWithoutHelper(probeRules, probeSet.ruleset, vm, helper, report);
    checkFtpPassive(probeRules, probeSet.ruleset, vm, helper, report);
    checkConnlimitClosing(probeRules, probeSet.ruleset, vm, report);
    checkSshWithoutDns(probeRules, probeSet.ruleset, vm, report);
    for (const c of clean)
      checkDhcpBlocked(probeRules, probeSet.ruleset, vm, c.at, c.learning, report);
    checkVlanBypass(probeSet.ruleset, vm, report);
    checkIpv6Open(probeRules, probeSet.ruleset, vm, report);
  }

  return { findings: sortFindings(findings, root.name), diagnostics };
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
    for (const f of r.findings) {
      if (
        !findings.some(
          (g) =>
            g.code === f.code &&
            g.filter === f.filter &&
            g.entryIndex === f.entryIndex &&
            g.message === f.message,
        )
      )
        findings.push(f);
    }
    diagnostics.push(...r.diagnostics);
  }
  return { findings, diagnostics };
}
