import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { importFilter } from './support/import-filter';

// Issue 12 §2 and §3: the libvirt release the Export and Simulator panels target, and a filter
// libvirt cannot bind shown as such, at its rule, instead of simulated traffic.

const panels = (page: Page) => page.getByRole('region', { name: 'Panels' });
const rules = (page: Page) => page.getByRole('table', { name: 'Rules' });
const selectedRow = (page: Page) => rules(page).locator('[role="row"][aria-selected="true"]');

async function openApp(page: Page) {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
}

async function openTab(page: Page, name: string) {
  await panels(page).getByRole('tab', { name }).click();
  await expect(panels(page).getByRole('tabpanel', { name, exact: true })).toBeVisible();
}

test('export and simulator share one libvirt target: 9.0 adds its qemu-announce-self 0x835 rule', async ({
  page,
}) => {
  await openApp(page);
  await openTab(page, 'Export');
  const version = panels(page).getByLabel('libvirt version');
  await expect(version).toHaveValue('12.5');
  const formats = panels(page).getByRole('tablist', { name: 'Export formats' });
  await formats.getByRole('tab', { name: 'ebtables' }).click();
  const eb = panels(page).getByRole('tabpanel', { name: 'ebtables export' });
  await expect(eb).toContainText('ebtables --concurrent -t nat -N libvirt-I-vnet0');
  await expect(eb).not.toContainText('-p 0x835');

  // Debian 12's libvirt 9.0: clean-traffic still references the old qemu-announce-self.
  await version.selectOption('9.0');
  await expect(eb).toContainText(
    'ebtables --concurrent -t nat -A libvirt-I-vnet0 -p 0x835 -j ACCEPT',
  );

  // The simulator targets the same release.
  await openTab(page, 'Simulator');
  await expect(panels(page).getByLabel('libvirt version')).toHaveValue('9.0');
  await panels(page).getByLabel('libvirt version').selectOption('12.5');
  await openTab(page, 'Export');
  await formats.getByRole('tab', { name: 'ebtables' }).click();
  await expect(panels(page).getByRole('tabpanel', { name: 'ebtables export' })).not.toContainText(
    '-p 0x835',
  );
});

test('a binding libvirt cannot instantiate: no traffic, the reason at its rule, in the simulator and the export', async ({
  page,
}) => {
  await openApp(page);
  await importFilter(
    page,
    'web-continue',
    "<filter name='web-continue'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='80'/>\n  </rule>\n  <rule action='continue' direction='out'>\n    <tcp dstportstart='22'/>\n  </rule>\n</filter>\n",
  );
  await openTab(page, 'Simulator');
  const failures = panels(page).getByTestId('binding-failures');
  await expect(failures).toContainText('libvirt cannot bind this filter');
  await expect(failures).toContainText('NWF331');
  await expect(failures).toContainText('-j CONTINUE');
  // No packet goes through a binding that would never exist.
  await expect(
    panels(page)
      .getByRole('status')
      .filter({ hasText: /packets in/ }),
  ).toHaveText(/^0 packets in \d+ ms$/, { timeout: 30_000 });
  // The link selects the rule that causes it.
  await failures.getByRole('button', { name: 'web-continue · rule 2' }).click();
  await expect(selectedRow(page)).toContainText('continue');

  await openTab(page, 'Export');
  await expect(panels(page).getByTestId('binding-failures')).toContainText('NWF331');

  // Lint reports it as an error at the rule too.
  await openTab(page, 'Lint');
  const finding = panels(page)
    .getByRole('list', { name: 'Lint findings' })
    .getByRole('listitem')
    .filter({ hasText: 'NWF331' });
  await expect(finding).toContainText('error');
  await expect(finding).toContainText('libvirt cannot bind this filter');
  await openTab(page, 'Export');
  await expect(
    panels(page).getByRole('tablist', { name: 'Export formats' }).getByRole('tab', {
      name: 'Shell script',
    }),
  ).toHaveCount(0);
});
