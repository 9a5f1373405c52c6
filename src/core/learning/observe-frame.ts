/**
 * What libvirt's two address learners read from a frame on the VM's port, as their C code reads
 * it (`nwfilter_learnipaddr.c`: learnIPAddressThread; `nwfilter_dhcpsnoop.c`:
 * virNWFilterSnoopDHCPDecode). README.md lists the facts; the quirks are kept on purpose.
 */
import type { EthernetFrame, Ipv4Packet, UdpDatagram } from '../packet';
import { formatIpv4, frameLength } from '../packet';

const BROADCAST_MAC = 0xffffffffffff;
const ETHERTYPE_IP = 0x0800;
/** DHCP message types the learners look at (RFC 2132 option 53). */
export const DHCP_MSG = { discover: 1, offer: 2, request: 3, decline: 4, ack: 5, release: 7 };
const DHCP_MSG_NAME: Record<number, string> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};
/** The fixed BOOTP header (op … file) before the magic cookie. */
const BOOTP_FIXED = 236;
/** The dhcp snooper's pcap snap length (PCAP_PBUFSIZE): options past it are never read. */
const SNOOP_SNAPLEN = 576;

/** How an address was learned. */
export type LearnedHow = 'ipv4-source' | 'dhcp-offer' | 'dhcp-ack';

/** An address the `any` learner found in a frame. */
export interface AnyLearnerHit {
  ip: string;
  how: LearnedHow;
}

function ipv4Udp(frame: EthernetFrame): { ip: Ipv4Packet; udp: UdpDatagram } | null {
  const ip = frame.payload;
  if (ip.kind !== 'ipv4' || ip.payload.kind !== 'udp') return null;
  return { ip, udp: ip.payload };
}

function chaddrIs(b: Uint8Array, mac: number): boolean {
  if (b.length < 34) return false;
  let m = 0;
  for (let i = 28; i < 34; i++) m = m * 256 + (b[i] as number);
  return m === mac;
}

const u32 = (b: Uint8Array, o: number): number =>
  (((b[o] as number) << 24) |
    ((b[o + 1] as number) << 16) |
    ((b[o + 2] as number) << 8) |
    (b[o + 3] as number)) >>>
  0;

/**
 * learnIPAddressThread (CTRL_IP_LEARNING=any) on a frame its pcap sees on the port: the VM's
 * MAC as source or destination, or a broadcast. `frame` from the VM: an IPv4 source address
 * that is neither 0.0.0.0 nor in 224.0.0.0/3 is the VM's address. A frame to the VM (or a
 * broadcast from another host): a BOOTREPLY from UDP port 67 to 68 whose chaddr is the VM's MAC
 * and whose message type is OFFER or ACK teaches yiaddr — from any server, and an OFFER is
 * enough. ARP never teaches: the code's ARP branch sits behind a switch that only lets IPv4
 * (plain or in one VLAN tag) through.
 */
export function anyLearnerHit(frame: EthernetFrame, vmMac: number): AnyLearnerHit | null {
  // Only IPv4, untagged or with one 802.1Q tag; everything else is skipped before any check.
  if (frame.ethertype !== ETHERTYPE_IP || frame.payload.kind !== 'ipv4') return null;
  const ip = frame.payload;
  if (frame.src === vmMac) {
    const src = ip.src >>> 0;
    if (src === 0 || (src & 0xe0000000) >>> 0 === 0xe0000000) return null;
    return { ip: formatIpv4(src), how: 'ipv4-source' };
  }
  if (frame.dst !== vmMac && frame.dst !== BROADCAST_MAC) return null;
  const u = ipv4Udp(frame);
  if (!u || u.udp.srcPort !== 67 || u.udp.dstPort !== 68) return null;
  const b = u.udp.payload;
  // struct dhcp: the fixed header and the (unchecked) magic cookie must be there.
  if (b.length < BOOTP_FIXED + 4 || b[0] !== 2 || !chaddrIs(b, vmMac)) return null;
  // procDHCPOpts: code, length, value…; PAD and END are read as any other option.
  let type = 0;
  for (let o = BOOTP_FIXED + 4; b.length - o >= 2; o += 2 + (b[o + 1] as number)) {
    if (b[o] === 53 && b.length - o >= 3) type = b[o + 2] as number;
  }
  if (type !== DHCP_MSG.offer && type !== DHCP_MSG.ack) return null;
  const yiaddr = u32(b, 16);
  if (yiaddr === 0) return null;
  return { ip: formatIpv4(yiaddr), how: type === DHCP_MSG.ack ? 'dhcp-ack' : 'dhcp-offer' };
}

