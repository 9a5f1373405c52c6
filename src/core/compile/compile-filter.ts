import { findInstanceBindingFailures } from '../binding/find-binding-failures';
import type { BindingFailure } from '../binding/find-binding-failures';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { InstantiateOptions, RuleInstance, Workspace } from '../instantiate/types';
import type { Diagnostic } from '../model/types';
import type { Backend } from './backend';
import { ebiptablesBackend } from './ebiptables';
import type { Ruleset } from './ebiptables/ir';
import type { AnyRuleset } from './ir';
import { INSTANTIATE_CODES } from '../instantiate/instantiate-filter';
import { decideLearning } from '../learning/learning-plan';
import type { LearningPlan } from '../learning/learning-plan';

/** Instantiation and compilation in one step. */
export interface CompileFilterResult<R = Ruleset> {
  /** null when instantiation or compilation reported an error. */
  ruleset: R | null;
  instances: RuleInstance[];
  diagnostics: Diagnostic[];
  /**
   * Set when the binding has no `IP` and libvirt learns it (`CTRL_IP_LEARNING` any or dhcp):
   * `ruleset` is then the rule set in force while it learns (the backend's learning rules);
   * compile again with the learned address as `IP` for the rules after.
   */
  learning?: LearningPlan;
}

/**
 * Instantiate `rootFilterName` for `options.iface` and compile it with `backend` (default
 * ebiptables: libvirt's ebtables/iptables rules). A binding libvirt's ebiptables driver cannot
 * instantiate (see `findBindingFailures`) gives no ruleset: one error per cause, each with the
 * `entry` it is about, because on a host no rule of it would exist.
 */
export function compileFilter(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
): CompileFilterResult<Ruleset>;
export function compileFilter<R extends AnyRuleset>(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
  backend: Backend<unknown, R>,
): CompileFilterResult<R>;
export function compileFilter(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
  backend: Backend<unknown, AnyRuleset> = ebiptablesBackend as unknown as Backend<
    unknown,
    AnyRuleset
  >,
): CompileFilterResult<AnyRuleset> {
  const inst = instantiateFilter(workspace, rootFilterName, options);
  if (inst.diagnostics.some((d) => d.severity === 'error')) {
    const learn = decideLearning(inst, rootFilterName, options);
    if (learn.kind === 'refused')
      return { ruleset: null, instances: [], diagnostics: learn.diagnostics };
    if (learn.kind === 'learn') {
      const { plan } = learn;
      const servers = plan.mode === 'dhcp' && plan.dhcpServers.length > 0;
      return {
        ruleset: backend.learning.rules(plan.rules, plan.iface, plan.mac, plan.dhcpServers),
        instances: [],
        diagnostics: [
          {
            code: INSTANTIATE_CODES.learning,
            severity: 'info',
            message: `variable 'IP' has no value: libvirt learns the VM's address (CTRL_IP_LEARNING=${plan.mode}) and installs ${plan.mode === 'any' ? `the rules that let pass ${backend.learning.describeBasic(plan.mac)}` : `the rules that let only DHCP pass${servers ? ` (replies from ${plan.dhcpServers.join(', ')})` : ''}`} until it knows it; these are those rules (compile with the address as IP for the rules after)`,
            line: 1,
            column: 1,
          },
        ],
        learning: plan,
      };
    }
    return { ruleset: null, instances: [], diagnostics: inst.diagnostics };
  }
  const failures = backend.id === 'ebiptables' ? findInstanceBindingFailures(inst.rules) : [];
  if (failures.length > 0) {
    const diagnostics = bindingFailureDiagnostics(failures);
    return {
      ruleset: null,
      instances: inst.rules,
      diagnostics: [...inst.diagnostics, ...diagnostics],
    };
  }
  const { ruleset, diagnostics } = backend.compile(inst.rules, options.iface);
  const all = [...inst.diagnostics, ...diagnostics];
  return {
    ruleset: all.some((d) => d.severity === 'error') ? null : ruleset,
    instances: inst.rules,
    diagnostics: all,
  };
}

/** Binding failures as errors at their entry (libvirt defines the filter but cannot bind it). */
export function bindingFailureDiagnostics(failures: readonly BindingFailure[]): Diagnostic[] {
  return failures.map((f) => ({
    code: f.code,
    severity: 'error',
    message: `${f.message} (libvirt cannot bind this filter)`,
    line: 1,
    column: 1,
    entry: { filter: f.filter, entryIndex: f.entryIndex, ruleIndex: f.ruleIndex },
  }));
}
