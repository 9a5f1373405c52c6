import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { nftablesBackend } from '../compile/nftables';
import type { AnyRuleset } from '../compile/ir';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { ETH_P_IPV4 } from '../model/protocol-numbers';
import { buildEthernet, buildIpv4, buildIpv6, buildUdp } from '../packet/packet-build';
import { decodeFrame } from '../packet/packet-decode';
import { encodeFrame, encodeL3, ipv4HeaderChecksum } from '../packet/packet-encode';
import { ipLength } from '../packet/packet';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet } from '../packet/packet';
import { buildCustomFrames } from '../sim/run-simulation';
import type { CustomPacket } from '../sim/run-simulation';
import { runCaptures } from '../sim/run-captures';
import { writePcap } from '../sim/pcap';
import { BridgeHost } from './bridge-host';
import type { HostSettings, Side } from './bridge-host';
import { ipHeaderProblem } from './ip-header-check';

/** The kernel test bed's kd-ip-lengths filter: every IP frame is accepted by a rule. */
const OPEN = `<filter name='open'>
  <rule action='accept' direction='out' priority='-700'><mac protocolid='ipv4'/></rule>
  <rule action='accept' direction='inout'><all/></rule>
  <rule action='accept' direction='inout'><all-ipv6/></rule>
</filter>`;
const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2', ip6: '2001:db8:99::2' };
const PEER = { mac: '52:54:00:aa:bb:03', ip: '10.99.0.3', ip6: '2001:db8:99::3' };

function ruleset(backend: 'ebiptables' | 'nftables' = 'ebiptables'): AnyRuleset {
  const { doc } = parseFilterXml(OPEN);
  if (!doc) throw new Error('cannot parse');
  const lookup = createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc);
  const options = { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } };
  const res =
    backend === 'nftables'
      ? compileFilter(lookup, 'open', options, nftablesBackend)
      : compileFilter(lookup, 'open', options);
  if (!res.ruleset) throw new Error(JSON.stringify(res.diagnostics));
  return res.ruleset;
}

function udp4(side: Side, damage?: (ip: Ipv4Packet) => void): EthernetFrame {
  const [src, dst] = side === 'from-vm' ? [VM, PEER] : [PEER, VM];
  const ip = buildIpv4(
    { src: src.ip, dst: dst.ip },
    buildUdp({ sport: 47000, dport: 5000, payload: 'x' }),
  );
  damage?.(ip);
  return buildEthernet({ src: src.mac, dst: dst.mac }, ip);
}

function udp6(side: Side, damage?: (ip: Ipv6Packet) => void): EthernetFrame {
  const [src, dst] = side === 'from-vm' ? [VM, PEER] : [PEER, VM];
  const ip = buildIpv6(
    { src: src.ip6, dst: dst.ip6 },
    buildUdp({ sport: 47000, dport: 5000, payload: 'x' }),
  );
  damage?.(ip);
  return buildEthernet({ src: src.mac, dst: dst.mac }, ip);
}

/** The frame as it arrives on the wire: encoded, then decoded as a capture's record is. */
function wire(f: EthernetFrame): EthernetFrame {
  const d = decodeFrame(encodeFrame(f));
  if (!d) throw new Error('undecodable');
  return d;
}

function step(f: EthernetFrame, side: Side, settings: HostSettings = {}, toHost = false) {
  const h = new BridgeHost(ruleset(), { peerPort: 'vclient', ...settings });
  const trace = h.step(f, side, 0, { toHost });
  return { trace, table: h.table(0), counters: h.counters().filter((c) => c.packets > 0) };
}

/** A custom packet of the Simulator's form: UDP from the VM, at t = 0. */
const CUSTOM_UDP: CustomPacket = {
  side: 'from-vm',
  proto: 'udp',
  src: '',
  dst: '',
  sport: 1,
  dport: 2,
  flags: '',
  icmpType: 0,
  icmpCode: 0,
  t: 0,
};
const HOSTS = { vm: { ...VM }, remote: { ...PEER } };

