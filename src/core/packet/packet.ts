/**
 * The structured frame model: what the simulator, the rule interpreter and
 * conntrack read. A frame is plain data (JSON-friendly apart from the
 * Uint8Array payloads); `encodeFrame` / `decodeFrame` convert to and from wire
 * bytes, `buildXxx` helpers in packet-build.ts make coherent frames.
 */
import type { Ip6Addr } from './addr';

// The EtherTypes, IP protocol numbers and TCP flag bits, defined once in the model.
export * from '../model/protocol-numbers';

/** An 802.1Q tag. */
export interface VlanTag {
  /** Priority code point 0..7. */
  pcp: number;
  /** Drop eligible indicator 0/1. */
  dei: number;
  /** VLAN id 0..4095. */
  vid: number;
}

export interface EthernetFrame {
  /** Destination MAC, 48-bit integer. */
  dst: number;
  /** Source MAC, 48-bit integer. */
  src: number;
  vlan?: VlanTag | undefined;
  /**
   * The (inner) ethertype; values < 0x600 are an 802.3 length field and the
   * payload is LLC (`stp` or `raw`).
   */
  ethertype: number;
  payload: L3Packet;
  /** Bytes after the L3 packet (Ethernet padding), kept so captures round-trip. */
  trailer?: Uint8Array | undefined;
}

export type L3Packet = ArpPacket | Ipv4Packet | Ipv6Packet | StpBpdu | RawL3;

/** ARP or RARP (same layout; the ethertype tells them apart). */
export interface ArpPacket {
  kind: 'arp';
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  /** 1 request, 2 reply, 3 RARP request, 4 RARP reply. */
  op: number;
  /** Sender hardware address (48-bit). */
  sha: number;
  /** Sender protocol address (IPv4). */
  spa: number;
  tha: number;
  tpa: number;
}

export interface Ipv4Packet {
  kind: 'ipv4';
  /** The whole TOS byte: DSCP << 2 | ECN. */
  tos: number;
  id: number;
  /** Flags (bit 1 = DF, bit 0 = MF) as the 3 high bits of the fragment field, shifted down. */
  flags: number;
  fragOffset: number;
  ttl: number;
  /** The IP protocol number (also for `raw` payloads). */
  protocol: number;
  src: number;
  dst: number;
  /** IP options (multiple of 4 bytes). */
  options?: Uint8Array | undefined;
  /** The header checksum as decoded (only used when encoding with preserveChecksums). */
  checksum?: number | undefined;
  /**
   * The header's total length when it is not the packet's real length: larger than the bytes the
   * frame holds, or smaller than the header (a damaged or crafted header, which the kernel drops:
   * core/netfilter/ip-header-check.ts). Absent for a consistent packet; encoded as given.
   */
  totalLength?: number | undefined;
  /**
   * The header checksum when it is not the header's correct one (a damaged or crafted header,
   * which the kernel drops: core/netfilter/ip-header-check.ts). Absent for a correct header, which
   * encoding computes; encoded as given.
   */
  badChecksum?: number | undefined;
  payload: L4Packet;
}

export interface Ipv6Packet {
  kind: 'ipv6';
  trafficClass: number;
  flowLabel: number;
  /** The upper-layer protocol (after any extension headers). */
  protocol: number;
  hopLimit: number;
  src: Ip6Addr;
  dst: Ip6Addr;
  /**
   * Extension headers before the upper-layer header, kept raw: each entry is
   * the header type and its bytes (including its own next-header byte).
   */
  extHeaders?: { type: number; data: Uint8Array }[] | undefined;
  /**
   * The header's payload length when it claims more bytes than the frame holds (damaged or
   * crafted; the kernel drops it). Absent for a consistent packet; encoded as given.
   */
  payloadLength?: number | undefined;
  payload: L4Packet;
}

