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
  // Learning under nftables is new (issue 14 §3): its first full guest run (2026-12-07, load 9,
  // before the swaps were batched) took 21 minutes for learn-any alone and disagreed on 40 frames
  // there; the next (idle) had 0 disagreements in 228 s. Until a loaded run confirms that, npm
  // test runs the rest; NWFS_GUEST_KERNEL_DIFF_LEARNING=1 (or NWFS_KERNEL_DIFF_CASES) runs them.
  ...(process.env.NWFS_GUEST_KERNEL_DIFF_LEARNING === '1'
    ? {}
    : {
        skipLearning:
          'the learning cases under nftables (NWFS_GUEST_KERNEL_DIFF_LEARNING=1 runs them: 40 disagreements in learn-any in the first full guest run under load, 0 in the idle one after)',
      }),
});
