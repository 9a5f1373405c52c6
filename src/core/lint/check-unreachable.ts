import type { Ruleset } from '../compile/ebiptables/ir';
import type { FilterLookup, Provenance, RuleInstance } from '../instantiate/types';
import type { FilterDoc, Rule } from '../model/types';
import { checkConnlimitOrder } from './check-rules';
import type { Report } from './check-rules';
import { describeRuleRef, summarizeRule } from './describe-rule';
import { findUnreachableRules } from './find-unreachable-rules';
import { LINT_CODES } from './lint-codes';
import { collect, defineCheck } from './lint-check';

/** Each document's rules by index, built once: findings look rules up by provenance many times. */
const RULES_OF = new WeakMap<FilterDoc, Rule[]>();

function ruleAt(
  lookup: FilterLookup,
  p: Pick<Provenance, 'filter' | 'ruleIndex'>,
): Rule | undefined {
  const doc = lookup(p.filter);
  if (!doc) return undefined;
  let rules = RULES_OF.get(doc);
  if (!rules) {
    rules = doc.entries.flatMap((e) => (e.kind === 'rule' ? [e.rule] : []));
    RULES_OF.set(doc, rules);
  }
  return rules[p.ruleIndex];
}

const VERBS: Record<Rule['action'], string> = {
  accept: 'accepts',
  drop: 'drops',
  reject: 'rejects',
  return: 'returns',
  continue: 'continues with',
};

/**
 * NWF501: rules earlier rules always decide first, together (exact: the regions of the header
 * space over the compiled chains, see find-unreachable-rules.ts), or that no packet can match;
 * "redundant" when the rules that take its packets have its own action. A connlimit drop after
 * an accept is NWF503's finding, not this one's.
 */
export function checkUnreachableRules(
  lookup: FilterLookup,
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  report: Report,
): void {
  const limited = checkConnlimitOrder(instances, () => {});
  for (const u of findUnreachableRules(ruleset)) {
    const p = u.rule;
    if (limited.has(`${p.filter}\u0000${p.ruleIndex}`)) continue;
    const covers = u.coveredBy
      .map((c) => {
        const r = ruleAt(lookup, c);
        return `${describeRuleRef(c)}${r ? ` (${summarizeRule(r)}, priority ${r.priority})` : ''}${r ? ` ${VERBS[r.action]}` : ' decides'}`;
      })
      .join('; ');
    const self = ruleAt(lookup, p);
    const selfText = self ? ` (${summarizeRule(self)}, priority ${self.priority})` : '';
    const coverRules = u.coveredBy.map((c) => ruleAt(lookup, c));
    // Redundant: the rules that take its packets do what it would do with them.
    const redundant =
      self !== undefined &&
      coverRules.length > 0 &&
      coverRules.every((r) => r !== undefined && r.action === self.action);
    const message =
      u.coveredBy.length === 0
        ? `This rule${selfText} can never match: no packet the host can give it meets all its matches at once (the kernel reads some of them only when others hold, e.g. ARP MAC fields only with hardware type Ethernet).`
        : redundant
          ? `This rule${selfText} is redundant: in libvirt's evaluation order (chains, then priorities, then document order) ${covers} every packet it would match before it is reached, in every chain it is installed in.`
          : `This rule${selfText} can never match: in libvirt's evaluation order (chains, then priorities, then document order) ` +
            `${covers} every packet it would match before it is reached, in every chain it is installed in.`;
    report({
      filter: p.filter,
      ruleIndex: p.ruleIndex,
      entryIndex: p.entryIndex,
      code: LINT_CODES.UNREACHABLE_RULE.code,
      severity: LINT_CODES.UNREACHABLE_RULE.severity,
      message,
      related: u.coveredBy.map((c) => ({
        filter: c.filter,
        ruleIndex: c.ruleIndex,
        entryIndex: c.entryIndex,
      })),
    });
  }
}

export const unreachableRule = defineCheck(
  'unreachable-rule',
  'compiled',
  ['UNREACHABLE_RULE'],
  (ctx) => {
    const ruleset = ctx.ruleset;
    return ruleset
      ? collect((r) => checkUnreachableRules(ctx.lookup, ctx.instances, ruleset, r))
      : [];
  },
);
