/**
 * Conntrack micro-benchmark (issue 8, not part of CI): records every conntrack call the simulator
 * benchmark's host makes on the mixed trace (packetIn / confirm / discard / connlimit count, with
 * the 10-rule simulator filter and the FTP helper on), then replays exactly those calls on a fresh
 * `Conntrack` and times only the replay, so the figure is conntrack's own per-frame cost with no
 * rule walk in it. Also prints the live heap per table entry after the replay.
 *
 * Run bundled, as the production build ships the core:
 *   npx esbuild bench/conntrack-bench.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=node_modules/.cache/ct-bench.mjs &&
 *   node --expose-gc node_modules/.cache/ct-bench.mjs
 * Environment: BENCH_FRAMES (default 200000), BENCH_RUNS (default 7), BENCH_REUSE=0 (packetIn with
 * a new result object per frame instead of trackPacket into one reused CtPacket), CT_FINGERPRINT=file writes
 * every call's result and periodic table snapshots to `file` (to diff two versions' behaviour;
 * CT_SNAPSHOT_EVERY=n chunks between snapshots, default 5).
 */
import { writeFileSync } from 'node:fs';
import {
  compileFilter,
  createWorkspaceLookup,
  getBuiltinFilter,
  parseFilterXml,
} from '../src/core';
import { Conntrack } from '../src/core/conntrack';
import type { ConnlimitOptions } from '../src/core/conntrack';
import type { CtPacket, HelperName } from '../src/core/conntrack';
import { BridgeHost } from '../src/core/netfilter';
import type { EthernetFrame } from '../src/core/packet';
import { makeSimFilterXml } from './make-filter-xml';
import { TraceGenerator } from './make-trace';

const TOTAL = Number(process.env.BENCH_FRAMES ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** BENCH_REUSE=0 calls `packetIn` with an options object and a new result per frame. */
const REUSE = process.env.BENCH_REUSE !== '0';
/** BENCH_NO_HELPER=1 (cost attribution only: changes results): no connection gets the FTP helper. */
const NO_HELPER = process.env.BENCH_NO_HELPER === '1';
const reused: CtPacket = {
  conn: null,
  ctinfo: -1,
  state: null,
  dir: null,
  created: false,
  note: null,
};
const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };

/** Recorded calls, one chunk of the trace each; frames are referred to by their index in the chunk. */
interface ChunkOps {
  /** Per call: 0 packetIn, 1 confirm, 2 discard, 3 connlimit (not used by this filter: counted only). */
  kind: number[];
  /** packetIn: frame index; confirm/discard: index of the packetIn call (within the chunk). */
  arg: number[];
  /** packetIn/confirm: frame index for confirm. */
  frame: number[];
  now: number[];
  helper: (HelperName | null)[];
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs the trace through a host and records the conntrack calls it makes, chunk by chunk. */
function record(): { chunks: ChunkOps[]; frames: number; connlimit: number } {
  const doc = parseFilterXml(makeSimFilterXml('sim-10', 10)).doc;
  if (!doc) throw new Error('filter does not parse');
  const lookup = createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc);
  const r = compileFilter(lookup, doc.name, {
    iface: 'vnet0',
    mac: VM.mac,
    params: { IP: [VM.ip] },
  });
  if (!r.ruleset) throw new Error('filter does not compile');
  const host = new BridgeHost(r.ruleset, { ftpHelper: true });
  const ct = host.conntrack;
  const chunks: ChunkOps[] = [];
  let cur: ChunkOps = { kind: [], arg: [], frame: [], now: [], helper: [] };
  let frameIndex = new Map<EthernetFrame, number>();
  const ids = new Map<CtPacket, number>();
  let connlimit = 0;
  const trackPacket = ct.trackPacket.bind(ct);
  const confirm = ct.confirm.bind(ct);
  const discard = ct.discard.bind(ct);
  const connlimitCount = ct.connlimitCount.bind(ct);
  const push = (
    kind: number,
    arg: number,
    frame: EthernetFrame | null,
    now: number,
    helper: HelperName | null,
  ) => {
    cur.kind.push(kind);
    cur.arg.push(arg);
    cur.frame.push(frame ? (frameIndex.get(frame) ?? -1) : -1);
    cur.now.push(now);
    cur.helper.push(helper);
  };
  // The bridge host calls trackPacket (into one reused result), so a result object stands for
  // the latest packet tracked into it, which is the one the host confirms or discards next.
  ct.trackPacket = (frame, now, helper, notrack, out) => {
    const p = trackPacket(frame, now, helper, notrack, out);
    ids.set(p, cur.kind.length);
    push(0, -1, frame, now, helper);
    return p;
  };
  ct.confirm = (pkt, frame, now) => {
    push(1, ids.get(pkt) ?? -1, frame, now, null);
    return confirm(pkt, frame, now);
  };
  ct.discard = (pkt) => {
    push(2, ids.get(pkt) ?? -1, null, 0, null);
    discard(pkt);
  };
  ct.connlimitCount = (key, pkt, frame, options: ConnlimitOptions, now) => {
    connlimit++;
    return connlimitCount(key, pkt, frame, options, now);
  };
  const gen = new TraceGenerator(7);
  let done = 0;
  while (done < TOTAL) {
    const chunk = gen.nextChunk(Math.min(10_000, TOTAL - done));
    const n = Math.min(chunk.length, TOTAL - done);
    frameIndex = new Map(chunk.map((f, i) => [f.frame, i]));
    ids.clear();
    for (let i = 0; i < n; i++) {
      const f = chunk[i];
      if (f) host.step(f.frame, f.side, f.t, { detail: false });
    }
    chunks.push(cur);
    cur = { kind: [], arg: [], frame: [], now: [], helper: [] };
    done += n;
  }
  return { chunks, frames: done, connlimit };
}

