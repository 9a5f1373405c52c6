import { BINDING_CODES, findInstanceBindingFailures } from '../binding/find-binding-failures';
import type { RuleInstance } from '../instantiate/types';
import type { LintCheck } from './lint-check';

/** Binding failures that do not depend on a variable's value (safe with stand-in values). */
const VALUE_FREE_BINDING_CODES = new Set<string>([
  BINDING_CODES.continueInIptables,
  BINDING_CODES.commentVariable,
  BINDING_CODES.stpInoutSrcMac,
]);

/** Whether a value of the rule came from a stand-in for an unbound variable (`$IP`). */
const standIn = (i: RuleInstance) =>
  Object.values(i.provenance.bindings).some((v) => v.startsWith('$'));

/**
 * Bindings libvirt refuses although it defines the filter (src/core/binding): errors at the
 * rule, with the binding's own codes. A rule whose value came from a stand-in for an unbound
 * variable proves nothing about values, so only the checks that do not read values run on it.
 */
export const bindingRefused: LintCheck = {
  id: 'binding-refused',
  codes: [
    BINDING_CODES.stpInoutSrcMac,
    BINDING_CODES.continueInIptables,
    BINDING_CODES.commentVariable,
    BINDING_CODES.portsWithoutPortProtocol,
    BINDING_CODES.icmpv6TypeWithoutIcmpv6,
  ],
  severity: 'error',
  stage: 'instances',
  run(ctx) {
    const failures = findInstanceBindingFailures(ctx.instances.filter((i) => !standIn(i))).concat(
      findInstanceBindingFailures(ctx.instances.filter(standIn)).filter((f) =>
        VALUE_FREE_BINDING_CODES.has(f.code),
      ),
    );
    return failures.map((f) => ({
      filter: f.filter,
      ruleIndex: f.ruleIndex,
      entryIndex: f.entryIndex,
      code: f.code,
      severity: 'error',
      message: `libvirt cannot bind this filter: ${f.message}`,
    }));
  },
};
