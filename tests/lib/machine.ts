import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { runCommand, type CommandResult, type RunOptions } from './run-command';

/** A started program, as much of node's ChildProcess as the suites use. */
export interface MachineProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  off(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/**
 * Where the kernel-facing programs of a suite run: this host, or a guest kernel booted under
 * qemu (tests/guest-kernel), whose programs the test process drives from the host.
 */
export interface Machine {
  /** For reports: `this host` or `guest 6.1.192`. */
  readonly label: string;
  /** A folder this process and the machine's programs both see at the same path. */
  readonly sharedTmp: string;
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  /** Starts a long-running program (stdio piped); stop it with `kill`. */
  spawn(cmd: string, args: readonly string[]): MachineProcess;
  /** Sends a signal to a process of that machine by PID (one it started); never throws. */
  signal(pid: number, signal: NodeJS.Signals): Promise<void>;
}

/** This host. */
export const LOCAL_MACHINE: Machine = {
  label: 'this host',
  sharedTmp: tmpdir(),
  run: runCommand,
  spawn: (cmd, args) => spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] }),
  signal: (pid, sig) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
    return Promise.resolve();
  },
};
