import { describe, expect, it } from 'vitest';
import { buildEthernet, buildIpv4, buildTcp, buildUdp, mac } from '../packet/packet-build';
import { IpLearner } from './ip-learner';
import {
  DHCP_BURST_INTERVAL_S,
  DHCP_PKT_BURST,
  DHCP_PKT_RATE,
  PCAP_FLOOD_TIMEOUT_S,
  SnoopRateLimiter,
  snoopCaptures,
} from './snoop-rate-limit';

/** `n` packets at `t0`, `t0 + gap`, …: how many the limiter lets through. */
function admitted(l: SnoopRateLimiter, t0: number, n: number, gap: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (l.admit(t0 + i * gap).over === 0) ok++;
  return ok;
}

describe("the DHCP snooper's rate limit (virNWFilterSnoopRateLimit)", () => {
  it("has libvirt's constants", () => {
    expect([DHCP_PKT_RATE, DHCP_PKT_BURST, DHCP_BURST_INTERVAL_S, PCAP_FLOOD_TIMEOUT_S]).toEqual([
      10, 50, 10, 0.01,
    ]);
  });

  it('lets a first flood through as a burst: 50 packets over two whole seconds, then nothing', () => {
    const l = new SnoopRateLimiter(0);
    // The 10th packet of second 0 starts the burst; it covers seconds 0 and 1 with one count.
    expect(admitted(l, 0, 40, 0.01)).toBe(40);
    expect(admitted(l, 1, 40, 0.01)).toBe(10);
    // The excess is counted, not queued: packet 51 of the burst is 1 over, packet 80 is 30 over.
    expect(l.admit(1.9).over).toBe(31);
  });

  it('outside a burst lets 10 packets a second through, the 11th and later are dropped', () => {
    const l = new SnoopRateLimiter(0);
    admitted(l, 0, 60, 0.01); // the burst of seconds 0-1
    for (let s = 2; s <= 10; s++) expect(admitted(l, s, 15, 0.05)).toBe(10);
    // The next burst may start once the last one began more than 10 s before (second 11).
    expect(admitted(l, 11, 40, 0.01)).toBe(40);
    expect(admitted(l, 12, 40, 0.01)).toBe(10);
  });

  it('a slow sender never meets it', () => {
    const l = new SnoopRateLimiter(0);
    expect(admitted(l, 0, 100, 0.2)).toBe(100);
  });

  it('far over the rate, the capture is not read for 10 ms: later packets are read after it', () => {
    const l = new SnoopRateLimiter(0);
    const reads = Array.from({ length: 70 }, (_, i) => l.admit(0.5 + i * 0.0001));
    // Packet 61 is 11 over the burst (> the rate of 10): the penalty starts.
    const first = reads.findIndex((r) => r.over > DHCP_PKT_RATE);
    expect(first).toBe(60);
    expect(reads[first + 1]?.readAt).toBeCloseTo((reads[first]?.readAt ?? 0) + 0.01, 9);
  });

  it('counts what its capture holds: DHCP ports from the VM (its MAC only), to the VM from any', () => {
    const vm = '52:54:00:11:22:33';
    const other = '52:54:00:99:99:99';
    const udp = (src: string, sport: number, dport: number) =>
      buildEthernet(
        { src, dst: 'ff:ff:ff:ff:ff:ff' },
        buildIpv4(
          { src: '0.0.0.0', dst: '255.255.255.255' },
          buildUdp({ sport, dport, payload: 'x' }),
        ),
      );
    expect(snoopCaptures(udp(vm, 68, 67), mac(vm), true)).toBe(true);
    expect(snoopCaptures(udp(other, 68, 67), mac(vm), true)).toBe(false);
    expect(snoopCaptures(udp(other, 67, 68), mac(vm), false)).toBe(true);
    expect(snoopCaptures(udp(vm, 67, 68), mac(vm), true)).toBe(false);
    // pcap's `port` is TCP too.
    const tcp = buildEthernet(
      { src: vm, dst: other },
      buildIpv4(
        { src: '10.0.0.2', dst: '10.0.0.1' },
        buildTcp({ sport: 68, dport: 67, flags: 'SYN' }),
      ),
    );
    expect(snoopCaptures(tcp, mac(vm), true)).toBe(true);
  });

  it('a flood towards the VM can cost it its lease: the ACK over the limit teaches nothing', () => {
    const VM = '52:54:00:11:22:33';
    const l = new IpLearner({
      mode: 'dhcp',
      dhcpServers: [],
      mac: VM,
      iface: 'vnet0',
      rules: 'dhcp-only',
    });
    const b = new Uint8Array(250);
    b[0] = 2;
    b.set([10, 99, 0, 9], 16);
    b.set([0x52, 0x54, 0, 0x11, 0x22, 0x33], 28);
    b.set([99, 130, 83, 99, 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 255], 236);
    const ack = buildEthernet(
      { src: '52:54:00:aa:bb:cc', dst: VM },
      buildIpv4(
        { src: '10.99.0.3', dst: '10.99.0.9' },
        buildUdp({ sport: 67, dport: 68, payload: b }),
      ),
    );
    const noise = buildEthernet(
      { src: '52:54:00:66:66:66', dst: 'ff:ff:ff:ff:ff:ff' },
      buildIpv4(
        { src: '10.99.0.66', dst: '255.255.255.255' },
        buildUdp({ sport: 67, dport: 68, payload: 'x' }),
      ),
    );
    const toVm = { side: 'to-vm' as const, delivered: true };
    for (let i = 0; i < DHCP_PKT_BURST; i++)
      expect(l.observe(noise, toVm, i, i * 0.01)).toEqual([]);
    expect(l.observe(ack, toVm, 50, 0.6)).toEqual([
      { kind: 'rate-limited', side: 'to-vm', packet: 50, t: 0.6, over: 1 },
    ]);
    expect(l.addresses()).toEqual([]);
    // Two seconds on the burst is over and the rate allows it again: the server's retry teaches.
    expect(l.observe(ack, toVm, 51, 2.5)).toMatchObject([{ kind: 'learned', ip: '10.99.0.9' }]);
  });
});
