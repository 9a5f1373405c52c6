import { defineConfig } from 'vitest/config';

// Suites that run their kernel-facing programs in a guest kernel under qemu (tests/guest-kernel):
// Debian's 6.1 kernel, which has nf_conntrack_bridge, for the nftables kernel differential.
// Needs root and qemu (installed when missing); skips loudly otherwise. One guest at a time.
export default defineConfig({
  test: {
    include: ['tests/guest-kernel/**/*.guest.test.ts'],
    environment: 'node',
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    maxConcurrency: 4,
  },
});
