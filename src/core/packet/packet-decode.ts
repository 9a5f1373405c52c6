/**
 * Wire bytes → frame. Never throws on bad input: a layer that cannot be
 * decoded (truncated, unknown) becomes a `raw` payload, so a capture always
 * loads and the interpreter can still match the layers that did decode.
 */
import { foldChecksum, sumWords } from './checksum';
import type { Ip6Addr } from './addr';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet, L3Packet, L4Packet, StpBpdu } from './packet';
import {
  ETH_P_8021Q,
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
} from './packet';

/** IPv6 extension headers skipped to reach the upper layer (AH is treated as an upper layer). */
const IPV6_EXT = new Set([0, 43, 44, 60]);

/** Decodes an Ethernet frame; null when shorter than an Ethernet header. */
export function decodeFrame(bytes: Uint8Array): EthernetFrame | null {
  if (bytes.length < 14) return null;
  const dst = readMac(bytes, 0);
  const src = readMac(bytes, 6);
  let ethertype = get16(bytes, 12);
  let off = 14;
  let vlan: EthernetFrame['vlan'];
  if (ethertype === ETH_P_8021Q && bytes.length >= 18) {
    const tci = get16(bytes, 14);
    vlan = { pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0xfff };
    ethertype = get16(bytes, 16);
    off = 18;
  }
  const body = bytes.subarray(off);
  const { packet, used } = decodeL3(ethertype, body);
  const frame: EthernetFrame = { dst, src, ethertype, payload: packet };
  if (vlan) frame.vlan = vlan;
  if (used < body.length) frame.trailer = body.slice(used);
  return frame;
}

/** Decodes the L3 packet for an ethertype; `used` is how many bytes belong to it (the rest is padding). */
export function decodeL3(ethertype: number, b: Uint8Array): { packet: L3Packet; used: number } {
  if ((ethertype === ETH_P_ARP || ethertype === ETH_P_RARP) && b.length >= 28) {
    return {
      packet: {
        kind: 'arp',
        htype: get16(b, 0),
        ptype: get16(b, 2),
        hlen: b[4] as number,
        plen: b[5] as number,
        op: get16(b, 6),
        sha: readMac(b, 8),
        spa: get32(b, 14),
        tha: readMac(b, 18),
        tpa: get32(b, 24),
      },
      used: 28,
    };
  }
  if (ethertype === ETH_P_IPV4) {
    const r = decodeIpv4(b);
    if (r) return r;
  }
  if (ethertype === ETH_P_IPV6) {
    const r = decodeIpv6(b);
    if (r) return r;
  }
  if (ethertype < 0x600) {
    const len = Math.min(ethertype, b.length);
    const stp = decodeStp(b.subarray(0, len));
    if (stp) return { packet: stp, used: len };
    return { packet: { kind: 'raw', data: b.slice(0, len) }, used: len };
  }
  return { packet: { kind: 'raw', data: b.slice() }, used: b.length };
}

/** Decodes an IPv4 packet (header and upper layer); null when the header is unusable. */
export function decodeIpv4(b: Uint8Array): { packet: Ipv4Packet; used: number } | null {
  if (b.length < 20 || (b[0] as number) >> 4 !== 4) return null;
  const hl = ((b[0] as number) & 0xf) * 4;
  const total = get16(b, 2);
  if (hl < 20 || b.length < hl) return null;
  // A quoted header inside an ICMP error is cut short; decode what is there.
  const end = Math.min(Math.max(total, hl), b.length);
  const frag = get16(b, 6);
  const protocol = b[9] as number;
  const fragOffset = frag & 0x1fff;
  const data = b.subarray(hl, end);
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    tos: b[1] as number,
    id: get16(b, 4),
    flags: frag >>> 13,
    fragOffset,
    ttl: b[8] as number,
    protocol,
    src: get32(b, 12),
    dst: get32(b, 16),
    checksum: get16(b, 10),
    // Only the first fragment carries the upper-layer header.
    payload:
      fragOffset === 0 ? decodeL4(protocol, data, false) : { kind: 'raw', data: data.slice() },
  };
  if (hl > 20) packet.options = b.slice(20, hl);
  // Kept so that the kernel's length checks can decide its fate (and encoding gives it back).
  if (total !== end) packet.totalLength = total;
  // ip_fast_csum: the header, its checksum included, sums to all ones when it is intact.
  if (foldChecksum(sumWords(b, 0, hl)) !== 0) packet.badChecksum = get16(b, 10);
  return { packet, used: end };
}

