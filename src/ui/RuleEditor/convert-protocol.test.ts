import { describe, expect, it } from 'vitest';
import { applyChange } from '../../core/model';
import type { FilterDoc, Rule } from '../../core/model';
import { parseXml, serializeXml } from '../../store/core-bridge';
import { changeProtocol, keptAttributes } from './convert-protocol';

function firstRule(xml: string): { doc: FilterDoc; rule: Rule } {
  const doc = parseXml(xml).doc;
  const entry = doc?.entries[0];
  if (!doc || entry?.kind !== 'rule') throw new Error('no rule');
  return { doc, rule: entry.rule };
}

const TCP = `<filter name='t'>
  <rule action='accept' direction='in' priority='300'>
    <tcp match='no' srcipaddr='10.0.0.1' dstportstart='22' dstportend='23' flags='SYN/SYN' state='NEW' comment='ssh'/>
  </rule>
</filter>`;

describe('keptAttributes', () => {
  it('keeps the attributes the new element has and accepts, negation included', () => {
    const { rule } = firstRule(TCP);
    // udp has ports, addresses, state and comment, but no TCP flags; each keeps its negation.
    const { flags, ...rest } = rule.attrs;
    expect(flags?.value).toBe('SYN/SYN');
    expect(Object.keys(rest).sort()).toEqual([
      'comment',
      'dstportend',
      'dstportstart',
      'srcipaddr',
      'state',
    ]);
    expect(rest.srcipaddr?.negated).toBe(true);
    expect(keptAttributes(rule, 'udp')).toEqual(rest);
  });

  it('drops a value the new element refuses (an IPv4 address on tcp-ipv6)', () => {
    const { rule } = firstRule(TCP);
    const kept = keptAttributes(rule, 'tcp-ipv6');
    expect(kept.srcipaddr).toBeUndefined();
    expect(kept.dstportstart?.value).toBe('22');
  });

  it('keeps nothing for a rule without an element', () => {
    expect(keptAttributes(firstRule(TCP).rule, null)).toEqual({});
  });
});

describe('changeProtocol', () => {
  it('is one change whose result libvirt reads back the same', () => {
    const { doc, rule } = firstRule(TCP);
    const next = applyChange(doc, changeProtocol(rule, 0, 'udp'));
    const xml = serializeXml(next);
    expect(xml).toContain('<udp ');
    expect(xml).not.toContain('flags=');
    const reread = parseXml(xml);
    expect(reread.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(reread.doc).toEqual(next);
  });
});
