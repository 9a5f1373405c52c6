import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { InstantiateOptions, RuleInstance, Workspace } from '../instantiate/types';
import type { Diagnostic } from '../model/types';
import { compileEbiptables } from './compile-ebiptables';
import type { Ruleset } from './ir';

/** Instantiation and compilation in one step. */
export interface CompileFilterResult {
  /** null when instantiation or compilation reported an error. */
  ruleset: Ruleset | null;
  instances: RuleInstance[];
  diagnostics: Diagnostic[];
}

/** Instantiate `rootFilterName` for `options.iface` and compile it to the ebtables/iptables Ruleset IR. */
export function compileFilter(
  workspace: Workspace,
  rootFilterName: string,
  options: InstantiateOptions,
): CompileFilterResult {
  const inst = instantiateFilter(workspace, rootFilterName, options);
  if (inst.diagnostics.some((d) => d.severity === 'error')) {
    return { ruleset: null, instances: [], diagnostics: inst.diagnostics };
  }
  const { ruleset, diagnostics } = compileEbiptables(inst.rules, options.iface);
  const all = [...inst.diagnostics, ...diagnostics];
  return {
    ruleset: all.some((d) => d.severity === 'error') ? null : ruleset,
    instances: inst.rules,
    diagnostics: all,
  };
}
