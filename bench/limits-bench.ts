/**
 * The limits of docs/limits.md, measured at the limit (issue 15): each workload runs the CLI
 * in-process in a child of its own, so its peak memory (max RSS) is its own, and prints
 * `<measure>: <seconds> s, <peak> MB peak`. Also the issue's hostile examples that the limits or
 * the linear algorithms now bound. Figures, not tests: nothing is asserted.
 *
 * `npm run bench` runs them after the core benchmarks; `npm run bench -- limits` only them,
 * `npm run bench -- limits:NAME` one of them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/main';
import type { CliIo } from '../src/cli/cli-io';
import { PROCESS_IO } from '../src/cli/cli-io';
import { DEFAULT_LIMITS } from '../src/core/model';
import { encodeFrame } from '../src/core/packet';
import { splitTime, writePcap } from '../src/core/sim';
import type { PcapRecord } from '../src/core/sim';
import { TraceGenerator } from './make-trace';

interface Workload {
  measure: string;
  /** Writes the inputs into `dir`; returns the command line. */
  prepare(dir: string): string[];
}

const VM = ['--mac', '52:54:00:11:22:33', '--param', 'IP=10.99.0.2'];

/** `count` distinct TCP rules (distinct destination ports), then a final drop. */
function tcpRules(name: string, count: number): string {
  const rules: string[] = [];
  for (let i = 0; i < count; i++) {
    rules.push(
      `  <rule action='accept' direction='in' priority='${100 + (i % 800)}'>\n    <tcp dstportstart='${1 + (i % 65000)}' srcipaddr='10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}'/>\n  </rule>\n`,
    );
  }
  return `<filter name='${name}' chain='ipv4'>\n${rules.join('')}  <rule action='drop' direction='inout'><all/></rule>\n</filter>\n`;
}

/** A capture pair of `frames` frames of the benchmark's mixed trace. */
function writeCaptures(dir: string, frames: number): [string, string] {
  const gen = new TraceGenerator(15);
  const fromVm: PcapRecord[] = [];
  const toVm: PcapRecord[] = [];
  let n = 0;
  while (n < frames) {
    for (const f of gen.nextChunk(Math.min(50_000, frames - n))) {
      if (n >= frames) break;
      const data = encodeFrame(f.frame);
      (f.side === 'from-vm' ? fromVm : toVm).push({
        ...splitTime(f.t),
        origLen: data.length,
        data,
      });
      n++;
    }
  }
  const a = join(dir, 'from-vm.pcap');
  const b = join(dir, 'to-vm.pcap');
  writeFileSync(a, writePcap(fromVm));
  writeFileSync(b, writePcap(toVm));
  return [a, b];
}

