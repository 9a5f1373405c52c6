import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { openApp, openTab, panels, rules, selectedRow } from './support/studio';
import { giveVmIp } from './support/vm-ip';

// The Analysis panel (issue 17): exact answers over all packets for the open filter, the docs'
// FTP-server filter 'test-eth0' (clean-traffic; in: ESTABLISHED, tcp 21-22 NEW (rule 3),
// tcp 80 NEW (rule 4); out: ESTABLISHED,RELATED, icmp, udp 53; rule 7 drops the rest).

async function openAnalysis(page: Page) {
  await openTab(page, 'Analysis');
}

/** Waits until the named answer is computed (not "Analysing…"). */
async function waitForAnswer(page: Page, what: string) {
  await expect(panels(page).getByRole('status', { name: `${what} status` })).toHaveText(
    /^exact, over all packets, in \d+ ms$/,
    { timeout: 30_000 },
  );
}

async function deleteRule(page: Page, text: string) {
  await rules(page).getByRole('row').filter({ hasText: text }).click();
  await page
    .getByRole('toolbar', { name: 'Rules actions' })
    .getByRole('button', { name: 'Delete' })
    .click();
}

test('Allowed: the exact traffic per path, linked to its rules, updated as the filter is edited', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await openAnalysis(page);
  await waitForAnswer(page, 'Allowed');
  const toVm = panels(page).getByRole('table', { name: 'New connections to the VM (bridged)' });
  // One row: TCP to ports 21-22 and 80, new connections, accepted by rules 3 and 4.
  await expect(toVm.getByRole('row')).toHaveCount(2);
  await expect(toVm).toContainText('21-22, 80');
  await expect(toVm).toContainText('tcp');
  await expect(toVm.getByRole('button', { name: 'test-eth0 · rule 4' })).toBeVisible();
  const fromVm = panels(page).getByRole('table', {
    name: 'New connections from the VM (bridged)',
  });
  await expect(fromVm).toContainText('udp');
  await expect(fromVm).toContainText('53');
  await expect(fromVm).toContainText('icmp');
  // Layer 2 from the VM: ARP and RARP, as clean-traffic lets them out.
  await expect(
    panels(page).getByRole('table', { name: 'Layer 2 from the VM (bridged)' }),
  ).toContainText('arp');

  // A region's rule link selects the rule in the table.
  await toVm.getByRole('button', { name: 'test-eth0 · rule 3' }).click();
  await expect(selectedRow(page)).toContainText('tcp dst 21');

  // Live: without the HTTP rule, port 80 is no longer allowed in.
  await deleteRule(page, 'dst 80');
  await expect(toVm).not.toContainText('80', { timeout: 30_000 });
  await waitForAnswer(page, 'Allowed');
  await expect(toVm).toContainText('21-22');
  await page.keyboard.press('Control+z');
  await expect(toVm).toContainText('21-22, 80', { timeout: 30_000 });
  await waitForAnswer(page, 'Allowed');

  await panels(page)
    .getByRole('region', { name: 'Allowed traffic' })
    .evaluate((e) => e.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/analysis.png' });
});

