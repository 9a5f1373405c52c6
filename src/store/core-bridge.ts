import type { FilterDoc, ParseResult } from '../core/model/types';
import { parseFilterXmlFallback } from '../ui/fallback-parse';

/**
 * The store's access to the core's XML layer and built-in library. Stop-gap
 * implementations until `parseFilterXml` / `serializeFilterXml` land in
 * src/core/xml and BUILTIN_FILTERS in src/core/library.
 */
export function parseXml(text: string): ParseResult {
  return parseFilterXmlFallback(text);
}

function esc(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');
}

/** Serializes a document (stop-gap, libvirt-like layout). */
export function serializeXml(doc: FilterDoc): string {
  const out: string[] = [];
  const chain = doc.chain ? ` chain='${esc(doc.chain)}'` : '';
  const prio = doc.chainPriority === null ? '' : ` priority='${doc.chainPriority}'`;
  out.push(`<filter name='${esc(doc.name)}'${chain}${prio}>`);
  if (doc.uuid) out.push(`  <uuid>${esc(doc.uuid)}</uuid>`);
  for (const e of doc.entries) {
    if (e.kind === 'filterref') {
      if (e.ref.params.length === 0) out.push(`  <filterref filter='${esc(e.ref.filter)}'/>`);
      else {
        out.push(`  <filterref filter='${esc(e.ref.filter)}'>`);
        for (const p of e.ref.params) out.push(`    <parameter name='${esc(p.name)}' value='${esc(p.value)}'/>`);
        out.push('  </filterref>');
      }
      continue;
    }
    const r = e.rule;
    const sm = r.statematch ? '' : " statematch='false'";
    const open = `  <rule action='${r.action}' direction='${r.direction}' priority='${r.priority}'${sm}`;
    if (!r.protocol) {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    const attrs = Object.entries(r.attrs);
    const neg = attrs.some(([, v]) => v.negated) ? " match='no'" : '';
    out.push(`    <${r.protocol}${neg}${attrs.map(([k, v]) => ` ${k}='${esc(v.value)}'`).join('')}/>`);
    out.push('  </rule>');
  }
  out.push('</filter>');
  return out.join('\n') + '\n';
}

/** A read-only filter of the built-in library. */
export interface LibraryFilter {
  name: string;
  description: string;
  doc: FilterDoc;
}

/** The built-in filters libvirt ships (empty until src/core/library lands). */
export const LIBRARY_FILTERS: readonly LibraryFilter[] = [];

export function getLibraryFilter(name: string): LibraryFilter | undefined {
  return LIBRARY_FILTERS.find((f) => f.name === name);
}
