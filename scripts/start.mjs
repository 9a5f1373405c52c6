#!/usr/bin/env node
// `npm start`: install what is missing, build the app, serve dist/ on localhost.
// Node built-ins only (runs before `npm ci` on a fresh clone).
//
// Options: --port N (default: first free port from 4173), --host H (default 127.0.0.1).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { ROOT, binPath, ensureDeps, run } from './lib/ensure-deps.mjs';

/** What `vite build` reads: the stamp of a build is a digest of these files' paths and bytes. */
const BUILD_INPUTS = [
  'index.html',
  'vite.config.ts',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'src',
  'public',
];
/** Written into dist/ after a successful build; dist/ is served as is while it matches. */
const STAMP = path.join(ROOT, 'dist', '.build-inputs');

function listFiles(rel) {
  const abs = path.join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs)
    .sort()
    .flatMap((name) => listFiles(path.join(rel, name)));
}

/** sha256 over every build input's path and content (about 0.1 s; a build takes 15 s or more). */
function buildInputsDigest() {
  const hash = createHash('sha256');
  for (const rel of BUILD_INPUTS.flatMap(listFiles)) {
    hash.update(`${rel}\0`);
    hash.update(readFileSync(path.join(ROOT, rel)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readBuildStamp() {
  try {
    if (!existsSync(path.join(ROOT, 'dist', 'index.html'))) return null;
    return readFileSync(STAMP, 'utf8').trim();
  } catch {
    return null;
  }
}

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT) || 0, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--port') opts.port = Number(value());
    else if (flag === '--host') opts.host = value();
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm start [-- --port N] [-- --host H]');
      process.exit(0);
    } else {
      console.error(`npm start: unknown option ${arg}`);
      process.exit(2);
    }
  }
  return opts;
}

function isPortFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function findFreePort(start, host) {
  for (let port = start; port < start + 100; port++) {
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port in ${start}..${start + 99}`);
}

function waitForHttp(url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      if (child.exitCode !== null) return resolve(false);
      http
        .get(url, (res) => {
          res.resume();
          resolve(true);
        })
        .on('error', () => {
          if (Date.now() > deadline) resolve(false);
          else setTimeout(attempt, 150);
        });
    };
    attempt();
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!(await ensureDeps({ dev: false }))) process.exit(1);

  const digest = buildInputsDigest();
  if (readBuildStamp() === digest) {
    console.log('dist/ was built from these sources: not rebuilt');
  } else {
    console.log('Building the app: vite build');
    const buildCode = await run(binPath('vite'), ['build']);
    if (buildCode !== 0) {
      console.error(`vite build failed (exit ${buildCode})`);
      process.exit(1);
    }
    writeFileSync(STAMP, `${digest}\n`);
  }

  const port = opts.port || (await findFreePort(4173, opts.host));
  const preview = spawn(
    binPath('vite'),
    ['preview', '--host', opts.host, '--port', String(port), '--strictPort'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const stop = (signal) => {
    if (preview.exitCode === null) preview.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  preview.on('close', (code) => process.exit(code ?? 0));

  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${hostForUrl}:${port}/`;
  if (await waitForHttp(url, preview)) {
    console.log('');
    console.log(`  nwfilter-studio is running at ${url}`);
    console.log('  (open it in a browser; Ctrl+C stops the server)');
    console.log('');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
