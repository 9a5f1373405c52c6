import { defineConfig } from 'vitest/config';

// The "differential" step of `npm test`: suites that compare the project against real
// software (tests/**/*.diff.test.ts). They need root and network namespaces and skip with a
// notice otherwise; they run one file at a time because they share the machine's 2 cores.
export default defineConfig({
  test: {
    include: ['tests/**/*.diff.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
