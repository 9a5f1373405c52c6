import type { Page } from '@playwright/test';
import { buildEthernet, buildIcmpEcho, buildIpv4, buildTcp } from '../src/core/packet';
import { encodeFrame } from '../src/core/packet';
import { writePcap } from '../src/core/sim';
import { expect, test } from './support/fixtures';
import { openApp, openTab, panels, rules, selectedRow } from './support/studio';
import { giveVmIp } from './support/vm-ip';

// The panels (issue 7): simulator, lessons, compare, export and lint, docked under the editor.
// The app opens on the docs' FTP-server filter 'test-eth0': a filterref to clean-traffic, six
// accepts and a final drop (rule 7).

const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };
const REMOTE = { mac: '52:54:00:aa:bb:cc', ip: '10.99.0.3' };

async function waitForRun(page: Page, packets: number | RegExp) {
  const text =
    typeof packets === 'number' ? new RegExp(`^${packets} packets in \\d+ ms$`) : packets;
  await expect(
    panels(page)
      .getByRole('status')
      .filter({ hasText: /packets in|Running/ }),
  ).toHaveText(text, { timeout: 30_000 });
}

test('simulator: active FTP stepped through, explanation and highlighted deciding rule', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await openTab(page, 'Simulator');
  // The filter's own rules from the first packet on (no IP learning): the binding gives IP.
  await giveVmIp(page);
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('ftp-active');
  // Without the helper the data connection is dropped: the server sends its SYN ten times, then
  // answers 425 and the client quits — 42 packets.
  await waitForRun(page, 42);
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await expect(diagram.getByRole('button')).toHaveCount(42);

  // Step: first packet, then forward and back.
  await panels(page).getByRole('button', { name: 'First packet' }).click();
  const explanation = panels(page).getByRole('region', { name: 'Explanation' });
  await expect(explanation).toContainText('1. control SYN');
  await expect(explanation).toContainText('ACCEPT');
  await expect(explanation.locator('.ct-state')).toHaveText('NEW');
  await panels(page).getByRole('button', { name: 'Next packet' }).click();
  await expect(explanation).toContainText('2. control SYN/ACK');
  await expect(explanation.locator('.ct-state')).toHaveText('ESTABLISHED');
  await panels(page).getByRole('button', { name: 'Previous packet' }).click();
  await expect(explanation).toContainText('1. control SYN');
  // The SYN was accepted by rule 'tcp dst 21–22 state NEW' (rule 3), now selected in the table.
  await expect(explanation.getByTestId('deciding-rule')).toContainText('test-eth0 · rule 3');
  await expect(selectedRow(page)).toContainText('tcp dst 21');

  // Jump to the data SYN: dropped, NEW (no helper), decided by the final drop (rule 7).
  await diagram
    .getByRole('button', { name: /^Packet 24: data SYN, from the VM, NEW, dropped/ })
    .click();
  await expect(explanation).toContainText('24. data SYN');
  await expect(explanation).toContainText('DROP');
  await expect(explanation.getByTestId('deciding-rule')).toContainText('test-eth0 · rule 7');
  await expect(explanation.getByTestId('deciding-rule')).toContainText('drop inout all');
  await expect(selectedRow(page)).toContainText('drop');
  // The rules tried: the out rule ESTABLISHED,RELATED did not match, the drop did.
  await expect(explanation.locator('tr.is-deciding')).toHaveCount(1);
  await expect(explanation.locator('tr.is-missed').first()).toBeVisible();
  // The conntrack table holds the control connection; no expectation without the helper.
  const ct = panels(page).getByRole('region', { name: 'Conntrack table' });
  await expect(ct).toContainText('10.99.0.3:40001 → 10.99.0.2:21');
  await expect(ct).toContainText('None.');
  // Per-rule hit counts in the rule table.
  await expect(
    rules(page).getByRole('row').filter({ hasText: 'drop' }).locator('.rt-hits'),
  ).toHaveText('10');

  // Clicking another rule in the explanation selects it in the table.
  await panels(page).getByRole('button', { name: 'First packet' }).click();
  await explanation.getByRole('button', { name: 'test-eth0 · rule 3' }).first().click();
  await expect(selectedRow(page)).toContainText('tcp dst 21');

  // Host setting: with the FTP helper the data SYN is RELATED and accepted; live re-run.
  await panels(page)
    .getByRole('checkbox', { name: /FTP helper/ })
    .check();
  await waitForRun(page, 42);
  await diagram.getByRole('button', { name: /data SYN, from the VM, RELATED, accepted/ }).click();
  await expect(explanation).toContainText('ACCEPT');
  await expect(diagram.getByRole('button', { name: /: 226, from the VM/ })).toHaveCount(1);
  await expect(diagram.getByRole('button', { name: /425/ })).toHaveCount(0);
  await expect(ct.locator('.ct-expect')).toHaveCount(0);

  // Live update: deleting the out rule ESTABLISHED,RELATED drops the SYN/ACK of the control connection.
  await rules(page).getByRole('row').filter({ hasText: 'ESTABLISHED,RELATED' }).click();
  await page
    .getByRole('toolbar', { name: 'Rules actions' })
    .getByRole('button', { name: 'Delete' })
    .click();
  // The client sends its SYN again; the server answers each with the same SYN/ACK, dropped.
  await waitForRun(page, 22);
  await expect(
    diagram.getByRole('button', {
      name: /control SYN\/ACK( \(again\))?, from the VM, ESTABLISHED, dropped/,
    }),
  ).toHaveCount(11);
  await page.keyboard.press('Control+z');
  await waitForRun(page, 42);

  await panels(page)
    .getByRole('checkbox', { name: /FTP helper/ })
    .uncheck();
  await waitForRun(page, 42);
  await diagram
    .getByRole('button', { name: /^Packet 24: data SYN, from the VM, NEW, dropped/ })
    .click();
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/simulator.png' });
});

