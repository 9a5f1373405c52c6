import type { FilterDoc, FilterEntry, ParseResult, ProtocolName, RuleAction, RuleDirection } from '../core/model/types';

/**
 * Stop-gap reader used until the core's `parseFilterXml` lands: enough of the
 * format to list the example's rules. No validation, no canonical values.
 */
export function parseFilterXmlFallback(text: string): ParseResult {
  const dom = new DOMParser().parseFromString(text, 'application/xml');
  const root = dom.documentElement;
  if (root.nodeName !== 'filter' || dom.getElementsByTagName('parsererror').length > 0) {
    return { doc: null, diagnostics: [{ code: 'NWF000', severity: 'error', message: 'not a filter document', line: 1, column: 1 }] };
  }
  const entries: FilterEntry[] = [];
  let uuid: string | null = null;
  for (const el of Array.from(root.children)) {
    if (el.nodeName === 'uuid') uuid = el.textContent;
    if (el.nodeName === 'filterref') {
      entries.push({
        kind: 'filterref',
        ref: {
          filter: el.getAttribute('filter') ?? '',
          params: Array.from(el.children).map((p) => ({ name: p.getAttribute('name') ?? '', value: p.getAttribute('value') ?? '' })),
        },
      });
    }
    if (el.nodeName === 'rule') {
      const proto = el.children[0];
      const attrs: Record<string, { value: string; negated: boolean }> = {};
      const negated = proto?.getAttribute('match') === 'no';
      for (const a of Array.from(proto?.attributes ?? [])) {
        if (a.name !== 'match') attrs[a.name] = { value: a.value, negated };
      }
      const sm = el.getAttribute('statematch');
      entries.push({
        kind: 'rule',
        rule: {
          action: (el.getAttribute('action') ?? 'accept') as RuleAction,
          direction: (el.getAttribute('direction') ?? 'inout') as RuleDirection,
          priority: Number(el.getAttribute('priority') ?? 500),
          statematch: !(sm === 'false' || sm === '0'),
          protocol: (proto?.nodeName ?? null) as ProtocolName | null,
          attrs,
        },
      });
    }
  }
  const cp = root.getAttribute('priority');
  const doc: FilterDoc = {
    name: root.getAttribute('name') ?? '',
    chain: root.getAttribute('chain') ?? 'root',
    chainPriority: cp === null ? null : Number(cp),
    uuid,
    entries,
  };
  return { doc, diagnostics: [] };
}