test('What changed: regions against an earlier version, each witness replayed in the simulator', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await openAnalysis(page);
  const changed = panels(page).getByRole('region', { name: 'What changed' });
  // Nothing changed yet against the saved workspace.
  await changed.getByRole('combobox', { name: 'Version to compare with' }).selectOption('opened');
  await changed.getByRole('button', { name: 'Show what changed' }).click();
  await waitForAnswer(page, 'What changed');
  await expect(changed).toContainText(
    'Equivalent to the saved version: no packet changes its verdict.',
  );

  // Without rule 3 (SSH/FTP): those connections to the VM go to the final drop.
  await deleteRule(page, 'dst 21');
  await changed.getByRole('combobox', { name: 'Version to compare with' }).selectOption('history');
  await changed.getByRole('button', { name: 'Show what changed' }).click();
  await waitForAnswer(page, 'What changed');
  await expect(changed).toContainText(/\d+ region\(s\) change verdict against 1 undo step/);
  const region = changed
    .getByRole('listitem')
    .filter({ hasText: 'to the VM (bridged)' })
    .filter({ hasText: 'dport=21-22' })
    .first();
  await expect(region).toContainText('before accept (test-eth0 · rule 3) → now drop');
  await expect(region.getByRole('button', { name: 'test-eth0 · rule 6' })).toBeVisible();

  // The witness, replayed: the simulator shows the drop by the final rule (now rule 6).
  await region.getByRole('button', { name: /^Replay witness \d+ in the simulator$/ }).click();
  await expect(panels(page).getByRole('tab', { name: 'Simulator' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(panels(page).getByRole('combobox', { name: 'Scenario' })).toHaveValue('__witness');
  const explanation = panels(page).getByRole('region', { name: 'Explanation' });
  await expect(explanation).toContainText('DROP', { timeout: 30_000 });
  await expect(explanation.getByTestId('deciding-rule')).toContainText('test-eth0 · rule 6');

  // The same difference against the pasted original filter.
  await openAnalysis(page);
  await changed.getByRole('combobox', { name: 'Version to compare with' }).selectOption('pasted');
  await changed.getByRole('textbox', { name: 'Filter XML to compare with' }).fill(
    `<filter name='test-eth0'><filterref filter='clean-traffic'/>
      <rule action='accept' direction='in'><all state='ESTABLISHED'/></rule>
      <rule action='accept' direction='out'><all state='ESTABLISHED,RELATED'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='21' dstportend='22' state='NEW'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='80' state='NEW'/></rule>
      <rule action='accept' direction='out'><icmp state='NEW'/></rule>
      <rule action='accept' direction='out'><udp dstportstart='53' state='NEW'/></rule>
      <rule action='drop' direction='inout'><all/></rule></filter>`,
  );
  await changed.getByRole('button', { name: 'Show what changed' }).click();
  await waitForAnswer(page, 'What changed');
  await expect(changed).toContainText(/region\(s\) change verdict against the pasted test-eth0/);
});

test('Can X reach Y: from a custom packet, then widened to ranges', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  // The custom packet is simulated with the filter's own rules (no IP learning) to compare.
  await giveVmIp(page);
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('__custom');
  const builder = panels(page).getByRole('group', { name: 'Custom packets' });
  // The default custom packet: remote → VM, TCP 40000 → 22, SYN.
  await builder.getByRole('button', { name: 'Can packet 1 reach?' }).click();
  await expect(panels(page).getByRole('tab', { name: 'Analysis' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  const reach = panels(page).getByRole('region', { name: 'Can it reach' });
  const query = reach.getByRole('group', { name: 'Reach query' });
  await expect(query.getByRole('textbox', { name: 'Destination port' })).toHaveValue('22');
  await expect(query.getByRole('textbox', { name: 'Source', exact: true })).toHaveValue(
    '10.99.0.3',
  );
  await waitForAnswer(page, 'Reach');
  const answer = reach.getByTestId('reach-answer');
  await expect(answer).toContainText('Yes: every packet of the query is accepted.');
  await expect(answer.getByRole('button', { name: 'test-eth0 · rule 3' })).toBeVisible();

  // Ranges: any source in 10.0.0.0/8 to ports 20-22 — 21-22 accepted, 20 dropped by rule 7.
  await query.getByRole('textbox', { name: 'Source', exact: true }).fill('10.0.0.0/8');
  await query.getByRole('textbox', { name: 'Destination port' }).fill('20-22');
  await query.getByRole('button', { name: 'Can it reach?' }).click();
  await expect(answer).toContainText('Partly', { timeout: 30_000 });
  const dropped = answer.getByRole('listitem').filter({ hasText: 'drop' });
  await expect(dropped).toContainText('dport=20');
  await expect(dropped.getByRole('button', { name: 'test-eth0 · rule 7' })).toBeVisible();

  // A query that does not parse says what is wrong, nothing else.
  await query.getByRole('textbox', { name: 'Destination port' }).fill('70000');
  await query.getByRole('textbox', { name: 'Destination port' }).press('Enter');
  await expect(reach.getByRole('alert')).toContainText("'70000' is not a port", {
    timeout: 30_000,
  });
  await expect(answer).toHaveCount(0);

  // Port 23: no; the witness replayed in the simulator is dropped by rule 7.
  await query.getByRole('textbox', { name: 'Destination port' }).fill('23');
  await query.getByRole('button', { name: 'Can it reach?' }).click();
  await expect(answer).toContainText('No: no packet of the query is accepted.', {
    timeout: 30_000,
  });
  await answer.getByRole('button', { name: 'Replay witness of part 1 in the simulator' }).click();
  const explanation = panels(page).getByRole('region', { name: 'Explanation' });
  await expect(explanation).toContainText('DROP', { timeout: 30_000 });
  await expect(explanation.getByTestId('deciding-rule')).toContainText('test-eth0 · rule 7');
  await openAnalysis(page);
});

test('under the nftables backend: the exact traffic of the nft rule set, and why a host without nf_conntrack_bridge has none', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await giveVmIp(page);
  await openAnalysis(page);
  await waitForAnswer(page, 'Allowed');
  const backend = panels(page).getByRole('combobox', { name: 'Firewall backend' });
  await expect(backend).toHaveValue('ebiptables');
  const toVm = panels(page).getByRole('table', { name: 'New connections to the VM (bridged)' });
  await expect(toVm.getByRole('row')).toHaveCount(2);

  // The same filter as libvirt's proposed nftables driver installs it: rule 5 (ICMP out, NEW)
  // has no `ct direction` and its reverse rule keeps `ct state new`, so new ICMP to the VM passes.
  await backend.selectOption('nftables');
  await waitForAnswer(page, 'Allowed');
  await expect(toVm.getByRole('row')).toHaveCount(3, { timeout: 30_000 });
  await expect(toVm).toContainText('21-22, 80');
  const icmp = toVm.getByRole('row').filter({ hasText: 'icmp' });
  await expect(icmp.getByRole('button', { name: 'test-eth0 · rule 5' })).toBeVisible();
  await expect(panels(page).getByRole('region', { name: 'Allowed traffic' })).not.toContainText(
    'cannot model',
  );

  // Can X reach Y under nftables: SSH to the VM, by rule 3.
  const reach = panels(page).getByRole('region', { name: 'Can it reach' });
  const query = reach.getByRole('group', { name: 'Reach query' });
  await query.getByRole('combobox', { name: 'Protocol' }).selectOption('tcp');
  await query.getByRole('textbox', { name: 'Destination port' }).fill('22');
  await query.getByRole('button', { name: 'Can it reach?' }).click();
  await waitForAnswer(page, 'Reach');
  const answer = reach.getByTestId('reach-answer');
  await expect(answer).toContainText('Yes: every packet of the query is accepted.');
  await expect(answer.getByRole('button', { name: 'test-eth0 · rule 3' })).toBeVisible();

  // A host whose kernel lacks nf_conntrack_bridge refuses the rules: no answer, and NWF521 says why.
  await openTab(page, 'Simulator');
  await panels(page).getByText('Host profile (ipsets, sysctls, events)').click();
  await panels(page)
    .getByRole('textbox', { name: 'Host profile JSON' })
    .fill('{ "nfConntrackBridge": false }');
  await panels(page).getByRole('button', { name: 'Apply host profile' }).click();
  await openAnalysis(page);
  const allowed = panels(page).getByRole('region', { name: 'Allowed traffic' });
  await expect(allowed.getByRole('alert')).toContainText(
    "NWF521: the host's kernel has no nf_conntrack_bridge",
    { timeout: 30_000 },
  );
  await expect(toVm).toHaveCount(0);
  // The ebiptables backend does not need the module.
  await backend.selectOption('ebiptables');
  await expect(toVm.getByRole('row')).toHaveCount(2, { timeout: 30_000 });
});
