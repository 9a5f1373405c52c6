import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { giveVmIp } from './support/vm-ip';

// Issue 14 §3: the Simulator executes the backend the Export panel prints — one Backend setting
// in both panels, saved with the workspace. The app opens on the docs' FTP-server filter
// 'test-eth0', whose ICMP rule (rule 5: accept out icmp state NEW) the nftables driver also
// writes as a reverse rule `ip protocol icmp ct state new accept` in vnet0-in: a ping towards
// the VM, refused under ebiptables, passes under nftables.

const panels = (page: Page) => page.getByRole('region', { name: 'Panels' });

async function openTab(page: Page, name: string) {
  await panels(page).getByRole('tab', { name }).click();
  await expect(panels(page).getByRole('tabpanel', { name, exact: true })).toBeVisible();
}

async function waitForRun(page: Page, packets: number) {
  await expect(
    panels(page)
      .getByRole('status')
      .filter({ hasText: /packets in|Running/ }),
  ).toHaveText(new RegExp(`^${packets} packets in \\d+ ms$`), { timeout: 30_000 });
}

test('simulator backend: nftables executes the nft rule set, shared with Export, restored on reload with the IP', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  await openTab(page, 'Simulator');
  // The binding gets the VM's address: the filter's own rules from the first packet on.
  await giveVmIp(page);
  const backend = panels(page).getByRole('combobox', { name: 'Firewall backend' });
  await expect(backend).toHaveValue('ebiptables');
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('ping-in');
  // ebiptables: both echo requests are dropped, so their replies are never sent.
  await waitForRun(page, 2);

  await backend.selectOption('nftables');
  await waitForRun(page, 4);
  await panels(page).getByRole('button', { name: 'First packet' }).click();
  const explanation = panels(page).getByRole('region', { name: 'Explanation' });
  await expect(explanation).toContainText('ACCEPT');
  await expect(explanation.locator('.ct-state')).toHaveText('NEW');
  // The path names nft's tables and chains, bridge conntrack first.
  const path = explanation.getByRole('list', { name: 'Path through the hooks' });
  await expect(path).toContainText('conntrack (bridge)');
  await expect(path).toContainText('table bridge libvirt_nwfilter_inet chain postrouting');
  await expect(path).toContainText('oif vmap @vmap-oif: jump vnet0-in');
  await expect(explanation.getByTestId('deciding-rule')).toContainText('test-eth0 · rule 5');
  // …installed as an nft rule with the handle the kernel gives it when the Export's script is loaded.
  const nftRule = explanation.getByTestId('deciding-nft-rule');
  await expect(nftRule).toHaveText(
    /^table bridge libvirt_nwfilter_inet chain vnet0-in handle \d+$/,
  );
  const handle = /handle (\d+)/.exec((await nftRule.textContent()) ?? '')?.[1];
  await expect(path.getByRole('columnheader', { name: 'handle' }).first()).toBeVisible();

  // One setting: the Export panel prints the nftables rules the Simulator just ran.
  await openTab(page, 'Export');
  await expect(panels(page).getByRole('combobox', { name: 'Firewall backend' })).toHaveValue(
    'nftables',
  );
  await expect(panels(page).getByRole('note')).toContainText('The Simulator executes these rules');
  // The script's line of that rule says the same handle and links back to the XML rule.
  await panels(page).getByRole('tab', { name: 'nft script' }).click();
  const ruleLine = panels(page)
    .getByRole('tabpanel', { name: 'nft script export' })
    .locator('li[data-entry="test-eth0#5"]')
    .filter({ hasText: 'ip protocol icmp' })
    .first();
  await ruleLine.hover();
  await expect(panels(page).locator('.export-hint')).toContainText(
    `(rule handle ${handle} once loaded: nft -a list ruleset) comes from test-eth0 · rule 5`,
  );

  // Saved with the workspace.
  await expect
    .poll(() =>
      page.evaluate(() =>
        Object.values(localStorage).some((v) => v.includes('"backend":"nftables"')),
      ),
    )
    .toBe(true);
  await page.reload();
  await openTab(page, 'Simulator');
  await expect(backend).toHaveValue('nftables');
  // The binding's IP came back with it (e2e/reload.spec.ts checks every other setting).
  await expect(
    panels(page)
      .getByRole('group', { name: 'Filter parameters' })
      .getByRole('textbox', { name: 'Value of IP' }),
  ).toHaveValue('10.99.0.2');
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('ping-in');
  await waitForRun(page, 4);

  // A host without nf_conntrack_bridge cannot install the rules: nothing is simulated, and why.
  await panels(page).getByText('Host profile (ipsets, sysctls, events)').click();
  await panels(page)
    .getByRole('textbox', { name: 'Host profile JSON' })
    .fill('{ "nfConntrackBridge": false }');
  await panels(page).getByRole('button', { name: 'Apply host profile' }).click();
  await waitForRun(page, 0);
  await expect(panels(page).locator('.sim-problem').first()).toContainText(
    "Not simulated, the filter cannot be applied: the host's kernel has no nf_conntrack_bridge",
  );
  // The ebiptables backend does not need the module.
  await backend.selectOption('ebiptables');
  await waitForRun(page, 2);
});
