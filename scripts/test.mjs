#!/usr/bin/env node
// `npm test`: install what is missing, then run every check in order, each with its duration,
// and finish with one line `tests: N passed, M failed` (CI looks for that line).
// Every step runs even when an earlier one failed, so one log shows everything; exit 1 if any
// failed. Node built-ins only (runs before `npm ci` on a fresh clone).
//
//   npm test                        all steps
//   npm test -- --only unit,e2e     only these steps (names or groups, see STEPS)
//   npm test -- --skip e2e          all but these
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, binPath, ensureDeps, existsInRoot, run } from './lib/ensure-deps.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

const REPORT_DIR = 'test-results/reports';
const CHROMIUM = '/usr/bin/chromium';

/**
 * The steps, in order. `group` is what `--only` / `--skip` select (a step's own name works
 * too). `report` says how to count tests: a vitest or Playwright JSON report written to
 * `file`. `when` names a file that must exist for the step to run (suites added by other
 * issues). Adding a suite is one line here.
 */
const STEPS = [
  { name: 'typecheck:core', group: 'typecheck', bin: 'tsc', args: ['-p', 'tsconfig.core.json'] },
  { name: 'typecheck:app', group: 'typecheck', bin: 'tsc', args: ['-p', 'tsconfig.json'] },
  { name: 'typecheck:node', group: 'typecheck', bin: 'tsc', args: ['-p', 'tsconfig.node.json'] },
  { name: 'lint', group: 'lint', bin: 'eslint', args: ['.'] },
  { name: 'format', group: 'lint', bin: 'prettier', args: ['--check', '.'] },
  vitestStep('unit', 'unit', null),
  vitestStep('diff', 'diff', 'vitest.diff.config.ts'),
  vitestStep('kernel-diff', 'diff', 'vitest.kernel.config.ts'),
  // Debian's 6.1 kernel under qemu (it has nf_conntrack_bridge, this host's may not).
  vitestStep('kernel-diff-guest', 'diff', 'vitest.guest.config.ts'),
  {
    name: 'e2e',
    group: 'e2e',
    bin: 'playwright',
    args: ['test'],
    needsChromium: true,
    // Written by the json reporter configured in playwright.config.ts.
    report: { kind: 'playwright', file: `${REPORT_DIR}/e2e.json` },
  },
];

