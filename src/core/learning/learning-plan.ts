/**
 * Whether and how libvirt learns a binding's IP address (gentech driver,
 * virNWFilterDoInstantiate): only when `IP` is the one variable without a value, in the mode the
 * `CTRL_IP_LEARNING` parameter names (default `any`, case-insensitive), with `DHCPSERVER` as the
 * servers DHCP replies may come from.
 */
import { INSTANTIATE_CODES } from '../instantiate/instantiate-filter';
import type { InstantiateResult } from '../instantiate/types';
import type { Diagnostic } from '../model/types';
import type { LearningRulesKind } from './learning-rules';

/** The values of `CTRL_IP_LEARNING` libvirt knows. */
export type LearningMode = 'any' | 'dhcp' | 'none';

/** libvirt's default (`NWFILTER_DFLT_LEARN`). */
export const DEFAULT_LEARNING_MODE: LearningMode = 'any';

/** How a binding without `IP` is instantiated while libvirt learns the address. */
export interface LearningPlan {
  mode: 'any' | 'dhcp';
  /** The `DHCPSERVER` parameter's values (only `dhcp` uses them). */
  dhcpServers: string[];
  /** The VM's MAC (the binding's), as libvirt prints it. */
  mac: string;
  iface: string;
  /** The rules installed while it learns. */
  rules: LearningRulesKind;
}

/** The outcome for a binding whose instantiation reported errors. */
export type LearningDecision =
  /** Not a learning case: the instantiation's errors stand. */
  | { kind: 'no' }
  /** libvirt refuses the binding: these diagnostics replace the instantiation's. */
  | { kind: 'refused'; diagnostics: Diagnostic[] }
  | { kind: 'learn'; plan: LearningPlan };

/** The mode `CTRL_IP_LEARNING` selects (its first value), or the raw text when libvirt refuses it. */
export function learningModeOf(
  params: Readonly<Record<string, readonly string[]>> | undefined,
): LearningMode | { invalid: string } {
  const raw = params?.['CTRL_IP_LEARNING']?.[0];
  if (raw === undefined) return DEFAULT_LEARNING_MODE;
  const v = raw.toLowerCase();
  return v === 'any' || v === 'dhcp' || v === 'none' ? v : { invalid: raw };
}

/**
 * What libvirt does with a binding whose instantiation `inst` found variables without a value:
 * when `IP` is the only one, it learns it (`any`, `dhcp`), refuses (`none`), or refuses an
 * unknown `CTRL_IP_LEARNING`; anything else is refused as the instantiation says.
 */
export function decideLearning(
  inst: InstantiateResult,
  rootFilterName: string,
  options: {
    iface: string;
    mac?: string | undefined;
    params?: Readonly<Record<string, readonly string[]>> | undefined;
  },
): LearningDecision {
  const unresolved = inst.unresolved ?? [];
  if (unresolved.length !== 1 || unresolved[0] !== 'IP') return { kind: 'no' };
  // Every error must be a missing IP: a missing filter or a cycle is refused before learning.
  if (
    inst.diagnostics.some(
      (d) => d.severity === 'error' && d.code !== INSTANTIATE_CODES.unresolvedVariable,
    )
  )
    return { kind: 'no' };
  const mode = learningModeOf(options.params);
  const at = (code: string, message: string): Diagnostic => ({
    code,
    severity: 'error',
    message,
    line: 1,
    column: 1,
  });
  if (typeof mode === 'object') {
    return {
      kind: 'refused',
      diagnostics: [
        at(
          INSTANTIATE_CODES.learningValue,
          `filter '${rootFilterName}' learning value '${mode.invalid}' invalid: CTRL_IP_LEARNING must be any, dhcp or none (libvirt refuses the binding)`,
        ),
      ],
    };
  }
  if (mode === 'none') {
    return {
      kind: 'refused',
      diagnostics: inst.diagnostics.map((d) =>
        d.code === INSTANTIATE_CODES.unresolvedVariable
          ? {
              ...d,
              message: `${d.message}; CTRL_IP_LEARNING is 'none', so libvirt does not learn it`,
            }
          : d,
      ),
    };
  }
  const mac = options.mac ?? options.params?.['MAC']?.[0];
  if (mac === undefined) {
    return {
      kind: 'refused',
      diagnostics: [
        at(
          INSTANTIATE_CODES.unresolvedVariable,
          `variable 'IP' has no value and libvirt would learn it from the VM's traffic, which needs the VM's MAC address (--mac)`,
        ),
      ],
    };
  }
  return {
    kind: 'learn',
    plan: {
      mode,
      dhcpServers: [...(options.params?.['DHCPSERVER'] ?? [])],
      mac,
      iface: options.iface,
      rules: mode === 'any' ? 'basic' : 'dhcp-only',
    },
  };
}
