import { describe, expect, it } from 'vitest';
import {
  canonicalizeUuid,
  countNetmaskBits,
  formatIpv6,
  formatVarAccess,
  parseCInt,
  parseCUint,
  parseIpv4,
  parseIpv6,
  parseMac,
  parseVarAccess,
  truncateUtf8,
} from './libvirt-syntax';

describe('numbers as virStrToLong_ui / virStrToLong_i read them', () => {
  it('accepts leading space and a sign, wraps -1 to UINT_MAX, rejects trailing text', () => {
    expect(parseCUint(' 12', 10)?.value).toBe(12);
    expect(parseCUint('+7', 10)?.value).toBe(7);
    expect(parseCUint('-1', 10)?.value).toBe(4294967295);
    expect(parseCUint('12 ', 10)).toBeNull();
    expect(parseCUint('0x1f', 10)).toBeNull();
    expect(parseCUint('0x1f', 16)?.value).toBe(31);
    expect(parseCUint('1f', 16)?.value).toBe(31);
    expect(parseCUint('0x', 16)).toBeNull();
    expect(parseCUint('4294967296', 10)).toBeNull();
    expect(parseCUint('', 10)).toBeNull();
    expect(parseCUint('12]', 10, false)).toEqual({ value: 12, end: 2 });
  });

  it('reads C ints', () => {
    expect(parseCInt('-1000')).toBe(-1000);
    expect(parseCInt('2147483648')).toBeNull();
    expect(parseCInt('1.5')).toBeNull();
  });
});

describe('addresses', () => {
  it('reads IPv4 as inet_aton does', () => {
    expect(parseIpv4('10.1.2.3')).toEqual([10, 1, 2, 3]);
    expect(parseIpv4('10.1')).toEqual([10, 0, 0, 1]);
    expect(parseIpv4('0x0a.010.0.1')).toEqual([10, 8, 0, 1]);
    expect(parseIpv4('1.2.3.256')).toBeNull();
    expect(parseIpv4('1.2.3.4.5')).toBeNull();
    expect(parseIpv4('1.2.3.')).toBeNull();
    expect(parseIpv4('09.1.1.1')).toBeNull();
    expect(parseIpv4('')).toBeNull();
  });

  it('reads and writes IPv6 as inet_pton / inet_ntop do', () => {
    const roundTrip = (s: string) => {
      const b = parseIpv6(s);
      return b ? formatIpv6(b) : null;
    };
    expect(roundTrip('a:b:c::d:e:f')).toBe('a:b:c::d:e:f');
    expect(roundTrip('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(roundTrip('::ffff:10.1.2.3')).toBe('::ffff:10.1.2.3');
    expect(roundTrip('::10.1.2.3')).toBe('::10.1.2.3');
    expect(roundTrip('::1')).toBe('::1');
    expect(roundTrip('::')).toBe('::');
    expect(roundTrip('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(roundTrip('1:0:1:1:1:1:1:1')).toBe('1:0:1:1:1:1:1:1');
    expect(roundTrip('f:e:d::c:b:a')).toBe('f:e:d::c:b:a');
    expect(roundTrip('a:b:c')).toBeNull();
    expect(roundTrip(':::1')).toBeNull();
    expect(roundTrip('1::2::3')).toBeNull();
    expect(roundTrip('12345::')).toBeNull();
    expect(roundTrip('::1.2.3.04')).toBeNull();
  });

  it('counts contiguous netmask bits', () => {
    expect(countNetmaskBits([255, 255, 128, 0])).toBe(17);
    expect(countNetmaskBits([255, 255, 255, 127])).toBe(-1);
    expect(countNetmaskBits([0, 0, 0, 0])).toBe(0);
  });

  it('reads MAC addresses as virMacAddrParse does', () => {
    expect(parseMac('1:2:3:4:5:6')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseMac('aa:BB:cc:dd:ee:ff trailing')).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    expect(parseMac('1:2:3:4:5')).toBeNull();
    expect(parseMac('1:2:3:4:5:6:7')).toBeNull();
    expect(parseMac('001:2:3:4:5:6')).toBeNull();
    expect(parseMac('1-2-3-4-5-6')).toBeNull();
  });

  it('formats uuids as virUUIDParse/virUUIDFormat do', () => {
    expect(canonicalizeUuid('5C6D49AFB0716127B4EC6F8ED4B55335')).toBe(
      '5c6d49af-b071-6127-b4ec-6f8ed4b55335',
    );
    expect(canonicalizeUuid(' 5c6d-49af-b071-6127-b4ec-6f8e-d4b5 5335 ')).toBe(
      '5c6d49af-b071-6127-b4ec-6f8ed4b55335',
    );
    expect(canonicalizeUuid('5c6d49af-b071-6127-b4ec-6f8ed4b5533')).toBeNull();
    expect(canonicalizeUuid('5c6d49af-b071-6127-b4ec-6f8ed4b55335x')).toBeNull();
  });
});

describe('variables and strings', () => {
  it('reads variable accesses as virNWFilterVarAccessParse does', () => {
    const fmt = (s: string) => {
      const v = parseVarAccess(s);
      return 'error' in v ? v.error : formatVarAccess(v);
    };
    expect(fmt('IP')).toBe('IP');
    expect(fmt('IP[@0]')).toBe('IP');
    expect(fmt('IP[ @ 3 ]')).toBe('IP[@3]');
    expect(fmt('IP[@]')).toBe('malformed iterator id');
    expect(fmt('IP[  @3 ] ')).toBe('IP[@3]');
    expect(fmt('IP[ 0]')).toBe('IP[0]');
    expect(fmt('IP[@1001]')).toMatch(/maximum/);
    expect(fmt('IP[x]')).toBe('malformed array index');
    expect(fmt('IP-1')).toBe('malformed variable reference');
  });

  it('truncates UTF-8 on character boundaries', () => {
    expect(truncateUtf8('aé€', 3)).toBe('aé');
    expect(truncateUtf8('aé€', 6)).toBe('aé€');
  });
});
