import { defineConfig, devices } from '@playwright/test';

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
  forbidOnly: isCI,
  retries: isCI ? 1 : 0,
  workers: isCI ? 1 : 2,
  // scripts/test.mjs reads the json report to count tests.
  reporter: [['list'], ['json', { outputFile: 'test-results/reports/e2e.json' }]],
  use: {
    baseURL: BASE_URL,
    trace: 'on-first-retry',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          // The machine has no outside network: without these Chromium keeps trying to reach
          // Google services and fills the log with refused connections. No sandbox as root.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: {
    command:
      `node_modules/.bin/vite build --outDir ${OUT_DIR} --emptyOutDir --logLevel error && ` +
      `node_modules/.bin/vite preview --outDir ${OUT_DIR} --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: BASE_URL,
    reuseExistingServer: !isCI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
