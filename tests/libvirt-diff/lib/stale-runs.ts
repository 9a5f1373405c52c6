import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUN = /^nwfs-ld-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what an earlier run of this suite left behind when it was killed before its teardown:
 * namespaces `nwfs-ld-<pid>-…` and state directories `<tmp>/nwfs-ld-<pid>-…` whose test process
 * <pid> no longer exists, and the libvirtd recorded in such a state directory (killed by its
 * PID, and only if that process is a libvirtd started with that very directory's config).
 * Returns what it removed, for the log.
 */
export function sweepStaleRuns(): string[] {
  const removed: string[] = [];
  for (const dir of readdirSync(tmpdir())) {
    const m = RUN.exec(dir);
    if (!m || alive(Number(m[1]))) continue;
    const state = join(tmpdir(), dir);
    const pidFile = join(state, 'libvirtd', 'libvirtd.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (pid > 0 && cmdline.startsWith('/usr/sbin/libvirtd\0') && cmdline.includes(state)) {
          process.kill(pid, 'SIGKILL');
          removed.push(`libvirtd ${pid}`);
        }
      } catch {
        /* not running */
      }
    }
    rmSync(state, { recursive: true, force: true });
    removed.push(state);
  }
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (list.stdout ?? '').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = RUN.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    spawnSync('ip', ['netns', 'del', name]);
    removed.push(`netns ${name}`);
  }
  return removed;
}
