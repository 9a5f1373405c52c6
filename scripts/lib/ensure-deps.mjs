// Shared by scripts/start.mjs and scripts/test.mjs. Node built-ins only: this runs before
// `npm ci`, on a fresh clone where node_modules does not exist yet.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (scripts/lib/ → ../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of an executable installed by npm in node_modules/.bin. */
export function binPath(name) {
  return path.join(ROOT, 'node_modules', '.bin', name);
}

/**
 * Runs a command with inherited stdio and resolves to its exit code (never rejects on a
 * non-zero exit; a spawn error such as ENOENT resolves to 127 after printing the reason).
 */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
    child.on('error', (err) => {
      console.error(`cannot run ${command}: ${err.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Why node_modules does not match package-lock.json, or null when it does.
 *
 * npm writes node_modules/.package-lock.json (the "hidden lockfile") after every install; it
 * lists what is actually installed. Every package the lockfile requires for this platform must
 * be there at the same version. Optional packages (other platforms' native binaries) may be
 * absent, but if present must match too; so may the development packages when `dev` is false
 * (what `npm start` needs: the build and the server, not the tests and linters).
 */
export function findStaleDeps({ dev = true } = {}) {
  const lock = readJson(path.join(ROOT, 'package-lock.json'));
  if (!lock?.packages) return 'package-lock.json is missing or unreadable';
  const installed = readJson(path.join(ROOT, 'node_modules', '.package-lock.json'));
  if (!installed?.packages) return 'node_modules is missing';
  for (const [key, wanted] of Object.entries(lock.packages)) {
    if (key === '') continue;
    const have = installed.packages[key];
    if (!have) {
      if (wanted.optional || (!dev && wanted.dev)) continue;
      return `${key} is not installed`;
    }
    if (have.version !== wanted.version) {
      return `${key} is ${have.version ?? '?'}, package-lock.json wants ${wanted.version ?? '?'}`;
    }
  }
  for (const key of Object.keys(installed.packages)) {
    if (!(key in lock.packages)) return `${key} is installed but not in package-lock.json`;
  }
  return null;
}

/**
 * Runs `npm ci` when node_modules is missing or stale. Resolves to true when deps are usable.
 * With `dev: false` (`npm start`) the development packages are neither required nor installed
 * (`--omit=dev`: half of the packages to fetch on a fresh clone); `npm test` installs them.
 */
export async function ensureDeps({ dev = true } = {}) {
  const reason = findStaleDeps({ dev });
  if (reason === null) return true;
  const omit = dev ? [] : ['--omit=dev'];
  console.log(`Installing npm packages (${reason}): npm ci ${omit.join(' ')}`.trimEnd());
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // --prefer-offline: packages already in npm's cache are not revalidated against the registry
  // (the lockfile pins exact versions and integrity hashes, so a cached copy is the same bytes).
  const code = await run(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund', ...omit], {
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (code !== 0) {
    console.error(`npm ci failed (exit ${code})`);
    return false;
  }
  return true;
}

/** Whether a file exists relative to the repo root. */
export function existsInRoot(rel) {
  return existsSync(path.join(ROOT, rel));
}