test('simulator: a custom packet and play/pause', async ({ page }) => {
  await openApp(page);
  await giveVmIp(page);
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('__custom');
  const builder = panels(page).getByRole('group', { name: 'Custom packets' });
  const first = builder.getByRole('group', { name: 'Custom packet 1' });
  await first.getByLabel('Destination port').fill('80');
  await builder.getByRole('button', { name: 'Add packet' }).click();
  const second = builder.getByRole('group', { name: 'Custom packet 2' });
  await second.getByLabel('Protocol').selectOption('icmp');
  await second.getByLabel('Side').selectOption('to-vm');
  await builder.getByRole('button', { name: 'Send packets' }).click();
  await waitForRun(page, 2);
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  // HTTP SYN towards the VM: NEW, accepted by 'tcp dst 80 state NEW'; a ping towards the VM: dropped.
  await expect(
    diagram.getByRole('button', { name: /tcp 40000→80 SYN, to the VM, NEW, accepted/ }),
  ).toHaveCount(1);
  await expect(
    diagram.getByRole('button', { name: /icmp type 8\/0, to the VM, NEW, dropped/ }),
  ).toHaveCount(1);
  await panels(page).getByRole('button', { name: 'First packet' }).click();
  await panels(page).getByRole('button', { name: 'Play' }).click();
  await expect(panels(page).getByLabel('Jump to packet')).toHaveValue('2', { timeout: 5000 });
  await expect(panels(page).getByRole('button', { name: 'Play' })).toBeVisible();
});

