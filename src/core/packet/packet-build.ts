/**
 * Builders for frames used by tests and scenarios. Addresses are given as
 * text (`'10.0.0.2'`, `'52:54:00:11:22:33'`, `'fe80::1'`) or numbers; payloads
 * as text (encoded as Latin-1 bytes, e.g. FTP control lines) or bytes.
 * Builders throw on malformed addresses: they are for authored data, not input.
 */
import type { Ip6Addr } from './addr';
import { parseIpv4, parseIpv6, parseMac } from './addr';
import { encodeL3 } from './packet-encode';
import { decodeIpv4, decodeIpv6 } from './packet-decode';
import type {
  ArpPacket,
  EthernetFrame,
  IcmpMessage,
  Ipv4Packet,
  Ipv6Packet,
  L3Packet,
  L4Packet,
  SctpChunk,
  StpBpdu,
  TcpSegment,
  UdpDatagram,
  VlanTag,
} from './packet';
import {
  ETH_P_ARP,
  ETH_P_IPV4,
  ETH_P_IPV6,
  ETH_P_RARP,
  IPPROTO_AH,
  IPPROTO_ESP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from './packet';

export type MacInput = string | number;
export type Ip4Input = string | number;
export type Ip6Input = string | Ip6Addr;
export type BytesInput = string | Uint8Array;

/** Text → bytes, one byte per char code (Latin-1), as FTP/SMTP control text travels. */
export function textBytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0xff;
  return b;
}

/** Bytes → Latin-1 text. */
export function bytesText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

function bytes(input: BytesInput | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  return typeof input === 'string' ? textBytes(input) : input;
}

/** Parses a MAC given as text or number; throws on malformed text. */
export function mac(input: MacInput): number {
  if (typeof input === 'number') return input;
  const v = parseMac(input);
  if (v === null) throw new Error(`bad MAC address: ${input}`);
  return v;
}

/** Parses an IPv4 address given as text or number; throws on malformed text. */
export function ip4(input: Ip4Input): number {
  if (typeof input === 'number') return input >>> 0;
  const v = parseIpv4(input);
  if (v === null) throw new Error(`bad IPv4 address: ${input}`);
  return v;
}

/** Parses an IPv6 address given as text or words; throws on malformed text. */
export function ip6(input: Ip6Input): Ip6Addr {
  if (typeof input !== 'string') return input;
  const v = parseIpv6(input);
  if (v === null) throw new Error(`bad IPv6 address: ${input}`);
  return v;
}

/**
 * Parses tcpdump-style flag text: `S`, `S.` (SYN+ACK), `.` (ACK), `P.`, `F.`,
 * `R`, `R.`, `U`, `E`, `W`; or the names `SYN,ACK`. A number is taken as is.
 */
export function tcpFlags(input: string | number): number {
  if (typeof input === 'number') return input;
  if (/[A-Z]{3}/.test(input)) {
    const names: Record<string, number> = {
      FIN: TCP_FIN,
      SYN: TCP_SYN,
      RST: TCP_RST,
      PSH: TCP_PSH,
      ACK: TCP_ACK,
      URG: TCP_URG,
      ECE: TCP_ECE,
      CWR: TCP_CWR,
    };
    let v = 0;
    for (const n of input.split(/[,|+ ]+/)) {
      const bit = names[n.toUpperCase()];
      if (bit === undefined) throw new Error(`bad TCP flag name: ${n}`);
      v |= bit;
    }
    return v;
  }
  const letters: Record<string, number> = {
    F: TCP_FIN,
    S: TCP_SYN,
    R: TCP_RST,
    P: TCP_PSH,
    '.': TCP_ACK,
    U: TCP_URG,
    E: TCP_ECE,
    W: TCP_CWR,
  };
  let v = 0;
  for (const ch of input) {
    const bit = letters[ch];
    if (bit === undefined) throw new Error(`bad TCP flag letter: ${ch}`);
    v |= bit;
  }
  return v;
}

