import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { encodeFrame } from '../packet/packet-encode';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { bytesSource, CaptureReader } from './capture-reader';
import type { CaptureRecord } from './capture-reader';
import { writePcap } from './pcap';
import type { PcapRecord } from './pcap';
import { runCaptures } from './run-captures';
import { DEFAULT_HOSTS, getScenario } from './scenarios';
import { writePcapng } from './testing/write-pcapng';

/** Issue 15: captures as Wireshark writes them (pcapng), link types checked, damage bounded. */

function readAll(bytes: Uint8Array): { records: CaptureRecord[]; reader: CaptureReader } {
  const reader = new CaptureReader(bytesSource(bytes));
  const records: CaptureRecord[] = [];
  for (let r = reader.next(); r; r = reader.next()) records.push(r);
  return { records, reader };
}

const SSH = getScenario('ssh')!.build(DEFAULT_HOSTS);
const FRAMES = SSH.map((f) => encodeFrame(f.frame));
const BASE = 1_763_740_000;

function ruleset() {
  const { doc } = parseFilterXml(FTP_SERVER_XML);
  return compileFilter(
    createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc),
    doc!.name,
    { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params: { IP: [DEFAULT_HOSTS.vm.ip] } },
  ).ruleset!;
}

describe('CaptureReader: pcapng', () => {
  it('reads enhanced packet blocks with the interface timestamp resolution, in both byte orders', () => {
    for (const bigEndian of [false, true]) {
      const bytes = writePcapng([
        {
          bigEndian,
          interfaces: [{ linkType: 1 }, { linkType: 1, tsresol: 9 }],
          packets: [
            { iface: 0, units: BigInt(BASE) * 1_000_000n + 123_456n, data: FRAMES[0]! },
            { iface: 1, units: BigInt(BASE + 1) * 1_000_000_000n + 7n, data: FRAMES[1]! },
          ],
        },
      ]);
      const { records, reader } = readAll(bytes);
      expect(reader.format).toBe('pcapng');
      expect(reader.diagnostics).toEqual([]);
      expect(records.map((r) => [r.sec, r.nsec, r.iface])).toEqual([
        [BASE, 123_456_000, 0],
        [BASE + 1, 7, 1],
      ]);
      expect(records[1]!.data).toEqual(FRAMES[1]);
    }
  });

  it('skips the records of a non-Ethernet interface, reported once, and keeps the others', () => {
    const bytes = writePcapng([
      {
        interfaces: [{ linkType: 113 }, { linkType: 1 }],
        packets: [
          { iface: 0, units: 1n, data: FRAMES[0]! },
          { iface: 1, units: 2n, data: FRAMES[1]! },
          { iface: 0, units: 3n, data: FRAMES[2]! },
          { iface: 7, units: 4n, data: FRAMES[3]! },
        ],
      },
    ]);
    const { records, reader } = readAll(bytes);
    expect(records.map((r) => r.index)).toEqual([1]);
    expect(reader.diagnostics.map((d) => [d.code, d.record])).toEqual([
      ['PCAP_LINKTYPE', 0],
      ['PCAPNG_NO_INTERFACE', 3],
    ]);
    expect(reader.diagnostics[0]!.message).toContain('113 (Linux cooked (tcpdump -i any))');
  });

  it('starts over with the interfaces of each new section', () => {
    const bytes = writePcapng([
      { interfaces: [{ linkType: 1 }], packets: [{ iface: 0, units: 5n, data: FRAMES[0]! }] },
      {
        bigEndian: true,
        interfaces: [{ linkType: 1, tsresol: 0x80 | 10 }],
        packets: [{ iface: 0, units: 3n * 1024n + 512n, data: FRAMES[1]! }],
      },
    ]);
    const { records, reader } = readAll(bytes);
    expect(reader.diagnostics).toEqual([]);
    expect(records.map((r) => [r.sec, r.nsec])).toEqual([
      [0, 5000],
      [3, 500_000_000],
    ]);
  });

  it('stops at a damaged block with the records before it', () => {
    const good = writePcapng([
      {
        interfaces: [{ linkType: 1 }],
        packets: FRAMES.slice(0, 3).map((data, i) => ({ iface: 0, units: BigInt(i), data })),
      },
    ]);
    const bad = good.slice();
    // The third block after the interface: claim 4 GB.
    const third = good.length - (12 + 20 + FRAMES[2]!.length + ((4 - (FRAMES[2]!.length % 4)) % 4));
    new DataView(bad.buffer).setUint32(third + 4, 0xfffffff0, true);
    const { records, reader } = readAll(bad);
    expect(records).toHaveLength(2);
    expect(reader.diagnostics.map((d) => d.code)).toEqual(['PCAPNG_BAD_BLOCK']);
  });
});

