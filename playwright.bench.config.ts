import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_LAUNCH_OPTIONS, previewServerCommand } from './e2e/support/chromium';

/**
 * UI benchmarks (`npm run bench:ui`): Debian's /usr/bin/chromium (never a downloaded browser)
 * against a fresh production build served by `vite preview`, as in playwright.config.ts but on
 * its own port and output folder so it never races the e2e suite. One worker: the figures are
 * timings, and a second browser would only measure the contention.
 */
const PORT = Number(process.env.BENCH_UI_PORT) || 4392;
const BASE_URL = `http://127.0.0.1:${PORT}/`;
/** The production build the benchmarks load; the spec reads its files to size the initial JS. */
export const BENCH_OUT_DIR =
  process.env.BENCH_UI_OUT_DIR || 'node_modules/.cache/nwfilter-studio-bench-ui';

export default defineConfig({
  testDir: 'e2e-bench',
  testMatch: '**/*.bench.ts',
  outputDir: 'test-results/e2e-bench',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 300_000,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    trace: 'off',
    viewport: { width: 1400, height: 900 },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1400, height: 900 },
        launchOptions: CHROMIUM_LAUNCH_OPTIONS,
      },
    },
  ],
  webServer: {
    command: previewServerCommand(BENCH_OUT_DIR, PORT),
    url: BASE_URL,
    // BENCH_UI_REUSE=1 (with BENCH_UI_PORT, and BENCH_UI_OUT_DIR for its files) measures a server you already run.
    reuseExistingServer: process.env.BENCH_UI_REUSE === '1',
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
