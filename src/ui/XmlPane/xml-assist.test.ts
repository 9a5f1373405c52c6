import { describe, expect, it } from 'vitest';
import { getElementSpec } from '../../core/model';
import { completeXml, describeXmlWord, findXmlContext } from './xml-assist';

const labels = (before: string) => completeXml(findXmlContext(before)).map((i) => i.label);

describe('findXmlContext', () => {
  it('classifies element names, attribute names, values and text', () => {
    expect(findXmlContext("<filter name='f'>\n  <rule action='accept'>\n    <tc")).toEqual({
      kind: 'element-name',
      parent: 'rule',
      prefix: 'tc',
    });
    expect(findXmlContext("<filter name='f'>\n  <")).toMatchObject({
      kind: 'element-name',
      parent: 'filter',
    });
    expect(findXmlContext("<tcp dstportstart='21' ")).toEqual({
      kind: 'attribute-name',
      element: 'tcp',
      present: ['dstportstart'],
      prefix: '',
    });
    expect(findXmlContext("<tcp state='NEW,EST")).toEqual({
      kind: 'attribute-value',
      element: 'tcp',
      attribute: 'state',
      prefix: 'NEW,EST',
    });
    expect(findXmlContext("<filter name='f'>\n  <!-- a <tcp ")).toEqual({ kind: 'text' });
    expect(findXmlContext("<filter name='f'>\n")).toEqual({ kind: 'text' });
  });
});

describe('completeXml', () => {
  it('offers the protocol elements inside a rule, the structure inside a filter', () => {
    expect(labels("<filter name='f'>\n<rule action='drop' direction='in'>\n<")).toEqual(
      expect.arrayContaining(['tcp', 'udp', 'icmp', 'mac', 'all-ipv6']),
    );
    expect(labels("<filter name='f'>\n<")).toEqual(['rule', 'filterref', 'uuid']);
    expect(labels("<filter name='f'>\n<filterref filter='x'>\n<")).toEqual(['parameter']);
  });

  it('offers every attribute of the element from the table, minus those present, plus match', () => {
    const spec = getElementSpec('udp');
    const got = labels("<udp dstportstart='53' ");
    expect(got).not.toContain('dstportstart');
    expect(got).toContain('match');
    expect(got).toHaveLength((spec?.attributes.length ?? 0) - 1 + 1);
  });

  it('offers enumerated values', () => {
    expect(labels("<rule action='")).toEqual(['drop', 'reject', 'accept', 'return', 'continue']);
    expect(labels("<tcp state='")).toEqual(
      expect.arrayContaining(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID']),
    );
    expect(labels("<tcp match='")).toEqual(['no', 'yes']);
  });
});

describe('describeXmlWord', () => {
  it('documents elements and attributes from the table', () => {
    expect(describeXmlWord('<', 'icmp')).toContain('ICMP');
    expect(describeXmlWord('<tcp ', 'dstportend')).toContain('End of the destination port range');
    expect(describeXmlWord("<rule action='accept' ", 'priority')).toContain('-1000..1000');
    // A value is explained by its attribute.
    expect(describeXmlWord("<tcp state='", 'NEW')).toContain('Connection states');
    expect(describeXmlWord('<tcp ', 'nonsense')).toBeNull();
  });
});
