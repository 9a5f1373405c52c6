import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from './addr';
import { crc32c } from './checksum';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpError,
  buildIcmpv6Echo,
  buildIpv4,
  buildIpv6,
  buildSctp,
  buildStpConfig,
  buildTcp,
  buildUdp,
  buildUdpLite,
  buildAh,
  buildEsp,
  buildIgmp,
  quotedPacket,
  sctpInitChunk,
  STP_MULTICAST,
  tcpFlags,
  tcpOptionsMssWscale,
  textBytes,
} from './packet-build';
import { decodeFrame } from './packet-decode';
import { encodeFrame } from './packet-encode';
import { summarizeFrame } from './packet-summary';
import type { EthernetFrame } from './packet';

/**
 * Reference frames built by an independent Python script (struct + its own
 * RFC 1071 checksum and bitwise CRC32c), not by the code under test.
 */
const VECTORS = {
  tcpSyn:
    '525400aabbcc52540011223308004500003412344000400613c60a6300020a63000387070015000003e8000000008002faf0d5520000020405b40402010303070000',
  ftpPort:
    '525400aabbcc52540011223308004500003f00004000400625ef0a6300020a63000387070015000003e900001389501801f6aa1e0000504f52542031302c39392c302c322c3139352c38300d0a',
  dns: '525400aabbcc52540011223308004500003900004000401125ea0a6300020a6300039c40003500256cc2123401000001000000000000076578616d706c6503636f6d0000010001',
  ping: '525400aabbcc5254001122338100002a080045000024000040004001260f0a6300020a63000308004a3c1c2d00016162636465666768',
  ping6:
    '525400aabbcc52540011223386dd60000000000d3a40fe80000000000000505400fffe11223320010db800000000000000000000000180009e080007000368656c6c6f',
  arp: 'ffffffffffff525400112233080600010800060400015254001122330a6300020000000000000a630003000000000000000000000000000000000000',
  sctp: '525400aabbcc525400112233080045000034000040004084257c0a6300020a6300031388960c000000008931d71a010000140102030400010000000a000a00000001',
};

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string) => new Uint8Array(s.match(/../g)!.map((x) => parseInt(x, 16)));
const VM = '52:54:00:11:22:33';
const R = '52:54:00:aa:bb:cc';
const eth = { src: VM, dst: R };

