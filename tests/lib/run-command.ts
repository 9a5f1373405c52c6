import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** Result of one finished child process. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  /** Text written to the child's stdin. */
  input?: string;
  /** Kill the child (SIGKILL, by its own PID) after this many milliseconds. */
  timeoutMs?: number;
  /** Resolve instead of rejecting on a non-zero exit. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs one program without a shell and collects its output; rejects with the output in the
 * message on a non-zero exit unless `allowFailure`.
 */
export function runCommand(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcessWithoutNullStreams = spawn(cmd, args, {
      stdio: 'pipe',
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          if (child.pid !== undefined && child.exitCode === null)
            process.kill(child.pid, 'SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const res: CommandResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (res.code !== 0 && !opts.allowFailure) {
        reject(
          new Error(
            `${cmd} ${args.join(' ')} exited ${res.code}${signal ? ` (${signal})` : ''}\n${res.stdout}${res.stderr}`,
          ),
        );
      } else resolve(res);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
