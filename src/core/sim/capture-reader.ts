/**
 * Streaming reader of capture files: libpcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html)
 * and pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html), the format
 * Wireshark writes by default. Records come one at a time from a {@link ByteSource}, so a replay
 * holds one record and a small window of the file, whatever the file's size. Pure: the CLI reads
 * through a file descriptor, the browser from the bytes it has.
 */
import { LINKTYPE_ETHERNET } from './pcap';

/** Random-access bytes: the file, or a buffer standing for it. */
export interface ByteSource {
  /** Copies up to `into.length` bytes from `position` into `into`; returns how many (0 at the end). */
  read(into: Uint8Array, position: number): number;
}

/** A {@link ByteSource} over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    read(into, position) {
      if (position >= bytes.length) return 0;
      const n = Math.min(into.length, bytes.length - position);
      into.set(bytes.subarray(position, position + n));
      return n;
    },
  };
}

/** One packet record, with its timestamp as integer seconds and nanoseconds. */
export interface CaptureRecord {
  /** Index among the file's packet records (0-based, every record counted, skipped ones too). */
  index: number;
  sec: number;
  nsec: number;
  /** Length on the wire (more than `data.length` when the capture was cut at the snapshot length). */
  origLen: number;
  /** The captured bytes; the caller's own copy. */
  data: Uint8Array;
  /** The pcapng interface the record was captured on (0 for pcap). */
  iface: number;
}

export type CaptureDiagnosticCode =
  | 'PCAP_BAD_MAGIC'
  | 'PCAP_SHORT_HEADER'
  | 'PCAP_TRUNCATED_RECORD'
  | 'PCAP_LINKTYPE'
  | 'PCAP_BAD_LENGTH'
  | 'PCAPNG_BAD_BLOCK'
  | 'PCAPNG_NO_INTERFACE';

export interface CaptureReadDiagnostic {
  code: CaptureDiagnosticCode;
  message: string;
  /** Byte offset in the file. */
  offset: number;
  /** Packet record index, or -1 for what concerns the file (header, section, interface). */
  record: number;
}

/** The largest record libpcap reads (its maximum snapshot length). */
export const MAX_RECORD_BYTES = 262_144;
/** The largest pcapng block accepted: a packet block of the largest record plus generous options. */
const MAX_BLOCK_BYTES = MAX_RECORD_BYTES + 65_536;

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;

/** Names of link types people meet, for the refusal. */
const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'BSD loopback',
  101: 'raw IP',
  105: 'IEEE 802.11',
  113: 'Linux cooked (tcpdump -i any)',
  127: '802.11 radiotap',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked v2 (tcpdump -i any)',
};

function linkTypeText(t: number): string {
  const name = LINKTYPE_NAMES[t];
  return name ? `${t} (${name})` : String(t);
}

/** An interface of a pcapng section: its link type and timestamp units. */
interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  unitsPerSecond: bigint;
  offsetSeconds: bigint;
  refused: boolean;
}

/**
 * Reads a capture record by record. Only Ethernet is decoded as Ethernet: a pcap file of another
 * link type yields no record, and pcapng records of a non-Ethernet interface are skipped; both
 * are reported once. A damaged or truncated file yields the records before the damage.
 */
export class CaptureReader {
  /** The file's format, once its first bytes have been read; null when it is neither. */
  format: 'pcap' | 'pcapng' | null = null;
  readonly diagnostics: CaptureReadDiagnostic[] = [];
  private readonly source: ByteSource;
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private bufStart = 0;
  private bufLen = 0;
  private pos = 0;
  private le = true;
  private done = false;
  private started = false;
  private records = 0;
  /** pcap: nanosecond timestamps. */
  private nanosecond = false;
  /** pcapng: the current section's interfaces. */
  private interfaces: Interface[] = [];
  private lastSec = 0;
  private lastNsec = 0;

  constructor(source: ByteSource) {
    this.source = source;
  }

  /** The next packet record, or null at the end of the file (or at damage, reported). */
  next(): CaptureRecord | null {
    if (!this.started) {
      this.started = true;
      this.readHeader();
    }
    while (!this.done) {
      const r = this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
      if (r !== undefined) return r;
    }
    return null;
  }

  private report(code: CaptureDiagnosticCode, message: string, offset: number, record = -1) {
    this.diagnostics.push({ code, message, offset, record });
  }

  private fail(code: CaptureDiagnosticCode, message: string, offset: number, record = -1): null {
    this.report(code, message, offset, record);
    this.done = true;
    return null;
  }