/** A DHCP message the snooper (CTRL_IP_LEARNING=dhcp) acts on. */
export type SnoopEvent =
  /** A DHCPACK to the VM: a lease for `ip` (`lease` seconds, null = infinite). */
  | { kind: 'ack'; ip: string; server: string; lease: number | null }
  /** A DHCPRELEASE from the VM, or a DHCPDECLINE from the server side: the lease ends. */
  | { kind: 'release' | 'decline'; ip: string };

/** The DHCP message type name of a BOOTP payload (`DHCPACK`), or null. */
export function dhcpMessageName(frame: EthernetFrame): string | null {
  const u = ipv4Udp(frame);
  if (!u) return null;
  const b = u.udp.payload;
  if (b.length < BOOTP_FIXED + 4 || u32(b, BOOTP_FIXED) !== 0x63825363) return null;
  for (let o = BOOTP_FIXED + 4; o < b.length;) {
    const code = b[o] as number;
    if (code === 0) {
      o++;
      continue;
    }
    if (code === 255 || o + 1 >= b.length) break;
    if (code === 53 && o + 2 < b.length) return DHCP_MSG_NAME[b[o + 2] as number] ?? null;
    o += 2 + (b[o + 1] as number);
  }
  return null;
}

/**
 * virNWFilterSnoopDHCPDecode on a frame the snooper's pcap captured: from the VM (`fromVm`,
 * UDP 68 → 67 from its MAC) or to it (UDP 67 → 68, only once the frame left the bridge towards
 * the port). Server messages must carry the VM's MAC as chaddr; the options need the magic
 * cookie, at most one lease time and one message type, and are read only within the first 576
 * bytes of the frame. ACK adds or extends a lease; RELEASE (from the VM) and DECLINE (from the
 * server side — a client's DECLINE is ignored) remove one; everything else is ignored.
 */
export function snoopDhcp(frame: EthernetFrame, vmMac: number, fromVm: boolean): SnoopEvent | null {
  if (frame.vlan || frame.ethertype !== ETHERTYPE_IP) return null;
  const u = ipv4Udp(frame);
  if (!u) return null;
  const [sport, dport] = fromVm ? [68, 67] : [67, 68];
  if (u.udp.srcPort !== sport || u.udp.dstPort !== dport) return null;
  if (fromVm && frame.src !== vmMac) return null;
  const all = u.udp.payload;
  // The capture is cut at the snap length; what is left of the BOOTP message after the headers.
  const headers = frameLength(frame) - 8 - all.length;
  const b = all.subarray(0, Math.max(0, Math.min(all.length, SNOOP_SNAPLEN - headers)));
  if (b.length < BOOTP_FIXED) return null;
  if (!fromVm && !chaddrIs(b, vmMac)) return null;
  const olen = b.length - BOOTP_FIXED;
  if (olen < 4 || u32(b, BOOTP_FIXED) !== 0x63825363) return null;
  let mtype = 0;
  let lease: number | null = 0;
  let seenLease = false;
  for (let i = 4; i < olen;) {
    const o = BOOTP_FIXED + i;
    const code = b[o] as number;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) break;
    if (code === 51) {
      if (olen - i < 6 || seenLease) return null;
      seenLease = true;
      const v = u32(b, o + 2);
      lease = v === 0xffffffff ? null : v;
    } else if (code === 53) {
      if (olen - i < 3 || mtype) return null;
      mtype = b[o + 2] as number;
    } else if (olen - i < 2) return null;
    i += (b[o + 1] as number) + 2;
  }
  const ip = formatIpv4(u32(b, 16));
  if (mtype === DHCP_MSG.ack && !fromVm)
    return { kind: 'ack', ip, server: formatIpv4(u32(b, 20)), lease };
  if (mtype === DHCP_MSG.decline && !fromVm) return { kind: 'decline', ip };
  if (mtype === DHCP_MSG.release && fromVm) return { kind: 'release', ip };
  return null;
}
