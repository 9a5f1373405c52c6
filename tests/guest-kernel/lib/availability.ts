/**
 * Why the guest suites cannot run here, or null when they can. Synchronous: Vitest decides
 * skips while collecting.
 */
export function whyGuestUnavailable(): string | null {
  if (process.env.NWFS_GUEST_KERNEL === 'skip') return 'NWFS_GUEST_KERNEL=skip';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.arch !== 'x64')
    return `not x86-64 (${process.arch}): the guest is Debian's amd64 kernel`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return 'not running as root (apt-get for qemu and the kernel package, 9p of the root)';
  return null;
}
