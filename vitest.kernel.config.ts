import { defineConfig } from 'vitest/config';

// The kernel differential suite (tests/kernel-diff): the project's compiled rules on a real
// Linux bridge in network namespaces, every frame's fate compared with the simulator's verdict.
// Needs root and network namespaces; skips loudly otherwise. One file at a time, one fork; its
// cases run concurrently (each in its own namespaces): they mostly wait on the clock, not the CPU.
export default defineConfig({
  test: {
    include: ['tests/kernel-diff/**/*.kernel.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    maxConcurrency: 4,
  },
});
