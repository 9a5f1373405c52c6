/**
 * The nftables kernel differential (tests/kernel-diff) on Debian's 6.1 kernel, which has
 * nf_conntrack_bridge: every nftables case and real-application flow runs against bridge
 * conntrack for real, where the reference host's kernel refuses every `ct` rule set. The
 * suite's programs (ip, nft, conntrack, the frame injector, the applications) run in the guest;
 * compiling and simulating stay on the host. See ./README.md.
 */
import { afterAll, beforeAll } from 'vitest';
import { defineKernelDiff } from '../kernel-diff/lib/suite';
import { ensurePackages } from '../kernel-diff/lib/testbed';
import { whyGuestUnavailable } from './lib/availability';
import { ensureQemu, prepareGuestKernel, type GuestKernel } from './lib/guest-kernel';
import { GuestVm } from './lib/guest-vm';

const unavailable = whyGuestUnavailable();
let kernel: GuestKernel | undefined;
let vm: GuestVm | undefined;
const t0 = Date.now();
let bootMs = 0;

beforeAll(async () => {
  if (unavailable) return;
  const log = (s: string) => console.log(s);
  // The guest runs the host's own tools (its root is the host's): python3 for the agent, nft …
  await ensurePackages(log);
  const qemu = await ensureQemu(log);
  kernel = await prepareGuestKernel(log);
  const b0 = Date.now();
  vm = await GuestVm.boot({ qemu, kernel, log });
  bootMs = Date.now() - b0;
});

afterAll(async () => {
  await vm?.shutdown();
  if (vm)
    console.log(
      `guest-kernel: ${vm.label} (${vm.accel}): boot ${(bootMs / 1000).toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
});

defineKernelDiff({
  machine: () => {
    if (!vm) throw new Error('the guest did not boot');
    return vm;
  },
  unavailable,
  label: () => `kernel-diff (nftables, guest ${kernel?.version ?? 'kernel'})`,
  prefix: `nwfs-kg-${process.pid}-`,
  backends: ['nftables'],
  requireBridgeConntrack: true,
  // The simulator predicts the guest's kernel: its release is the host profile's.
  kernel: () => kernel?.version ?? '6.1',
});
