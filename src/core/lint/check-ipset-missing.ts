import { describeMissingIpset, findMissingIpsets } from '../host/host-binding';
import { LINT_CODES } from './lint-codes';
import { defineCheck } from './lint-check';

/**
 * NWF520: with a described host (`options.ipsets`), a rule naming an ipset the host lacks; libvirt
 * cannot instantiate the binding, so it is an error at the rule.
 */
export const ipsetMissing = defineCheck('ipset-missing', 'compiled', ['IPSET_MISSING'], (ctx) => {
  const { ruleset } = ctx;
  const { ipsets } = ctx.options;
  if (!ruleset || !ipsets) return [];
  return findMissingIpsets(ruleset, ipsets).map((m) => ({
    filter: m.provenance.filter,
    ruleIndex: m.provenance.ruleIndex,
    entryIndex: m.provenance.entryIndex,
    code: LINT_CODES.IPSET_MISSING.code,
    severity: LINT_CODES.IPSET_MISSING.severity,
    message: `This binding cannot be instantiated: ${describeMissingIpset(m)}`,
  }));
});
