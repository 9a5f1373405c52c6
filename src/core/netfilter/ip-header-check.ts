/**
 * The kernel's checks of an IP header before any IP hook sees the packet. A bridged frame meets
 * them in br_netfilter (`br_validate_ipv4` / `br_validate_ipv6`, called by `br_nf_pre_routing`
 * after the bridge's PREROUTING chains, before conntrack and iptables), a packet for the host
 * itself in `ip_rcv_core` / `ipv6_rcv`: either way a packet failing one is dropped, no rule sees
 * it and no conntrack entry is made.
 */
import type { EthernetFrame } from '../packet/packet';
import { ipLength } from '../packet/packet';
import { ETH_P_IPV4, ETH_P_IPV6 } from '../model/protocol-numbers';

/** Why the kernel drops the frame's IP header, and the IPSTATS counter it counts in; null when it is fine. */
export interface IpHeaderProblem {
  reason: string;
  /** The `nstat` / /proc/net/snmp counter (IPv4 `Ip`, IPv6 `Ip6`). */
  counter: string;
}

/** The bytes after the Ethernet (and 802.1Q) header of a frame whose IP header did not decode. */
function rawBytes(frame: EthernetFrame): Uint8Array | null {
  return frame.payload.kind === 'raw' ? frame.payload.data : null;
}

/**
 * The problem the kernel finds with an IPv4 or IPv6 frame's header (the checks of
 * `br_validate_ipv4` / `br_validate_ipv6`, the same as `ip_rcv_core` / `ipv6_rcv`): a header shorter
 * than its minimum or than its own header length, a wrong version, a wrong IPv4 header checksum,
 * a total length beyond the frame or below the header, an IPv6 payload length beyond the frame.
 * Null for other frames.
 */
export function ipHeaderProblem(frame: EthernetFrame): IpHeaderProblem | null {
  const p = frame.payload;
  if (frame.ethertype === ETH_P_IPV4) {
    const hdr = { counter: 'IpInHdrErrors' };
    if (p.kind === 'ipv4') {
      const hl = 20 + (p.options ? (p.options.length + 3) & ~3 : 0);
      // Checked before the lengths (ip_fast_csum), counted in IpInCsumErrors and IpInHdrErrors.
      if (p.badChecksum !== undefined)
        return {
          counter: 'IpInCsumErrors',
          reason: `IPv4 header checksum 0x${p.badChecksum.toString(16).padStart(4, '0')} is wrong: the header does not sum to 0xffff`,
        };
      const t = p.totalLength;
      if (t === undefined) return null;
      if (t < hl)
        return { ...hdr, reason: `IPv4 total length ${t} is below the header length ${hl}` };
      const held = ipLength(p);
      // A total length below what the packet holds only trims it (the decoder makes that a trailer).
      if (t <= held) return null;
      return {
        counter: 'IpExtInTruncatedPkts',
        reason: `IPv4 total length ${t} is more than the ${held} bytes the frame holds after the Ethernet header`,
      };
    }
    // The decoder gives up on the same headers the kernel refuses (packet-decode.ts decodeIpv4).
    const b = rawBytes(frame);
    if (!b) return null;
    if (b.length < 20)
      return { ...hdr, reason: `${b.length} bytes after the Ethernet header: no IPv4 header (20)` };
    const version = (b[0] as number) >> 4;
    if (version !== 4) return { ...hdr, reason: `IP version ${version} in an IPv4 (0x0800) frame` };
    const ihl = (b[0] as number) & 0xf;
    if (ihl < 5) return { ...hdr, reason: `IPv4 header length ${ihl} (×4 bytes) is below 5` };
    return { ...hdr, reason: `IPv4 header length ${ihl * 4} is more than the frame holds` };
  }
  if (frame.ethertype === ETH_P_IPV6) {
    if (p.kind === 'ipv6') {
      const held = ipLength(p) - 40;
      return p.payloadLength === undefined || p.payloadLength <= held
        ? null
        : {
            counter: 'Ip6InTruncatedPkts',
            reason: `IPv6 payload length ${p.payloadLength} is more than the ${held} bytes the frame holds after the IPv6 header`,
          };
    }
    const b = rawBytes(frame);
    if (!b) return null;
    if (b.length < 40)
      return {
        counter: 'Ip6InHdrErrors',
        reason: `${b.length} bytes after the Ethernet header: no IPv6 header (40)`,
      };
    return {
      counter: 'Ip6InHdrErrors',
      reason: `IP version ${(b[0] as number) >> 4} in an IPv6 (0x86dd) frame`,
    };
  }
  return null;
}

/**
 * Whether nf_conntrack_bridge leaves a frame with this problem untracked (`nf_ct_br_ip_check`,
 * `nf_ct_br_ipv6_check`: a short or wrong-version header, a header or total / payload length the
 * frame does not hold). It does not verify the IPv4 header checksum: such a frame is tracked (an
 * existing entry is updated) before br_netfilter drops it.
 */
export function refusedByBridgeConntrack(problem: IpHeaderProblem): boolean {
  return problem.counter !== 'IpInCsumErrors';
}
