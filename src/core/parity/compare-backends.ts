import { findInstanceBindingFailures } from '../binding/find-binding-failures';
import { bindingFailureDiagnostics, compileFilter } from '../compile/compile-filter';
import type { Backend } from '../compile/backend';
import { ebiptablesBackend } from '../compile/ebiptables';
import type { AnyRuleset } from '../compile/ir';
import { nftablesBackend } from '../compile/nftables/backend';
import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import type { Ruleset } from '../compile/ebiptables/ir';
import { compileNftables } from '../compile/nftables/compile-nftables';
import type { NftRuleset } from '../compile/nftables/ir';
import { NFT_BACKEND_LABEL } from '../compile/nftables/ir';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { InstantiateOptions, RuleInstance, Workspace } from '../instantiate/types';
import { decideLearning } from '../learning/learning-plan';
import type { LearningPlan } from '../learning/learning-plan';
import { describeLearningRules, learningRunOf } from '../sim/learning-timeline';
import type { LearningRun } from '../sim/learning-timeline';
import type { Diagnostic } from '../model/types';
import type { RuleParity } from './compare-rules';
import { compareRuleTranslations } from './compare-rules';

/** One backend's side of a comparison: its ruleset, or why the binding gives none. */
export interface BackendSide<R> {
  ruleset: R | null;
  /** Errors that keep this backend from installing the filter (each at its rule when it has one). */
  errors: Diagnostic[];
}

/** Both backends compiled from one instantiation, and what they install differently. */
export interface BackendComparison {
  /** The nftables side's label: the driver is a proposal, in no libvirt release. */
  nftablesLabel: string;
  instances: RuleInstance[];
  /** Instantiation errors (no backend compiled). */
  diagnostics: Diagnostic[];
  ebiptables: BackendSide<Ruleset>;
  nftables: BackendSide<NftRuleset>;
  /** XML rules whose installed rules differ (empty when either side has no ruleset). */
  rules: RuleParity[];
  /**
   * Set when the binding has no `IP` and libvirt learns it: the sides and `rules` are then the
   * rules after it learned `address`, and this is what each driver installs meanwhile.
   */
  learning?: LearningComparison;
}

/** A binding that learns its address, under both drivers. */
export interface LearningComparison {
  plan: LearningPlan;
  /** The address the rules after learning are built with (the scenarios' VM address). */
  address: string;
  /** Each driver's rules while it learns, as the Simulator's timeline words them. */
  whileLearning: { ebiptables: string; nftables: string };
  /** Each driver's learning rules and its learner (rebuilding with that driver), for packet runs. */
  runs: {
    ebiptables: { ruleset: Ruleset; learning: LearningRun };
    nftables: { ruleset: NftRuleset; learning: LearningRun };
  };
}

function errorsOf(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}

/**
 * Instantiates `root` once and compiles it with both backends, as libvirt's ebiptables driver
 * and its proposed nftables driver would install it, then compares them rule by rule. A binding
 * only one driver refuses (ebiptables has no `CONTINUE` for iptables rules; nftables refuses STP
 * inout with a source MAC) is itself a difference: that side's `errors`.
 */
export function compareBackends(
  workspace: Workspace,
  root: string,
  options: InstantiateOptions,
  learning: { address: string; host?: { nfConntrackBridge?: boolean } } | null = null,
): BackendComparison {
  const inst = instantiateFilter(workspace, root, options);
  const learn =
    learning && errorsOf(inst.diagnostics).length > 0 ? decideLearning(inst, root, options) : null;
  if (learning && learn?.kind === 'learn') {
    // As the Export and the Analysis do: the rules after learning, compared with the address.
    const after = compareBackends(workspace, root, {
      ...options,
      params: { ...options.params, IP: [learning.address] },
    });
    return {
      ...after,
      learning: learningComparison(workspace, root, options, learn.plan, learning),
    };
  }
  const base: BackendComparison = {
    nftablesLabel: NFT_BACKEND_LABEL,
    instances: inst.rules,
    diagnostics: inst.diagnostics,
    ebiptables: { ruleset: null, errors: [] },
    nftables: { ruleset: null, errors: [] },
    rules: [],
  };
  if (errorsOf(inst.diagnostics).length > 0) return base;
  const failures = findInstanceBindingFailures(inst.rules);
  if (failures.length > 0) {
    base.ebiptables.errors = bindingFailureDiagnostics(failures);
  } else {
    const eb = compileEbiptables(inst.rules, options.iface);
    base.ebiptables = {
      ruleset: errorsOf(eb.diagnostics).length ? null : eb.ruleset,
      errors: errorsOf(eb.diagnostics),
    };
  }
  const nft = compileNftables(inst.rules, options.iface);
  base.nftables = {
    ruleset: errorsOf(nft.diagnostics).length ? null : nft.ruleset,
    errors: errorsOf(nft.diagnostics),
  };
  if (base.ebiptables.ruleset && base.nftables.ruleset)
    base.rules = compareRuleTranslations(
      inst.rules,
      base.ebiptables.ruleset,
      base.nftables.ruleset,
    );
  return base;
}

function learningComparison(
  workspace: Workspace,
  root: string,
  options: InstantiateOptions,
  plan: LearningPlan,
  learning: { address: string; host?: { nfConntrackBridge?: boolean } },
): LearningComparison {
  const side = <R extends AnyRuleset>(backend: Backend<unknown, R>) => {
    const compile = (params: Readonly<Record<string, readonly string[]>> | undefined) =>
      compileFilter(workspace, root, { ...options, params }, backend);
    const start = compile(options.params);
    const run = learningRunOf(
      start,
      (ips) => compile({ ...options.params, IP: ips }),
      learning.host ?? {},
    );
    if (!start.ruleset || !run) throw new Error('a binding that learns has learning rules');
    return { ruleset: start.ruleset, learning: run };
  };
  const runs = {
    ebiptables: side<Ruleset>(ebiptablesBackend),
    nftables: side<NftRuleset>(nftablesBackend),
  };
  return {
    plan,
    address: learning.address,
    whileLearning: {
      ebiptables: describeLearningRules(plan, false, runs.ebiptables.learning.rules),
      nftables: describeLearningRules(plan, false, runs.nftables.learning.rules),
    },
    runs,
  };
}
