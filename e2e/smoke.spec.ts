import { expect, test } from './support/fixtures';

// Monaco draws only the lines in view and the XML pane wraps long lines: a screen on which the
// whole filter is in view.
test.use({ viewport: { width: 1920, height: 1400 } });

// The app opens on the FTP-server filter of the libvirt docs (RHEL guide 18.12.11.6, see
// ../shared/seeds/001_*): one filterref to clean-traffic, six accept rules and a final drop.
test('opens on the example FTP-server filter: name, XML and rules', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/nwfilter-studio/);

  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();

  const xml = page.getByRole('region', { name: 'XML' });
  await expect(xml).toContainText("<filter name='test-eth0'");
  await expect(xml).toContainText("<filterref filter='clean-traffic'/>");
  await expect(xml).toContainText("<tcp dstportstart='21' dstportend='22' state='NEW'/>");

  const rules = page.getByRole('table', { name: 'Rules' });
  await expect(rules).toBeVisible();
  const rows = rules.getByRole('row');
  await expect(rows.filter({ hasText: 'clean-traffic' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'accept' })).toHaveCount(6);
  const drop = rows.filter({ hasText: 'drop' });
  await expect(drop).toHaveCount(1);
  await expect(drop).toContainText('inout');
  await expect(rows.filter({ hasText: 'NEW' })).toHaveCount(4);
});
