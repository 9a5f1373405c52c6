/**
 * The error a REJECT in the bridged path sends (nf_send_unreach → icmp_send; nf_send_unreach6 →
 * icmp6_send). libvirt writes a bare `-j REJECT`, so it is always ICMP port unreachable (ICMPv6
 * port unreachable for ip6tables), TCP included. The host sends it from its own address, which
 * needs a route back to the rejected packet's source: with only the bridge's address (the
 * libvirt test bed, no default route) that means the source is on the bridge's subnet.
 */
import { ipv4PrefixMask, ipv6PrefixMask, parseIpv4, parseIpv6 } from '../packet/addr';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet } from '../packet/packet';
import {
  buildEthernet,
  buildIcmpError,
  buildIcmpv6Error,
  buildIpv4,
  buildIpv6,
} from '../packet/packet-build';
import { summarizeFrame } from '../packet/packet-summary';

/** What REJECT sent for one packet, or why it sent nothing. */
export interface RejectReply {
  /** The error frame on the wire (null when nothing was sent). */
  frame: EthernetFrame | null;
  /** Its summary, or why there is none. */
  summary: string;
}

/** The bridge device's MAC in the simulator (the kernel takes a port's; only the IP layer matters here). */
const BRIDGE_MAC = '52:54:00:00:00:01';

/** IPv4: icmp_send quotes at most 576 bytes of error datagram (header and ICMP header included). */
const ICMP_QUOTE = 576 - 20 - 8;
/** IPv6: icmp6_send fills up to the minimum MTU. */
const ICMPV6_QUOTE = 1280 - 40 - 8;

function onLink4(addr: number, bridge: string): number | null {
  const [a = '', p] = bridge.split('/');
  const own = parseIpv4(a);
  if (own === null) return null;
  const mask = ipv4PrefixMask(p === undefined ? 32 : Number(p));
  return (own & mask) >>> 0 === (addr & mask) >>> 0 ? own : null;
}

function onLink6(addr: readonly number[], bridge: string): string | null {
  const [a = '', p] = bridge.split('/');
  const own = parseIpv6(a);
  if (own === null) return null;
  const m = ipv6PrefixMask(p === undefined ? 128 : Number(p));
  for (let i = 0; i < 4; i++)
    if (
      ((own[i] as number) & (m[i] as number)) >>> 0 !==
      ((addr[i] as number) & (m[i] as number)) >>> 0
    )
      return null;
  return a;
}

/**
 * The error REJECT sends for `ip` (carried in `frame`), given the bridge's address (`null`: none).
 * icmp_send never answers an ICMP error, a non-first fragment or a frame that was not unicast to
 * a host (broadcast and multicast keep their pkt_type through br_netfilter).
 */
export function rejectReply(
  frame: EthernetFrame,
  ip: Ipv4Packet | Ipv6Packet,
  bridgeAddress: string | null,
): RejectReply {
  const none = (why: string): RejectReply => ({ frame: null, summary: why });
  if (!bridgeAddress)
    return none('no error sent: the bridge has no IP address, so REJECT acts as DROP');
  if (Math.floor(frame.dst / 0x10000000000) % 2 === 1)
    return none('no error sent: icmp_send does not answer a broadcast or multicast frame');
  if (ip.kind === 'ipv4') {
    if (ip.fragOffset !== 0) return none('no error sent: a non-first fragment');
    const l4 = ip.payload;
    if (l4.kind === 'icmp' && ![0, 8, 13, 14, 15, 16, 17, 18].includes(l4.type))
      return none('no error sent: icmp_send never answers an ICMP error');
    const own = bridgeAddress.includes(':') ? null : onLink4(ip.src, bridgeAddress);
    if (own === null)
      return none(
        `no error sent: the host has no route to the source (the bridge's address ${bridgeAddress} is not on its subnet)`,
      );
    const err = buildEthernet(
      { src: BRIDGE_MAC, dst: frame.src },
      buildIpv4(
        { src: own, dst: ip.src, tos: (ip.tos & 0x1e) | 0xc0, df: false },
        buildIcmpError(3, 3, ip, ICMP_QUOTE - 20),
      ),
    );
    return { frame: err, summary: summarizeFrame(err) };
  }
  const l4 = ip.payload;
  if (l4.kind === 'icmpv6' && l4.type < 128)
    return none('no error sent: icmp6_send never answers an ICMPv6 error');
  const own = bridgeAddress.includes(':') ? onLink6(ip.src, bridgeAddress) : null;
  if (own === null)
    return none(
      `no error sent: the host has no IPv6 route to the source (bridge address ${bridgeAddress})`,
    );
  const err = buildEthernet(
    { src: BRIDGE_MAC, dst: frame.src },
    buildIpv6({ src: own, dst: ip.src }, buildIcmpv6Error(1, 4, ip, ICMPV6_QUOTE - 40)),
  );
  return { frame: err, summary: summarizeFrame(err) };
}