test('simulator: a pcap opened from a file', async ({ page }) => {
  await openApp(page);
  await giveVmIp(page);
  const fromVm = (l4: Parameters<typeof buildIpv4>[1]) =>
    encodeFrame(
      buildEthernet(
        { src: VM.mac, dst: REMOTE.mac },
        buildIpv4({ src: VM.ip, dst: REMOTE.ip }, l4),
      ),
    );
  const toVm = (l4: Parameters<typeof buildIpv4>[1]) =>
    encodeFrame(
      buildEthernet(
        { src: REMOTE.mac, dst: VM.mac },
        buildIpv4({ src: REMOTE.ip, dst: VM.ip }, l4),
      ),
    );
  const frames = [
    { tsSec: 1_763_740_000, tsFrac: 0, data: fromVm(buildIcmpEcho({ id: 7, seq: 1 })) },
    {
      tsSec: 1_763_740_000,
      tsFrac: 1000,
      data: toVm(buildIcmpEcho({ id: 7, seq: 1, reply: true })),
    },
    {
      tsSec: 1_763_740_001,
      tsFrac: 0,
      data: toVm(buildTcp({ sport: 40000, dport: 23, flags: 'SYN', seq: 1 })),
    },
  ];
  const pcap = writePcap(frames.map((f) => ({ ...f, origLen: f.data.length })));
  await panels(page)
    .getByLabel('Open a pcap file')
    .setInputFiles({
      name: 'ping-telnet.pcap',
      mimeType: 'application/vnd.tcpdump.pcap',
      buffer: Buffer.from(pcap),
    });
  await waitForRun(page, 3);
  await expect(
    panels(page).getByRole('heading', { name: 'Capture ping-telnet.pcap' }),
  ).toBeVisible();
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await expect(
    diagram.getByRole('button', { name: /record 1, from the VM, NEW, accepted/ }),
  ).toHaveCount(1);
  await expect(
    diagram.getByRole('button', { name: /record 2, to the VM, ESTABLISHED, accepted/ }),
  ).toHaveCount(1);
  await expect(
    diagram.getByRole('button', { name: /record 3, to the VM, NEW, dropped/ }),
  ).toHaveCount(1);
});

test('learn: the FTP lesson asks for a prediction, then reveals it with the trace', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await openApp(page);
  await openTab(page, 'Learn');
  await panels(page)
    .getByRole('navigation', { name: 'Lessons' })
    .getByRole('button', { name: /two FTP-server solutions/ })
    .click();
  // The lesson opens the docs' first FTP solution (added to the workspace, named after the lesson) and its scenario.
  await expect(page.getByRole('heading', { name: 'lesson-ftp-helper' })).toBeVisible();
  await expect(rules(page).getByRole('row').filter({ hasText: 'tcp src 20' })).toHaveCount(1);
  const reveal = panels(page).getByRole('button', { name: 'Reveal' });
  await expect(reveal).toBeDisabled();
  await panels(page).getByRole('radio', { name: 'Accepted' }).check();
  await panels(page).getByRole('radio', { name: 'Dropped' }).check();
  await expect(reveal).toBeEnabled({ timeout: 30_000 });
  await reveal.click();
  const answer = panels(page).getByRole('region', { name: 'Answer' });
  await expect(answer.getByRole('status')).toContainText(
    'Right: packet 24 “data SYN” is dropped (conntrack state NEW)',
  );
  await expect(answer).toContainText('no expectation exists');
  await expect(answer.getByRole('region', { name: 'Explanation' })).toContainText('DROP');
  await expect(answer.getByTestId('deciding-rule')).toContainText('lesson-ftp-helper · rule 8');
  await expect(selectedRow(page)).toContainText('drop');
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/lesson.png' });

  // Predict again after switching the helper on: the same packet is now RELATED and accepted.
  await panels(page).getByRole('button', { name: 'Predict again' }).click();
  await openTab(page, 'Simulator');
  await panels(page)
    .getByRole('checkbox', { name: /FTP helper/ })
    .check();
  await waitForRun(page, 42);
  await openTab(page, 'Learn');
  await panels(page).getByRole('radio', { name: 'Dropped' }).check();
  await panels(page).getByRole('button', { name: 'Reveal' }).click();
  await expect(
    panels(page).getByRole('region', { name: 'Answer' }).getByRole('status'),
  ).toContainText('Not quite: packet 24 “data SYN” is accepted (conntrack state RELATED)');
});

