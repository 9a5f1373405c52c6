import { describe, expect, it } from 'vitest';
import type { FilterDoc, Rule } from '../model/types';
import { serializeFilterXml } from './serialize-filter-xml';

const rule = (r: Partial<Rule>): Rule => ({
  action: 'accept',
  direction: 'in',
  priority: 500,
  statematch: true,
  protocol: null,
  attrs: {},
  ...r,
});
const doc = (d: Partial<FilterDoc>): FilterDoc => ({
  name: 'f',
  chain: 'root',
  chainPriority: 0,
  uuid: null,
  entries: [],
  ...d,
});

describe('serializeFilterXml (libvirt virNWFilterDefFormat)', () => {
  it('writes the filter head, chain priority only when not 0, and a trailing newline', () => {
    expect(serializeFilterXml(doc({}))).toBe("<filter name='f' chain='root'>\n</filter>\n");
    expect(
      serializeFilterXml(
        doc({ chain: 'ipv4', chainPriority: -700, uuid: '5c6d49af-b071-6127-b4ec-6f8ed4b55335' }),
      ),
    ).toBe(
      "<filter name='f' chain='ipv4' priority='-700'>\n  <uuid>5c6d49af-b071-6127-b4ec-6f8ed4b55335</uuid>\n</filter>\n",
    );
    // null means the chain's default.
    expect(serializeFilterXml(doc({ chain: 'mac-x', chainPriority: null }))).toContain(
      "chain='mac-x' priority='-800'>",
    );
  });

  it('writes rules with priority, statematch only when false, and a bare rule without protocol', () => {
    const text = serializeFilterXml(
      doc({
        entries: [
          { kind: 'rule', rule: rule({ statematch: false, priority: -5 }) },
          { kind: 'rule', rule: rule({ protocol: 'icmp' }) },
        ],
      }),
    );
    expect(text).toBe(
      "<filter name='f' chain='root'>\n" +
        "  <rule action='accept' direction='in' priority='-5' statematch='false'/>\n" +
        "  <rule action='accept' direction='in' priority='500'>\n    <icmp/>\n  </rule>\n" +
        '</filter>\n',
    );
  });

  it('writes attributes in table order, the negated ones in a second element with match=no', () => {
    const r = rule({
      protocol: 'tcp',
      attrs: {
        comment: { value: 'c', negated: false },
        dstportstart: { value: '22', negated: true },
        srcipaddr: { value: '10.0.0.1', negated: true },
        state: { value: 'NEW', negated: false },
      },
    });
    expect(serializeFilterXml(doc({ entries: [{ kind: 'rule', rule: r }] }))).toContain(
      "    <tcp state='NEW' comment='c'/>\n    <tcp match='no' srcipaddr='10.0.0.1' dstportstart='22'/>\n",
    );
  });

  it('escapes comments as virBufferEscapeString does', () => {
    const r = rule({
      protocol: 'all',
      attrs: { comment: { value: `a<b>&'"\u0001z`, negated: false } },
    });
    expect(serializeFilterXml(doc({ entries: [{ kind: 'rule', rule: r }] }))).toContain(
      "<all comment='a&lt;b&gt;&amp;&apos;&quot;z'/>",
    );
  });

  it('writes filterref parameters grouped and sorted by name', () => {
    const text = serializeFilterXml(
      doc({
        entries: [
          {
            kind: 'filterref',
            ref: {
              filter: 'x',
              params: [
                { name: 'b', value: '1' },
                { name: 'a', value: '2' },
                { name: 'b', value: '3' },
              ],
            },
          },
          { kind: 'filterref', ref: { filter: 'y', params: [] } },
        ],
      }),
    );
    expect(text).toBe(
      "<filter name='f' chain='root'>\n" +
        "  <filterref filter='x'>\n    <parameter name='a' value='2'/>\n    <parameter name='b' value='1'/>\n    <parameter name='b' value='3'/>\n  </filterref>\n" +
        "  <filterref filter='y'/>\n" +
        '</filter>\n',
    );
  });
});
