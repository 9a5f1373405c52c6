import { test as base, expect } from '@playwright/test';
import { beginTest, endTest, installAxeWatch } from './axe-watch';

/**
 * `test` for every spec (an ESLint rule refuses `test` from @playwright/test in a spec):
 * - fails the test when the page throws an uncaught error or logs a console error, which a
 *   visual check would easily miss. Specs that expect an error can opt out with
 *   `test.use({ allowPageErrors: true })`;
 * - runs axe-core in every state the test's actions lead to (./axe-watch.ts) and fails the test
 *   on any violation, naming the action that led to it. No spec opts out (only
 *   scripts/ux-fails-before.mjs turns it off, to run today's specs on the old UI; never on CI).
 */
export const test = base.extend<{ allowPageErrors: boolean; pageErrors: string[]; axe: void }>({
  allowPageErrors: [false, { option: true }],
  pageErrors: [
    async ({ page, allowPageErrors }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
      });
      await use(errors);
      if (!allowPageErrors) expect(errors, 'errors in the page').toEqual([]);
    },
    { auto: true },
  ],
  axe: [
    async ({ page }, use, testInfo) => {
      if (process.env.NWFS_AXE_WATCH === 'off') {
        // Only scripts/ux-fails-before.mjs, to run today's specs against the old UI.
        if (process.env.CI) throw new Error('NWFS_AXE_WATCH=off is refused on CI');
        return use();
      }
      installAxeWatch(page);
      const watch = beginTest();
      await use();
      const passed = testInfo.status === testInfo.expectedStatus;
      const failures = await endTest(watch, passed);
      await testInfo.attach('axe-scans', {
        body: JSON.stringify(watch.scans),
        contentType: 'application/json',
      });
      if (passed && failures.length) throw new Error(failures.join('\n'));
    },
    { auto: true },
  ],
});

export { expect };
