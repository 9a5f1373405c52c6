import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** Opens the app at a size that shows the editor and the panels, on its example filter 'test-eth0'. */
export async function openApp(page: Page) {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
}

export const panels = (page: Page) => page.getByRole('region', { name: 'Panels' });
export const rules = (page: Page) => page.getByRole('table', { name: 'Rules' });
export const selectedRow = (page: Page) =>
  rules(page).locator('[role="row"][aria-selected="true"]');

/** Opens a tab of the panels dock. */
export async function openTab(page: Page, name: string) {
  await panels(page).getByRole('tab', { name }).click();
  await expect(panels(page).getByRole('tabpanel', { name, exact: true })).toBeVisible();
}
