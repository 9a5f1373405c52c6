/**
 * The nftables backend's scripts against this host's nft and kernel (lib/nft-script-suite.ts):
 * a kernel without nf_conntrack_bridge checks them up to the kernel and loads them without their
 * ct matches; tests/guest-kernel/nft-script.guest.test.ts loads them whole. See ./README.md.
 */
import { spawnSync } from 'node:child_process';
import { LOCAL_MACHINE } from '../lib/machine';
import { defineNftScriptSuite } from './lib/nft-script-suite';

function whyUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'show', 'lo'], {
    encoding: 'utf8',
  });
  if (probe.error) return `cannot run unshare (${probe.error.message}); install util-linux`;
  if (probe.status !== 0) return `cannot create a network namespace: ${probe.stderr.trim()}`;
  return null;
}

const unavailable = whyUnavailable();
if (unavailable) {
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! nft-script SKIPPED: ${unavailable}.\n!! Checking the nftables scripts with the real nft needs root and network namespaces (CI runs it as root).\n${bar}\n`,
  );
}

defineNftScriptSuite({ machine: () => LOCAL_MACHINE, unavailable, label: () => 'nft-script' });
