import { getElementSpec } from './attributes';
import type { ElementSpec } from './attributes';
import type { AttrValue, Rule } from './types';

/** Something libvirt changed silently while fixing up a parsed rule. */
export interface FixupNote {
  attribute: string;
  message: string;
}

/**
 * libvirt's `virNWFilterRuleDefFixup` over a rule's attributes: copies the
 * `match='no'` of one attribute onto its partner (e.g. srcipmask takes the
 * negation of srcipaddr, dstportstart that of srcportstart) and applies the
 * ipset fix-up (an ipset without ipsetflags gets `src`; otherwise both are
 * dropped). Returns the fixed attributes and what changed.
 */
export function applyLibvirtFixups(
  spec: ElementSpec,
  attrs: Readonly<Record<string, AttrValue>>,
): { attrs: Record<string, AttrValue>; notes: FixupNote[] } {
  const out: Record<string, AttrValue> = {};
  let anyNegated = false;
  for (const k in attrs) {
    const v = attrs[k] as AttrValue;
    if (v.negated) anyNegated = true;
    out[k] = { ...v };
  }
  const notes: FixupNote[] = [];
  // Without any match='no' every partner copy is a no-op; most rules take this path.
  if (!anyNegated && !(spec.ipsetFixup && (out.ipset || out.ipsetflags)))
    return { attrs: out, notes };
  for (const a of spec.attributes) {
    if (!a.negationFrom) continue;
    const target = out[a.name];
    if (!target) continue;
    const negated = out[a.negationFrom]?.negated ?? false;
    if (target.negated !== negated) {
      notes.push({
        attribute: a.name,
        message: `libvirt gives ${a.name} the match='${negated ? 'no' : 'yes'}' of ${a.negationFrom}${out[a.negationFrom] ? '' : ' (absent)'}, so ${a.name} becomes ${negated ? 'negated' : 'not negated'}`,
      });
      target.negated = negated;
    }
  }
  if (spec.ipsetFixup && (out.ipset || out.ipsetflags)) {
    if (out.ipset && !out.ipsetflags) {
      out.ipsetflags = { value: 'src', negated: false };
      notes.push({
        attribute: 'ipset',
        message: "libvirt adds ipsetflags='src' to an ipset without ipsetflags",
      });
    } else {
      // libvirt's virNWFilterRuleDefFixupIPSet drops both in every other case.
      for (const name of ['ipset', 'ipsetflags'] as const) {
        if (out[name]) {
          delete out[name];
          notes.push({
            attribute: name,
            message: `libvirt drops ${name} on <${spec.name}> here (only <all>/<all-ipv6> keep ipset together with ipsetflags)`,
          });
        }
      }
    }
  }
  return { attrs: out, notes };
}

/**
 * The `match='no'` every firewall driver sees after libvirt's `virNWFilterRuleDefFixup`, for the
 * attributes the fix-up rewrites (from the attribute table's `negationFrom`: masks follow their
 * address, range ends their start, and — a long-standing libvirt quirk — the destination port
 * follows the SOURCE port). Keys are the rewritten attributes, present or not.
 */
export function fixedNegations(rule: Rule): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
  if (!spec) return out;
  for (const a of spec.attributes)
    if (a.negationFrom) out[a.name] = rule.attrs[a.negationFrom]?.negated ?? false;
  return out;
}
