import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { runCommand, type CommandResult, type RunOptions } from '../../lib/run-command';

/** One network namespace created by the suite. */
export interface Netns {
  readonly name: string;
  /** Runs a program inside the namespace (`ip netns exec`). */
  exec(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  /**
   * PID of a process that lives in the namespace, so that a process in another mount
   * namespace (libvirtd's) can enter it through /proc/PID/ns/net.
   */
  holderPid(): Promise<number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates and, above all, deletes the suite's namespaces. Every name starts with the prefix, so
 * nothing outside the suite is ever touched; `destroyAll` is safe to call from finally/afterAll.
 */
export class NetnsPool {
  private readonly live = new Map<string, { holder?: ChildProcess }>();

  constructor(readonly prefix: string) {}

  /** Creates a fresh namespace `<prefix><suffix>` with lo up and bridge br0 holding the port vnet0. */
  async create(suffix: string): Promise<Netns> {
    const name = `${this.prefix}${suffix}`;
    await runCommand('ip', ['netns', 'add', name]);
    const entry: { holder?: ChildProcess } = {};
    this.live.set(name, entry);
    const batch = [
      'link set lo up',
      'link add br0 type bridge',
      'link add vnet0 type veth peer name vnet0p',
      'link set vnet0 master br0',
      'link set br0 up',
      'link set vnet0 up',
      'link set vnet0p up',
    ].join('\n');
    await runCommand('ip', ['-n', name, '-batch', '-'], { input: batch + '\n' });
    const exec = (cmd: string, args: readonly string[], opts?: RunOptions) =>
      runCommand('ip', ['netns', 'exec', name, cmd, ...args], opts);
    const holderPid = async (): Promise<number> => {
      if (entry.holder?.pid !== undefined) return entry.holder.pid;
      const child = spawn('ip', ['netns', 'exec', name, 'sleep', '600'], { stdio: 'ignore' });
      entry.holder = child;
      const pid = child.pid;
      if (pid === undefined) throw new Error(`cannot start a holder process in ${name}`);
      const want = statSync(`/run/netns/${name}`).ino;
      for (let i = 0; i < 200; i++) {
        try {
          if (statSync(`/proc/${pid}/ns/net`).ino === want) return pid;
        } catch {
          /* not started yet */
        }
        await sleep(5);
      }
      throw new Error(`holder process ${pid} never entered ${name}`);
    };
    return { name, exec, holderPid };
  }

  /** Deletes one namespace (kills its holder by PID first). Never throws. */
  async destroy(name: string): Promise<void> {
    const entry = this.live.get(name);
    if (!entry) return;
    this.live.delete(name);
    const pid = entry.holder?.pid;
    if (pid !== undefined && entry.holder?.exitCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await runCommand('ip', ['netns', 'del', name], { allowFailure: true }).catch(() => undefined);
  }

  /** Deletes every namespace this pool created. */
  async destroyAll(): Promise<void> {
    for (const name of [...this.live.keys()]) await this.destroy(name);
  }
}

/**
 * The end of a suite: stops its libvirtd (by PID), then deletes its namespaces and its state
 * directory, each step even when the one before failed.
 */
export async function tearDownSuite(
  daemon: { stop(): Promise<void> } | undefined,
  pool: NetnsPool,
  stateDir: string,
): Promise<void> {
  try {
    await daemon?.stop();
  } finally {
    await pool.destroyAll();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}
