import { getElementSpec } from '../../core/model';
import type { DocChange } from '../../core/model';
import type { AttrValue, ProtocolName, Rule } from '../../core/model';
import { checkAttributeValue } from './check-attribute-value';

/**
 * The attributes of `rule` that survive a change of its protocol element to
 * `protocol`: those the new element has and whose value the new element
 * accepts (an IPv4 address does not survive tcp → tcp-ipv6, a comment does),
 * re-canonicalised as the new element stores them.
 */
export function keptAttributes(
  rule: Rule,
  protocol: ProtocolName | null,
): Record<string, AttrValue> {
  const spec = protocol ? getElementSpec(protocol) : undefined;
  const kept: Record<string, AttrValue> = {};
  if (!spec || !protocol) return kept;
  for (const [name, value] of Object.entries(rule.attrs)) {
    if (!spec.attributes.some((a) => a.name === name)) continue;
    const check = checkAttributeValue(protocol, name, value.value, value.negated);
    if (check.ok) kept[name] = { value: check.canonical, negated: value.negated };
  }
  return kept;
}

/** The one change (one undo step) that switches entry `index` to `protocol`, keeping what can be kept. */
export function changeProtocol(
  rule: Rule,
  index: number,
  protocol: ProtocolName | null,
): DocChange {
  return { type: 'set-protocol', index, protocol, attrs: keptAttributes(rule, protocol) };
}
