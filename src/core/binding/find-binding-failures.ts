import { layerOf } from '../compile/ebiptables/compile-ebiptables';
import { IP_PROTOCOL_NAMES } from '../model/attributes';
import type { Rule } from '../model/types';
import { INSTANTIATE_CODES, instantiateFilter } from '../instantiate/instantiate-filter';
import type { InstantiateOptions, RuleInstance, Workspace } from '../instantiate/types';
import { parseVarAccess } from '../instantiate/var-access';

/**
 * Codes of the bindings libvirt cannot instantiate although `nwfilter-define` accepted every
 * filter involved. The instantiate layer's NWF301/NWF303/NWF304 (a missing filter, a variable
 * without a value, lists of different lengths) and the compile layer's NWF321 are the same kind
 * of failure and keep their codes.
 */
export const BINDING_CODES = {
  missingFilter: INSTANTIATE_CODES.missingFilter,
  unresolvedVariable: INSTANTIATE_CODES.unresolvedVariable,
  cardinality: INSTANTIATE_CODES.cardinality,
  stpInoutSrcMac: 'NWF321',
  continueInIptables: 'NWF331',
  commentVariable: 'NWF332',
  portsWithoutPortProtocol: 'NWF333',
  icmpv6TypeWithoutIcmpv6: 'NWF334',
} as const;

/** Where a binding failure comes from: a rule (ruleIndex set) or a filterref (ruleIndex null). */
export interface BindingFailureRef {
  /** Name of the filter holding the entry. */
  filter: string;
  /** Index among the filter's rules (0-based, filterrefs not counted); null for a filterref. */
  ruleIndex: number | null;
  /** Index in the filter's `entries` (rules and filterrefs, document order). */
  entryIndex: number;
}

/** One reason libvirt would refuse to bind the filter to an interface. */
export interface BindingFailure extends BindingFailureRef {
  /** Stable code (see {@link BINDING_CODES}). */
  code: string;
  /** What fails on the host and why, naming the rule. */
  message: string;
}

/** A rule-level reason, before it is tied to the rule's position. */
export interface RuleBindingProblem {
  code: string;
  message: string;
}

/** IP protocols ebtables' ip/ip6 matches accept port matches for (the kernel's ebt_ip check). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMPV6 = 58;
const PORT_ATTRS = ['srcportstart', 'srcportend', 'dstportstart', 'dstportend'];
const ICMP_ATTRS = ['type', 'typeend', 'code', 'codeend'];

function protocolNumber(value: string): number {
  const named = IP_PROTOCOL_NAMES.find(([n]) => n === value.toLowerCase());
  if (named) return named[1];
  const t = value.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  return /^[0-9]+$/.test(t) ? Number(t) : NaN;
}

/**
 * Why libvirt's ebiptables driver, or the tool it runs, refuses this one rule when the filter is
 * bound (`nwfilter-binding-create`, a VM start), although `nwfilter-define` accepted it. `rule`
 * is the rule as written or as instantiated; then `fromVariable` names the attributes whose value
 * a variable gave. Empty when the rule installs. Every case was reproduced with real libvirt 9.0
 * (tests/libvirt-diff).
 */
