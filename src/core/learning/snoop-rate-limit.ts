/**
 * The DHCP snooper's rate limit (CTRL_IP_LEARNING=dhcp), as libvirt's `nwfilter_dhcpsnoop.c`
 * applies it to each of its two captures (from the VM, to the VM) before a packet reaches the
 * decoder: virNWFilterSnoopRateLimit and virNWFilterSnoopRatePenalty, with the constants
 * DHCP_PKT_RATE, DHCP_PKT_BURST, DHCP_BURST_INTERVAL_S and PCAP_FLOOD_TIMEOUT_MS. A packet over
 * the limit is read from the capture and thrown away: it neither teaches, renews nor ends a
 * lease. See README.md ("The DHCP rate limit").
 */
import type { EthernetFrame } from '../packet';

/** Packets per second a capture hands to the decoder (`DHCP_PKT_RATE`). */
export const DHCP_PKT_RATE = 10;
/** Packets a burst may hold, counted over the two whole seconds it spans (`DHCP_PKT_BURST`). */
export const DHCP_PKT_BURST = 50;
/** A new burst starts only more than this many seconds after the last one began. */
export const DHCP_BURST_INTERVAL_S = 10;
/** Beyond twice the rate, the capture is not read for this long (`PCAP_FLOOD_TIMEOUT_MS`). */
export const PCAP_FLOOD_TIMEOUT_S = 0.01;

/** What the limiter did with one captured packet. */
export interface RateVerdict {
  /** When the snooper read it (later than its arrival while the capture was not being read). */
  readAt: number;
  /** Packets beyond the rate (or the burst) in this second; above 0 the packet is thrown away. */
  over: number;
}

/**
 * One capture's limiter. libvirt counts on whole seconds of the wall clock (`time(0)`); the
 * simulator's clock stands in for it. `start` is when the snooping thread started (its first
 * `prev`); no burst has happened yet (libvirt's `burst` is 0, the epoch, long past).
 */
export class SnoopRateLimiter {
  private prev: number;
  private count = 0;
  private burst = -Infinity;
  private penaltyUntil = -Infinity;

  constructor(start: number) {
    this.prev = Math.floor(start);
  }

  /** The limiter's answer for a packet the capture holds at `t`. */
  admit(t: number): RateVerdict {
    const readAt = Math.max(t, this.penaltyUntil);
    const now = Math.floor(readAt);
    // IN_BURST: a burst spans its second and the next one.
    const inBurst = now - this.burst <= 1;
    let over = 0;
    if (this.prev !== now && !inBurst) {
      this.prev = now;
      this.count = 1;
    } else {
      this.count++;
      if (this.count >= DHCP_PKT_RATE) {
        if (inBurst) over = Math.max(0, this.count - DHCP_PKT_BURST);
        else if (this.prev - this.burst > DHCP_BURST_INTERVAL_S) this.burst = this.prev;
        else over = this.count - DHCP_PKT_RATE;
      }
    }
    // virNWFilterSnoopRatePenalty: far over the rate, stop reading the capture for a while (the
    // packets wait in its buffer and are read afterwards).
    if (over > DHCP_PKT_RATE) this.penaltyUntil = readAt + PCAP_FLOOD_TIMEOUT_S;
    return { readAt, over };
  }
}

/**
 * Whether the snooper's capture holds the frame: from the VM `dst port 67 and src port 68 and
 * ether src MAC`, to the VM `src port 67 and dst port 68` (pcap's `port`: TCP, UDP or SCTP over
 * IPv4 or IPv6; no VLAN tag). Every such packet counts towards the rate, DHCP or not.
 */
export function snoopCaptures(frame: EthernetFrame, vmMac: number, fromVm: boolean): boolean {
  if (frame.vlan) return false;
  const ip = frame.payload;
  if (ip.kind !== 'ipv4' && ip.kind !== 'ipv6') return false;
  const l4 = ip.payload;
  if (l4.kind !== 'udp' && l4.kind !== 'tcp' && l4.kind !== 'sctp') return false;
  const [sport, dport] = fromVm ? [68, 67] : [67, 68];
  if (l4.srcPort !== sport || l4.dstPort !== dport) return false;
  return !fromVm || frame.src === vmMac;
}