/** A spanning tree BPDU carried in an 802.3/LLC frame (DSAP/SSAP 0x42). */
export interface StpBpdu {
  kind: 'stp';
  protocolId: number;
  version: number;
  /** 0x00 configuration, 0x80 TCN, 0x02 RST. */
  bpduType: number;
  flags: number;
  rootPriority: number;
  rootAddr: number;
  rootCost: number;
  senderPriority: number;
  senderAddr: number;
  port: number;
  /** Timer fields in 1/256 s units as on the wire. */
  msgAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

/** Any L3 payload the model does not decode. */
export interface RawL3 {
  kind: 'raw';
  data: Uint8Array;
}

export type L4Packet =
  TcpSegment | UdpDatagram | SctpPacket | IcmpMessage | IgmpMessage | EspPacket | AhPacket | RawL4;

export interface TcpSegment {
  kind: 'tcp';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Flags byte (TCP_SYN | TCP_ACK …). */
  flags: number;
  window: number;
  urgent: number;
  /** Raw options, padded to a multiple of 4 on encode. */
  options?: Uint8Array | undefined;
  payload: Uint8Array;
  checksum?: number | undefined;
}

/** UDP or UDP-Lite (`coverage` is UDP-Lite's checksum coverage, 0 = whole datagram). */
export interface UdpDatagram {
  kind: 'udp' | 'udplite';
  srcPort: number;
  dstPort: number;
  coverage?: number | undefined;
  payload: Uint8Array;
  checksum?: number | undefined;
}

export interface SctpChunk {
  type: number;
  flags: number;
  value: Uint8Array;
}

export interface SctpPacket {
  kind: 'sctp';
  srcPort: number;
  dstPort: number;
  vtag: number;
  chunks: SctpChunk[];
  checksum?: number | undefined;
}

/**
 * ICMP (v4) or ICMPv6. `rest` is the 4-byte field after the checksum (id << 16
 * | seq for echo); `payload` the bytes after it — for error messages the
 * quoted IP header and leading L4 bytes.
 */
export interface IcmpMessage {
  kind: 'icmp' | 'icmpv6';
  type: number;
  code: number;
  rest: number;
  payload: Uint8Array;
  checksum?: number | undefined;
}

export interface IgmpMessage {
  kind: 'igmp';
  type: number;
  maxResp: number;
  group: number;
  /** Bytes after the 8-byte base header (IGMPv3). */
  extra: Uint8Array;
  checksum?: number | undefined;
}

export interface EspPacket {
  kind: 'esp';
  spi: number;
  seq: number;
  /** Encrypted payload, padding and ICV, opaque. */
  data: Uint8Array;
}

export interface AhPacket {
  kind: 'ah';
  nextHeader: number;
  spi: number;
  seq: number;
  icv: Uint8Array;
  /** The protected upper-layer bytes, opaque. */
  data: Uint8Array;
}

export interface RawL4 {
  kind: 'raw';
  data: Uint8Array;
}

/** The IP layer of a frame, or null for ARP/STP/other. */
export function ipLayer(frame: EthernetFrame): Ipv4Packet | Ipv6Packet | null {
  const p = frame.payload;
  return p.kind === 'ipv4' || p.kind === 'ipv6' ? p : null;
}

/**
 * The IP datagram's length on the wire (header with options or extension headers, L4 header and
 * payload), from the structure without encoding: what iptables counts and conntrack accounts.
 */
export function ipLength(ip: Ipv4Packet | Ipv6Packet): number {
  let n: number;
  if (ip.kind === 'ipv4') n = 20 + (ip.options ? (ip.options.length + 3) & ~3 : 0);
  else {
    n = 40;
    if (ip.extHeaders) for (const e of ip.extHeaders) n += e.data.length;
  }
  const l4 = ip.payload;
  switch (l4.kind) {
    case 'tcp':
      return n + 20 + (l4.options ? (l4.options.length + 3) & ~3 : 0) + l4.payload.length;
    case 'udp':
    case 'udplite':
    case 'icmp':
    case 'icmpv6':
      return n + 8 + l4.payload.length;
    case 'igmp':
      return n + 8 + l4.extra.length;
    case 'esp':
      return n + 8 + l4.data.length;
    case 'ah':
      return n + 12 + ((l4.icv.length + 3) & ~3) + l4.data.length;
    case 'sctp':
      return n + 12 + l4.chunks.reduce((s, c) => s + ((4 + c.value.length + 3) & ~3), 0);
    case 'raw':
      return n + l4.data.length;
  }
}

/** The frame's length on the wire without the FCS: Ethernet header, 802.1Q tag, payload, trailer. */
export function frameLength(f: EthernetFrame): number {
  const p = f.payload;
  const n = 14 + (f.vlan ? 4 : 0) + (f.trailer?.length ?? 0);
  switch (p.kind) {
    case 'arp':
      return n + 28;
    case 'stp':
      return n + (p.bpduType === 0x80 ? 7 : 38);
    case 'raw':
      return n + p.data.length;
    default:
      return n + ipLength(p);
  }
}