describe('addresses', () => {
  it('parses and formats MAC, IPv4, IPv6', () => {
    expect(formatMac(parseMac('52:54:0:11:22:33')!)).toBe('52:54:00:11:22:33');
    expect(parseMac('52:54:00:11:22')).toBeNull();
    expect(formatIpv4(parseIpv4('10.99.0.255')!)).toBe('10.99.0.255');
    expect(parseIpv4('10.99.0.256')).toBeNull();
    expect(formatIpv6(parseIpv6('2001:db8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(formatIpv6(parseIpv6('::ffff:10.0.0.1')!)).toBe('::ffff:a00:1');
    expect(formatIpv6(parseIpv6('fe80::5054:ff:fe11:2233')!)).toBe('fe80::5054:ff:fe11:2233');
    expect(parseIpv6('1::2::3')).toBeNull();
  });

  it('computes CRC32c check value', () => {
    // The standard CRC-32C check value for "123456789".
    expect(crc32c(textBytes('123456789'))).toBe(0xe3069283);
  });
});

describe('decode hand-made vectors', () => {
  it('TCP SYN with options', () => {
    const f = decodeFrame(unhex(VECTORS.tcpSyn))!;
    expect(formatMac(f.src)).toBe(VM);
    const ip = f.payload;
    if (ip.kind !== 'ipv4') throw new Error('not ipv4');
    expect(formatIpv4(ip.src)).toBe('10.99.0.2');
    expect(ip.id).toBe(0x1234);
    expect(ip.flags).toBe(2);
    const t = ip.payload;
    if (t.kind !== 'tcp') throw new Error('not tcp');
    expect([t.srcPort, t.dstPort, t.seq, t.flags, t.window]).toEqual([
      34567, 21, 1000, 0x02, 64240,
    ]);
    expect(t.options?.length).toBe(12);
    expect(summarizeFrame(f)).toBe('10.99.0.2:34567 → 10.99.0.3:21 TCP [S] seq=1000 win=64240');
  });

  it('FTP PORT command payload', () => {
    const f = decodeFrame(unhex(VECTORS.ftpPort))!;
    expect(summarizeFrame(f)).toBe(
      '10.99.0.2:34567 → 10.99.0.3:21 TCP [P.] seq=1001 ack=5001 win=502 len=23 "PORT 10,99,0,2,195,80"',
    );
  });

  it('UDP, VLAN-tagged ICMP, ICMPv6, ARP with padding, SCTP', () => {
    expect(summarizeFrame(decodeFrame(unhex(VECTORS.dns))!)).toBe(
      '10.99.0.2:40000 → 10.99.0.3:53 UDP len=29',
    );
    const ping = decodeFrame(unhex(VECTORS.ping))!;
    expect(ping.vlan).toEqual({ pcp: 0, dei: 0, vid: 42 });
    expect(summarizeFrame(ping)).toBe(
      'vlan 42 10.99.0.2 → 10.99.0.3 ICMP echo request id=7213 seq=1',
    );
    expect(summarizeFrame(decodeFrame(unhex(VECTORS.ping6))!)).toBe(
      'fe80::5054:ff:fe11:2233 → 2001:db8::1 ICMPv6 echo request id=7 seq=3',
    );
    const arp = decodeFrame(unhex(VECTORS.arp))!;
    expect(arp.trailer?.length).toBe(18);
    expect(summarizeFrame(arp)).toBe('ARP who-has 10.99.0.3 tell 10.99.0.2 (52:54:00:11:22:33)');
    const sctp = decodeFrame(unhex(VECTORS.sctp))!;
    expect(summarizeFrame(sctp)).toBe('10.99.0.2:5000 → 10.99.0.3:38412 SCTP [INIT] vtag=0');
  });

  it('re-encodes every vector byte for byte (checksums recomputed)', () => {
    for (const [name, v] of Object.entries(VECTORS)) {
      expect(hex(encodeFrame(decodeFrame(unhex(v))!)), name).toBe(v);
    }
  });

  it('never throws on truncated input', () => {
    const full = unhex(VECTORS.ftpPort);
    for (let n = 0; n <= full.length; n++) {
      const f = decodeFrame(full.subarray(0, n));
      if (n < 14) expect(f).toBeNull();
      else expect(() => summarizeFrame(f!)).not.toThrow();
    }
  });

  it('keeps a bad checksum when asked to preserve checksums', () => {
    const bytes = unhex(VECTORS.dns);
    bytes[41] = 0x00; // corrupt the UDP checksum
    const f = decodeFrame(bytes)!;
    expect(hex(encodeFrame(f, { preserveChecksums: true }))).toBe(hex(bytes));
    expect(hex(encodeFrame(f))).toBe(VECTORS.dns);
  });
});

describe('builders produce the reference bytes', () => {
  it('TCP SYN', () => {
    const f = buildEthernet(
      eth,
      buildIpv4(
        { src: '10.99.0.2', dst: '10.99.0.3', id: 0x1234 },
        buildTcp({
          sport: 34567,
          dport: 21,
          flags: 'S',
          seq: 1000,
          options: tcpOptionsMssWscale(),
        }),
      ),
    );
    expect(hex(encodeFrame(f))).toBe(VECTORS.tcpSyn);
  });

  it('FTP PORT, DNS, VLAN ping, ping6, ARP, SCTP', () => {
    const ip = { src: '10.99.0.2', dst: '10.99.0.3' };
    const port = buildEthernet(
      eth,
      buildIpv4(
        ip,
        buildTcp({
          sport: 34567,
          dport: 21,
          flags: 'P.',
          seq: 1001,
          ack: 5001,
          window: 502,
          payload: 'PORT 10,99,0,2,195,80\r\n',
        }),
      ),
    );
    expect(hex(encodeFrame(port))).toBe(VECTORS.ftpPort);
    const q =
      '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01';
    expect(
      hex(
        encodeFrame(
          buildEthernet(eth, buildIpv4(ip, buildUdp({ sport: 40000, dport: 53, payload: q }))),
        ),
      ),
    ).toBe(VECTORS.dns);
    const ping = buildEthernet(
      { ...eth, vlan: { vid: 42 } },
      buildIpv4(ip, buildIcmpEcho({ id: 0x1c2d, seq: 1, payload: 'abcdefgh' })),
    );
    expect(hex(encodeFrame(ping))).toBe(VECTORS.ping);
    const ping6 = buildEthernet(
      eth,
      buildIpv6(
        { src: 'fe80::5054:ff:fe11:2233', dst: '2001:db8::1' },
        buildIcmpv6Echo({ id: 7, seq: 3, payload: 'hello' }),
      ),
    );
    expect(hex(encodeFrame(ping6))).toBe(VECTORS.ping6);
    const arp = buildEthernet(
      { src: VM, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: VM, spa: '10.99.0.2', tpa: '10.99.0.3' }),
    );
    arp.trailer = new Uint8Array(18);
    expect(hex(encodeFrame(arp))).toBe(VECTORS.arp);
    const sctp = buildEthernet(
      eth,
      buildIpv4(ip, buildSctp({ sport: 5000, dport: 38412, chunks: [sctpInitChunk()] })),
    );
    expect(hex(encodeFrame(sctp))).toBe(VECTORS.sctp);
  });

  it('round-trips every protocol through encode/decode', () => {
    const ip = { src: '10.0.0.2', dst: '10.0.0.1' };
    const frames: EthernetFrame[] = [
      buildEthernet(
        eth,
        buildIpv4(
          { ...ip, dscp: 46 },
          buildUdpLite({ sport: 1, dport: 2, coverage: 8, payload: 'x' }),
        ),
      ),
      buildEthernet(eth, buildIpv4(ip, buildIgmp({ type: 0x16, group: '239.1.1.1' }))),
      buildEthernet(eth, buildIpv4(ip, buildEsp({ spi: 0x100, seq: 1 }))),
      buildEthernet(eth, buildIpv4(ip, buildAh({ spi: 0x200, seq: 2, data: 'abcd' }))),
      buildEthernet(
        eth,
        buildIpv6(
          { src: '2001:db8::2', dst: '2001:db8::1' },
          buildTcp({ sport: 5, dport: 443, flags: 'S', seq: 7 }),
        ),
      ),
      buildEthernet(
        { src: VM, dst: STP_MULTICAST },
        buildStpConfig({ senderAddr: VM, rootCost: 4 }),
      ),
    ];
    for (const f of frames) {
      const wire = encodeFrame(f);
      const back = decodeFrame(wire)!;
      expect(hex(encodeFrame(back))).toBe(hex(wire));
      expect(back.payload.kind).toBe(f.payload.kind);
    }
    const stp = decodeFrame(encodeFrame(frames[5]!))!;
    expect(stp.payload.kind === 'stp' && stp.payload.rootCost).toBe(4);
  });

  it('ICMP errors quote the offending packet', () => {
    const udp = buildIpv4(
      { src: '10.0.0.2', dst: '10.0.0.1' },
      buildUdp({ sport: 40000, dport: 53, payload: 'query' }),
    );
    const err = buildIcmpError(3, 3, udp);
    expect(err.payload.length).toBe(28);
    const q = quotedPacket(err)!;
    expect(q.kind === 'ipv4' && q.payload.kind === 'udp' && q.payload.dstPort).toBe(53);
    const f = buildEthernet(eth, buildIpv4({ src: '10.0.0.1', dst: '10.0.0.2' }, err));
    expect(summarizeFrame(f)).toBe(
      '10.0.0.1 → 10.0.0.2 ICMP unreachable (port) for 10.0.0.2:40000 → 10.0.0.1:53 UDP len=0',
    );
  });

  it('parses tcpdump and named flags', () => {
    expect(tcpFlags('S.')).toBe(0x12);
    expect(tcpFlags('SYN,ACK')).toBe(0x12);
    expect(tcpFlags('F.')).toBe(0x11);
    expect(() => tcpFlags('X')).toThrow();
  });
});
