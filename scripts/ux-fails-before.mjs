#!/usr/bin/env node
// Issue 16's "fails on today's main and passes after", checked: builds the main of the day the
// issue was filed (BEFORE) in a temporary git worktree, and this checkout (NOW), serves each
// build, runs this checkout's issue-16 spec against both, and writes the table test × viewport
// → before / now to docs/ux-issue-16.md. Not part of `npm test` (two builds, ~90 e2e runs).
//
//   E2E_PORT=4403 node scripts/ux-fails-before.mjs [--before COMMIT] [--grep TEXT] [--out FILE]
//
// BEFORE defaults to bfd5fcc: the last commit of session 2, which filed issue 16; session 3's
// first UX commit for it (99f87d4) came after. The axe watch is off in both runs
// (NWFS_AXE_WATCH=off): a violation in the old UI would stop a test before the point it checks.
// A failure before counts only when its first error is about the point itself; the table gives
// that first error so each can be judged.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, binPath } from './lib/ensure-deps.mjs';

const SPEC = 'e2e/sysadmin-day.spec.ts';
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const before = option('--before', 'bfd5fcc');
const grep = option('--grep', null);
const out = option('--out', 'docs/ux-issue-16.md');
const port = Number(process.env.E2E_PORT) || 4390;

const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();
const beforeId = git('rev-parse', '--short', `${before}^{commit}`);
const nowId = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';

function exec(command, argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${argv.join(' ')} exited ${code}`)),
    );
  });
}

/** Builds `dir`'s app into `outDir` with its own build tools. */
async function build(dir, outDir) {
  console.log(`building ${dir} → ${outDir}`);
  await exec(
    path.join(dir, 'node_modules', '.bin', 'vite'),
    ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'],
    {
      cwd: dir,
    },
  );
}

/** Serves a build on the port until `stop()`; resolves once it answers. */
async function serve(outDir) {
  const child = spawn(
    binPath('vite'),
    ['preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('close', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** Runs the spec against what is served on the port; returns test title → outcome. */
async function runSpec(label, report) {
  const argv = ['test', SPEC, '--reporter=list,json', '--retries=0'];
  if (grep) argv.push('--grep', grep);
  // The served build is reused (not CI), and the axe watch is off (see the top of this file).
  const env = { ...process.env, CI: '', E2E_PORT: String(port), NWFS_AXE_WATCH: 'off' };
  env.PLAYWRIGHT_JSON_OUTPUT_NAME = report;
  console.log(`running ${SPEC} against ${label}`);
  await exec(binPath('playwright'), argv, { env }).catch(() => {});
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const results = new Map();
  const walk = (suite, titles) => {
    for (const s of suite.suites ?? []) walk(s, [...titles, s.title]);
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests) {
        const r = t.results.at(-1);
        const error = (r?.errors?.[0]?.message ?? '')
          // eslint-disable-next-line no-control-regex
          .replace(/\x1b\[[0-9;]*m/g, '')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        results.set([...titles, spec.title].join(' › '), {
          status: r?.status ?? 'missing',
          error: error.slice(0, 3).join(' '),
        });
      }
  };
  for (const s of json.suites) walk(s, []);
  return results;
}

const work = mkdtempSync(path.join(tmpdir(), 'ux16-'));
const beforeDir = path.join(work, 'before');
let server = null;
try {
  git('worktree', 'add', '--detach', beforeDir, beforeId);
  // The same lockfile: the old tree builds with these packages; otherwise it installs its own.
  const sameLock =
    readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8') ===
    readFileSync(path.join(beforeDir, 'package-lock.json'), 'utf8');
  if (sameLock) symlinkSync(path.join(ROOT, 'node_modules'), path.join(beforeDir, 'node_modules'));
  else await exec('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: beforeDir });

  await build(beforeDir, path.join(work, 'dist-before'));
  server = await serve(path.join(work, 'dist-before'));
  const was = await runSpec(`${beforeId} (before)`, path.join(work, 'before.json'));
  await server.stop();

  await build(ROOT, path.join(work, 'dist-now'));
  server = await serve(path.join(work, 'dist-now'));
  const now = await runSpec(`${nowId} (now)`, path.join(work, 'now.json'));
  await server.stop();
  server = null;

  const cell = (text) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 200);
  const runs = [...now.keys()].map((title) => {
    const [viewport, ...rest] = title.split(' › ');
    return { viewport, test: rest.join(' › '), was: was.get(title), now: now.get(title) };
  });
  const viewports = [...new Set(runs.map((r) => r.viewport))];
  const tests = [...new Set(runs.map((r) => r.test))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  const find = (test, viewport) => runs.find((r) => r.test === test && r.viewport === viewport);
  const verdict = (r) =>
    !r
      ? '—'
      : `${r.was?.status === 'passed' ? '**passes**' : 'fails'} → ${r.now?.status === 'passed' ? 'passes' : `**${r.now?.status ?? 'missing'}**`}`;
  const good = runs.filter((r) => r.was?.status !== 'passed' && r.now?.status === 'passed');
  const lines = [
    '# Issue 16: each point fails before and passes now',
    '',
    `Written by \`scripts/ux-fails-before.mjs\` (\`E2E_PORT=… node scripts/ux-fails-before.mjs\`),`,
    `not by hand. Before: \`${beforeId}\`, main when issue 16 was filed (the last commit of the`,
    `session that filed it; the first UX commit for the issue, \`99f87d4\`, came after). Now:`,
    `\`${nowId}\`${dirty ? ' with uncommitted changes' : ''}. The spec: \`${SPEC}\`, run`,
    'against a production build of each, the axe watch off (a violation in the old UI would stop',
    'a test before the point it checks).',
    '',
    `**${good.length} of ${runs.length}** runs (${tests.length} tests × ${viewports.length} viewports) fail before and pass now.`,
    '',
    `| Test (issue 16 point) | ${viewports.join(' | ')} |`,
    `| --- | ${viewports.map(() => '---').join(' | ')} |`,
    ...tests.map(
      (t) => `| ${cell(t)} | ${viewports.map((v) => verdict(find(t, v))).join(' | ')} |`,
    ),
    '',
    '## Why each fails before',
    '',
    'The first error of each test on the old build (one line when all viewports agree): a test',
    'counts as failing before only when that error is about its point.',
    '',
    ...tests.flatMap((t) => {
      const errors = viewports.map((v) => find(t, v)?.was?.error || '(passed)');
      const same = errors.every((e) => e === errors[0]);
      return [
        `- **${t}**`,
        ...(same
          ? [`  - ${cell(errors[0] ?? '')}`]
          : viewports.map((v, i) => `  - ${v}: ${cell(errors[i] ?? '')}`)),
      ];
    }),
    '',
  ];
  writeFileSync(path.join(ROOT, out), lines.join('\n'));
  // The tree is Prettier-formatted (npm test checks it): the table as Prettier lays it out.
  await exec(binPath('prettier'), ['--write', out]);
  console.log(`${good.length} of ${runs.length} fail before and pass now; table in ${out}`);
  process.exitCode = good.length === runs.length ? 0 : 1;
} finally {
  if (server) await server.stop();
  if (existsSync(beforeDir)) git('worktree', 'remove', '--force', beforeDir);
  rmSync(work, { recursive: true, force: true });
}
