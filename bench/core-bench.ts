/**
 * Core benchmarks (issue 8): parse + validate + serialize, instantiate + compile + print, and the
 * simulator on a 1,000,000-frame mixed trace and a 10,000-frame pcap. Prints one figure per line
 * as `<measure>: <value> <unit>`; asserts nothing (figures, not tests).
 *
 * Run through `npm run bench` (bench/run-bench.mjs bundles this file the way the production build
 * does and runs it with --expose-gc). Environment: BENCH_FRAMES (default 1000000) shortens the
 * simulator run, BENCH_QUICK=1 uses fewer repetitions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import {
  compileFilter,
  createWorkspaceLookup,
  getBuiltinFilter,
  parseFilterXml,
  printScriptText,
  serializeFilterXml,
} from '../src/core';
import type { AnyRuleset, FilterDoc, Ruleset } from '../src/core';
import { compileNftables, printNftScriptText } from '../src/core/compile';
import type { NftRuleset } from '../src/core/compile';
import { instantiateFilter } from '../src/core/instantiate';
import { BridgeHost } from '../src/core/netfilter';
import type { HostSettings } from '../src/core/netfilter';
import { encodeFrame } from '../src/core/packet';
import { runCaptures, writePcap, splitTime } from '../src/core/sim';
import type { PcapRecord } from '../src/core/sim';
import { allowedTraffic, analyseRuleset, diffAnalyses } from '../src/core/analysis';
import { makeFilterXml, makeSimFilterXml } from './make-filter-xml';
import { TraceGenerator } from './make-trace';

const QUICK = process.env.BENCH_QUICK === '1';
const TOTAL_FRAMES = Number(process.env.BENCH_FRAMES ?? 1_000_000);
const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };
const SETTINGS: HostSettings = { ftpHelper: true };

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
function figure(measure: string, value: string, unit: string): void {
  console.log(`${measure}: ${value} ${unit}`);
}

/**
 * Milliseconds since `since` (a previous call's result): process CPU time (user + system) by
 * default, because on a shared 2-core machine wall time mostly measures the neighbours' load;
 * BENCH_CLOCK=wall switches to wall time.
 */