const ihl4 = (): EthernetFrame => {
  const b = encodeL3(buildIpv4({ src: VM.ip, dst: PEER.ip }, buildUdp({ sport: 1, dport: 2 })));
  b[0] = 0x44;
  return buildEthernet({ src: VM.mac, dst: PEER.mac }, { kind: 'raw', data: b }, ETH_P_IPV4);
};

describe('the kernel drops IP headers br_netfilter refuses, after ebtables PREROUTING and before conntrack', () => {
  it('an IPv4 total length beyond the frame, either way: no rule, no conntrack entry, only the ebtables accept counted', () => {
    for (const side of ['from-vm', 'to-vm'] as const) {
      const f = wire(udp4(side, (ip) => (ip.totalLength = ipLength(ip) + 100)));
      expect((f.payload as Ipv4Packet).totalLength).toBe(ipLength(f.payload as Ipv4Packet) + 100);
      const { trace, table, counters } = step(f, side);
      expect(trace.verdict).toBe('drop');
      expect(trace.rule).toBeNull();
      expect(trace.ctstate).toBeNull();
      expect(table).toEqual([]);
      expect(trace.notes.join('\n')).toMatch(
        /br_netfilter \(br_validate_ipv4\): IPv4 total length \d+ is more than the \d+ bytes the frame holds .*IpExtInTruncatedPkts/,
      );
      // The VM's frames pass libvirt's ebtables accept first (nat PREROUTING runs before br_netfilter).
      expect([...new Set(counters.map((c) => c.table))]).toEqual(
        side === 'from-vm' ? ['ebtables/nat'] : [],
      );
    }
  });

  it('the intact packet passes, and so does one whose total length only leaves padding after it', () => {
    expect(step(wire(udp4('from-vm')), 'from-vm').trace.verdict).toBe('accept');
    const padded = encodeFrame(udp4('from-vm'));
    const withTrailer = new Uint8Array(padded.length + 6);
    withTrailer.set(padded);
    const f = decodeFrame(withTrailer) as EthernetFrame;
    expect(f.trailer?.length).toBe(6);
    expect(ipHeaderProblem(f)).toBeNull();
    expect(step(f, 'from-vm').trace.verdict).toBe('accept');
  });

  it('a total length below the header length, and a header length of 4 (IpInHdrErrors)', () => {
    const short = wire(udp4('from-vm', (ip) => (ip.totalLength = 16)));
    expect(ipHeaderProblem(short)?.reason).toBe(
      'IPv4 total length 16 is below the header length 20',
    );
    expect(step(short, 'from-vm').trace.verdict).toBe('drop');
    const raw = wire(ihl4());
    expect(raw.payload.kind).toBe('raw');
    expect(ipHeaderProblem(raw)).toEqual({
      counter: 'IpInHdrErrors',
      reason: 'IPv4 header length 4 (×4 bytes) is below 5',
    });
    const { trace } = step(raw, 'from-vm');
    expect(trace.verdict).toBe('drop');
    expect(trace.notes.join('\n')).toContain('IpInHdrErrors');
  });

  it('a wrong IPv4 header checksum (ip_fast_csum): dropped before the length checks, kept by decode and encode (IpInCsumErrors)', () => {
    const intact = wire(udp4('from-vm'));
    expect((intact.payload as Ipv4Packet).badChecksum).toBeUndefined();
    const good = ipv4HeaderChecksum(intact.payload as Ipv4Packet);
    // On the wire: the intact header's checksum flipped in one bit.
    const bytes = encodeFrame(intact);
    bytes[14 + 11] = (bytes[14 + 11] as number) ^ 0x01;
    const bad = decodeFrame(bytes) as EthernetFrame;
    expect((bad.payload as Ipv4Packet).badChecksum).toBe(good ^ 0x01);
    expect(encodeFrame(bad)).toEqual(bytes);
    expect(ipHeaderProblem(bad)).toEqual({
      counter: 'IpInCsumErrors',
      reason: `IPv4 header checksum 0x${(good ^ 0x01).toString(16).padStart(4, '0')} is wrong: the header does not sum to 0xffff`,
    });
    for (const side of ['from-vm', 'to-vm'] as const) {
      const f = wire(udp4(side, (ip) => (ip.badChecksum = 0x1234)));
      const { trace, table } = step(f, side);
      expect(trace.verdict).toBe('drop');
      expect(trace.rule).toBeNull();
      expect(table).toEqual([]);
      expect(trace.notes.join('\n')).toMatch(
        /br_validate_ipv4\): IPv4 header checksum 0x1234 is wrong/,
      );
    }
    // The checksum is checked first: with a total length beyond the frame too, it is the reason.
    const both = wire(
      udp4('from-vm', (ip) => {
        ip.totalLength = ipLength(ip) + 100;
        ip.badChecksum = 0x1234;
      }),
    );
    expect(ipHeaderProblem(both)?.counter).toBe('IpInCsumErrors');
    // A header with options: the checksum covers them (ihl words).
    const withOptions = udp4('from-vm', (ip) => (ip.options = new Uint8Array([1, 1, 1, 0])));
    expect(ipHeaderProblem(wire(withOptions))).toBeNull();
    const optBytes = encodeFrame(withOptions);
    optBytes[14 + 22] = 7;
    expect(ipHeaderProblem(decodeFrame(optBytes) as EthernetFrame)?.counter).toBe('IpInCsumErrors');
    // Without br_netfilter the bridge forwards it; the host's own ip_rcv drops it.
    const f = wire(udp4('from-vm', (ip) => (ip.badChecksum = 0x1234)));
    expect(step(f, 'from-vm', { callIptables: false }).trace.verdict).toBe('accept');
    expect(step(f, 'from-vm', { callIptables: false }, true).trace.verdict).toBe('drop');
  });

  it('a custom packet with a wrong header checksum gets that fate; the right one changes nothing', () => {
    const [plain] = buildCustomFrames([CUSTOM_UDP], HOSTS);
    const right = ipv4HeaderChecksum(plain?.frame.payload as Ipv4Packet);
    const custom = buildCustomFrames(
      [
        { ...CUSTOM_UDP, ipChecksum: right },
        { ...CUSTOM_UDP, t: 1, ipChecksum: right ^ 0xffff },
      ],
      HOSTS,
    );
    expect((custom[0]?.frame.payload as Ipv4Packet).badChecksum).toBeUndefined();
    expect(custom[1]?.label).toContain('IPv4 header checksum 0x');
    const h = new BridgeHost(ruleset(), { peerPort: 'vclient' });
    expect(custom.map((c) => h.step(c.frame, c.side, c.t).verdict)).toEqual(['accept', 'drop']);
  });

  it('an IPv6 payload length beyond the frame (br_validate_ipv6)', () => {
    for (const side of ['from-vm', 'to-vm'] as const) {
      const f = wire(udp6(side, (ip) => (ip.payloadLength = ipLength(ip) - 40 + 1)));
      const { trace } = step(f, side);
      expect(trace.verdict).toBe('drop');
      expect(trace.notes.join('\n')).toMatch(/br_validate_ipv6.*Ip6InTruncatedPkts/);
    }
    expect(step(wire(udp6('to-vm')), 'to-vm').trace.verdict).toBe('accept');
  });

  it('without br_netfilter (bridge-nf-call-iptables=0) a bridged frame is forwarded as it is; the host itself still drops it (ip_rcv)', () => {
    const f = wire(udp4('from-vm', (ip) => (ip.totalLength = ipLength(ip) + 100)));
    expect(step(f, 'from-vm', { callIptables: false }).trace.verdict).toBe('accept');
    const local = step(f, 'from-vm', { callIptables: false }, true).trace;
    expect(local.verdict).toBe('drop');
    expect(local.notes.join('\n')).toContain('ip_rcv: IPv4 total length');
  });

  it('a capture record and a custom packet with such a header get that fate', () => {
    const bad = encodeFrame(udp4('from-vm', (ip) => (ip.totalLength = 1500)));
    const good = encodeFrame(udp4('from-vm'));
    const pcap = writePcap(
      [good, bad].map((data, i) => ({
        tsSec: 1_700_000_000 + i,
        tsFrac: 0,
        origLen: data.length,
        data,
      })),
    );
    const run = runCaptures(ruleset(), { fromVm: pcap }, { peerPort: 'vclient' });
    expect(run.steps.map((s) => s.trace.verdict)).toEqual(['accept', 'drop']);
    const custom = buildCustomFrames(
      [CUSTOM_UDP, { ...CUSTOM_UDP, t: 1, ipTotalLength: 1500 }],
      HOSTS,
    );
    const h = new BridgeHost(ruleset(), { peerPort: 'vclient' });
    expect(custom.map((c) => h.step(c.frame, c.side, c.t).verdict)).toEqual(['accept', 'drop']);
    // The wire form carries the header as given.
    expect((custom[1]?.frame.payload as Ipv4Packet).totalLength).toBe(1500);
  });
});