function vitestStep(name, group, config) {
  const file = `${REPORT_DIR}/${name}.json`;
  const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${file}`];
  if (config) args.push('-c', config);
  return { name, group, bin: 'vitest', args, when: config, report: { kind: 'vitest', file } };
}

function parseArgs(argv) {
  const sel = { only: null, skip: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const list = () => new Set((inline ?? argv[++i] ?? '').split(',').filter(Boolean));
    if (flag === '--only') sel.only = list();
    else if (flag === '--skip') sel.skip = list();
    else if (flag === '--help' || flag === '-h') {
      const names = [...new Set(STEPS.flatMap((s) => [s.group, s.name]))].join(', ');
      console.log(`usage: npm test [-- --only a,b] [-- --skip a,b]\nsteps: ${names}`);
      process.exit(0);
    } else {
      console.error(`npm test: unknown option ${argv[i]}`);
      process.exit(2);
    }
  }
  const known = new Set(STEPS.flatMap((s) => [s.group, s.name]));
  for (const name of [...(sel.only ?? []), ...sel.skip]) {
    if (!known.has(name)) {
      console.error(`npm test: unknown step "${name}" (known: ${[...known].join(', ')})`);
      process.exit(2);
    }
  }
  return sel;
}

const isSelected = (step, sel) =>
  (!sel.only || sel.only.has(step.group) || sel.only.has(step.name)) &&
  !sel.skip.has(step.group) &&
  !sel.skip.has(step.name);

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// Corpus results the suites print (`xml2xml: 42/42`, `libvirt-diff: 36 filters, …`,
// `kernel-diff(learning, nftables): …`, `nft-script (guest 6.1.192): …`) and the
// e2e run's axe summary (`axe: N distinct states scanned …`), repeated in the summary so they
// are not lost in the middle of the log.
const CORPUS_LINE =
  /^\s*((?:xml2xml|xml2firewall|libvirt-diff|kernel-diff|nft-script|axe)(?: ?\([\w ,.-]+\))?[\w()-]*: \d+\b.*)$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Runs a step with stdout passed through line by line (so it still streams) and collects the
 * corpus result lines. Resolves to the exit code, like run().
 */
function runCollecting(command, args, corpusLines) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['inherit', 'pipe', 'inherit'] });
    let pending = '';
    child.stdout.setEncoding('utf8'); // whole characters per chunk, even when split mid-sequence
    const scan = (line) => {
      const match = CORPUS_LINE.exec(line.replace(ANSI, ''));
      if (match) corpusLines.push(match[1].trim());
    };
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(scan);
    });
    child.on('error', (err) => {
      console.error(`cannot run ${command}: ${err.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      if (pending) scan(pending);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** Counts from a test report, or null when there is none (the runner crashed before writing). */
function readCounts(report) {
  const file = path.join(ROOT, report.file);
  if (!existsSync(file)) return null;
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (report.kind === 'vitest') {
    return { passed: json.numPassedTests ?? 0, failed: json.numFailedTests ?? 0 };
  }
  const stats = json.stats ?? {};
  return { passed: (stats.expected ?? 0) + (stats.flaky ?? 0), failed: stats.unexpected ?? 0 };
}

/**
 * Tests read libvirt's corpus from ../shared/libvirt-nwfilter beside the repository, or from
 * $NWFILTER_CORPUS. A clone made elsewhere (e.g. `git clone /work/main /tmp/x`) has no
 * ../shared, but the repository it was cloned from does: point NWFILTER_CORPUS there.
 */
function locateCorpus() {
  if (process.env.NWFILTER_CORPUS) return;
  if (existsSync(path.resolve(ROOT, '../shared/libvirt-nwfilter'))) return;
  const origin = readOriginUrl();
  if (!origin) return;
  const originPath = origin.startsWith('file://') ? new URL(origin).pathname : origin;
  if (!path.isAbsolute(originPath)) return;
  const corpus = path.resolve(originPath, '../shared/libvirt-nwfilter');
  if (existsSync(corpus)) {
    process.env.NWFILTER_CORPUS = corpus;
    console.log(
      `libvirt corpus: ${corpus} (beside the clone's origin; set NWFILTER_CORPUS to override)`,
    );
  }
}

function readOriginUrl() {
  try {
    return execFileSync('git', ['config', '--get', 'remote.origin.url'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return null; // not a git checkout, or no origin
  }
}

/** Installs Debian's chromium when absent (root only). Resolves to an error text or null. */
async function ensureChromium() {
  if (existsSync(CHROMIUM)) return null;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return (
      `${CHROMIUM} is missing and this is not root, so it cannot be installed here. ` +
      'Install it with: sudo apt-get install chromium (Playwright drives the system Chromium; ' +
      'it never downloads a browser).'
    );
  }
  console.log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Other processes may hold the dpkg lock (apt runs elsewhere on shared machines): wait for it.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  if ((await run('apt-get', ['update', ...lock], { env })) !== 0) return 'apt-get update failed';
  if ((await run('apt-get', ['install', '-y', ...lock, 'chromium'], { env })) !== 0) {
    return 'apt-get install chromium failed';
  }
  return existsSync(CHROMIUM)
    ? null
    : `apt-get installed chromium but ${CHROMIUM} is still missing`;
}

async function main() {
  const sel = parseArgs(process.argv.slice(2));
  locateCorpus();
  const started = performance.now();
  const results = [];
  let passed = 0;
  let failed = 0;
  const corpusLines = [];

  const setupStart = performance.now();
  const depsOk = await ensureDeps();
  results.push({ name: 'install', ok: depsOk, ms: performance.now() - setupStart });
  if (!depsOk) {
    // Nothing below can run without node_modules.
    console.log(`\ninstall failed\ntests: 0 passed, 1 failed`);
    process.exit(1);
  }
  mkdirSync(path.join(ROOT, REPORT_DIR), { recursive: true });

  for (const step of STEPS) {
    if (!isSelected(step, sel)) continue;
    if (step.when && !existsInRoot(step.when)) continue;
    const command = `${step.bin} ${step.args.join(' ')}`;
    console.log(`\n=== ${step.name}: ${command}`);
    const t0 = performance.now();

    let problem = null;
    if (step.needsChromium) problem = await ensureChromium();
    let code = 1;
    if (problem) {
      console.error(`${step.name}: ${problem}`);
    } else {
      if (step.report) rmSync(path.join(ROOT, step.report.file), { force: true });
      code = await runCollecting(binPath(step.bin), step.args, corpusLines);
    }
    const ms = performance.now() - t0;
    const ok = code === 0;

    const counts = step.report && !problem ? readCounts(step.report) : null;
    let note = '';
    if (counts) {
      passed += counts.passed;
      failed += counts.failed;
      note = `${counts.passed} passed, ${counts.failed} failed`;
    }
    // A failing step that reported no failed test (typecheck, lint, a runner that crashed or a
    // suite that failed to load) still counts as one failure, so the last line never says
    // "0 failed" for a red run.
    if (!ok && (!counts || counts.failed === 0)) {
      failed += 1;
      note = note ? `${note}; exit ${code}` : problem ? 'not run' : `exit ${code}`;
    }
    results.push({ name: step.name, ok, ms, note });
    console.log(
      `=== ${step.name}: ${ok ? 'ok' : 'FAILED'} in ${seconds(ms)}${note ? ` (${note})` : ''}`,
    );
  }

  console.log('\n=== summary');
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const status = r.ok ? 'ok    ' : 'FAILED';
    console.log(
      `  ${status}  ${r.name.padEnd(width)}  ${seconds(r.ms).padStart(7)}${r.note ? `  ${r.note}` : ''}`,
    );
  }
  console.log(`  total ${seconds(performance.now() - started)}`);
  if (corpusLines.length > 0) console.log(`  corpus: ${corpusLines.join(', ')}`);
  const anyFailed = results.some((r) => !r.ok);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(anyFailed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
});
