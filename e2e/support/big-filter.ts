import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** A filter of `n` tcp rules with mixed actions and priorities, for the 2,000-rule e2e tests. */
export function bigFilter(n: number): string {
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    rules.push(
      `  <rule action='${i % 7 === 0 ? 'drop' : 'accept'}' direction='in' priority='${(i % 19) * 10}'>\n    <tcp dstportstart='${1000 + i}' state='NEW'/>\n  </rule>`,
    );
  }
  return `<filter name='big' chain='root'>\n${rules.join('\n')}\n</filter>\n`;
}

/** Imports `bigFilter(n)` through the file picker and waits until the table holds every rule. */
export async function importBigFilter(page: Page, n: number): Promise<void> {
  await page.getByLabel('Import XML file').setInputFiles({
    name: 'big.xml',
    mimeType: 'application/xml',
    buffer: Buffer.from(bigFilter(n)),
  });
  await expect(page.getByRole('heading', { name: 'big' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('table', { name: 'Rules' })).toHaveAttribute(
    'aria-rowcount',
    String(n + 1),
  );
}