export function findRuleBindingProblems(
  rule: Rule,
  fromVariable: readonly string[] = [],
): RuleBindingProblem[] {
  const out: RuleBindingProblem[] = [];
  const layer = layerOf(rule);
  if (rule.action === 'continue' && layer !== 'ebtables') {
    out.push({
      code: BINDING_CODES.continueInIptables,
      message: `action 'continue' on a ${rule.protocol ?? ''} rule becomes '${layer} … -j CONTINUE', a target ${layer} does not have ("Chain 'CONTINUE' does not exist"): the whole binding fails. 'continue' works only on layer-2 (ebtables) rules`,
    });
  }
  const comment = rule.attrs.comment;
  // ebtables rules carry no comment, so only the iptables side trips over it.
  const commentIsVariable =
    comment !== undefined && (fromVariable.includes('comment') || !!parseVarAccess(comment.value));
  if (commentIsVariable && layer !== 'ebtables') {
    out.push({
      code: BINDING_CODES.commentVariable,
      message: `the comment is read as a variable reference, but comments cannot take variables: libvirt passes an empty --comment and ${layer} refuses the rule ("Bad argument"), even when the variable has a value`,
    });
  }
  if (rule.protocol === 'ip' || rule.protocol === 'ipv6') {
    const proto = rule.attrs.protocol;
    const num = proto ? protocolNumber(proto.value) : NaN;
    const family = rule.protocol === 'ip' ? 'ip' : 'ip6';
    const ports = PORT_ATTRS.filter((a) => a in rule.attrs);
    if (ports.length > 0 && (!proto || proto.negated || !PORT_PROTOCOLS.has(num))) {
      out.push({
        code: BINDING_CODES.portsWithoutPortProtocol,
        message: `${ports.join('/')} on <${rule.protocol}> needs protocol tcp, udp, udplite, sctp or dccp ${proto?.negated ? "and not negated (match='no' negates the protocol too)" : `(it is ${proto ? `'${proto.value}'` : 'missing'})`}: the kernel refuses the ebtables rule (--${family}-protocol with port matches, "RULE_APPEND failed (Invalid argument)") and the binding fails`,
      });
    }
    const icmp = ICMP_ATTRS.filter((a) => a in rule.attrs);
    if (
      rule.protocol === 'ipv6' &&
      icmp.length > 0 &&
      (!proto || proto.negated || num !== ICMPV6)
    ) {
      out.push({
        code: BINDING_CODES.icmpv6TypeWithoutIcmpv6,
        message: `${icmp.join('/')} on <ipv6> needs protocol icmpv6 (58) ${proto?.negated ? "and not negated (match='no' negates the protocol too)" : `(it is ${proto ? `'${proto.value}'` : 'missing'})`}: the kernel refuses the ebtables rule (--ip6-icmp-type, "RULE_APPEND failed (Invalid argument)") and the binding fails`,
      });
    }
  }
  if (rule.protocol === 'stp' && rule.direction === 'inout' && 'srcmacaddr' in rule.attrs) {
    out.push({
      code: BINDING_CODES.stpInoutSrcMac,
      message:
        "STP filtering in inout direction with source MAC address set is not supported: libvirt's ebtables driver refuses the rule and the binding fails",
    });
  }
  return out;
}

/** The rule-level failures of instantiated rules, one per XML rule and code (not per combination). */
export function findInstanceBindingFailures(instances: readonly RuleInstance[]): BindingFailure[] {
  const out: BindingFailure[] = [];
  const seen = new Set<string>();
  for (const inst of instances) {
    const p = inst.provenance;
    for (const problem of findRuleBindingProblems(inst.rule, inst.fromVariable)) {
      const key = `${p.filter}#${p.entryIndex}#${problem.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        code: problem.code,
        message: `rule ${p.ruleIndex + 1} of filter '${p.filter}': ${problem.message}`,
        filter: p.filter,
        ruleIndex: p.ruleIndex,
        entryIndex: p.entryIndex,
      });
    }
  }
  return out;
}

/**
 * Every reason binding `rootFilterName` to an interface with `options` fails on a real host,
 * although `nwfilter-define` accepts each filter: the instantiation failures (a filterref to a
 * filter that does not exist, a variable without a value, lists of different lengths), then the
 * rules libvirt's ebiptables driver or the kernel refuse ({@link findRuleBindingProblems}).
 * Each failure points at the rule or filterref that causes it. Empty when the binding installs.
 */
export function findBindingFailures(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
): BindingFailure[] {
  const inst = instantiateFilter(workspace, rootFilterName, options);
  const out: BindingFailure[] = [];
  for (const d of inst.diagnostics) {
    if (d.severity !== 'error' || !d.entry) continue;
    out.push({ code: d.code, message: d.message, ...d.entry });
  }
  if (inst.diagnostics.some((d) => d.severity === 'error')) return out;
  return findInstanceBindingFailures(inst.rules);
}
