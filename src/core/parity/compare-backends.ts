import { findInstanceBindingFailures } from '../binding/find-binding-failures';
import { bindingFailureDiagnostics } from '../compile/compile-filter';
import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import type { Ruleset } from '../compile/ebiptables/ir';
import { compileNftables } from '../compile/nftables/compile-nftables';
import type { NftRuleset } from '../compile/nftables/ir';
import { NFT_BACKEND_LABEL } from '../compile/nftables/ir';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { InstantiateOptions, RuleInstance, Workspace } from '../instantiate/types';
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
): BackendComparison {
  const inst = instantiateFilter(workspace, root, options);
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
