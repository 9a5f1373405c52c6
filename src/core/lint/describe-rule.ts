import type { Provenance, RuleInstance } from '../instantiate/types';
import type { Rule } from '../model/types';

/** `rule 3 of filter 'web'` (1-based, as the other layers count rules). */
export function describeRuleRef(p: Pick<Provenance, 'filter' | 'ruleIndex'>): string {
  return `rule ${p.ruleIndex + 1} of filter '${p.filter}'`;
}

/** A one-line summary of a rule as written: `accept in <tcp dstportstart='22'>`. */
export function summarizeRule(rule: Rule): string {
  const attrs = Object.entries(rule.attrs)
    .filter(([name]) => name !== 'comment')
    .map(([name, a]) => `${name}${a.negated ? '!' : ''}='${a.value}'`)
    .join(' ');
  const proto = rule.protocol === null ? '' : ` <${rule.protocol}${attrs ? ` ${attrs}` : ''}>`;
  return `${rule.action} ${rule.direction}${proto}${rule.statematch ? '' : " statematch='false'"}`;
}

/** The inclusive port range of `start`/`end` attributes, or null when absent, negated or not numeric. */
export function portRange(
  rule: Rule,
  start: string,
  end: string,
): { lo: number; hi: number } | null {
  const s = rule.attrs[start];
  if (!s || s.negated || !/^\d+$/.test(s.value)) return null;
  const e = rule.attrs[end];
  const lo = Number(s.value);
  const hi = e && /^\d+$/.test(e.value) ? Number(e.value) : lo;
  return { lo, hi };
}

/** `rule 8 of filter 'f' (drop inout <all>)`, the rule found among the instances; a rule-less verdict is the chain's end. */
export function describeDecider(
  instances: readonly RuleInstance[],
  p: Pick<Provenance, 'filter' | 'ruleIndex'> | null | undefined,
): string {
  if (!p) return 'the end of the chain';
  const r = instances.find(
    (i) => i.provenance.filter === p.filter && i.provenance.ruleIndex === p.ruleIndex,
  )?.rule;
  return `${describeRuleRef(p)}${r ? ` (${summarizeRule(r)})` : ''}`;
}

/** The rule's state attribute as upper-case names, or null without one (or negated). */
export function statesOf(rule: Rule): string[] | null {
  const s = rule.attrs.state;
  if (!s || s.negated) return null;
  return s.value.split(',').map((x) => x.trim().toUpperCase());
}
