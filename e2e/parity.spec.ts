import type { Page } from '@playwright/test';
import { PARITY_FILTERS } from '../src/core/parity/testing/parity-filters';
import { expect, test } from './support/fixtures';
import { importFilter } from './support/import-filter';
import { openApp, panels, selectedRow } from './support/studio';
import { giveVmIp } from './support/vm-ip';

// The Parity tab (issue 14 §5): the open filter under libvirt's ebiptables driver and under its
// proposed nftables driver — what each XML rule becomes, and the packets that behave differently.

async function openParity(page: Page) {
  await panels(page).getByRole('tab', { name: 'Parity' }).click();
  const panel = panels(page).getByRole('tabpanel', { name: 'Parity', exact: true });
  await expect(panel).toBeVisible();
  return panel;
}

test("parity: the docs' FTP filter rule by rule, each difference linked to its rule", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  // Both sides bind with the VM's address: the filter's own rules, no learning phase.
  await giveVmIp(page);
  const panel = await openParity(page);
  await expect(panel).toContainText(
    "libvirt's proposed nftables driver (series v5/v6, not yet in a release)",
  );
  const list = panel.getByRole('list', { name: 'Rules installed differently' });
  // Rules 1–6 carry explicit states (the driver adds ct direction and reply rules); the final
  // drop (rule 7) is installed alike.
  await expect(list.locator('.parity-rule')).toHaveCount(6, { timeout: 30_000 });
  await expect(list.getByRole('button', { name: 'test-eth0 · rule 7' })).toHaveCount(0);
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/parity.png' });
  const ssh = list.locator('.parity-rule').filter({ hasText: 'test-eth0 · rule 3' });
  await expect(ssh).toContainText('rule only in nftables');
  await expect(ssh).toContainText('tcp sport 21-22 ct direction reply ct state new accept');
  await ssh.getByRole('button', { name: 'test-eth0 · rule 3' }).click();
  await expect(selectedRow(page)).toContainText('tcp dst 21');

  // Both rule sets run every scenario; each packet that differs links both deciding rules.
  const packets = panel.getByRole('region', { name: 'What behaves differently' });
  await expect(packets).toContainText(
    /of \d+ packets \(\d+ runs\) behave differently|All \d+ packets/,
  );
});

test('parity: REJECT written as drop, ipset dropped; a binding only one driver refuses', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await importFilter(page, 'web', PARITY_FILTERS.web);
  const panel = await openParity(page);
  const list = panel.getByRole('list', { name: 'Rules installed differently' });
  await expect(list.locator('.parity-rule')).toHaveCount(2, { timeout: 30_000 });
  const reject = list.locator('.parity-rule').filter({ hasText: 'web · rule 3' });
  await expect(reject).toContainText('other verdict');
  await expect(reject).toContainText('-j REJECT');
  await expect(reject).toContainText('no ICMP error or TCP reset');
  await expect(list.locator('.parity-rule').filter({ hasText: 'web · rule 1' })).toContainText(
    '-m set --match-set admins',
  );
  // The host lacks the ipset: no ebiptables binding, so no packets (and the panel says why).
  await expect(panel.getByRole('region', { name: 'What behaves differently' })).toContainText(
    "the host has no ipset 'admins'",
  );

  await importFilter(page, 'rej', PARITY_FILTERS.rej);
  const table = panel.getByRole('table', { name: 'Packets that behave differently' });
  const ping = page.getByRole('button', { name: 'ping #1 echo request 1', exact: true });
  const row = table.getByRole('row').filter({ has: ping });
  await expect(row).toContainText('reject', { timeout: 30_000 });
  await expect(row.getByRole('cell').nth(2)).toContainText('drop');
  await expect(row.getByRole('button', { name: 'rej · rule 2' })).toHaveCount(2);
  // Over all packets, not only the scenarios': the exact regions REJECT-as-drop changes.
  const regions = panel.getByRole('region', { name: 'Over all packets (exact analysis)' });
  await expect(regions).toContainText(
    /\d+ region\(s\) of the header space meet another verdict \(ebiptables → nftables\)/,
  );
  const region = regions
    .getByRole('list', { name: 'Regions that behave differently' })
    .getByRole('listitem')
    .first();
  await expect(region).toContainText(/ebiptables reject \(rej · rule 2\) → nftables drop/);
  await expect(region.getByRole('button', { name: 'rej · rule 2' })).toHaveCount(2);
  await expect(region.locator('.analysis-cube')).toContainText('eth=ipv4');
  await row.getByRole('button', { name: 'ping #1 echo request 1', exact: true }).click();
  await expect(panels(page).getByRole('tab', { name: 'Simulator' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  const explanation = panels(page).getByRole('region', { name: 'Explanation' });
  await expect(explanation).toContainText('1. echo request 1', { timeout: 30_000 });
  await openParity(page);

  await importFilter(page, 'cont', PARITY_FILTERS.cont);
  await expect(panel).toContainText('ebiptables cannot bind this filter', { timeout: 30_000 });
  await expect(panel.getByRole('alert')).toContainText('NWF331');
  await expect(panel).toContainText('No rule comparison: a backend cannot bind this filter.');
});