// Measured in the kernel differential on Debian's 6.1 kernel (tests/guest-kernel), which has
// nf_conntrack_bridge: cases ip-lengths and ip-checksum under the nftables backend.
describe("under the nftables backend (bridge conntrack) br_netfilter drops them too, before libvirt's tables", () => {
  const nft = (f: EthernetFrame, side: Side, settings: HostSettings = {}) => {
    const h = new BridgeHost(ruleset('nftables'), { peerPort: 'vclient', ...settings });
    const trace = h.step(f, side, 0);
    return { trace, table: h.table(0) };
  };

  it('every damaged header, either way: dropped by br_validate_ipv4/6 before the priority 0 and 1 chains, no entry', () => {
    const damaged: [EthernetFrame, Side][] = [
      [wire(udp4('from-vm', (ip) => (ip.totalLength = ipLength(ip) + 100))), 'from-vm'],
      [wire(udp4('to-vm', (ip) => (ip.totalLength = ipLength(ip) + 1))), 'to-vm'],
      [wire(udp4('from-vm', (ip) => (ip.totalLength = 16))), 'from-vm'],
      [wire(ihl4()), 'from-vm'],
      [wire(udp4('to-vm', (ip) => (ip.badChecksum = ipv4HeaderChecksum(ip) ^ 0x8001))), 'to-vm'],
      [wire(udp6('from-vm', (ip) => (ip.payloadLength = ipLength(ip) - 40 + 100))), 'from-vm'],
    ];
    for (const [f, side] of damaged) {
      const { trace, table } = nft(f, side);
      expect(trace.verdict, trace.summary).toBe('drop');
      expect(trace.rule).toBeNull();
      expect(table).toEqual([]);
      // No nft base chain saw it: br_netfilter (priority 0, registered with the bridge) runs first.
      expect(trace.hooks.map((h) => h.hook)).not.toContain(
        'table bridge libvirt_nwfilter_ethernet chain prerouting',
      );
      expect(trace.hooks.some((h) => /^br_netfilter/.test(h.hook))).toBe(true);
    }
    for (const side of ['from-vm', 'to-vm'] as const) {
      const { trace, table } = nft(wire(udp4(side)), side);
      expect(trace.verdict).toBe('accept');
      expect(trace.ctstate).toBe('NEW');
      expect(table).toHaveLength(1);
    }
  });

  it('without br_netfilter a header nf_conntrack_bridge refuses is not tracked (INVALID to ct state) and forwarded; a wrong checksum is tracked', () => {
    const long = wire(udp4('from-vm', (ip) => (ip.totalLength = ipLength(ip) + 100)));
    const off = { callIptables: false, callIp6tables: false };
    const { trace, table } = nft(long, 'from-vm', off);
    // The inet table's accept rules need ct state new,established; the ethernet table's accepts.
    expect(trace.verdict).toBe('accept');
    expect(trace.rule?.index).toBe(0);
    expect(trace.ctstate).toBeNull();
    expect(table).toEqual([]);
    expect(trace.notes.join('\n')).toContain('nf_conntrack_bridge: IPv4 total length');
    const csum = wire(udp4('from-vm', (ip) => (ip.badChecksum = ipv4HeaderChecksum(ip) ^ 1)));
    const r = nft(csum, 'from-vm', off);
    expect(r.trace.ctstate).toBe('NEW');
    expect(r.table).toHaveLength(1);
  });
});
