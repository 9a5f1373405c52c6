import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/**
 * Gives the binding the VM's address as IP in the Simulator's host settings (the Simulator tab
 * must be open). The app binds without IP, so libvirt learns it; tests about what the filter's
 * own rules do from the first packet on give it, as a libvirt user who sets IP does.
 */
export async function giveVmIp(page: Page, ip = '10.99.0.2'): Promise<void> {
  const params = page.getByRole('group', { name: 'Filter parameters' });
  await params.getByRole('button', { name: 'Add parameter' }).click();
  const names = params.getByRole('textbox', { name: /^Parameter \d+ name$/ });
  await names.last().fill('IP');
  const value = params.getByRole('textbox', { name: 'Value of IP' });
  await value.fill(ip);
  await value.press('Enter');
  await expect(params.getByRole('textbox', { name: 'Value of IP' })).toHaveValue(ip);
}
