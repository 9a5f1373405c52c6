import { describe, expect, it } from 'vitest';
import { readPcap, recordTime, splitTime, writePcap } from './pcap';
import type { PcapRecord } from './pcap';
import { buildEthernet, buildIpv4, buildTcp } from '../packet/packet-build';
import { encodeFrame } from '../packet/packet-encode';
import { decodeFrame } from '../packet/packet-decode';
import { summarizeFrame } from '../packet/packet-summary';

const unhex = (s: string) =>
  new Uint8Array(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((x) => parseInt(x, 16)),
  );

/** A hand-written big-endian microsecond pcap: header, then one 14-byte record. */
const BE_US = unhex(`
  a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001
  69207ac0 0001e240 0000000e 0000003c
  ffffffffffff 525400112233 0806`);

/** The same record in a little-endian nanosecond file. */
const LE_NS = unhex(`
  4d3cb2a1 0200 0400 00000000 00000000 ffff0000 01000000
  c07a2069 40e20100 0e000000 3c000000
  ffffffffffff 525400112233 0806`);

describe('pcap', () => {
  it('reads big-endian microsecond files', () => {
    const { file, diagnostics } = readPcap(BE_US);
    expect(diagnostics).toEqual([]);
    expect(file!.nanosecond).toBe(false);
    expect(file!.snaplen).toBe(65535);
    expect(file!.records).toHaveLength(1);
    const r = file!.records[0]!;
    expect([r.tsSec, r.tsFrac, r.origLen, r.data.length]).toEqual([0x69207ac0, 123456, 60, 14]);
    expect(recordTime(r, false)).toBeCloseTo(1763736256.123456, 6);
  });

  it('reads little-endian nanosecond files', () => {
    const { file } = readPcap(LE_NS);
    expect(file!.nanosecond).toBe(true);
    expect(file!.records[0]!.tsFrac).toBe(123456);
    expect(recordTime(file!.records[0]!, true)).toBe(1763736256 + 123456e-9);
  });

  it('round-trips: write → read gives identical records, and re-writing gives identical bytes', () => {
    const frames = [1000, 2000, 3000].map((seq) =>
      encodeFrame(
        buildEthernet(
          { src: '52:54:00:11:22:33', dst: '52:54:00:aa:bb:cc' },
          buildIpv4(
            { src: '10.0.0.2', dst: '10.0.0.1' },
            buildTcp({ sport: 40000, dport: 22, flags: 'S', seq }),
          ),
        ),
      ),
    );
    const records: PcapRecord[] = frames.map((data, i) => ({
      ...splitTime(1763740000.000123 + i * 0.5),
      origLen: data.length,
      data,
    }));
    for (const nanosecond of [false, true]) {
      const bytes = writePcap(records, { nanosecond });
      const { file, diagnostics } = readPcap(bytes);
      expect(diagnostics).toEqual([]);
      expect(file!.records).toEqual(records);
      expect(writePcap(file!.records, { nanosecond })).toEqual(bytes);
    }
    const { file } = readPcap(writePcap(records));
    expect(summarizeFrame(decodeFrame(file!.records[2]!.data)!)).toBe(
      '10.0.0.2:40000 → 10.0.0.1:22 TCP [S] seq=3000 win=64240',
    );
    expect(splitTime(1763740000.000123)).toEqual({ tsSec: 1763740000, tsFrac: 123 });
  });

  it('reports bad magic, short headers, truncated records and other link types', () => {
    expect(readPcap(new Uint8Array(10)).diagnostics[0]!.code).toBe('PCAP_SHORT_HEADER');
    expect(readPcap(new Uint8Array(24)).diagnostics[0]!.code).toBe('PCAP_BAD_MAGIC');
    const cut = readPcap(BE_US.subarray(0, BE_US.length - 3));
    expect(cut.file!.records).toHaveLength(0);
    expect(cut.diagnostics[0]!.code).toBe('PCAP_TRUNCATED_RECORD');
    const raw = writePcap([], { linkType: 101 });
    expect(readPcap(raw).diagnostics[0]!.code).toBe('PCAP_LINKTYPE');
  });
});
