/**
 * Frame → wire bytes, with correct lengths and checksums (IPv4 header, TCP,
 * UDP, UDP-Lite, ICMP, ICMPv6, IGMP, SCTP CRC32c), so that injected frames are
 * accepted by a real kernel.
 */
import { crc32c, foldChecksum, ipv4PseudoSum, ipv6PseudoSum, sumWords } from './checksum';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet, L3Packet, L4Packet } from './packet';
import { ETH_P_8021Q } from './packet';

export interface EncodeOptions {
  /**
   * Write the checksums stored in the packet (as decoded) instead of
   * recomputing them; used to reproduce captures byte for byte.
   */
  preserveChecksums?: boolean;
}

/** Encodes a frame to its wire bytes (without FCS). */
export function encodeFrame(frame: EthernetFrame, opts: EncodeOptions = {}): Uint8Array {
  const l3 = encodeL3(frame.payload, opts);
  const vlanLen = frame.vlan ? 4 : 0;
  const trailer = frame.trailer ?? new Uint8Array(0);
  const out = new Uint8Array(14 + vlanLen + l3.length + trailer.length);
  writeMac(out, 0, frame.dst);
  writeMac(out, 6, frame.src);
  let off = 12;
  if (frame.vlan) {
    put16(out, 12, ETH_P_8021Q);
    put16(
      out,
      14,
      ((frame.vlan.pcp & 7) << 13) | ((frame.vlan.dei & 1) << 12) | (frame.vlan.vid & 0xfff),
    );
    off = 16;
  }
  // An 802.3 frame carries its payload length where Ethernet II has the ethertype.
  put16(
    out,
    off,
    frame.ethertype < 0x600 && frame.payload.kind === 'stp' ? l3.length : frame.ethertype,
  );
  out.set(l3, off + 2);
  out.set(trailer, off + 2 + l3.length);
  return out;
}

/** Encodes one L3 packet (IP header included) to bytes. */
export function encodeL3(p: L3Packet, opts: EncodeOptions = {}): Uint8Array {
  switch (p.kind) {
    case 'arp': {
      const b = new Uint8Array(28);
      put16(b, 0, p.htype);
      put16(b, 2, p.ptype);
      b[4] = p.hlen;
      b[5] = p.plen;
      put16(b, 6, p.op);
      writeMac(b, 8, p.sha);
      put32(b, 14, p.spa);
      writeMac(b, 18, p.tha);
      put32(b, 24, p.tpa);
      return b;
    }
    case 'ipv4':
      return encodeIpv4(p, opts);
    case 'ipv6':
      return encodeIpv6(p, opts);
    case 'stp': {
      const b = new Uint8Array(p.bpduType === 0x80 ? 7 : p.bpduType === 0x02 ? 39 : 38);
      b[0] = 0x42;
      b[1] = 0x42;
      b[2] = 0x03;
      put16(b, 3, p.protocolId);
      b[5] = p.version;
      b[6] = p.bpduType;
      if (p.bpduType === 0x80) return b;
      b[7] = p.flags;
      put16(b, 8, p.rootPriority);
      writeMac(b, 10, p.rootAddr);
      put32(b, 16, p.rootCost);
      put16(b, 20, p.senderPriority);
      writeMac(b, 22, p.senderAddr);
      put16(b, 28, p.port);
      put16(b, 30, p.msgAge);
      put16(b, 32, p.maxAge);
      put16(b, 34, p.helloTime);
      put16(b, 36, p.forwardDelay);
      return b;
    }
    case 'raw':
      return p.data;
  }
}

/** The checksum an intact header of `p` carries (what encoding writes unless told otherwise). */
export function ipv4HeaderChecksum(p: Ipv4Packet): number {
  const b = encodeIpv4({ ...p, badChecksum: undefined }, {});
  return ((b[10] as number) << 8) | (b[11] as number);
}

function encodeIpv4(p: Ipv4Packet, opts: EncodeOptions): Uint8Array {
  const optLen = p.options ? (p.options.length + 3) & ~3 : 0;
  const hl = 20 + optLen;
  const l4 = encodeL4(p.payload, opts, (len) => ipv4PseudoSum(p.src, p.dst, p.protocol, len));
  const b = new Uint8Array(hl + l4.length);
  b[0] = 0x40 | (hl >> 2);
  b[1] = p.tos;
  put16(b, 2, p.totalLength ?? hl + l4.length);
  put16(b, 4, p.id);
  put16(b, 6, ((p.flags & 7) << 13) | (p.fragOffset & 0x1fff));
  b[8] = p.ttl;
  b[9] = p.protocol;
  put32(b, 12, p.src);
  put32(b, 16, p.dst);
  if (p.options) b.set(p.options, 20);
  put16(
    b,
    10,
    p.badChecksum ??
      (opts.preserveChecksums && p.checksum !== undefined
        ? p.checksum
        : foldChecksum(sumWords(b, 0, hl))),
  );
  b.set(l4, hl);
  return b;
}

