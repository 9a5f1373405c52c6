import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { encodeFrame } from '../packet/packet-encode';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { assertFuzz } from '../../testing/fuzz';
import { bytesSource, CaptureReader, MAX_RECORD_BYTES } from './capture-reader';
import { writePcap } from './pcap';
import { runCaptures } from './run-captures';
import { DEFAULT_HOSTS, getScenario } from './scenarios';
import { writePcapng } from './testing/write-pcapng';

/**
 * Fuzz suite (issue 15): the capture reader and the replay never throw on damaged captures; the
 * reader never allocates more than a record can hold, every diagnostic points into the file, and
 * the replay stays within the frame limit.
 */

const FRAMES = getScenario('ftp-passive')!
  .build(DEFAULT_HOSTS)
  .map((f) => encodeFrame(f.frame));
const PCAP = writePcap(
  FRAMES.map((data, i) => ({ tsSec: 1_763_740_000 + i, tsFrac: i, origLen: data.length, data })),
);
const PCAPNG = writePcapng([
  {
    interfaces: [{ linkType: 1 }, { linkType: 1, tsresol: 9 }, { linkType: 113 }],
    packets: FRAMES.map((data, i) => ({ iface: i % 3, units: BigInt(i) * 1000n, data })),
  },
  {
    bigEndian: true,
    interfaces: [{ linkType: 1 }],
    packets: [{ iface: 0, units: 9n, data: FRAMES[0]! }],
  },
]);

const RULESET = (() => {
  const { doc } = parseFilterXml(FTP_SERVER_XML);
  return compileFilter(
    createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc),
    doc!.name,
    { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params: { IP: [DEFAULT_HOSTS.vm.ip] } },
  ).ruleset!;
})();

/** A valid capture with bytes flipped, 32-bit fields overwritten (lengths!) and a cut. */
const damaged = fc
  .tuple(
    fc.constantFrom(PCAP, PCAPNG),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 1, 12, 0xffff, 0x7fffffff, 0xffffffff)), {
      maxLength: 3,
    }),
    fc.option(fc.nat()),
  )
  .map(([base, flips, words, cut]) => {
    const b = base.slice();
    for (const [at, v] of flips) b[at % b.length] = v;
    const dv = new DataView(b.buffer);
    for (const [at, v] of words) dv.setUint32((at % (b.length - 3)) & ~3, v, at % 2 === 0);
    return cut === null ? b : b.slice(0, cut % (b.length + 1));
  });

const anyBytes = fc.oneof(damaged, fc.uint8Array({ maxLength: 300 }));

describe('fuzz: captures', () => {
  it('the reader never throws, bounds every record and points every diagnostic into the file', () => {
    assertFuzz(
      fc.property(anyBytes, (bytes) => {
        const reader = new CaptureReader(bytesSource(bytes));
        let n = 0;
        for (let r = reader.next(); r; r = reader.next()) {
          expect(r.data.length).toBeLessThanOrEqual(Math.min(MAX_RECORD_BYTES, bytes.length));
          expect(Number.isFinite(r.sec) && Number.isFinite(r.nsec)).toBe(true);
          n++;
        }
        expect(n).toBeLessThanOrEqual(bytes.length / 12);
        for (const d of reader.diagnostics) {
          expect(d.offset).toBeGreaterThanOrEqual(0);
          expect(d.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
      400,
    );
  });

  it('the replay never throws and stops at the frame limit', () => {
    assertFuzz(
      fc.property(damaged, damaged, fc.integer({ min: 1, max: 40 }), (a, b, maxFrames) => {
        const run = runCaptures(RULESET, { fromVm: a, toVm: b }, {}, { maxFrames, detail: false });
        expect(run.frames).toBeLessThanOrEqual(maxFrames);
        for (const s of run.steps)
          expect(['accept', 'drop', 'reject', 'error']).toContain(s.trace.verdict);
      }),
      150,
    );
  });
});