test('compare: the current filter against the previous undo step lists verdict changes', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await openApp(page);
  await giveVmIp(page);
  await rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' }).click();
  await page
    .getByRole('toolbar', { name: 'Rules actions' })
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(0);
  const compare = panels(page).getByRole('region', { name: 'Compare' });
  await compare.getByRole('combobox', { name: 'Version to compare with' }).selectOption('history');
  await compare.getByRole('button', { name: 'Compare' }).click();
  // No scenario talks HTTP: deleting the port 80 rule changes nothing.
  await expect(compare.getByRole('status')).toContainText(
    /No verdict changes across \d+ scenarios/,
    {
      timeout: 30_000,
    },
  );

  // Deleting the in rule for ports 21-22 drops FTP and SSH towards the VM.
  await rules(page).getByRole('row').filter({ hasText: 'tcp dst 21' }).click();
  await page
    .getByRole('toolbar', { name: 'Rules actions' })
    .getByRole('button', { name: 'Delete' })
    .click();
  await compare.getByRole('button', { name: 'Compare' }).click();
  const changes = compare.getByRole('table', { name: 'Verdict changes' });
  await expect(changes).toBeVisible({ timeout: 30_000 });
  await expect(
    changes.getByRole('row').filter({ hasText: 'ssh' }).filter({ hasText: 'ssh SYN' }).first(),
  ).toContainText('acceptdrop');
  // The saved version (the workspace as the page opened) has both rules: the same SSH change.
  await compare.getByRole('combobox', { name: 'Version to compare with' }).selectOption('opened');
  await compare.getByRole('button', { name: 'Compare' }).click();
  await expect(
    changes.getByRole('row').filter({ hasText: 'ssh' }).filter({ hasText: 'ssh SYN' }).first(),
  ).toContainText('acceptdrop');
  // Pasted XML: an accept-all filter under the same name.
  await compare.getByRole('combobox', { name: 'Version to compare with' }).selectOption('pasted');
  await compare
    .getByRole('textbox', { name: 'Filter XML to compare with' })
    .fill(
      "<filter name='test-eth0'><rule action='accept' direction='inout'><all/></rule></filter>",
    );
  await compare.getByRole('button', { name: 'Compare' }).click();
  await expect(compare.getByRole('status')).toContainText(
    /packet\(s\) change verdict across \d+ scenarios/,
  );
  await expect(changes.getByRole('row').filter({ hasText: 'ping-in' }).first()).toContainText(
    'acceptdrop',
  );
});

