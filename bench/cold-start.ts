// `npm run bench:cold`: the cold path a newcomer meets, measured end to end — `git clone`, then
// `npm start` with an empty npm cache, until a browser shows the example filter (the rule table,
// then Monaco). Prints one figure per line (`cold <measure>: <value> s`), like the other benches.
//
// Options: --ref REF (default HEAD: the commit to clone), --repo DIR (default this checkout),
// --port N (default 4173 or $PORT), --warm-cache (npm's usual cache instead of an empty one),
// --keep (leave the clone in place). The clone and the empty cache live under the system's temp
// folder and are removed afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { CHROMIUM_LAUNCH_OPTIONS } from '../e2e/support/chromium';
import { READY_PROBE, waitForReady } from '../e2e-bench/ready-probe';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv: string[]) {
  const opts = {
    ref: 'HEAD',
    repo: HERE,
    port: Number(process.env.PORT) || 4173,
    warm: false,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2);
    const value = (): string => inline ?? argv[++i] ?? '';
    if (flag === '--ref') opts.ref = value();
    else if (flag === '--repo') opts.repo = path.resolve(value());
    else if (flag === '--port') opts.port = Number(value());
    else if (flag === '--warm-cache') opts.warm = true;
    else if (flag === '--keep') opts.keep = true;
    else {
      console.error(`bench:cold: unknown option ${argv[i]}`);
      process.exit(2);
    }
  }
  return opts;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
function figure(measure: string, ms: number) {
  console.log(`cold ${measure}: ${seconds(ms)} s`);
}

/** Resolves with the time (from `t0`) at which a line of the child's output matches each marker. */
function watchOutput(
  child: ChildProcessWithoutNullStreams,
  markers: Record<string, RegExp>,
  t0: number,
  log: string[],
): Record<string, number | undefined> {
  const seen: Record<string, number | undefined> = {};
  const onData = (chunk: Buffer) => {
    const now = performance.now() - t0;
    for (const line of String(chunk).split('\n')) {
      if (line.trim()) log.push(`[${seconds(now).padStart(6)} s] ${line}`);
      for (const [key, re] of Object.entries(markers)) {
        if (seen[key] === undefined && re.test(line)) seen[key] = now;
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return seen;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const commit = execFileSync('git', ['-C', opts.repo, 'rev-parse', opts.ref], {
    encoding: 'utf8',
  }).trim();
  const work = mkdtempSync(path.join(os.tmpdir(), 'nwfs-cold-'));
  const clone = path.join(work, 'nwfilter-studio');
  const cache = path.join(work, 'npm-cache');
  console.log(`cold commit: ${commit.slice(0, 7)}`);
  console.log(`cold npm cache: ${opts.warm ? 'warm (npm default)' : 'empty'}`);
  console.log(`cold load average: ${(os.loadavg()[0] ?? 0).toFixed(1)}`);

  const t0 = performance.now();
  execFileSync('git', ['clone', '--quiet', '--no-checkout', opts.repo, clone]);
  execFileSync('git', ['-C', clone, 'checkout', '--quiet', commit]);
  const cloned = performance.now() - t0;

  const env = { ...process.env };
  if (!opts.warm) env.npm_config_cache = cache;
  delete env.PORT;
  const start = spawn('node', ['scripts/start.mjs', '--port', String(opts.port)], {
    cwd: clone,
    env,
    stdio: 'pipe',
  });
  const log: string[] = [];
  const seen = watchOutput(
    start,
    {
      install: /^Installing npm packages/,
      build: /^Building the app/,
      built: /built in [\d.]+ ?m?s/,
      running: /is running at/,
    },
    t0,
    log,
  );
  const stop = () => {
    if (start.exitCode === null) start.kill('SIGTERM');
  };
  process.on('exit', stop);

  const deadline = Date.now() + 15 * 60_000;
  while (seen.running === undefined) {
    if (start.exitCode !== null || Date.now() > deadline) {
      console.error(log.join('\n'));
      throw new Error(`npm start did not serve the app (exit ${start.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  // The page, in the system Chromium driven by this checkout's Playwright (not the clone's: what
  // the newcomer's browser does is not part of the install).
  const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript({ content: READY_PROBE });
  const opened = performance.now() - t0;
  await page.goto(`http://127.0.0.1:${opts.port}/`);
  await page
    .getByRole('heading', { name: 'test-eth0' })
    .waitFor({ state: 'visible', timeout: 60_000 });
  // The page's own clock (ms from navigation start): after the frame that shows each.
  const shown = await waitForReady(page);
  const table = opened + shown.table;
  const monaco = opened + shown.monaco;
  await browser.close();
  stop();

  const running = seen.running ?? NaN;
  figure('git clone', cloned);
  if (seen.install !== undefined) figure('npm ci', (seen.build ?? running) - seen.install);
  if (seen.build !== undefined) figure('vite build', (seen.built ?? running) - seen.build);
  figure('serve (vite preview answers)', running - (seen.built ?? seen.build ?? cloned));
  figure('npm start until it prints the address', running - cloned);
  figure('page: example filter in the rule table', table - opened);
  figure('page: Monaco shown', monaco - opened);
  figure('total: clone to the table', table);
  figure('total: clone to Monaco', monaco);
  if (process.env.BENCH_COLD_LOG === '1') console.log(log.join('\n'));
  if (!opts.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`cold clone kept: ${clone}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
