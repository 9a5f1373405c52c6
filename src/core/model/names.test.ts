import { describe, expect, it } from 'vitest';
import { fixedNegations } from './apply-libvirt-fixups';
import { MAC_PROTOCOL_NAMES } from './attributes';
import { ethertypeNumber, ipProtocolNumber, resolveMacName, tcpFlagBits } from './names';
import { ETH_P_8021Q, IPPROTO_ICMPV6, TCP_ACK, TCP_SYN } from './protocol-numbers';
import type { Rule } from './types';

describe('names: one table per fact', () => {
  it('resolves names case-insensitively from libvirt maps', () => {
    expect(ethertypeNumber('VLAN')).toBe(ETH_P_8021Q);
    expect(ipProtocolNumber('icmpv6')).toBe(IPPROTO_ICMPV6);
    expect(ipProtocolNumber('dccp')).toBeUndefined();
    expect(MAC_PROTOCOL_NAMES.map(([n]) => n)).toEqual(['arp', 'rarp', 'ipv4', 'ipv6', 'vlan']);
  });

  it('turns TCP flag lists into bits; an unknown name is null', () => {
    expect(tcpFlagBits(['SYN', ' ack'])).toBe(TCP_SYN | TCP_ACK);
    expect(tcpFlagBits(['ALL'])).toBe(0x3f);
    expect(tcpFlagBits(['NONE'])).toBe(0);
    expect(tcpFlagBits(['SYN', 'ECE'])).toBeNull();
  });

  it("resolves ebtables' MAC names; an explicit mask wins", () => {
    expect(resolveMacName('Broadcast', null)).toEqual({
      mac: 'ff:ff:ff:ff:ff:ff',
      mask: 'ff:ff:ff:ff:ff:ff',
    });
    expect(resolveMacName('multicast', 'ff:00:00:00:00:00')).toEqual({
      mac: '01:00:00:00:00:00',
      mask: 'ff:00:00:00:00:00',
    });
    expect(resolveMacName('52:54:00:00:00:01', null)).toEqual({
      mac: '52:54:00:00:00:01',
      mask: null,
    });
    expect(resolveMacName('constructor', null).mac).toBe('constructor');
  });
});

describe('fixedNegations: libvirt fix-up from the attribute table (negationFrom)', () => {
  const rule = (protocol: Rule['protocol'], attrs: Record<string, boolean>): Rule => ({
    action: 'accept',
    direction: 'in',
    priority: 500,
    statematch: true,
    protocol,
    attrs: Object.fromEntries(
      Object.entries(attrs).map(([k, negated]) => [k, { value: '1', negated }]),
    ),
  });

  it('destination ports follow the SOURCE port start (libvirt quirk)', () => {
    const n = fixedNegations(rule('tcp', { srcportstart: true, dstportstart: false }));
    expect(n).toMatchObject({ srcportend: true, dstportstart: true, dstportend: true });
    expect(n.srcipmask).toBe(false);
  });

  it('ICMPv6 in <ipv6>: type end and codes follow type; masks follow addresses', () => {
    const n = fixedNegations(rule('ipv6', { type: true, srcipaddr: true }));
    expect(n).toMatchObject({ typeend: true, code: true, codeend: true, srcipmask: true });
    expect(n.dstipmask).toBe(false);
  });

  it('stp ranges and masks follow their start', () => {
    const n = fixedNegations(rule('stp', { 'root-priority': true, 'sender-address': true }));
    expect(n).toMatchObject({ 'root-priority-hi': true, 'sender-address-mask': true });
    expect(n['root-cost-hi']).toBe(false);
  });

  it('a rule without a protocol element has none', () => {
    expect(fixedNegations(rule(null, {}))).toEqual({});
  });
});