const NONE_PKT: CtPacket = {
  conn: null,
  ctinfo: -1,
  state: null,
  dir: null,
  created: false,
  note: null,
};

/**
 * Replays the recorded calls on a fresh table, regenerating the same frames chunk by chunk (as the
 * simulator benchmark does); only the calls are timed. Returns the table, the CPU time (ms) and a
 * checksum of the results.
 */
/**
 * Reads the frame the way the hooks before conntrack do (the rule walk touches the frame first in
 * the simulator, so conntrack finds it in cache there; here it would pay those cache misses).
 */
function touch(frame: EthernetFrame): number {
  const ip = frame.payload;
  if (ip.kind !== 'ipv4' && ip.kind !== 'ipv6') return 1;
  const l4 = ip.payload;
  let n = ip.protocol + (ip.kind === 'ipv4' ? ip.src + ip.dst : ip.src[0] + ip.dst[0]);
  if (l4.kind === 'tcp')
    n +=
      l4.srcPort +
      l4.dstPort +
      l4.seq +
      l4.ack +
      l4.flags +
      l4.window +
      l4.payload.length +
      (l4.options?.length ?? 0);
  else if (l4.kind === 'udp') n += l4.srcPort + l4.dstPort + l4.payload.length;
  else if (l4.kind === 'icmp') n += l4.type + l4.code + l4.rest + l4.payload.length;
  return n;
}

/** The replay modes: conntrack alone, touch then conntrack, touch alone (the baseline). */
type Mode = 'cold' | 'warm' | 'touch';

function replay(
  chunks: ChunkOps[],
  mode: Mode = 'cold',
): { ct: Conntrack; ms: number; sum: number } {
  const ct = new Conntrack();
  const gen = new TraceGenerator(7);
  let sum = 0;
  let ms = 0;
  for (const c of chunks) {
    const frames = gen.nextChunk(Math.min(10_000, TOTAL)).map((f) => f.frame);
    const pkts: CtPacket[] = new Array<CtPacket>(c.kind.length).fill(NONE_PKT);
    const t0 = cpuMs();
    for (let i = 0; i < c.kind.length; i++) {
      const k = c.kind[i];
      if (mode !== 'cold' && k === 0)
        sum += touch(frames[c.frame[i] as number] as EthernetFrame) & 1;
      if (mode === 'touch') continue;
      if (k === 0) {
        const frame = frames[c.frame[i] as number] as EthernetFrame;
        const now = c.now[i] as number;
        // REUSE: the allocation-free entry point with one CtPacket for every frame (as bridge-host can call it).
        const p = REUSE
          ? ct.trackPacket(frame, now, NO_HELPER ? null : (c.helper[i] ?? null), false, reused)
          : ct.packetIn(frame, now, { helper: c.helper[i] ?? null });
        pkts[i] = p;
        sum += p.ctinfo + (p.dir ?? 5);
      } else if (k === 1) {
        const r = ct.confirm(
          pkts[c.arg[i] as number] as CtPacket,
          frames[c.frame[i] as number] as EthernetFrame,
          c.now[i] as number,
        );
        if (r.verdict === 'drop') sum += 100;
        if (r.expectation) sum += 1000;
      } else {
        ct.discard(pkts[c.arg[i] as number] as CtPacket);
      }
    }
    ms += cpuMs() - t0;
  }
  return { ct, ms, sum };
}

