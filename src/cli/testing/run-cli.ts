import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../testing/corpus-dir';
import type { CliIo } from '../cli-io';
import { runCli } from '../main';

/** What a CLI run left: its exit code and output. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = path.join(REPO_ROOT, 'bin/nwfilter-studio.mjs');

/** Runs the real executable, as `npx nwfilter-studio` does, from `cwd`. */
export function spawnCli(args: string[], cwd: string = REPO_ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, encoding: 'utf8', maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI in-process with captured output and files in memory (same code path after argv). */
export async function callCli(args: string[], files: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readText: (file) => {
      const text = files[file];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
