/**
 * The mixed trace the simulator benchmark replays: the named scenarios repeated with varied remote
 * addresses and ephemeral ports (each repetition is a coherent conversation), interleaved with
 * random frames (TCP/UDP/ICMP/ARP between the VM and arbitrary peers, some with forged source
 * addresses). Generated chunk by chunk so a million frames never sit in memory at once.
 */
import { SCENARIOS, DEFAULT_HOSTS } from '../src/core/sim';
import type { ScenarioHosts } from '../src/core/sim';
import type { EthernetFrame, L4Packet } from '../src/core/packet';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildTcp,
  buildUdp,
} from '../src/core/packet';
import type { Side } from '../src/core/netfilter';
import { makeRandom } from './make-filter-xml';

export interface TraceFrame {
  frame: EthernetFrame;
  side: Side;
  /** Absolute virtual time in seconds (non-decreasing along the trace). */
  t: number;
}

/** Share of random frames in the trace. */
const RANDOM_SHARE = 0.2;

function remapPorts(l4: L4Packet, delta: number): void {
  if (l4.kind !== 'tcp' && l4.kind !== 'udp') return;
  if (l4.srcPort >= 1024) l4.srcPort = 1024 + ((l4.srcPort - 1024 + delta) % 64000);
  if (l4.dstPort >= 1024) l4.dstPort = 1024 + ((l4.dstPort - 1024 + delta) % 64000);
}

function hex2(n: number): string {
  return (n & 255).toString(16).padStart(2, '0');
}

/** Generates the trace in chunks of about `chunkSize` frames. */
export class TraceGenerator {
  private readonly rnd: () => number;
  private clock = 1_700_000_000;
  private instance = 0;
  readonly vm = DEFAULT_HOSTS.vm;

  constructor(seed = 7) {
    this.rnd = makeRandom(seed);
  }

  private remote(): ScenarioHosts['remote'] {
    const k = this.instance++;
    return {
      ip: `10.${100 + ((k >> 16) & 63)}.${(k >> 8) & 255}.${1 + (k & 127)}`,
      mac: `52:54:01:${hex2(k >> 16)}:${hex2(k >> 8)}:${hex2(k)}`,
    };
  }

  private randomFrame(): TraceFrame {
    const r = this.rnd;
    const peer = `198.18.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    const peerMac = `52:54:02:${hex2(r() * 256)}:${hex2(r() * 256)}:${hex2(r() * 256)}`;
    const fromVm = r() < 0.5;
    const spoof = fromVm && r() < 0.1;
    const vmIp = spoof ? `10.99.0.${3 + Math.floor(r() * 200)}` : this.vm.ip;
    const sport = 1024 + Math.floor(r() * 60000);
    const dport =
      [22, 53, 80, 443, 2000 + Math.floor(r() * 1000), Math.floor(r() * 65536)][
        Math.floor(r() * 6)
      ] ?? 80;
    const kind = r();
    this.clock += 0.0005;
    if (kind < 0.05) {
      const arp = fromVm
        ? buildArp({ op: 1, sha: this.vm.mac, spa: vmIp, tpa: peer })
        : buildArp({ op: 1, sha: peerMac, spa: peer, tpa: this.vm.ip });
      const frame = buildEthernet(
        { src: fromVm ? this.vm.mac : peerMac, dst: 'ff:ff:ff:ff:ff:ff' },
        arp,
      );
      return { frame, side: fromVm ? 'from-vm' : 'to-vm', t: this.clock };
    }
    const l4: L4Packet =
      kind < 0.55
        ? buildTcp({
            sport,
            dport,
            flags: r() < 0.7 ? 'SYN' : 'ACK',
            seq: Math.floor(r() * 2 ** 32),
          })
        : kind < 0.9
          ? buildUdp({ sport, dport, payload: new Uint8Array(32) })
          : buildIcmpEcho({ id: Math.floor(r() * 65536), seq: 1 });
    const ip = fromVm
      ? buildIpv4({ src: vmIp, dst: peer }, l4)
      : buildIpv4({ src: peer, dst: this.vm.ip }, l4);
    const frame = fromVm
      ? buildEthernet({ src: this.vm.mac, dst: peerMac }, ip)
      : buildEthernet({ src: peerMac, dst: this.vm.mac }, ip);
    return { frame, side: fromVm ? 'from-vm' : 'to-vm', t: this.clock };
  }

  /** The next chunk: whole scenario repetitions plus random frames, in time order. */
  nextChunk(chunkSize: number): TraceFrame[] {
    const out: TraceFrame[] = [];
    while (out.length < chunkSize) {
      if (this.rnd() < RANDOM_SHARE) {
        out.push(this.randomFrame());
        continue;
      }
      const scenario = SCENARIOS[this.instance % SCENARIOS.length];
      if (!scenario) break;
      const hosts: ScenarioHosts = { vm: this.vm, remote: this.remote() };
      // FTP carries its data ports in the control text, so only other conversations move ports.
      const delta = scenario.name.startsWith('ftp') ? 0 : Math.floor(this.rnd() * 64000);
      const start = this.clock;
      let last = start;
      for (const f of scenario.build(hosts)) {
        const p = f.frame.payload;
        if (delta && (p.kind === 'ipv4' || p.kind === 'ipv6')) remapPorts(p.payload, delta);
        last = start + f.t;
        out.push({ frame: f.frame, side: f.side, t: last });
      }
      this.clock = last + 0.001;
    }
    return out;
  }
}