  /** Makes bytes [pos, pos+n) available in the window; false when the file ends before. */
  private ensure(pos: number, n: number): boolean {
    if (pos >= this.bufStart && pos + n <= this.bufStart + this.bufLen) return true;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      const keep = pos - this.bufStart;
      if (keep >= 0 && keep < this.bufLen) bigger.set(this.buf.subarray(keep, this.bufLen));
      this.bufLen = keep >= 0 && keep < this.bufLen ? this.bufLen - keep : 0;
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    } else {
      const keep = pos - this.bufStart;
      if (keep >= 0 && keep < this.bufLen) {
        this.buf.copyWithin(0, keep, this.bufLen);
        this.bufLen -= keep;
      } else {
        this.bufLen = 0;
      }
    }
    this.bufStart = pos;
    while (this.bufLen < n) {
      const got = this.source.read(this.buf.subarray(this.bufLen), this.bufStart + this.bufLen);
      if (got <= 0) return false;
      this.bufLen += got;
    }
    return true;
  }

  private u32(pos: number): number {
    return this.view.getUint32(pos - this.bufStart, this.le);
  }

  private u16(pos: number): number {
    return this.view.getUint16(pos - this.bufStart, this.le);
  }

  private copy(pos: number, n: number): Uint8Array {
    const at = pos - this.bufStart;
    return this.buf.slice(at, at + n);
  }

  private readHeader(): void {
    if (!this.ensure(0, 4)) {
      this.fail('PCAP_SHORT_HEADER', 'the file is too short to be a capture', 0);
      return;
    }
    this.le = false;
    const be = this.u32(0);
    this.le = true;
    const le = this.u32(0);
    if (be === SHB) {
      this.format = 'pcapng';
      return;
    }
    let nanosecond: boolean;
    if (le === PCAP_US || le === PCAP_NS) {
      this.le = true;
      nanosecond = le === PCAP_NS;
    } else if (be === PCAP_US || be === PCAP_NS) {
      this.le = false;
      nanosecond = be === PCAP_NS;
    } else {
      this.fail(
        'PCAP_BAD_MAGIC',
        `not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, '0')})`,
        0,
      );
      return;
    }
    this.format = 'pcap';
    this.nanosecond = nanosecond;
    if (!this.ensure(0, 24)) {
      this.fail('PCAP_SHORT_HEADER', 'pcap file too short for its 24-byte header', 0);
      return;
    }
    // The upper bits of the link-type field carry FCS information; the type is the low 28 bits.
    const linkType = this.u32(20) & 0x0fffffff;
    if (linkType !== LINKTYPE_ETHERNET) {
      this.fail(
        'PCAP_LINKTYPE',
        `link type ${linkTypeText(linkType)} is not Ethernet (1): the simulator replays Ethernet frames only (capture on the VM's bridge port, e.g. tcpdump -i vnet0 -w FILE)`,
        20,
      );
      return;
    }
    this.pos = 24;
  }

  private nextPcap(): CaptureRecord | null {
    const off = this.pos;
    if (!this.ensure(off, 1)) {
      this.done = true;
      return null;
    }
    const index = this.records;
    if (!this.ensure(off, 16))
      return this.fail(
        'PCAP_TRUNCATED_RECORD',
        'truncated record header at end of file',
        off,
        index,
      );
    const inclLen = this.u32(off + 8);
    if (inclLen > MAX_RECORD_BYTES) {
      return this.fail(
        'PCAP_BAD_LENGTH',
        `record ${index} claims ${inclLen} bytes, more than any capture holds (${MAX_RECORD_BYTES}): the file is damaged from here`,
        off,
        index,
      );
    }
    const sec = this.u32(off);
    const frac = this.u32(off + 4);
    const origLen = this.u32(off + 12);
    if (!this.ensure(off, 16 + inclLen)) {
      return this.fail(
        'PCAP_TRUNCATED_RECORD',
        `record ${index} claims ${inclLen} bytes but the file ends`,
        off,
        index,
      );
    }
    this.records++;
    this.pos = off + 16 + inclLen;
    return {
      index,
      sec,
      nsec: this.nanosecond ? frac : frac * 1000,
      origLen,
      data: this.copy(off + 16, inclLen),
      iface: 0,
    };
  }

  /** One pcapng block: a record, null at the end, or undefined for a block that is not one. */
  private nextPcapng(): CaptureRecord | null | undefined {
    const off = this.pos;
    if (!this.ensure(off, 1)) {
      this.done = true;
      return null;
    }
    if (!this.ensure(off, 12))
      return this.fail('PCAPNG_BAD_BLOCK', 'truncated block header at end of file', off);
    // The section header's type reads the same in both byte orders; its length needs the order.
    let type = this.u32(off);
    if (type === SHB) {
      const bom = this.view.getUint32(off + 8 - this.bufStart, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else
        return this.fail(
          'PCAPNG_BAD_BLOCK',
          'section header with an unknown byte-order magic',
          off,
        );
      type = SHB;
    }
    const len = this.u32(off + 4);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK_BYTES) {
      return this.fail(
        'PCAPNG_BAD_BLOCK',
        `block of type 0x${type.toString(16)} claims ${len} bytes (a block has 12 to ${MAX_BLOCK_BYTES}, a multiple of 4): the file is damaged from here`,
        off,
      );
    }
    if (!this.ensure(off, len))
      return this.fail('PCAPNG_BAD_BLOCK', `block of ${len} bytes but the file ends`, off);
    if (this.u32(off + len - 4) !== len)
      return this.fail(
        'PCAPNG_BAD_BLOCK',
        'block length and trailing length differ: the file is damaged from here',
        off,
      );
    this.pos = off + len;
    switch (type) {
      case SHB:
        if (len < 28) return this.fail('PCAPNG_BAD_BLOCK', 'section header too short', off);
        this.interfaces = [];
        return undefined;
      case IDB:
        return this.readInterface(off, len);
      case EPB:
      case OPB: {
        if (len < 32) return this.fail('PCAPNG_BAD_BLOCK', 'packet block too short', off);
        const ifaceId = type === EPB ? this.u32(off + 8) : this.u16(off + 8);
        const capLen = this.u32(off + 20);
        if (capLen > len - 32)
          return this.fail(
            'PCAPNG_BAD_BLOCK',
            `packet of ${capLen} bytes in a ${len}-byte block`,
            off,
          );
        const hi = this.u32(off + 12);
        const lo = this.u32(off + 16);
        return this.packet(off, ifaceId, hi, lo, capLen, this.u32(off + 24), off + 28);
      }
      case SPB: {
        if (len < 16) return this.fail('PCAPNG_BAD_BLOCK', 'simple packet block too short', off);
        const origLen = this.u32(off + 8);
        const snap = this.interfaces[0]?.snaplen || MAX_RECORD_BYTES;
        const capLen = Math.min(origLen, snap, len - 16);
        return this.packet(off, 0, -1, -1, capLen, origLen, off + 12);
      }
      default:
        // Name resolution, statistics, decryption secrets, custom blocks: nothing to replay.
        return undefined;
    }
  }

  private readInterface(off: number, len: number): undefined | null {
    if (len < 20) return this.fail('PCAPNG_BAD_BLOCK', 'interface description too short', off);
    const iface: Interface = {
      linkType: this.u16(off + 8),
      snaplen: this.u32(off + 12),
      unitsPerSecond: 1_000_000n,
      offsetSeconds: 0n,
      refused: false,
    };
    let p = off + 16;
    const end = off + len - 4;
    while (p + 4 <= end) {
      const code = this.u16(p);
      const olen = this.u16(p + 2);
      if (code === 0 || p + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        // if_tsresol: 10^-n, or 2^-n when the top bit is set.
        const v = this.buf[p + 4 - this.bufStart] as number;
        const exp = BigInt(v & 0x7f);
        iface.unitsPerSecond = v & 0x80 ? 1n << exp : 10n ** exp;
      } else if (code === 14 && olen === 8) {
        const hi = this.u32(p + 4);
        const lo = this.u32(p + 8);
        iface.offsetSeconds = BigInt.asIntN(
          64,
          this.le ? (BigInt(hi) << 0n) | (BigInt(lo) << 32n) : (BigInt(hi) << 32n) | BigInt(lo),
        );
      }
      p += 4 + olen + ((4 - (olen % 4)) % 4);
    }
    if (iface.unitsPerSecond === 0n || iface.unitsPerSecond > 10n ** 18n)
      iface.unitsPerSecond = 1_000_000n;
    this.interfaces.push(iface);
    return undefined;
  }

  private packet(
    off: number,
    ifaceId: number,
    hi: number,
    lo: number,
    capLen: number,
    origLen: number,
    dataAt: number,
  ): CaptureRecord | undefined {
    const index = this.records++;
    const iface = this.interfaces[ifaceId];
    if (!iface) {
      this.report(
        'PCAPNG_NO_INTERFACE',
        `record ${index} names interface ${ifaceId}, which no interface description block declared: skipped`,
        off,
        index,
      );
      return undefined;
    }
    if (iface.linkType !== LINKTYPE_ETHERNET) {
      if (!iface.refused) {
        iface.refused = true;
        this.report(
          'PCAP_LINKTYPE',
          `interface ${ifaceId} has link type ${linkTypeText(iface.linkType)}, not Ethernet (1): its records are skipped (the simulator replays Ethernet frames only)`,
          off,
          index,
        );
      }
      return undefined;
    }
    if (hi >= 0) {
      const units = ((BigInt(hi) << 32n) | BigInt(lo)) + iface.offsetSeconds * iface.unitsPerSecond;
      const ups = iface.unitsPerSecond;
      const sec = units / ups;
      const rem = units % ups;
      this.lastSec = Number(sec);
      this.lastNsec = Number((rem * 1_000_000_000n) / ups);
    }
    return {
      index,
      sec: this.lastSec,
      nsec: this.lastNsec,
      origLen,
      data: this.copy(dataAt, capLen),
      iface: ifaceId,
    };
  }
}