const WALL = process.env.BENCH_CLOCK === 'wall';
function clock(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median of `runs` timings of `fn` (ms), after `warmup` untimed calls. */
function timeMedian(
  fn: () => unknown,
  runs: number,
  warmup = Math.max(2, Math.ceil(runs / 3)),
): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = clock();
    fn();
    times.push(clock() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function mustParse(xml: string): FilterDoc {
  const r = parseFilterXml(xml);
  if (!r.doc)
    throw new Error(`benchmark filter does not parse: ${r.diagnostics[0]?.message ?? '?'}`);
  return r.doc;
}

const SIZES = [100, 1_000, 10_000];
const label = (n: number) => `${fmtInt(n)}-rule`;
const runsFor = (n: number) => (QUICK ? 3 : n >= 10_000 ? 5 : n >= 1_000 ? 15 : 40);

function benchXml(): void {
  for (const n of SIZES) {
    const xml = makeFilterXml(`bench-${n}`, n);
    const mb = Buffer.byteLength(xml) / 1e6;
    const doc = mustParse(xml);
    const parse = timeMedian(() => parseFilterXml(xml), runsFor(n));
    const serialize = timeMedian(() => serializeFilterXml(doc), runsFor(n));
    const both = timeMedian(() => {
      const r = parseFilterXml(xml);
      if (r.doc) serializeFilterXml(r.doc);
    }, runsFor(n));
    figure(`parse+validate ${label(n)}`, fmt(parse, 2), 'ms');
    figure(`serialize ${label(n)}`, fmt(serialize, 2), 'ms');
    figure(`parse+validate+serialize ${label(n)}`, fmt(both, 2), 'ms');
    figure(`parse+validate+serialize ${label(n)} throughput`, fmt(mb / (both / 1000), 2), 'MB/s');
  }
}

function compileOnce(lookup: ReturnType<typeof createWorkspaceLookup>, name: string): Ruleset {
  const r = compileFilter(lookup, name, { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } });
  if (!r.ruleset)
    throw new Error(`benchmark filter does not compile: ${r.diagnostics[0]?.message ?? '?'}`);
  return r.ruleset;
}

/** The same filter through the nftables backend (libvirt's proposed driver, series v5/v6). */
function compileNftOnce(
  lookup: ReturnType<typeof createWorkspaceLookup>,
  name: string,
): NftRuleset {
  const inst = instantiateFilter(lookup, name, {
    iface: 'vnet0',
    mac: VM.mac,
    params: { IP: [VM.ip] },
  });
  if (inst.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(
      `benchmark filter does not instantiate: ${inst.diagnostics[0]?.message ?? '?'}`,
    );
  return compileNftables(inst.rules, 'vnet0').ruleset;
}

const builtin = (name: string) => getBuiltinFilter(name)?.doc;

function benchCompile(): void {
  for (const n of SIZES) {
    const doc = mustParse(makeFilterXml(`bench-${n}`, n));
    const lookup = createWorkspaceLookup([doc], builtin);
    const ruleset = compileOnce(lookup, doc.name);
    const compile = timeMedian(() => compileOnce(lookup, doc.name), runsFor(n));
    const print = timeMedian(() => printScriptText(ruleset), runsFor(n));
    const both = timeMedian(() => printScriptText(compileOnce(lookup, doc.name)), runsFor(n));
    const irRules = ruleset.tables.reduce(
      (s, t) => s + t.chains.reduce((c, ch) => c + ch.rules.length, 0),
      0,
    );
    figure(`instantiate+compile ${label(n)}`, fmt(compile, 2), 'ms');
    figure(`print script ${label(n)}`, fmt(print, 2), 'ms');
    figure(`instantiate+compile+print script ${label(n)}`, fmt(both, 2), 'ms');
    figure(`compiled rules ${label(n)}`, fmtInt(irRules), 'rules');
    const nft = compileNftOnce(lookup, doc.name);
    const nftCompile = timeMedian(() => compileNftOnce(lookup, doc.name), runsFor(n));
    const nftPrint = timeMedian(() => printNftScriptText(nft), runsFor(n));
    const nftBoth = timeMedian(
      () => printNftScriptText(compileNftOnce(lookup, doc.name)),
      runsFor(n),
    );
    const nftRules = nft.tables.reduce(
      (s, t) => s + t.chains.reduce((c, ch) => c + ch.rules.length, 0),
      0,
    );
    figure(`instantiate+compile (nftables) ${label(n)}`, fmt(nftCompile, 2), 'ms');
    figure(`print script (nftables) ${label(n)}`, fmt(nftPrint, 2), 'ms');
    figure(`instantiate+compile+print script (nftables) ${label(n)}`, fmt(nftBoth, 2), 'ms');
    figure(`compiled rules (nftables) ${label(n)}`, fmtInt(nftRules), 'rules');
  }
}

interface SimFigures {
  /** Heap after the run and a full collection (what the host keeps: conntrack table, counters). */
  liveHeapMb: number;
  framesPerSecond: number;
  nsPerFrame: number;
  peakHeapMb: number;
  baseHeapMb: number;
  accepted: number;
  conntrackEntries: number;
}

/** Replays `total` frames of the mixed trace through a fresh host; only `step` is timed. */
function simulate(ruleset: AnyRuleset, total: number, detail: boolean): SimFigures {
  gc();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakHeap = baseHeap;
  const host = new BridgeHost(ruleset, SETTINGS);
  const gen = new TraceGenerator(7);
  const options = { detail };
  let done = 0;
  let accepted = 0;
  let elapsed = 0;
  while (done < total) {
    const chunk = gen.nextChunk(Math.min(10_000, total - done));
    const n = Math.min(chunk.length, total - done);
    const t0 = clock();
    for (let i = 0; i < n; i++) {
      const f = chunk[i];
      if (!f) continue;
      if (host.step(f.frame, f.side, f.t, options).verdict === 'accept') accepted++;
    }
    elapsed += clock() - t0;
    done += n;
    const heap = process.memoryUsage().heapUsed;
    if (heap > peakHeap) peakHeap = heap;
  }
  const endHeap = process.memoryUsage().heapUsed;
  gc();
  const liveHeap = process.memoryUsage().heapUsed;
  if (endHeap > peakHeap) peakHeap = endHeap;
  return {
    liveHeapMb: liveHeap / 1e6,
    framesPerSecond: total / (elapsed / 1000),
    nsPerFrame: (elapsed * 1e6) / total,
    peakHeapMb: peakHeap / 1e6,
    baseHeapMb: baseHeap / 1e6,
    accepted,
    conntrackEntries: host.conntrack.size,
  };
}

function benchSimulate(): void {
  const costs = new Map<number, number>();
  for (const n of [10, 100, 1_000]) {
    const doc = mustParse(makeSimFilterXml(`sim-${n}`, n));
    const ruleset = compileOnce(createWorkspaceLookup([doc], builtin), doc.name);
    simulate(ruleset, Math.min(20_000, TOTAL_FRAMES), false); // warm-up (JIT)
    const r = simulate(ruleset, TOTAL_FRAMES, false);
    costs.set(n, r.nsPerFrame);
    const frames = TOTAL_FRAMES === 1_000_000 ? '1M-frame' : `${fmtInt(TOTAL_FRAMES)}-frame`;
    figure(`simulate ${label(n)}`, fmtInt(r.framesPerSecond), 'frames/s');
    figure(`simulate ${label(n)} cost`, fmtInt(r.nsPerFrame), 'ns/frame');
    figure(`simulate ${label(n)} accepted`, fmt((100 * r.accepted) / TOTAL_FRAMES, 1), '%');
    figure(`simulate ${label(n)} conntrack entries at end`, fmtInt(r.conntrackEntries), 'entries');
    if (n === 100) {
      figure(`simulate ${frames} peak heap`, fmt(r.peakHeapMb, 1), 'MB');
      figure(`simulate ${frames} peak heap above start`, fmt(r.peakHeapMb - r.baseHeapMb, 1), 'MB');
      figure(`simulate ${frames} live heap after the run (after GC)`, fmt(r.liveHeapMb, 1), 'MB');
      const withTraces = simulate(ruleset, Math.min(100_000, TOTAL_FRAMES), true);
      figure(
        `simulate ${label(n)} with full traces`,
        fmtInt(withTraces.framesPerSecond),
        'frames/s',
      );
    }
  }
  const c10 = costs.get(10) ?? NaN;
  const c1000 = costs.get(1_000) ?? NaN;
  figure('simulate cost growth 10→1,000 rules', fmt(c1000 / c10, 2), '×');
  // The same filters and trace through the nftables backend's rule set (the host's kernel has
  // nf_conntrack_bridge, the default).
  for (const n of [10, 100, 1_000]) {
    const doc = mustParse(makeSimFilterXml(`sim-${n}`, n));
    const ruleset = compileNftOnce(createWorkspaceLookup([doc], builtin), doc.name);
    simulate(ruleset, Math.min(20_000, TOTAL_FRAMES), false); // warm-up (JIT)
    const r = simulate(ruleset, TOTAL_FRAMES, false);
    figure(`simulate (nftables) ${label(n)}`, fmtInt(r.framesPerSecond), 'frames/s');
    figure(`simulate (nftables) ${label(n)} cost`, fmtInt(r.nsPerFrame), 'ns/frame');
    figure(
      `simulate (nftables) ${label(n)} accepted`,
      fmt((100 * r.accepted) / TOTAL_FRAMES, 1),
      '%',
    );
    figure(
      `simulate (nftables) ${label(n)} conntrack entries at end`,
      fmtInt(r.conntrackEntries),
      'entries',
    );
  }
}

/** Writes a 10,000-frame capture pair (from the VM, towards the VM) and times reading + replaying it. */
function benchPcap(): void {
  const doc = mustParse(makeSimFilterXml('sim-pcap', 100));
  const ruleset = compileOnce(createWorkspaceLookup([doc], builtin), doc.name);
  const gen = new TraceGenerator(11);
  const fromVm: PcapRecord[] = [];
  const toVm: PcapRecord[] = [];
  for (const f of gen.nextChunk(10_000).slice(0, 10_000)) {
    const data = encodeFrame(f.frame);
    const { tsSec, tsFrac } = splitTime(f.t);
    (f.side === 'from-vm' ? fromVm : toVm).push({ tsSec, tsFrac, origLen: data.length, data });
  }
  const dir = mkdtempSync(join(tmpdir(), 'nwfs-bench-'));
  try {
    const a = join(dir, 'from-vm.pcap');
    const b = join(dir, 'to-vm.pcap');
    writeFileSync(a, writePcap(fromVm));
    writeFileSync(b, writePcap(toVm));
    let steps = 0;
    const ms = timeMedian(
      () => {
        const run = runCaptures(
          ruleset,
          { fromVm: readFileSync(a), toVm: readFileSync(b) },
          SETTINGS,
        );
        steps = run.steps.length;
      },
      QUICK ? 2 : 5,
      1,
    );
    figure('simulate pcap 10,000 frames (read, decode, replay with traces)', fmt(ms, 1), 'ms');
    figure('simulate pcap 10,000 frames throughput', fmtInt((steps / ms) * 1000), 'frames/s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The exact analysis (issue 17) of the simulator's benchmark filter: the header-space walk of all
 * three paths, the `allowed` report built from it, and `diff` of the filter with itself (every
 * pair of regions compared). Target: under 1 s for 1,000 rules.
 */
function benchAnalysis(): void {
  for (const n of [100, 1_000]) {
    const doc = mustParse(makeSimFilterXml(`analysis-${n}`, n));
    const lookup = createWorkspaceLookup([doc], builtin);
    // The same filter under both backends; the nftables figures carry the backend's name.
    for (const [backend, ruleset] of [
      ['', compileOnce(lookup, doc.name)],
      [' (nftables)', compileNftOnce(lookup, doc.name)],
    ] as const) {
      const runs = QUICK || n >= 1_000 ? 1 : 3;
      let regions = 0;
      const analyse = timeMedian(
        () => {
          const a = analyseRuleset(ruleset, SETTINGS);
          regions = Object.values(a.paths).reduce((s, p) => s + p.length, 0);
        },
        runs,
        n >= 1_000 ? 0 : 1,
      );
      const analysis = analyseRuleset(ruleset, SETTINGS);
      const allowed = timeMedian(() => allowedTraffic(analysis), runs, 0);
      const diff = timeMedian(() => diffAnalyses(analysis, analysis), runs, 0);
      figure(`analysis${backend} (all paths) ${label(n)}`, fmt(analyse, 1), 'ms');
      figure(`analysis${backend} regions ${label(n)}`, fmtInt(regions), 'regions');
      figure(`allowed report from the analysis${backend} ${label(n)}`, fmt(allowed, 1), 'ms');
      figure(`diff A A from two analyses${backend} ${label(n)}`, fmt(diff, 1), 'ms');
    }
  }
}

function main(): void {
  console.log(
    `# nwfilter-studio core benchmarks — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
  );
  console.log(
    `# ${WALL ? 'wall time' : 'process CPU time (user+sys; BENCH_CLOCK=wall for wall time)'}, medians of repeated runs; the machine may be shared`,
  );
  const only = process.argv.slice(2);
  const want = (s: string) => only.length === 0 || only.includes(s);
  if (want('xml')) benchXml();
  if (want('compile')) benchCompile();
  if (want('pcap')) benchPcap();
  if (want('simulate')) benchSimulate();
  if (want('analysis')) benchAnalysis();
}

main();