const WORKLOADS: Record<string, Workload> = {
  'input-bytes': {
    measure: `validate a ${DEFAULT_LIMITS.inputBytes / 1048576} MiB filter (input-bytes limit)`,
    prepare(dir) {
      const f = join(dir, 'big.xml');
      // Rules are about the same length: size the filter to just under the limit.
      const perRule = (tcpRules('big', 1000).length - tcpRules('big', 0).length) / 1000;
      let count = Math.floor(DEFAULT_LIMITS.inputBytes / perRule);
      let xml = tcpRules('big', count);
      while (xml.length > DEFAULT_LIMITS.inputBytes) {
        count = Math.floor(count * 0.99);
        xml = tcpRules('big', count);
      }
      writeFileSync(f, xml);
      return ['validate', f];
    },
  },
  'input-bytes-refused': {
    measure: 'validate /dev/zero (refused at the input-bytes limit while reading)',
    prepare: () => ['validate', '/dev/zero'],
  },
  expansion: {
    measure: `compile --format script, ${DEFAULT_LIMITS.expansion.toLocaleString('en-US')} rule instances (expansion limit)`,
    prepare(dir) {
      const f = join(dir, 'iter.xml');
      writeFileSync(
        f,
        "<filter name='iter'>\n  <rule action='accept' direction='in'>\n    <tcp srcipaddr='$A[@1]' dstportstart='$B[@2]'/>\n  </rule>\n</filter>\n",
      );
      const args = ['compile', f, '--format', 'script'];
      for (let i = 0; i < 100; i++) args.push('--param', `A=10.0.${i >> 8}.${i & 255}`);
      for (let i = 0; i < DEFAULT_LIMITS.expansion / 100; i++) args.push('--param', `B=${1 + i}`);
      return args;
    },
  },
  'expansion-refused': {
    measure: 'compile, three iterators of 100 values (10^6 instances, refused before building)',
    prepare(dir) {
      const f = join(dir, 'iter3.xml');
      writeFileSync(
        f,
        "<filter name='iter3'>\n  <rule action='accept' direction='in'>\n    <tcp srcipaddr='$A[@1]' dstportstart='$B[@2]' srcportstart='$C[@3]'/>\n  </rule>\n</filter>\n",
      );
      const args = ['compile', f];
      for (let i = 0; i < 100; i++)
        args.push('--param', `A=10.0.0.${i}`, '--param', `B=${i + 1}`, '--param', `C=${i + 1000}`);
      return args;
    },
  },
  'diamond-refused': {
    measure: 'compile, filterref diamond of depth 17 (refused at the expansion limit)',
    prepare(dir) {
      const d = join(dir, 'diamond');
      mkdirSync(d);
      for (let i = 0; i <= 17; i++) {
        const refs = i < 17 ? `<filterref filter='d${i + 1}'/><filterref filter='d${i + 1}'/>` : '';
        writeFileSync(
          join(d, `d${i}.xml`),
          `<filter name='d${i}'>${refs}<rule action='accept' direction='in'><tcp dstportstart='${i + 1}'/></rule></filter>\n`,
        );
      }
      return ['compile', join(d, 'd0.xml'), '--filters', d];
    },
  },
  'duplicate-params': {
    measure: 'compile, clean-traffic with 30,000 IP parameters',
    prepare(dir) {
      const f = join(dir, 'dup.xml');
      const params = Array.from(
        { length: 30_000 },
        (_, i) => `<parameter name='IP' value='10.${i >> 16}.${(i >> 8) & 255}.${i & 255}'/>`,
      ).join('');
      writeFileSync(
        f,
        `<filter name='dup'><filterref filter='clean-traffic'>${params}</filterref></filter>\n`,
      );
      return ['compile', f, '--mac', '52:54:00:00:00:01'];
    },
  },
  lint: {
    measure: 'lint, 2,000 distinct tcp rules',
    prepare(dir) {
      const f = join(dir, 'lint.xml');
      writeFileSync(f, tcpRules('lint2000', 2_000));
      return ['lint', f, ...VM];
    },
  },
  frames: {
    measure: `simulate ${DEFAULT_LIMITS.frames.toLocaleString('en-US')} frames (frames limit), 2,000 rules, table`,
    prepare(dir) {
      const f = join(dir, 'rules.xml');
      writeFileSync(f, tcpRules('sim2000', 2_000));
      const [a, b] = writeCaptures(dir, DEFAULT_LIMITS.frames);
      return ['simulate', f, ...VM, '--from-vm', a, '--to-vm', b];
    },
  },
  'frames-json': {
    measure: `simulate ${DEFAULT_LIMITS.frames.toLocaleString('en-US')} frames (frames limit), 2,000 rules, --json`,
    prepare(dir) {
      const f = join(dir, 'rules.xml');
      writeFileSync(f, tcpRules('sim2000', 2_000));
      const [a, b] = writeCaptures(dir, DEFAULT_LIMITS.frames);
      return ['simulate', f, ...VM, '--from-vm', a, '--to-vm', b, '--json'];
    },
  },
  'frames-100k': {
    measure: 'simulate 100,000 frames, 2,000 rules, table',
    prepare(dir) {
      const f = join(dir, 'rules.xml');
      writeFileSync(f, tcpRules('sim2000', 2_000));
      const [a, b] = writeCaptures(dir, 100_000);
      return ['simulate', f, ...VM, '--from-vm', a, '--to-vm', b];
    },
  },
};

/** Child: run the CLI on `args` with output discarded; report time and peak memory. */
async function runCommand(args: string[]): Promise<void> {
  let out = 0;
  let firstError = '';
  const io: CliIo = {
    ...PROCESS_IO,
    stdout: (t) => void (out += t.length),
    stderr: (t) => void (firstError ||= t.split('\n')[0] ?? ''),
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const code = await runCli(args, io);
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000;
  const peakKB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ code, ms, cpuMs, peakKB, out, firstError }));
}

function child(args: string[]): string {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), ...args],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line) throw new Error(r.stderr.trim().split('\n').slice(-3).join(' '));
  return line;
}

function main(): void {
  const only = process.argv.slice(2).filter((a) => a !== 'limits');
  console.log(
    '# limits (docs/limits.md): CPU and wall time of the command and peak resident memory of its process (the CLI in-process in a fresh Node with tsx; inputs generated beforehand)',
  );
  for (const [name, w] of Object.entries(WORKLOADS)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const dir = mkdtempSync(join(tmpdir(), 'nwfs-limits-'));
    try {
      const args = JSON.parse(child(['--prepare', name, dir])) as string[];
      const res = JSON.parse(child(['--run', ...args])) as {
        code: number;
        ms: number;
        cpuMs: number;
        peakKB: number;
        firstError: string;
      };
      console.log(
        `${w.measure}: ${(res.cpuMs / 1000).toFixed(2)} s CPU (${(res.ms / 1000).toFixed(2)} s wall), ${Math.round(res.peakKB / 1024)} MB peak (exit ${res.code}${res.firstError ? `: ${res.firstError.slice(0, 160)}` : ''})`,
      );
    } catch (e) {
      console.log(`${w.measure}: failed (${e instanceof Error ? e.message : e})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--prepare') {
  const w = WORKLOADS[rest[0] as string];
  if (!w) throw new Error(`unknown workload ${rest[0]}`);
  console.log(JSON.stringify(w.prepare(rest[1] as string)));
} else if (mode === '--run') {
  await runCommand(rest);
} else {
  main();
}
