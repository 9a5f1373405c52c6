#!/usr/bin/env node
/**
 * `npm run bench`: bundles bench/core-bench.ts the way the production build ships the core (no
 * esbuild keepNames wrappers, which tsx adds and which cost ~2x on closure-heavy code), then runs
 * it with --expose-gc so heap figures start from a collected heap. Falls back to tsx when esbuild
 * (a dependency of tsx) is not resolvable. Extra arguments select sections: xml compile pcap simulate
 * analysis limits (bench/limits-bench.ts: the limits of docs/limits.md measured at the limit — the
 * CLI as users run it, each workload in a process of its own for its peak memory; a few minutes).
 * Without arguments, all of them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'bench/core-bench.ts');
const outDir = join(root, 'node_modules/.cache/nwfilter-studio-bench');
const outFile = join(outDir, 'core-bench.mjs');
const args = process.argv.slice(2);

let bundled = false;
try {
  const esbuild = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: outFile,
    logLevel: 'warning',
    // fast-xml-parser is CommonJS; let Node load it rather than inlining a require shim.
    packages: 'external',
  });
  bundled = true;
} catch (e) {
  console.error(
    `# esbuild unavailable (${e instanceof Error ? e.message : e}); running through tsx (slower: keepNames wrappers)`,
  );
}

// `limits` runs every workload of bench/limits-bench.ts, `limits:NAME` one of them.
const LIMIT_WORKLOADS = args.filter((a) => a === 'limits' || a.startsWith('limits:'));
const coreSections = args.filter((a) => !LIMIT_WORKLOADS.includes(a));
const runLimits = args.length === 0 || LIMIT_WORKLOADS.length > 0;
const runCore = args.length === 0 || coreSections.length > 0;

function benchLimits() {
  const only = LIMIT_WORKLOADS.filter((a) => a !== 'limits').map((a) => a.slice('limits:'.length));
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/limits-bench.ts'), ...only],
    { stdio: 'inherit', cwd: root },
  ).status;
}

if (!runCore) process.exit(benchLimits() ?? 1);

const cmd = bundled
  ? [process.execPath, ['--expose-gc', outFile, ...coreSections]]
  : [process.execPath, ['--expose-gc', '--import', 'tsx', entry, ...coreSections]];
const r = spawnSync(cmd[0], cmd[1], { stdio: 'inherit', cwd: root });
const limitsStatus = runLimits ? benchLimits() : 0;
process.exit(r.status || limitsStatus || 0);
