/**
 * libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html),
 * pure: bytes in, bytes out. Reads both byte orders and both the microsecond
 * (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magics; writes little-endian.
 * Timestamps stay as integer seconds + fraction so nothing is lost to floats.
 */

/** Link type of Ethernet captures (LINKTYPE_ETHERNET). */
export const LINKTYPE_ETHERNET = 1;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export interface PcapRecord {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Sub-second part in the file's unit: microseconds, or nanoseconds when `nanosecond`. */
  tsFrac: number;
  /** Length of the packet on the wire (may exceed data.length when the capture was truncated). */
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  linkType: number;
  snaplen: number;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  records: PcapRecord[];
}

export interface PcapDiagnostic {
  code: 'PCAP_BAD_MAGIC' | 'PCAP_SHORT_HEADER' | 'PCAP_TRUNCATED_RECORD' | 'PCAP_LINKTYPE';
  message: string;
  /** Byte offset in the file. */
  offset: number;
}

export interface PcapReadResult {
  file: PcapFile | null;
  diagnostics: PcapDiagnostic[];
}

/**
 * Reads a pcap file. A file with a bad magic yields `file: null`; a truncated
 * last record is reported and dropped; a non-Ethernet link type is reported
 * but the records are still returned.
 */
export function readPcap(bytes: Uint8Array): PcapReadResult {
  const diagnostics: PcapDiagnostic[] = [];
  if (bytes.length < 24) {
    return {
      file: null,
      diagnostics: [
        {
          code: 'PCAP_SHORT_HEADER',
          message: `pcap file too short for its 24-byte header (${bytes.length} bytes)`,
          offset: 0,
        },
      ],
    };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let nanosecond: boolean;
  const magicLe = dv.getUint32(0, true);
  const magicBe = dv.getUint32(0, false);
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) {
    le = true;
    nanosecond = magicLe === MAGIC_NS;
  } else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) {
    le = false;
    nanosecond = magicBe === MAGIC_NS;
  } else {
    return {
      file: null,
      diagnostics: [
        {
          code: 'PCAP_BAD_MAGIC',
          message: `not a pcap file (magic 0x${magicBe.toString(16).padStart(8, '0')})`,
          offset: 0,
        },
      ],
    };
  }
  const file: PcapFile = {
    versionMajor: dv.getUint16(4, le),
    versionMinor: dv.getUint16(6, le),
    snaplen: dv.getUint32(16, le),
    // The upper bits of the link-type field carry FCS information; the type is the low 28 bits.
    linkType: dv.getUint32(20, le) & 0x0fffffff,
    nanosecond,
    records: [],
  };
  if (file.linkType !== LINKTYPE_ETHERNET) {
    diagnostics.push({
      code: 'PCAP_LINKTYPE',
      message: `link type ${file.linkType} is not Ethernet (1)`,
      offset: 20,
    });
  }
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) {
      diagnostics.push({
        code: 'PCAP_TRUNCATED_RECORD',
        message: 'truncated record header at end of file',
        offset: off,
      });
      break;
    }
    const inclLen = dv.getUint32(off + 8, le);
    if (off + 16 + inclLen > bytes.length) {
      diagnostics.push({
        code: 'PCAP_TRUNCATED_RECORD',
        message: `record claims ${inclLen} bytes but the file ends`,
        offset: off,
      });
      break;
    }
    file.records.push({
      tsSec: dv.getUint32(off, le),
      tsFrac: dv.getUint32(off + 4, le),
      origLen: dv.getUint32(off + 12, le),
      data: bytes.slice(off + 16, off + 16 + inclLen),
    });
    off += 16 + inclLen;
  }
  return { file, diagnostics };
}

export interface PcapWriteOptions {
  nanosecond?: boolean;
  snaplen?: number;
  linkType?: number;
}

/** Writes a little-endian pcap file (version 2.4). */
export function writePcap(records: readonly PcapRecord[], opts: PcapWriteOptions = {}): Uint8Array {
  let size = 24;
  for (const r of records) size += 16 + r.data.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, opts.nanosecond ? MAGIC_NS : MAGIC_US, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, opts.snaplen ?? 262144, true);
  dv.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, true);
  let off = 24;
  for (const r of records) {
    dv.setUint32(off, r.tsSec, true);
    dv.setUint32(off + 4, r.tsFrac, true);
    dv.setUint32(off + 8, r.data.length, true);
    dv.setUint32(off + 12, Math.max(r.origLen, r.data.length), true);
    out.set(r.data, off + 16);
    off += 16 + r.data.length;
  }
  return out;
}

/** A record's timestamp in seconds (float; microsecond precision is exact enough for the clock). */
export function recordTime(r: PcapRecord, nanosecond: boolean): number {
  return r.tsSec + r.tsFrac / (nanosecond ? 1e9 : 1e6);
}

/** Splits a time in seconds into a record timestamp with microsecond (or nanosecond) fraction. */
export function splitTime(t: number, nanosecond = false): { tsSec: number; tsFrac: number } {
  const unit = nanosecond ? 1e9 : 1e6;
  let tsSec = Math.floor(t);
  let tsFrac = Math.round((t - tsSec) * unit);
  if (tsFrac >= unit) {
    tsSec += 1;
    tsFrac -= unit;
  }
  return { tsSec, tsFrac };
}
