import { parseVarAccess as parseModelVarAccess } from '../model/libvirt-syntax';
import { getElementSpec } from '../model/attributes';
import type { Rule } from '../model/types';

/**
 * A variable reference in an attribute value, as libvirt parses it:
 * `$X` is `$X[@0]` (iterator 0), `$X[@n]` iterator n, `$X[n]` the n-th element.
 */
export type VarAccess =
  | { kind: 'iterator'; name: string; iterId: number }
  | { kind: 'element'; name: string; index: number };

/**
 * Parse an attribute value as a variable reference; null when it is a literal. A value is a
 * reference exactly when libvirt takes it for one: it starts with `$` (even a lone `$`, the
 * variable with the empty name, which no parameter can set). The text after `$` is read by the
 * one parser the validator uses too ({@link parseModelVarAccess}); a malformed one is the
 * validator's error, so it never reaches instantiation.
 */
export function parseVarAccess(value: string): VarAccess | null {
  if (!value.startsWith('$')) return null;
  const v = parseModelVarAccess(value.slice(1));
  if ('error' in v) return null;
  return v.kind === 'iterator'
    ? { kind: 'iterator', name: v.name, iterId: v.index }
    : { kind: 'element', name: v.name, index: v.index };
}

/** libvirt's text for an access (`A`, `A[@1]`, `A[2]`), as in its "unresolvable variables" error. */
export function formatVarAccess(a: VarAccess): string {
  if (a.kind === 'element') return `${a.name}[${a.index}]`;
  return a.iterId === 0 ? a.name : `${a.name}[@${a.iterId}]`;
}

function sameAccess(a: VarAccess, b: VarAccess): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  return a.kind === 'element'
    ? a.index === (b as { index: number }).index
    : a.iterId === (b as { iterId: number }).iterId;
}

/**
 * The attribute names of a rule in the order of libvirt's per-protocol attribute table
 * (nwfilter_conf.c, which the model's element specs keep; unknown names last, in their own
 * order). libvirt records a rule's variable accesses in this order, which fixes the order of the
 * combination iterators.
 */
export function orderedAttrNames(rule: Rule): string[] {
  const names = Object.keys(rule.attrs);
  const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
  if (!spec) return names;
  const order = spec.attributes.map((a) => a.name);
  const known = order.filter((n) => n in rule.attrs);
  return [...known, ...names.filter((n) => !order.includes(n))];
}

/** The distinct variable accesses of a rule, in the order libvirt records them. */
export function collectVarAccesses(rule: Rule): VarAccess[] {
  const out: VarAccess[] = [];
  for (const name of orderedAttrNames(rule)) {
    const attr = rule.attrs[name];
    if (!attr) continue;
    const a = parseVarAccess(attr.value);
    if (a && !out.some((b) => sameAccess(a, b))) out.push(a);
  }
  return out;
}
