/**
 * The nftables scripts check (tests/nftables) on Debian's 6.1 kernel, which has
 * nf_conntrack_bridge: every corpus case's and project filter's script passes `nft -c -f` and
 * loads with its `ct state` / `ct direction` / `ct count` matches, which the reference host's
 * kernel refuses. nft and its kernel run in the guest; compiling stays on the host. See
 * ./README.md.
 */
import { afterAll, beforeAll } from 'vitest';
import { ensurePackages } from '../kernel-diff/lib/testbed';
import { defineNftScriptSuite } from '../nftables/lib/nft-script-suite';
import { whyGuestUnavailable } from './lib/availability';
import { ensureQemu, prepareGuestKernel, type GuestKernel } from './lib/guest-kernel';
import { GuestVm } from './lib/guest-vm';

const unavailable = whyGuestUnavailable();
if (unavailable) {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! nft-script (guest) SKIPPED: ${unavailable}.\n${bar}\n`);
}
let kernel: GuestKernel | undefined;
let vm: GuestVm | undefined;

beforeAll(async () => {
  if (unavailable) return;
  const log = (s: string) => console.log(s);
  await ensurePackages(log);
  const qemu = await ensureQemu(log);
  kernel = await prepareGuestKernel(log);
  vm = await GuestVm.boot({ qemu, kernel, log });
}, 900_000);

afterAll(async () => {
  await vm?.shutdown();
});

defineNftScriptSuite({
  machine: () => {
    if (!vm) throw new Error('the guest did not boot');
    return vm;
  },
  unavailable,
  label: () => `nft-script (guest ${kernel?.version ?? 'kernel'})`,
  requireBridgeConntrack: true,
});
