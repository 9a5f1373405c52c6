import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runCommand } from '../../lib/run-command';

/** Debian packages the suite needs (bookworm: libvirt 9.0). */
export const PACKAGES = [
  'libvirt-daemon',
  'libvirt-clients',
  'libvirt-daemon-config-nwfilter',
  'iptables',
  'ebtables',
  'ipset',
  'iproute2',
] as const;

/** Files whose absence means a package is missing. */
const REQUIRED_FILES = [
  '/usr/sbin/libvirtd',
  '/usr/bin/virsh',
  '/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_nwfilter.so',
  '/etc/libvirt/nwfilter/clean-traffic.xml',
  '/usr/sbin/iptables-save',
  '/usr/sbin/ip6tables-save',
  '/usr/sbin/ebtables-save',
  '/usr/sbin/ipset',
  '/usr/bin/nsenter',
  '/usr/bin/unshare',
];

/**
 * Why the suite cannot run here, or null when it can: it needs root, Linux, `ip` and the
 * ability to create a network namespace (checked by creating and deleting one). Synchronous,
 * because Vitest decides skips while collecting.
 */
export function whyUnavailable(prefix: string): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  if (process.env.NWFS_LIBVIRT_DIFF === 'skip') return 'NWFS_LIBVIRT_DIFF=skip';
  const probe = `${prefix}probe`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error) return `cannot run ip (${add.error.message}); install iproute2`;
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** Packages whose files are missing. */
export function missingFiles(): string[] {
  return REQUIRED_FILES.filter((f) => !existsSync(f));
}

/**
 * Installs the packages when something is missing: `apt-get update` once, then install with a
 * dpkg lock timeout, because other jobs may be running apt on the same machine.
 */
export async function ensurePackages(log: (s: string) => void): Promise<void> {
  const missing = missingFiles();
  if (missing.length === 0) return;
  log(`libvirt-diff: installing ${PACKAGES.join(' ')} (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runCommand('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], {
    env,
    timeoutMs: 900_000,
  });
  await runCommand(
    'apt-get',
    ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...PACKAGES],
    { env, timeoutMs: 900_000 },
  );
  const still = missingFiles();
  if (still.length)
    throw new Error(`libvirt-diff: still missing after apt-get install: ${still.join(', ')}`);
}
