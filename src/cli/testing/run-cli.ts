import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
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

/** An io that captures the output and reads files with `readText`; `result` gives the run. */
export function capturingIo(readText: CliIo['readText']): {
  io: CliIo;
  result: (code: number) => Run;
} {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readText,
  };
  return { io, result: (code) => ({ code, stdout, stderr }) };
}

/** Reads files from memory: a name not in `files` is missing (ENOENT). */
export function memoryFiles(files: Record<string, string>): CliIo['readText'] {
  return (file) => {
    const text = files[file];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };
}

/** Runs the CLI in-process with captured output and files in memory (same code path after argv). */
export async function callCli(args: string[], files: Record<string, string> = {}): Promise<Run> {
  const { io, result } = capturingIo(memoryFiles(files));
  return result(await runCli(args, io));
}

/** Reads files from disk. */
export const readFromDisk: CliIo['readText'] = (file) => readFileSync(file, 'utf8');

/** Runs the CLI in-process with captured output, reading the files from disk. */
export async function callCliOnDisk(args: string[]): Promise<Run> {
  const { io, result } = capturingIo(readFromDisk);
  return result(await runCli(args, io));
}

/**
 * A temporary folder for a test file's inputs, removed after its tests: `write(name, text)`
 * writes a file there (its folders made as needed) and returns its path.
 */
export function tempInputs(prefix: string): {
  dir: string;
  write: (name: string, text: string) => string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, text) => {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
  };
}