function encodeIpv6(p: Ipv6Packet, opts: EncodeOptions): Uint8Array {
  const ext = p.extHeaders ?? [];
  let extLen = 0;
  for (const e of ext) extLen += e.data.length;
  const l4 = encodeL4(p.payload, opts, (len) => ipv6PseudoSum(p.src, p.dst, p.protocol, len));
  const b = new Uint8Array(40 + extLen + l4.length);
  put32(b, 0, ((6 << 28) | ((p.trafficClass & 0xff) << 20) | (p.flowLabel & 0xfffff)) >>> 0);
  put16(b, 4, p.payloadLength ?? extLen + l4.length);
  b[6] = ext.length ? (ext[0] as { type: number }).type : p.protocol;
  b[7] = p.hopLimit;
  for (let i = 0; i < 4; i++) {
    put32(b, 8 + 4 * i, p.src[i] as number);
    put32(b, 24 + 4 * i, p.dst[i] as number);
  }
  let off = 40;
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i] as { type: number; data: Uint8Array };
    b.set(e.data, off);
    // Chain the next-header fields so the list always ends in the upper-layer protocol.
    b[off] = i + 1 < ext.length ? (ext[i + 1] as { type: number }).type : p.protocol;
    off += e.data.length;
  }
  b.set(l4, off);
  return b;
}

/** Encodes an L4 payload; `pseudo(len)` gives the pseudo-header sum for a given upper-layer length. */
export function encodeL4(
  p: L4Packet,
  opts: EncodeOptions,
  pseudo: (len: number) => number,
): Uint8Array {
  const keep = opts.preserveChecksums === true;
  switch (p.kind) {
    case 'tcp': {
      const optLen = p.options ? (p.options.length + 3) & ~3 : 0;
      const hl = 20 + optLen;
      const b = new Uint8Array(hl + p.payload.length);
      put16(b, 0, p.srcPort);
      put16(b, 2, p.dstPort);
      put32(b, 4, p.seq >>> 0);
      put32(b, 8, p.ack >>> 0);
      b[12] = (hl >> 2) << 4;
      b[13] = p.flags & 0xff;
      put16(b, 14, p.window);
      put16(b, 18, p.urgent);
      if (p.options) b.set(p.options, 20);
      b.set(p.payload, hl);
      put16(
        b,
        16,
        keep && p.checksum !== undefined
          ? p.checksum
          : foldChecksum(sumWords(b, 0, b.length, pseudo(b.length))),
      );
      return b;
    }
    case 'udp':
    case 'udplite': {
      const b = new Uint8Array(8 + p.payload.length);
      put16(b, 0, p.srcPort);
      put16(b, 2, p.dstPort);
      const lite = p.kind === 'udplite';
      const coverage = lite ? (p.coverage ?? 0) : b.length;
      put16(b, 4, coverage);
      b.set(p.payload, 8);
      let ck: number;
      if (keep && p.checksum !== undefined) ck = p.checksum;
      else {
        const covered = lite
          ? coverage === 0
            ? b.length
            : Math.min(coverage, b.length)
          : b.length;
        ck = foldChecksum(sumWords(b, 0, covered, pseudo(b.length)));
        // A computed zero is sent as all ones (RFC 768); zero means "no checksum".
        if (ck === 0) ck = 0xffff;
      }
      put16(b, 6, ck);
      return b;
    }
    case 'sctp': {
      let len = 12;
      for (const c of p.chunks) len += (4 + c.value.length + 3) & ~3;
      const b = new Uint8Array(len);
      put16(b, 0, p.srcPort);
      put16(b, 2, p.dstPort);
      put32(b, 4, p.vtag >>> 0);
      let off = 12;
      for (const c of p.chunks) {
        b[off] = c.type;
        b[off + 1] = c.flags;
        put16(b, off + 2, 4 + c.value.length);
        b.set(c.value, off + 4);
        off += (4 + c.value.length + 3) & ~3;
      }
      const crc = keep && p.checksum !== undefined ? p.checksum : crc32c(b);
      // SCTP stores the CRC32c least significant byte first.
      b[8] = crc & 0xff;
      b[9] = (crc >>> 8) & 0xff;
      b[10] = (crc >>> 16) & 0xff;
      b[11] = crc >>> 24;
      return b;
    }
    case 'icmp':
    case 'icmpv6': {
      const b = new Uint8Array(8 + p.payload.length);
      b[0] = p.type;
      b[1] = p.code;
      put32(b, 4, p.rest >>> 0);
      b.set(p.payload, 8);
      // ICMPv6 includes the IPv6 pseudo-header; ICMPv4 does not.
      const initial = p.kind === 'icmpv6' ? pseudo(b.length) : 0;
      put16(
        b,
        2,
        keep && p.checksum !== undefined
          ? p.checksum
          : foldChecksum(sumWords(b, 0, b.length, initial)),
      );
      return b;
    }
    case 'igmp': {
      const b = new Uint8Array(8 + p.extra.length);
      b[0] = p.type;
      b[1] = p.maxResp;
      put32(b, 4, p.group >>> 0);
      b.set(p.extra, 8);
      put16(
        b,
        2,
        keep && p.checksum !== undefined ? p.checksum : foldChecksum(sumWords(b, 0, b.length)),
      );
      return b;
    }
    case 'esp': {
      const b = new Uint8Array(8 + p.data.length);
      put32(b, 0, p.spi >>> 0);
      put32(b, 4, p.seq >>> 0);
      b.set(p.data, 8);
      return b;
    }
    case 'ah': {
      // AH length is in 32-bit words minus 2; the ICV is padded to a multiple of 4.
      const icvLen = (p.icv.length + 3) & ~3;
      const b = new Uint8Array(12 + icvLen + p.data.length);
      b[0] = p.nextHeader;
      b[1] = (12 + icvLen) / 4 - 2;
      put32(b, 4, p.spi >>> 0);
      put32(b, 8, p.seq >>> 0);
      b.set(p.icv, 12);
      b.set(p.data, 12 + icvLen);
      return b;
    }
    case 'raw':
      return p.data;
  }
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

function writeMac(b: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / 0x100000000);
  put16(b, off, hi);
  put32(b, off + 2, mac >>> 0);
}