/** Decodes an IPv6 packet; null when the fixed header is incomplete. */
export function decodeIpv6(b: Uint8Array): { packet: Ipv6Packet; used: number } | null {
  if (b.length < 40 || (b[0] as number) >> 4 !== 6) return null;
  const declared = get16(b, 4);
  const end = Math.min(40 + declared, b.length);
  let next = b[6] as number;
  let off = 40;
  const ext: { type: number; data: Uint8Array }[] = [];
  let fragmented = false;
  while (IPV6_EXT.has(next) && off + 8 <= end) {
    const len = next === 44 ? 8 : ((b[off + 1] as number) + 1) * 8;
    if (off + len > end) break;
    if (next === 44 && (get16(b, off + 2) & 0xfff8) !== 0) fragmented = true;
    ext.push({ type: next, data: b.slice(off, off + len) });
    next = b[off] as number;
    off += len;
  }
  const data = b.subarray(off, end);
  const packet: Ipv6Packet = {
    kind: 'ipv6',
    trafficClass: (get16(b, 0) >>> 4) & 0xff,
    flowLabel: get32(b, 0) & 0xfffff,
    protocol: next,
    hopLimit: b[7] as number,
    src: read6(b, 8),
    dst: read6(b, 24),
    payload: fragmented ? { kind: 'raw', data: data.slice() } : decodeL4(next, data, true),
  };
  if (ext.length) packet.extHeaders = ext;
  if (40 + declared > b.length) packet.payloadLength = declared;
  return { packet, used: end };
}

/**
 * Decodes an upper-layer payload. With `partial`-tolerant callers (ICMP
 * quotes) a truncated TCP/UDP header still yields ports when 8 bytes exist.
 */