/** CT_SNAPSHOT_EVERY: chunks between the fingerprint's table snapshots (snapshots expire entries). */
const SNAPSHOT_EVERY = Number(process.env.CT_SNAPSHOT_EVERY ?? 5);

/** Every result of a replay, plus the table and expectations every few chunks and at the end, as text lines. */
function fingerprint(chunks: ChunkOps[], path: string): void {
  const ct = new Conntrack();
  const gen = new TraceGenerator(7);
  const out: string[] = [];
  let k = 0;
  for (const c of chunks) {
    const frames = gen.nextChunk(Math.min(10_000, TOTAL)).map((f) => f.frame);
    const pkts: CtPacket[] = new Array<CtPacket>(c.kind.length).fill(NONE_PKT);
    let now = 0;
    for (let i = 0; i < c.kind.length; i++) {
      const kind = c.kind[i];
      if (kind === 0) {
        now = c.now[i] as number;
        const p = ct.packetIn(frames[c.frame[i] as number] as EthernetFrame, now, {
          helper: c.helper[i] ?? null,
        });
        pkts[i] = p;
        out.push(`in ${p.conn?.id ?? '-'} ${p.ctinfo} ${p.state} ${p.dir} ${p.created} ${p.note}`);
      } else if (kind === 1) {
        const r = ct.confirm(
          pkts[c.arg[i] as number] as CtPacket,
          frames[c.frame[i] as number] as EthernetFrame,
          c.now[i] as number,
        );
        out.push(
          `confirm ${r.verdict} ${r.note} ${r.expectation ? `${r.expectation.id} ${r.expectation.master.id}` : '-'}`,
        );
      } else {
        ct.discard(pkts[c.arg[i] as number] as CtPacket);
        out.push('discard');
      }
    }
    if (++k % SNAPSHOT_EVERY === 0 || k === chunks.length) {
      out.push(`size ${ct.size}`);
      for (const v of ct.snapshot(now)) out.push(`conn ${v.id} ${v.text} master=${v.master}`);
      for (const e of ct.snapshotExpectations(now))
        out.push(`expect ${e.id} ${e.text} master=${e.master}`);
    }
  }
  writeFileSync(path, out.join('\n') + '\n');
  console.log(`fingerprint: ${out.length} lines → ${path}`);
}

const { chunks, frames, connlimit } = record();
if (process.env.CT_FINGERPRINT) {
  fingerprint(chunks, process.env.CT_FINGERPRINT);
  process.exit(0);
}
let calls = 0;
for (const c of chunks) calls += c.kind.length;
console.log(
  `frames: ${frames}; conntrack calls: ${calls}; connlimit calls (not replayed): ${connlimit}`,
);

replay(chunks); // warm-up (JIT)
replay(chunks, 'warm');
replay(chunks, 'touch');
/** Median CPU time per frame (ns) of RUNS replays. */
function median(mode: Mode): number {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    gc();
    times.push(replay(chunks, mode).ms);
  }
  times.sort((a, b) => a - b);
  return ((times[Math.floor(times.length / 2)] ?? NaN) * 1e6) / frames;
}
const cold = median('cold');
const warm = median('warm');
const base = median('touch');
console.log(`conntrack replay checksum: ${replay(chunks).sum}`);
console.log(
  `conntrack cost: ${Math.round(cold)} ns/frame (frames not yet in cache; median of ${RUNS})`,
);
console.log(
  `conntrack cost after the frame was read: ${Math.round(warm - base)} ns/frame (${Math.round(warm)} touch+conntrack − ${Math.round(base)} touch alone)`,
);

gc();
const before = process.memoryUsage().heapUsed;
const { ct } = replay(chunks);
gc();
const after = process.memoryUsage().heapUsed;
const entries = ct.size;
console.log(`conntrack entries at end: ${entries}`);
console.log(
  `conntrack live heap: ${((after - before) / 1e6).toFixed(1)} MB, ${Math.round((after - before) / Math.max(1, entries))} bytes/entry`,
);
