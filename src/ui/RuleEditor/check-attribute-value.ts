import type { Diagnostic, ProtocolName } from '../../core/model';
import { parseXml } from '../../store/core-bridge';

/** The verdict on one attribute value typed into a form field. */
export type ValueCheck = { ok: true; canonical: string } | { ok: false; message: string };

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');
}

function firstError(diagnostics: Diagnostic[]): Diagnostic | undefined {
  return diagnostics.find((d) => d.severity === 'error');
}

const cache = new Map<string, ValueCheck>();

/**
 * Checks a value exactly as libvirt would, by running the core's parser on a
 * one-rule filter holding just this attribute: the form then accepts what the
 * XML accepts, with the same message, and stores libvirt's canonical text.
 */
export function checkAttributeValue(
  protocol: ProtocolName,
  name: string,
  value: string,
  negated = false,
): ValueCheck {
  const key = `${protocol}\u0000${name}\u0000${negated ? 1 : 0}\u0000${value}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const xml = `<filter name='field-check'><rule action='accept' direction='in'><${protocol}${
    negated ? " match='no'" : ''
  } ${name}='${escapeAttr(value)}'/></rule></filter>`;
  const result = parseXml(xml);
  const error = firstError(result.diagnostics);
  let check: ValueCheck;
  if (error || !result.doc) {
    check = { ok: false, message: error?.message ?? 'invalid value' };
  } else {
    const entry = result.doc.entries[0];
    const canonical = entry?.kind === 'rule' ? entry.rule.attrs[name]?.value : undefined;
    check =
      canonical === undefined
        ? { ok: false, message: `libvirt ignores ${name} here` }
        : { ok: true, canonical };
  }
  if (cache.size > 2000) cache.clear();
  cache.set(key, check);
  return check;
}
