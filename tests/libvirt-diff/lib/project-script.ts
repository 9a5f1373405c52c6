import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggedCommand } from './libvirt-daemon';
import { runCommand } from '../../lib/run-command';

/** Repository root (tests/libvirt-diff/lib → ../../..). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'nwfilter-studio.mjs');

/** Whether the CLI entry point exists at all (the compile command lands separately). */
export function cliAvailable(): boolean {
  return existsSync(CLI) && existsSync(join(REPO_ROOT, 'src', 'cli', 'main.ts'));
}

/** The release the suite's libvirt is: the project compiles for it (`--libvirt 9.0`). */
export const LIBVIRT_TARGET = '9.0';

/**
 * The CLI argument vector for one case (also shown in failure messages, to reproduce by hand).
 * `ipsets` are the sets the case creates (`ipset create NAME TYPE …`): compile is told the host has
 * them, and only them.
 */
export function compileArgs(
  file: string,
  filtersDir: string,
  mac: string,
  params: readonly (readonly [string, string])[],
  libvirt: string = LIBVIRT_TARGET,
  ipsets?: readonly (readonly [string, ...string[]])[],
): string[] {
  return [
    'compile',
    file,
    '--filters',
    filtersDir,
    '--libvirt',
    libvirt,
    '--format',
    'script',
    '--iface',
    'vnet0',
    '--mac',
    mac,
    ...params.flatMap(([n, v]) => ['--param', `${n}=${v}`]),
    ...(ipsets ?? []).flatMap(([name, type]) => ['--ipset', `${name}:${type ?? 'hash:ip'}=`]),
  ];
}

/**
 * Runs the CLI's own entry point (`runCli`, what bin/nwfilter-studio.mjs calls) in this process
 * with the same argument vector. Starting node + tsx for each of ~40 cases would cost more CPU
 * than libvirt itself; one case still goes through the real binary (see the test).
 */
export async function compileInProcess(args: readonly string[]): Promise<string> {
  const { runCli } = await import('../../../src/cli/main');
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readText: (f) => readFileSync(f === '-' ? 0 : f, 'utf8'),
  });
  if (code !== 0) throw new Error(`nwfilter-studio ${args.join(' ')} exited ${code}\n${err}${out}`);
  return out;
}

/** `nwfilter-studio format ARGS…` through the CLI's entry point, in this process. */
export function formatInProcess(args: readonly string[]): Promise<string> {
  return compileInProcess(['format', ...args]);
}

/** Runs `bin/nwfilter-studio.mjs compile … --format script` as a child process and returns the script. */
export async function compileProjectScript(args: readonly string[]): Promise<string> {
  const r = await runCommand(process.execPath, [CLI, ...args], {
    allowFailure: true,
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) {
    throw new Error(`nwfilter-studio ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/**
 * Self-check source (NWFS_LIBVIRT_DIFF_SOURCE=libvirt): a script made of the exact commands
 * libvirt ran for the binding, from its debug log. Replaying it in a fresh namespace must give
 * an identical rule set, which validates the namespaces, dumps, normalisation and comparison
 * independently of the project's compiler. libvirt quotes each command for a POSIX shell; the
 * failures libvirt ignored (removing absent chains) are ignored here too.
 */
export function scriptFromLibvirtCommands(cmds: readonly LoggedCommand[]): string {
  const lines = ['#!/bin/bash', '# replay of the firewall commands libvirt 9.0 ran (self-check)'];
  for (const c of cmds)
    lines.push(c.ignoredFailure ? `${c.text} 2>/dev/null || true` : `${c.text} || exit 1`);
  return lines.join('\n') + '\n';
}