export interface EthernetOptions {
  src: MacInput;
  dst: MacInput;
  vlan?: Partial<VlanTag> & { vid: number };
}

/** Wraps an L3 packet in an Ethernet frame; the ethertype follows the payload kind. */
export function buildEthernet(
  opts: EthernetOptions,
  payload: L3Packet,
  ethertype?: number,
): EthernetFrame {
  const et =
    ethertype ??
    (payload.kind === 'ipv4'
      ? ETH_P_IPV4
      : payload.kind === 'ipv6'
        ? ETH_P_IPV6
        : payload.kind === 'arp'
          ? ETH_P_ARP
          : payload.kind === 'stp'
            ? 38
            : 0x88b5);
  const frame: EthernetFrame = { dst: mac(opts.dst), src: mac(opts.src), ethertype: et, payload };
  if (opts.vlan)
    frame.vlan = { pcp: opts.vlan.pcp ?? 0, dei: opts.vlan.dei ?? 0, vid: opts.vlan.vid };
  return frame;
}

export interface Ipv4Options {
  src: Ip4Input;
  dst: Ip4Input;
  ttl?: number;
  tos?: number;
  /** DSCP 0..63; sets the top 6 bits of `tos`. */
  dscp?: number;
  id?: number;
  /** Don't-fragment; default true as Linux sets it on TCP/UDP. */
  df?: boolean;
  options?: Uint8Array;
}

const PROTO_OF: Record<L4Packet['kind'], number> = {
  tcp: IPPROTO_TCP,
  udp: IPPROTO_UDP,
  udplite: IPPROTO_UDPLITE,
  sctp: IPPROTO_SCTP,
  icmp: IPPROTO_ICMP,
  icmpv6: IPPROTO_ICMPV6,
  igmp: IPPROTO_IGMP,
  esp: IPPROTO_ESP,
  ah: IPPROTO_AH,
  raw: 255,
};

/** Builds an IPv4 packet around an L4 payload (`protocol` needed only for `raw`). */
export function buildIpv4(opts: Ipv4Options, payload: L4Packet, protocol?: number): Ipv4Packet {
  const tos =
    opts.dscp !== undefined ? ((opts.dscp & 63) << 2) | ((opts.tos ?? 0) & 3) : (opts.tos ?? 0);
  const p: Ipv4Packet = {
    kind: 'ipv4',
    tos,
    id: opts.id ?? 0,
    flags: opts.df === false ? 0 : 2,
    fragOffset: 0,
    ttl: opts.ttl ?? 64,
    protocol: protocol ?? PROTO_OF[payload.kind],
    src: ip4(opts.src),
    dst: ip4(opts.dst),
    payload,
  };
  if (opts.options) p.options = opts.options;
  return p;
}

