import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../testing/corpus-dir';
import { callCli } from '../testing/run-cli';
import type { Run } from '../testing/run-cli';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The real executable as an unprivileged user (as root: setpriv to nobody; else as is). */
function spawnUnprivileged(args: string[]): Promise<Run> {
  const node = [process.execPath, path.join(REPO_ROOT, 'bin/nwfilter-studio.mjs'), ...args];
  const [file, ...argv] = isRoot
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node]
    : node;
  return new Promise((resolve) => {
    execFile(
      file as string,
      argv,
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('drift and serve command lines', () => {
  it('drift without root says that reading the rules needs root (exit 2)', async () => {
    const r = await spawnUnprivileged(['drift', '--connect', 'qemu:///system']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reading the host's rules needs root/);
  });

  it('refuses values virsh would read as options, before running anything', async () => {
    for (const args of [
      ['drift', '--connect', '--readonly'],
      ['drift', '--', '-x'],
      ['drift', 'a/b'],
      ['drift', 'vnet0', 'vnet1'],
      ['serve', '--connect', 'qemu:///sys tem'],
      ['serve', '--port', '70000'],
      ['serve', '--netns', '../x'],
    ]) {
      const r = await callCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^nwfilter-studio (drift|serve): /);
    }
  });

  it('both commands are listed in --help', async () => {
    const r = await callCli(['--help']);
    expect(r.stdout).toMatch(/\n {2}serve +serve the studio/);
    expect(r.stdout).toMatch(/\n {2}drift +compare the rules/);
  });
});
