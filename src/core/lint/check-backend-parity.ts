/**
 * NWF530: rules whose meaning changes under libvirt's proposed nftables driver (series v5/v6, not
 * yet in a release), one finding per XML rule, from the rule-by-rule comparison of the two
 * compiled rule sets (`core/parity`).
 */
import { compileNftables } from '../compile/nftables/compile-nftables';
import { NFT_BACKEND_LABEL } from '../compile/nftables/ir';
import { compareRuleTranslations } from '../parity/compare-rules';
import type { RuleChange } from '../parity/compare-rules';
import { defineCheck } from './lint-check';
import { LINT_CODES } from './lint-codes';

function changeText(c: RuleChange): string {
  const paths = c.paths.join(', ');
  switch (c.kind) {
    case 'verdict':
      return `${c.ebiptables} becomes ${c.nftables} (${paths}): ${c.why}`;
    case 'dropped':
      return `'${c.ebiptables}' is dropped (${paths}): ${c.why}`;
    case 'added':
      return `'${c.nftables}' is added (${paths}): ${c.why}`;
    case 'changed':
      return `'${c.ebiptables}' becomes '${c.nftables}' (${paths}): ${c.why}`;
    case 'only-ebiptables':
      return `no rule for ${paths}, where ebiptables installs '${c.ebiptables}': ${c.why}`;
    case 'only-nftables':
      return `an extra rule for ${paths}, '${c.nftables}': ${c.why}`;
  }
}

/** NWF530: each XML rule the two drivers install with another meaning (stage `compiled`). */
export const backendParity = defineCheck(
  'backend-parity',
  'compiled',
  ['BACKEND_PARITY'],
  (ctx) => {
    const { ruleset, instances } = ctx;
    if (!ruleset) return [];
    const nft = compileNftables(instances, ruleset.iface);
    // A binding the nftables driver refuses has no rule set to compare (compile-nftables says why).
    if (nft.diagnostics.some((d) => d.severity === 'error')) return [];
    return compareRuleTranslations(instances, ruleset, nft.ruleset).map((r) => ({
      filter: r.filter,
      ruleIndex: r.ruleIndex,
      entryIndex: r.entryIndex,
      code: LINT_CODES.BACKEND_PARITY.code,
      severity: LINT_CODES.BACKEND_PARITY.severity,
      message:
        `Under ${NFT_BACKEND_LABEL} this rule means something else: ` +
        `${r.changes.map(changeText).join('; ')}. (nwfilter-studio compare-backends lists every difference.)`,
    }));
  },
);