export interface Ipv6Options {
  src: Ip6Input;
  dst: Ip6Input;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

/** Builds an IPv6 packet around an L4 payload. */
export function buildIpv6(opts: Ipv6Options, payload: L4Packet, protocol?: number): Ipv6Packet {
  return {
    kind: 'ipv6',
    trafficClass: opts.trafficClass ?? 0,
    flowLabel: opts.flowLabel ?? 0,
    protocol: protocol ?? PROTO_OF[payload.kind],
    hopLimit: opts.hopLimit ?? 64,
    src: ip6(opts.src),
    dst: ip6(opts.dst),
    payload,
  };
}

export interface TcpOptions {
  sport: number;
  dport: number;
  flags: string | number;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  /** Raw TCP options; see `tcpOptionsMssWscale`. */
  options?: Uint8Array;
  payload?: BytesInput;
}

/** Builds a TCP segment. */
export function buildTcp(o: TcpOptions): TcpSegment {
  const seg: TcpSegment = {
    kind: 'tcp',
    srcPort: o.sport,
    dstPort: o.dport,
    seq: (o.seq ?? 0) >>> 0,
    ack: (o.ack ?? 0) >>> 0,
    flags: tcpFlags(o.flags),
    window: o.window ?? 64240,
    urgent: o.urgent ?? 0,
    payload: bytes(o.payload),
  };
  if (o.options) seg.options = o.options;
  return seg;
}

/** The usual SYN options: MSS, SACK permitted, window scale (as Linux sends them, minus timestamps). */
export function tcpOptionsMssWscale(mss = 1460, wscale = 7): Uint8Array {
  return new Uint8Array([2, 4, mss >> 8, mss & 255, 4, 2, 1, 3, 3, wscale]);
}

export interface UdpOptions {
  sport: number;
  dport: number;
  payload?: BytesInput;
}

/** Builds a UDP datagram. */
export function buildUdp(o: UdpOptions): UdpDatagram {
  return { kind: 'udp', srcPort: o.sport, dstPort: o.dport, payload: bytes(o.payload) };
}

/** Builds a UDP-Lite datagram (coverage 0 = whole datagram). */
export function buildUdpLite(o: UdpOptions & { coverage?: number }): UdpDatagram {
  return {
    kind: 'udplite',
    srcPort: o.sport,
    dstPort: o.dport,
    coverage: o.coverage ?? 0,
    payload: bytes(o.payload),
  };
}

/** Builds an SCTP packet with the given chunks (e.g. `sctpInitChunk()`). */
export function buildSctp(o: {
  sport: number;
  dport: number;
  vtag?: number;
  chunks: SctpChunk[];
}): L4Packet {
  return { kind: 'sctp', srcPort: o.sport, dstPort: o.dport, vtag: o.vtag ?? 0, chunks: o.chunks };
}

/** An SCTP INIT chunk with the given initiate tag. */
export function sctpInitChunk(initTag = 0x01020304, tsn = 1): SctpChunk {
  const v = new Uint8Array(16);
  const dv = new DataView(v.buffer);
  dv.setUint32(0, initTag);
  dv.setUint32(4, 65536);
  dv.setUint16(8, 10);
  dv.setUint16(10, 10);
  dv.setUint32(12, tsn);
  return { type: 1, flags: 0, value: v };
}

/** ICMP echo request (type 8) or reply (type 0). */
export function buildIcmpEcho(o: {
  reply?: boolean;
  id: number;
  seq: number;
  payload?: BytesInput;
}): IcmpMessage {
  return {
    kind: 'icmp',
    type: o.reply ? 0 : 8,
    code: 0,
    rest: ((o.id & 0xffff) * 0x10000 + (o.seq & 0xffff)) >>> 0,
    payload: bytes(o.payload ?? 'abcdefghijklmnopqrstuvwabcdefghi'),
  };
}

/** ICMPv6 echo request (128) or reply (129). */
export function buildIcmpv6Echo(o: {
  reply?: boolean;
  id: number;
  seq: number;
  payload?: BytesInput;
}): IcmpMessage {
  return { ...buildIcmpEcho(o), kind: 'icmpv6', type: o.reply ? 129 : 128 };
}

/**
 * An ICMP error (e.g. type 3 code 3 port unreachable) quoting the offending
 * IPv4 packet: its header plus the first 8 bytes of its payload, as
 * RFC 792 requires and Linux sends (Linux quotes more; 8 is the minimum).
 */
export function buildIcmpError(
  type: number,
  code: number,
  quoted: Ipv4Packet,
  quoteBytes = 8,
): IcmpMessage {
  const wire = encodeL3(quoted);
  const hl = ((wire[0] as number) & 0xf) * 4;
  return {
    kind: 'icmp',
    type,
    code,
    rest: 0,
    payload: wire.slice(0, Math.min(wire.length, hl + quoteBytes)),
  };
}

/** An ICMPv6 error (1 unreachable, 3 time exceeded …) quoting an IPv6 packet. */
export function buildIcmpv6Error(
  type: number,
  code: number,
  quoted: Ipv6Packet,
  quoteBytes = 8,
): IcmpMessage {
  const wire = encodeL3(quoted);
  return {
    kind: 'icmpv6',
    type,
    code,
    rest: 0,
    payload: wire.slice(0, Math.min(wire.length, 40 + quoteBytes)),
  };
}

/** Decodes the packet quoted in an ICMP/ICMPv6 error (truncated upper layer tolerated); null if none. */
export function quotedPacket(msg: IcmpMessage): Ipv4Packet | Ipv6Packet | null {
  const r = msg.kind === 'icmp' ? decodeIpv4(msg.payload) : decodeIpv6(msg.payload);
  return r ? r.packet : null;
}

/** IGMP message (0x11 query, 0x16 v2 report, 0x17 leave, 0x22 v3 report). */
export function buildIgmp(o: { type: number; group: Ip4Input; maxResp?: number }): L4Packet {
  return {
    kind: 'igmp',
    type: o.type,
    maxResp: o.maxResp ?? 0,
    group: ip4(o.group),
    extra: new Uint8Array(0),
  };
}

/** ESP packet with an opaque body. */
export function buildEsp(o: { spi: number; seq: number; data?: BytesInput }): L4Packet {
  return { kind: 'esp', spi: o.spi, seq: o.seq, data: bytes(o.data ?? new Uint8Array(16)) };
}

/** AH packet with a 12-byte ICV (HMAC-SHA1-96) and an opaque protected body. */
export function buildAh(o: {
  spi: number;
  seq: number;
  nextHeader?: number;
  data?: BytesInput;
}): L4Packet {
  return {
    kind: 'ah',
    nextHeader: o.nextHeader ?? 59,
    spi: o.spi,
    seq: o.seq,
    icv: new Uint8Array(12),
    data: bytes(o.data),
  };
}

/** ARP request (op 1) / reply (op 2); RARP ops 3/4 go in frames built with `buildRarpFrame`. */
export function buildArp(o: {
  op: number;
  sha: MacInput;
  spa: Ip4Input;
  tha?: MacInput;
  tpa: Ip4Input;
}): ArpPacket {
  return {
    kind: 'arp',
    htype: 1,
    ptype: ETH_P_IPV4,
    hlen: 6,
    plen: 4,
    op: o.op,
    sha: mac(o.sha),
    spa: ip4(o.spa),
    tha: mac(o.tha ?? 0),
    tpa: ip4(o.tpa),
  };
}

/** A RARP frame (ethertype 0x8035). */
export function buildRarpFrame(eth: EthernetOptions, arp: ArpPacket): EthernetFrame {
  return buildEthernet(eth, arp, ETH_P_RARP);
}

/** A configuration BPDU sent to the STP multicast address. */
export function buildStpConfig(
  o: Partial<Omit<StpBpdu, 'kind' | 'senderAddr' | 'rootAddr'>> & {
    senderAddr: MacInput;
    rootAddr?: MacInput;
  },
): StpBpdu {
  return {
    kind: 'stp',
    protocolId: o.protocolId ?? 0,
    version: o.version ?? 0,
    bpduType: o.bpduType ?? 0,
    flags: o.flags ?? 0,
    rootPriority: o.rootPriority ?? 0x8000,
    rootAddr: mac(o.rootAddr ?? o.senderAddr),
    rootCost: o.rootCost ?? 0,
    senderPriority: o.senderPriority ?? 0x8000,
    senderAddr: mac(o.senderAddr),
    port: o.port ?? 0x8001,
    msgAge: o.msgAge ?? 0,
    maxAge: o.maxAge ?? 20 * 256,
    helloTime: o.helloTime ?? 2 * 256,
    forwardDelay: o.forwardDelay ?? 15 * 256,
  };
}

/** The STP multicast destination 01:80:c2:00:00:00. */
export const STP_MULTICAST = 0x0180c2000000;