describe('CaptureReader: pcap', () => {
  const rec = (data: Uint8Array, i: number): PcapRecord => ({
    tsSec: BASE + i,
    tsFrac: 0,
    origLen: data.length,
    data,
  });

  it('refuses a link type other than Ethernet instead of decoding it as Ethernet', () => {
    for (const linkType of [0, 101, 113, 276]) {
      const { records, reader } = readAll(writePcap(FRAMES.map(rec), { linkType }));
      expect(records).toEqual([]);
      expect(reader.diagnostics.map((d) => d.code)).toEqual(['PCAP_LINKTYPE']);
      expect(reader.diagnostics[0]!.message).toContain('is not Ethernet (1)');
    }
  });

  it('refuses a record length no capture has, without allocating it', () => {
    const bytes = writePcap(FRAMES.slice(0, 2).map(rec));
    new DataView(bytes.buffer).setUint32(24 + 16 + FRAMES[0]!.length + 8, 0xffffffff, true);
    const { records, reader } = readAll(bytes);
    expect(records).toHaveLength(1);
    expect(reader.diagnostics.map((d) => [d.code, d.record])).toEqual([['PCAP_BAD_LENGTH', 1]]);
  });

  it('reads a file through a source that returns a few bytes at a time', () => {
    const bytes = writePcap(FRAMES.map(rec));
    const whole = bytesSource(bytes);
    const dribble = {
      read: (into: Uint8Array, pos: number) => whole.read(into.subarray(0, 7), pos),
    };
    const reader = new CaptureReader(dribble);
    const got: Uint8Array[] = [];
    for (let r = reader.next(); r; r = reader.next()) got.push(r.data);
    expect(got).toEqual(FRAMES);
  });
});

describe('runCaptures streaming', () => {
  it('gives the same run from pcapng as from pcap', () => {
    const from = SSH.map((f, i) => ({ f, i })).filter(({ f }) => f.side === 'from-vm');
    const to = SSH.map((f, i) => ({ f, i })).filter(({ f }) => f.side === 'to-vm');
    const us = (i: number) => BigInt(BASE) * 1_000_000n + BigInt(Math.round(SSH[i]!.t * 1e6) + i);
    const pcap = (list: typeof from) =>
      writePcap(
        list.map(({ i }) => {
          const u = us(i);
          const data = FRAMES[i]!;
          return {
            tsSec: Number(u / 1_000_000n),
            tsFrac: Number(u % 1_000_000n),
            origLen: data.length,
            data,
          };
        }),
      );
    const ng = (list: typeof from) =>
      writePcapng([
        {
          interfaces: [{ linkType: 1 }],
          packets: list.map(({ i }) => ({ iface: 0, units: us(i), data: FRAMES[i]! })),
        },
      ]);
    const a = runCaptures(ruleset(), { fromVm: pcap(from), toVm: pcap(to) });
    const b = runCaptures(ruleset(), { fromVm: ng(from), toVm: ng(to) });
    expect(b.diagnostics).toEqual([]);
    const view = (r: typeof a) =>
      r.steps.map((s) => [s.time, s.trace.verdict, s.trace.ctstate, s.trace.summary]);
    expect(view(b)).toEqual(view(a));
    expect(b.frames).toBe(SSH.length);
  });

  it('keeps no step when it hands them out, gives the same verdicts without rule visits, and stops at the frame limit', () => {
    const all = writePcap(
      FRAMES.map((data, i) => ({ tsSec: BASE + i, tsFrac: 0, origLen: data.length, data })),
    );
    const full = runCaptures(ruleset(), { fromVm: all });
    const seen: string[] = [];
    const streamed = runCaptures(
      ruleset(),
      { fromVm: all },
      {},
      {
        detail: false,
        onStep: (s) => seen.push(`${s.trace.verdict} ${s.trace.ctstate} ${s.trace.summary}`),
      },
    );
    expect(streamed.steps).toEqual([]);
    expect(seen).toEqual(
      full.steps.map((s) => `${s.trace.verdict} ${s.trace.ctstate} ${s.trace.summary}`),
    );
    const limited = runCaptures(ruleset(), { fromVm: all }, {}, { maxFrames: 3 });
    expect(limited.frames).toBe(3);
    expect(limited.stoppedAtLimit).toBe(true);
    expect(limited.diagnostics.map((d) => d.code)).toEqual(['FRAME_LIMIT']);
    expect(limited.diagnostics[0]!.message).toContain("limit 'frames'");
  });

  it('replays a capture in file order when its timestamps go back, saying so once', () => {
    const times = [5, 3, 4, 6];
    const bytes = writePcap(
      times.map((t, i) => ({
        tsSec: BASE + t,
        tsFrac: 0,
        origLen: FRAMES[i]!.length,
        data: FRAMES[i]!,
      })),
    );
    const run = runCaptures(ruleset(), { fromVm: bytes });
    expect(run.steps.map((s) => s.record)).toEqual([0, 1, 2, 3]);
    expect(run.diagnostics.map((d) => [d.code, d.record])).toEqual([['CAPTURE_TIME_ORDER', 1]]);
    expect(run.steps.map((s) => s.trace.t)).toEqual([BASE + 5, BASE + 5, BASE + 5, BASE + 6]);
  });
});
