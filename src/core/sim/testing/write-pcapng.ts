/**
 * A minimal pcapng writer for tests: sections of interfaces (link type, timestamp resolution) and
 * enhanced packet blocks, in either byte order — what Wireshark and dumpcap write.
 */
export interface PcapngInterface {
  linkType: number;
  /** if_tsresol byte (default: absent, i.e. microseconds). */
  tsresol?: number;
}

export interface PcapngPacket {
  iface: number;
  /** Timestamp in the interface's units. */
  units: bigint;
  data: Uint8Array;
}

export interface PcapngSection {
  bigEndian?: boolean;
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
}

export function writePcapng(sections: readonly PcapngSection[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const s of sections) {
    const le = !s.bigEndian;
    const block = (type: number, body: Uint8Array): void => {
      const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
      const out = new Uint8Array(len);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, type, le);
      dv.setUint32(4, len, le);
      out.set(body, 8);
      dv.setUint32(len - 4, len, le);
      blocks.push(out);
    };
    const shb = new Uint8Array(16);
    const sdv = new DataView(shb.buffer);
    sdv.setUint32(0, 0x1a2b3c4d, le);
    sdv.setUint16(4, 1, le);
    sdv.setUint16(6, 0, le);
    sdv.setInt32(8, -1, le);
    sdv.setInt32(12, -1, le);
    block(0x0a0d0d0a, shb);
    for (const i of s.interfaces) {
      const body = new Uint8Array(i.tsresol === undefined ? 8 : 20);
      const dv = new DataView(body.buffer);
      dv.setUint16(0, i.linkType, le);
      dv.setUint32(4, 262144, le);
      if (i.tsresol !== undefined) {
        dv.setUint16(8, 9, le);
        dv.setUint16(10, 1, le);
        body[12] = i.tsresol;
        // opt_endofopt at 16..19 stays zero.
      }
      block(1, body);
    }
    for (const p of s.packets) {
      const pad = (4 - (p.data.length % 4)) % 4;
      const body = new Uint8Array(20 + p.data.length + pad);
      const dv = new DataView(body.buffer);
      dv.setUint32(0, p.iface, le);
      dv.setUint32(4, Number(p.units >> 32n), le);
      dv.setUint32(8, Number(p.units & 0xffffffffn), le);
      dv.setUint32(12, p.data.length, le);
      dv.setUint32(16, p.data.length, le);
      body.set(p.data, 20);
      block(6, body);
    }
  }
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