test('export: formats, copy, download and line↔rule highlighting', async ({ page }) => {
  test.setTimeout(90_000);
  await openApp(page);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openTab(page, 'Export');
  const formats = panels(page).getByRole('tablist', { name: 'Export formats' });
  for (const name of [
    'XML',
    'libvirt commands',
    'Shell script',
    'ebtables',
    'iptables',
    'ip6tables',
    'virsh & domain',
  ]) {
    await expect(formats.getByRole('tab', { name })).toBeVisible();
  }
  await formats.getByRole('tab', { name: 'Shell script' }).click();
  const text = panels(page).getByRole('tabpanel', { name: 'Shell script export' });
  await expect(text).toContainText('iptables -w -A FI-vnet0');

  // Hover a line that came from the final drop: the hint names the rule and the table row is marked.
  const dropLine = text.locator('li[data-entry="test-eth0#7"]').first();
  await dropLine.hover();
  await expect(panels(page).locator('.export-hint')).toContainText(
    'comes from test-eth0 · rule 7: drop inout all',
  );
  await expect(rules(page).locator('.rt-row.is-hinted')).toContainText('drop');
  // Clicking it selects the rule; the rule's lines are highlighted.
  await dropLine.click();
  await expect(selectedRow(page)).toContainText('drop');
  const selectedLines = text.locator('li.is-rule-selected');
  await expect(selectedLines.first()).toBeVisible();
  expect(await selectedLines.count()).toBeGreaterThanOrEqual(2);
  // Selecting a rule in the table highlights its lines.
  await rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' }).click();
  await expect(text.locator('li.is-rule-selected')).toHaveCount(
    await text.locator('li[data-entry="test-eth0#4"]').count(),
  );
  await expect(text.locator('li.is-rule-selected').first()).toContainText('--dport 80');

  // Copy and download.
  await panels(page).getByRole('button', { name: 'Copy' }).click();
  await expect(panels(page).getByRole('button', { name: 'Copied' })).toBeVisible();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  expect(clip).toContain('#!/bin/sh');
  expect(clip).toContain('iptables -w -A FI-vnet0');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panels(page).getByRole('button', { name: 'Download test-eth0-vnet0.sh' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('test-eth0-vnet0.sh');

  // The separate parts and the virsh snippet.
  await formats.getByRole('tab', { name: 'ebtables' }).click();
  const eb = panels(page).getByRole('tabpanel', { name: 'ebtables export' });
  await expect(eb).toContainText('ebtables --concurrent -t nat -N libvirt-I-vnet0');
  await expect(eb).not.toContainText('iptables -w');
  // No IPv6 rule in this filter: libvirt installs no ip6tables rules for it.
  await formats.getByRole('tab', { name: 'ip6tables' }).click();
  await expect(panels(page).getByText('No ip6tables rules')).toBeVisible();
  await formats.getByRole('tab', { name: 'virsh & domain' }).click();
  const virsh = panels(page).getByRole('tabpanel', { name: 'virsh & domain export' });
  await expect(virsh).toContainText('virsh nwfilter-define test-eth0.xml');
  await expect(virsh).toContainText("<filterref filter='test-eth0'>");
  // The app's filter binds without IP: the snippet says that libvirt learns it.
  await expect(virsh).toContainText('<!-- IP: not set, libvirt learns it (CTRL_IP_LEARNING=any');
  await expect(virsh).not.toContainText("<parameter name='IP'");
  await formats.getByRole('tab', { name: 'XML' }).click();
  await expect(panels(page).getByRole('tabpanel', { name: 'XML export' })).toContainText(
    "<filter name='test-eth0' chain='root'>",
  );

  await formats.getByRole('tab', { name: 'Shell script' }).click();
  await text.locator('li[data-entry="test-eth0#4"]').first().hover();
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/export.png' });
});

test('export: the nftables backend (proposed driver) prints its own formats, labelled', async ({
  page,
}) => {
  // Six states with long rule listings for the axe watch to scan.
  test.setTimeout(120_000);
  await openApp(page);
  await openTab(page, 'Export');
  const backend = panels(page).getByRole('combobox', { name: 'Firewall backend' });
  await expect(backend).toHaveValue('ebiptables');
  await backend.selectOption('nftables');
  const formats = panels(page).getByRole('tablist', { name: 'Export formats' });
  await expect(formats.getByRole('tab', { name: 'nft script' })).toBeVisible();
  await expect(formats.getByRole('tab', { name: 'ebtables' })).toHaveCount(0);
  await expect(panels(page).getByRole('note').filter({ hasText: 'nftables' })).toContainText(
    "libvirt's proposed nftables driver (series v5/v6, not yet in a release)",
  );
  await formats.getByRole('tab', { name: 'nft script' }).click();
  const text = panels(page).getByRole('tabpanel', { name: 'nft script export' });
  await expect(text).toContainText('table bridge libvirt_nwfilter_inet {');
  await expect(text).toContainText('elements = { "vnet0" : jump vnet0-in }');
  // The final drop (rule 7, inout all) is in both root chains; its lines point at the rule.
  const dropLines = text.locator('li[data-entry="test-eth0#7"]');
  expect(await dropLines.count()).toBe(2);
  await expect(dropLines.first()).toContainText('ether type ip drop');
  await dropLines.first().click();
  await expect(selectedRow(page)).toContainText('drop');
  await formats.getByRole('tab', { name: 'libvirt commands (nft)' }).click();
  await expect(
    panels(page).getByRole('tabpanel', { name: 'libvirt commands (nft) export' }),
  ).toContainText('n-vnet0-in');
  await formats.getByRole('tab', { name: 'nft script' }).click();
  await text.locator('li[data-entry="test-eth0#4"]').first().hover();
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/export-nftables.png' });
  // Back to the default backend: the ebiptables formats return.
  await backend.selectOption('ebiptables');
  await expect(formats.getByRole('tab', { name: 'ebtables' })).toBeVisible();
  await expect(panels(page).getByRole('note').filter({ hasText: 'nftables' })).toHaveCount(0);
});

test('lint: findings with code, severity, message and links that select the rule', async ({
  page,
}) => {
  await openApp(page);
  // The DNS-for-SSH lesson's filter: SSH in, no DNS out.
  await openTab(page, 'Learn');
  await panels(page)
    .getByRole('navigation', { name: 'Lessons' })
    .getByRole('button', { name: 'DNS for SSH' })
    .click();
  await expect(page.getByRole('heading', { name: 'lesson-dns-for-ssh' })).toBeVisible();
  await openTab(page, 'Lint');
  const findings = panels(page).getByRole('list', { name: 'Lint findings' });
  const dns = findings.getByRole('listitem').filter({ hasText: 'NWF504' });
  await expect(dns).toHaveCount(1);
  await expect(dns).toContainText('warning');
  await expect(dns).toContainText(/DNS/);
  await dns
    .getByRole('button', { name: /lesson-dns-for-ssh · rule \d+/ })
    .first()
    .click();
  await expect(selectedRow(page)).toContainText('tcp dst 22');
  await page.waitForTimeout(200);
  await page.screenshot({ path: 'docs/screenshots/lint.png' });

  // The docs' FTP filter: DHCP requests dropped under clean-traffic (NWF507), linked to the drop.
  await page.getByRole('button', { name: /^test-eth0 \d+$/ }).click();
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  const dhcp = findings.getByRole('listitem').filter({ hasText: 'NWF507' });
  await expect(dhcp).toContainText('DHCP');
  await dhcp.getByRole('button', { name: 'test-eth0 · rule 7' }).click();
  await expect(selectedRow(page)).toContainText('drop');
  // Without the helper the docs' second solution loses active FTP (NWF502, at the
  // ESTABLISHED,RELATED accept) and passive FTP (NWF514, at the ESTABLISHED-only accept).
  const active = findings.getByRole('listitem').filter({ hasText: 'NWF502' });
  await expect(active).toContainText('under the second solution too');
  await active.getByRole('button', { name: 'test-eth0 · rule 2' }).click();
  await expect(selectedRow(page)).toContainText('ESTABLISHED,RELATED');
  const passive = findings.getByRole('listitem').filter({ hasText: 'NWF514' });
  await expect(passive).toContainText('Passive-mode FTP');
  await passive.getByRole('button', { name: 'test-eth0 · rule 1' }).click();
  await expect(selectedRow(page)).toContainText('ESTABLISHED');
});

test('panels are keyboard operable: tabs with arrow keys, diagram with arrows', async ({
  page,
}) => {
  await openApp(page);
  const simTab = panels(page).getByRole('tab', { name: 'Simulator' });
  await simTab.focus();
  await page.keyboard.press('ArrowRight');
  await expect(panels(page).getByRole('tab', { name: 'Analysis' })).toBeFocused();
  await expect(panels(page).getByRole('tab', { name: 'Analysis' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await page.keyboard.press('ArrowLeft');
  await waitForRun(page, 42);
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await diagram.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(panels(page).getByLabel('Jump to packet')).toHaveValue('3');
});

// The axe watch of the fixture scans each state this test visits.
test('every panel visited: the Simulator at its last packet, a lesson revealed, Export, Lint', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(page);
  await waitForRun(page, 42);
  await panels(page).getByRole('button', { name: 'Last packet' }).click();
  await expect(panels(page).getByLabel('Jump to packet')).toHaveValue('42');
  await openTab(page, 'Learn');
  await panels(page)
    .getByRole('navigation', { name: 'Lessons' })
    .getByRole('button', { name: /Connection tracking/ })
    .click();
  await panels(page).getByRole('radio', { name: 'Accepted' }).check();
  await expect(panels(page).getByRole('button', { name: 'Reveal' })).toBeEnabled({
    timeout: 30_000,
  });
  await panels(page).getByRole('button', { name: 'Reveal' }).click();
  await expect(panels(page).getByRole('region', { name: 'Answer' })).toBeVisible();
  await openTab(page, 'Export');
  await openTab(page, 'Lint');
});
