import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** Imports `xml` as a new workspace filter through the Import button and waits until it is open. */
export async function importFilter(page: Page, name: string, xml: string) {
  await page.getByLabel('Import XML file').setInputFiles({
    name: `${name}.xml`,
    mimeType: 'application/xml',
    buffer: Buffer.from(xml),
  });
  await expect(page.getByRole('heading', { name })).toBeVisible({ timeout: 20_000 });
}