export function decodeL4(protocol: number, b: Uint8Array, v6: boolean): L4Packet {
  switch (protocol) {
    case IPPROTO_TCP: {
      if (b.length < 20) break;
      const hl = ((b[12] as number) >> 4) * 4;
      if (hl < 20 || hl > b.length) break;
      const seg: L4Packet = {
        kind: 'tcp',
        srcPort: get16(b, 0),
        dstPort: get16(b, 2),
        seq: get32(b, 4),
        ack: get32(b, 8),
        flags: b[13] as number,
        window: get16(b, 14),
        checksum: get16(b, 16),
        urgent: get16(b, 18),
        payload: b.slice(hl),
      };
      if (hl > 20) seg.options = b.slice(20, hl);
      return seg;
    }
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE: {
      if (b.length < 8) break;
      const lite = protocol === IPPROTO_UDPLITE;
      const len = get16(b, 4);
      // UDP's length field bounds the payload; UDP-Lite's is the checksum coverage.
      const payloadEnd = lite ? b.length : Math.max(8, Math.min(len, b.length));
      const d: L4Packet = {
        kind: lite ? 'udplite' : 'udp',
        srcPort: get16(b, 0),
        dstPort: get16(b, 2),
        checksum: get16(b, 6),
        payload: b.slice(8, payloadEnd),
      };
      if (lite) d.coverage = len;
      return d;
    }
    case IPPROTO_SCTP: {
      if (b.length < 12) break;
      const chunks: { type: number; flags: number; value: Uint8Array }[] = [];
      let off = 12;
      while (off + 4 <= b.length) {
        const clen = get16(b, off + 2);
        if (clen < 4 || off + clen > b.length) break;
        chunks.push({
          type: b[off] as number,
          flags: b[off + 1] as number,
          value: b.slice(off + 4, off + clen),
        });
        off += (clen + 3) & ~3;
      }
      return {
        kind: 'sctp',
        srcPort: get16(b, 0),
        dstPort: get16(b, 2),
        vtag: get32(b, 4),
        checksum:
          ((b[8] as number) |
            ((b[9] as number) << 8) |
            ((b[10] as number) << 16) |
            ((b[11] as number) << 24)) >>>
          0,
        chunks,
      };
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if (b.length < 8 || (protocol === IPPROTO_ICMPV6) !== v6) break;
      return {
        kind: v6 ? 'icmpv6' : 'icmp',
        type: b[0] as number,
        code: b[1] as number,
        checksum: get16(b, 2),
        rest: get32(b, 4),
        payload: b.slice(8),
      };
    }
    case IPPROTO_IGMP: {
      if (b.length < 8 || v6) break;
      return {
        kind: 'igmp',
        type: b[0] as number,
        maxResp: b[1] as number,
        checksum: get16(b, 2),
        group: get32(b, 4),
        extra: b.slice(8),
      };
    }
    case IPPROTO_ESP: {
      if (b.length < 8) break;
      return { kind: 'esp', spi: get32(b, 0), seq: get32(b, 4), data: b.slice(8) };
    }
    case IPPROTO_AH: {
      if (b.length < 12) break;
      const len = ((b[1] as number) + 2) * 4;
      if (len < 12 || len > b.length) break;
      return {
        kind: 'ah',
        nextHeader: b[0] as number,
        spi: get32(b, 4),
        seq: get32(b, 8),
        icv: b.slice(12, len),
        data: b.slice(len),
      };
    }
  }
  return { kind: 'raw', data: b.slice() };
}

function decodeStp(b: Uint8Array): StpBpdu | null {
  if (b.length < 7 || b[0] !== 0x42 || b[1] !== 0x42 || b[2] !== 0x03) return null;
  const bpduType = b[6] as number;
  const base = { kind: 'stp' as const, protocolId: get16(b, 3), version: b[5] as number, bpduType };
  if (bpduType === 0x80) {
    return {
      ...base,
      flags: 0,
      rootPriority: 0,
      rootAddr: 0,
      rootCost: 0,
      senderPriority: 0,
      senderAddr: 0,
      port: 0,
      msgAge: 0,
      maxAge: 0,
      helloTime: 0,
      forwardDelay: 0,
    };
  }
  if (b.length < 38) return null;
  return {
    ...base,
    flags: b[7] as number,
    rootPriority: get16(b, 8),
    rootAddr: readMac(b, 10),
    rootCost: get32(b, 16),
    senderPriority: get16(b, 20),
    senderAddr: readMac(b, 22),
    port: get16(b, 28),
    msgAge: get16(b, 30),
    maxAge: get16(b, 32),
    helloTime: get16(b, 34),
    forwardDelay: get16(b, 36),
  };
}

function get16(b: Uint8Array, off: number): number {
  return (((b[off] as number) << 8) | (b[off + 1] as number)) >>> 0;
}

function get32(b: Uint8Array, off: number): number {
  return (
    (((b[off] as number) << 24) |
      ((b[off + 1] as number) << 16) |
      ((b[off + 2] as number) << 8) |
      (b[off + 3] as number)) >>>
    0
  );
}

function readMac(b: Uint8Array, off: number): number {
  return get16(b, off) * 0x100000000 + get32(b, off + 2);
}

function read6(b: Uint8Array, off: number): Ip6Addr {
  return [get32(b, off), get32(b, off + 4), get32(b, off + 8), get32(b, off + 12)];
}
