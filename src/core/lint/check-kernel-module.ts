import { compileNftables } from '../compile/nftables/compile-nftables';
import { describeMissingKernelFeature, findMissingKernelFeatures } from '../host/host-binding';
import { LINT_CODES } from './lint-codes';
import { defineCheck } from './lint-check';

/**
 * NWF521: under the nftables backend, a rule whose `ct` expression the host's kernel refuses
 * (no `nf_conntrack_bridge`); libvirt's driver cannot apply the filter, so it is an error at the rule.
 */
export const kernelModuleMissing = defineCheck(
  'kernel-module-missing',
  'compiled',
  ['KERNEL_MODULE_MISSING'],
  (ctx) => {
    if (ctx.options.backend !== 'nftables' || ctx.options.nfConntrackBridge !== false) return [];
    const { ruleset } = compileNftables(ctx.instances, ctx.options.iface ?? 'vnet0');
    return findMissingKernelFeatures(ruleset, ctx.options).map((m) => ({
      filter: m.provenance.filter,
      ruleIndex: m.provenance.ruleIndex,
      entryIndex: m.provenance.entryIndex,
      code: LINT_CODES.KERNEL_MODULE_MISSING.code,
      severity: LINT_CODES.KERNEL_MODULE_MISSING.severity,
      message: `This filter cannot be applied: ${describeMissingKernelFeature(m)}`,
    }));
  },
);
