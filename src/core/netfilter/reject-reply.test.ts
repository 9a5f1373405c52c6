import { describe, expect, it } from 'vitest';
import {
  buildEthernet,
  buildIcmpError,
  buildIpv4,
  buildIpv6,
  buildTcp,
  buildUdp,
  quotedPacket,
} from '../packet/packet-build';
import { rejectReply } from './reject-reply';

const VM = '52:54:00:11:22:33';
const PEER = '52:54:00:aa:bb:03';
const syn = (dst = PEER) =>
  buildEthernet(
    { src: VM, dst },
    buildIpv4(
      { src: '10.99.0.2', dst: '10.99.0.3', tos: 0x10 },
      buildTcp({ sport: 40000, dport: 25, flags: 'S' }),
    ),
  );

describe('rejectReply: the error a bridged REJECT sends', () => {
  it('ICMP port unreachable from the bridge address, quoting the packet, to the source', () => {
    const f = syn();
    const r = rejectReply(f, f.payload as never, '10.99.0.1/24');
    expect(r.summary).toBe(
      '10.99.0.1 → 10.99.0.2 ICMP unreachable (port) for 10.99.0.2:40000 → 10.99.0.3:25 TCP [S] seq=0 win=64240',
    );
    const ip = r.frame!.payload;
    if (ip.kind !== 'ipv4' || ip.payload.kind !== 'icmp') throw new Error('not ICMP');
    expect([r.frame!.dst, ip.tos, ip.payload.type, ip.payload.code]).toEqual([
      0x525400112233,
      0xc0 | 0x10,
      3,
      3,
    ]);
    expect(quotedPacket(ip.payload)).toMatchObject({
      src: f.payload.kind === 'ipv4' ? f.payload.src : 0,
    });
  });

  it('nothing without an address, off the subnet, for broadcasts or for ICMP errors', () => {
    const f = syn();
    expect(rejectReply(f, f.payload as never, null).frame).toBe(null);
    expect(rejectReply(f, f.payload as never, '192.168.0.1/24').summary).toMatch(
      /no route to the source/,
    );
    expect(rejectReply(f, f.payload as never, 'fd00::1/64').frame).toBe(null);
    const b = syn('ff:ff:ff:ff:ff:ff');
    expect(rejectReply(b, b.payload as never, '10.99.0.1/24').summary).toMatch(
      /broadcast or multicast/,
    );
    const err = buildEthernet(
      { src: VM, dst: PEER },
      buildIpv4(
        { src: '10.99.0.2', dst: '10.99.0.3' },
        buildIcmpError(3, 1, syn().payload as never),
      ),
    );
    expect(rejectReply(err, err.payload as never, '10.99.0.1/24').frame).toBe(null);
  });

  it('ICMPv6 port unreachable from an IPv6 bridge address', () => {
    const f = buildEthernet(
      { src: VM, dst: PEER },
      buildIpv6({ src: 'fd00::2', dst: 'fd00::3' }, buildUdp({ sport: 5000, dport: 54 })),
    );
    expect(rejectReply(f, f.payload as never, 'fd00::1/64').summary).toBe(
      'fd00::1 → fd00::2 ICMPv6 unreachable (code 4) for [fd00::2]:5000 → [fd00::3]:54 UDP len=0',
    );
  });
});
