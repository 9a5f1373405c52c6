import { describe, expect, it } from 'vitest';
import {
  ELEMENT_TABLE,
  FILTER_ATTRIBUTES,
  RULE_ATTRIBUTES,
  getAttributeSpec,
  getChainType,
  getDefaultChainPriority,
  getElementSpec,
} from './attributes';
import { PROTOCOL_NAMES } from './types';

describe('ELEMENT_TABLE', () => {
  it('describes every protocol element libvirt accepts, each once', () => {
    expect(ELEMENT_TABLE.map((e) => e.name).sort()).toEqual([...PROTOCOL_NAMES].sort());
    expect(getElementSpec('tcp')?.layer).toBe('ipv4');
    expect(getElementSpec('icmpv6')?.layer).toBe('ipv6');
    expect(getElementSpec('arp')?.layer).toBe('ethernet');
    expect(getElementSpec('TCP')).toBeUndefined();
  });

  it('is internally consistent and documented', () => {
    for (const e of ELEMENT_TABLE) {
      const names = e.attributes.map((a) => a.name);
      expect(new Set(names).size, e.name).toBe(names.length);
      expect(names.at(-1), e.name).toBe('comment');
      for (const a of e.attributes) {
        expect(a.doc.length, `${e.name}.${a.name}`).toBeGreaterThan(10);
        expect(a.dataTypes.length).toBeGreaterThan(0);
        expect(a.variableAllowed).toBe(true);
        if (a.negationFrom) expect(names, `${e.name}.${a.name}`).toContain(a.negationFrom);
      }
    }
  });

  it('records libvirt table facts', () => {
    expect(getElementSpec('tcp')?.attributes.map((a) => a.name)).toEqual([
      'srcmacaddr',
      'srcipaddr',
      'srcipmask',
      'dstipaddr',
      'dstipmask',
      'srcipfrom',
      'srcipto',
      'dstipfrom',
      'dstipto',
      'dscp',
      'connlimit-above',
      'state',
      'ipset',
      'ipsetflags',
      'srcportstart',
      'srcportend',
      'dstportstart',
      'dstportend',
      'option',
      'flags',
      'comment',
    ]);
    expect(getAttributeSpec('tcp-ipv6', 'flags')).toBeUndefined();
    expect(getAttributeSpec('tcp-ipv6', 'srcipaddr')?.dataTypes).toEqual(['ipv6Addr']);
    expect(getAttributeSpec('tcp-ipv6', 'dstipto')?.dataTypes).toEqual(['ipv4Addr']);
    expect(getAttributeSpec('ip', 'dstportstart')?.negationFrom).toBeUndefined();
    expect(getAttributeSpec('udp', 'dstportstart')?.negationFrom).toBe('srcportstart');
    expect(getAttributeSpec('connlimit-above', 'x')).toBeUndefined();
    expect(getAttributeSpec('all', 'connlimit-above')).toMatchObject({
      dataTypes: ['uint16'],
      hex: false,
    });
    expect(getAttributeSpec('stp', 'root-cost')).toMatchObject({ hex: true, max: 0xffffffff });
    expect(getElementSpec('all')?.ipsetFixup).toBe(false);
    expect(getElementSpec('ip')?.portsNeedProtocol).toBe(true);
  });
});

describe('chains', () => {
  it('accepts root and the chain-type prefixes, as libvirt does', () => {
    expect(getChainType('root')).toBe('root');
    expect(getChainType('rootx')).toBeNull();
    expect(getChainType('ipv4-xyz')).toBe('ipv4');
    expect(getChainType('arp-testme')).toBe('arp');
    expect(getChainType('rarp')).toBe('rarp');
    expect(getChainType('macfoo')).toBe('mac');
    expect(getChainType('tcp')).toBeNull();
    expect(getChainType('ipv4-1234567')).toBe('ipv4');
    expect(getChainType('ipv4-12345678')).toBeNull();
    expect(getChainType('ipv4 x')).toBeNull();
  });

  it("uses libvirt's default chain priorities", () => {
    expect(
      ['root', 'mac', 'vlan', 'stp', 'arp', 'rarp', 'ipv4', 'ipv6'].map(getDefaultChainPriority),
    ).toEqual([0, -800, -750, 0, -500, -400, -700, -600]);
  });

  it('describes rule and filter attributes', () => {
    expect(RULE_ATTRIBUTES.map((a) => a.name)).toEqual([
      'action',
      'direction',
      'priority',
      'statematch',
    ]);
    expect(RULE_ATTRIBUTES.find((a) => a.name === 'priority')).toMatchObject({
      min: -1000,
      max: 1000,
      defaultValue: '500',
    });
    expect(FILTER_ATTRIBUTES.map((a) => a.name)).toEqual(['name', 'chain', 'priority']);
  });
});
