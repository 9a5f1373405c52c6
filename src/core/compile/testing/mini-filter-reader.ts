/**
 * A minimal XML → FilterDoc reader used ONLY until the project parser (src/core/xml) lands, so
 * the compile tests can run against the libvirt corpus. It canonicalises just what the corpus
 * needs (MAC padding, dotted masks → prefix length, match='no').
 */
import { XMLParser } from 'fast-xml-parser';
import type { FilterDoc, FilterEntry, ProtocolName, Rule } from '../../model/types';
import { PROTOCOL_NAMES } from '../../model/types';

function canonMac(v: string): string {
  if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(v)) return v;
  return v
    .split(':')
    .map((p) => p.toLowerCase().padStart(2, '0'))
    .join(':');
}

function maskBits(v: string): string {
  if (/^\d+$/.test(v) || v.startsWith('$')) return v;
  if (v.includes('.')) {
    return String(v.split('.').reduce((n, o) => n + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0));
  }
  // IPv6 mask
  const [head = '', tail = ''] = v.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = v.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return String(groups.reduce((n, g) => n + (parseInt(g || '0', 16).toString(2).match(/1/g)?.length ?? 0), 0));
}

const MAC_ATTRS = new Set(['srcmacaddr', 'srcmacmask', 'dstmacaddr', 'dstmacmask', 'arpsrcmacaddr', 'arpdstmacaddr', 'root-address', 'root-address-mask', 'sender-address', 'sender-address-mask']);
const MASK_ATTRS = new Set(['srcipmask', 'dstipmask', 'arpsrcipmask', 'arpdstipmask']);

export function readFilterForTests(xml: string): FilterDoc {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, commentPropName: '#comment' });
  const tree = parser.parse(xml) as Record<string, unknown>[];
  const filterNode = tree.find((n) => 'filter' in n) as { filter: Record<string, unknown>[]; ':@'?: Record<string, string> };
  const fa = filterNode[':@'] ?? {};
  const entries: FilterEntry[] = [];
  let uuid: string | null = null;
  for (const child of filterNode.filter) {
    const attrs = (child[':@'] ?? {}) as Record<string, string>;
    if ('uuid' in child) {
      uuid = String(((child.uuid as Record<string, unknown>[])[0] as Record<string, unknown>)?.['#text'] ?? '');
    } else if ('filterref' in child) {
      const params = ((child.filterref as Record<string, unknown>[]) ?? [])
        .filter((p) => 'parameter' in p)
        .map((p) => {
          const pa = p[':@'] as Record<string, string>;
          return { name: pa.name as string, value: pa.value as string };
        });
      entries.push({ kind: 'filterref', ref: { filter: attrs.filter as string, params } });
    } else if ('rule' in child) {
      const body = (child.rule as Record<string, unknown>[]).find((c) => Object.keys(c).some((k) => (PROTOCOL_NAMES as readonly string[]).includes(k)));
      let protocol: ProtocolName | null = null;
      const ruleAttrs: Rule['attrs'] = {};
      if (body) {
        protocol = Object.keys(body).find((k) => (PROTOCOL_NAMES as readonly string[]).includes(k)) as ProtocolName;
        const pa = { ...((body[':@'] ?? {}) as Record<string, string>) };
        const negated = pa.match === 'no';
        delete pa.match;
        for (const [k, v0] of Object.entries(pa)) {
          let v = v0;
          if (MAC_ATTRS.has(k)) v = canonMac(v);
          if (MASK_ATTRS.has(k)) v = maskBits(v);
          if (k === 'ipsetflags') v = v.toLowerCase();
          ruleAttrs[k] = { value: v, negated };
        }
      }
      const sm = attrs.statematch;
      entries.push({
        kind: 'rule',
        rule: {
          action: attrs.action as Rule['action'],
          direction: attrs.direction as Rule['direction'],
          priority: attrs.priority !== undefined ? Number(attrs.priority) : 500,
          statematch: !(sm === '0' || sm?.toLowerCase() === 'false'),
          protocol,
          attrs: ruleAttrs,
        },
      });
    }
  }
  return {
    name: fa.name as string,
    chain: fa.chain ?? 'root',
    chainPriority: fa.priority !== undefined ? Number(fa.priority) : null,
    uuid,
    entries,
  };
}
