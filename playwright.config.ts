import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_LAUNCH_OPTIONS, previewServerCommand } from './e2e/support/chromium';

/**
 * Playwright drives Debian's /usr/bin/chromium (installed by `npm test` through apt-get when
 * absent); it never downloads a browser. The app under test is a fresh production build served
 * by `vite preview`, the same thing `npm start` serves.
 */
const PORT = Number(process.env.E2E_PORT) || 4391;
const BASE_URL = `http://127.0.0.1:${PORT}/`;
// Outside dist/ so a concurrent `npm start` or `npm run build` never races the e2e build, and
// under node_modules/ so neither git nor ESLint sees it.
const OUT_DIR = 'node_modules/.cache/nwfilter-studio-e2e';
const isCI = !!process.env.CI;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  fullyParallel: true,
  // Twice Playwright's 30 s: the axe watch scans every new state a test reaches (a few hundred
  // ms each on an idle machine, seconds on a loaded one).
  timeout: 60_000,
  // The states the axe watch found clean, shared by the workers.
  globalSetup: './e2e/support/axe-global-setup.ts',
  forbidOnly: isCI,
  retries: isCI ? 1 : 0,
  workers: isCI ? 1 : 2,
  // scripts/test.mjs reads the json report to count tests.
  reporter: [
    ['list'],
    ['json', { outputFile: 'test-results/reports/e2e.json' }],
    ['./e2e/support/axe-summary.ts'],
  ],
  use: {
    baseURL: BASE_URL,
    trace: 'on-first-retry',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: CHROMIUM_LAUNCH_OPTIONS,
      },
    },
  ],
  webServer: {
    command: previewServerCommand(OUT_DIR, PORT),
    url: BASE_URL,
    reuseExistingServer: !isCI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
