import { test as base, expect } from '@playwright/test';

/**
 * `test` for every spec: fails the test when the page throws an uncaught error or logs a
 * console error, which a visual check would easily miss. Specs that expect an error can
 * opt out with `test.use({ allowPageErrors: true })`.
 */
export const test = base.extend<{ allowPageErrors: boolean; pageErrors: string[] }>({
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
});

export { expect };
