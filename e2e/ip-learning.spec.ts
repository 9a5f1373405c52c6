import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { openApp, openTab, panels } from './support/studio';

// Issue 18: IP address learning. The app opens on the docs' FTP-server filter, which references
// clean-traffic and, as its comment says, gives no IP: libvirt learns it.

test.describe.configure({ timeout: 90_000 });

async function setParam(page: Page, name: string, value: string) {
  const params = panels(page).getByRole('group', { name: 'Filter parameters' });
  await params.getByRole('button', { name: 'Add parameter' }).click();
  await params
    .getByRole('textbox', { name: /^Parameter \d+ name$/ })
    .last()
    .fill(name);
  const input = params.getByRole('textbox', { name: `Value of ${name}` });
  await input.fill(value);
  await input.press('Enter');
}

test('the default filter simulates without IP: the learning phases on the timeline and in the diagram', async ({
  page,
}) => {
  await openApp(page);
  const learning = panels(page).getByRole('region', { name: 'IP learning' });
  await expect(learning).toContainText('the binding has no IP; CTRL_IP_LEARNING=any', {
    timeout: 30_000,
  });
  const phases = learning.getByRole('listitem');
  await expect(phases.nth(0)).toContainText(
    'learning (CTRL_IP_LEARNING=any; rules in force: from the VM only IPv4 and ARP',
  );
  await expect(phases.nth(1)).toContainText('learned 10.99.0.2 from packet 2 (IPv4 from the VM)');
  await expect(phases.nth(2)).toContainText('rules rebuilt with IP=10.99.0.2');
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await expect(diagram.locator('.seq-phase')).toHaveCount(3);
  await expect(diagram.locator('.seq-phase-text').nth(2)).toHaveText(
    'rules rebuilt (IP=10.99.0.2)',
  );
  // While learning no iptables rule exists: the first SYN passes untracked.
  await expect(
    diagram.getByRole('button', { name: /^Packet 1: control SYN, to the VM, untracked, accepted/ }),
  ).toHaveCount(1);
  // The phase's link moves to the first packet under the rebuilt rules.
  await phases.nth(2).getByRole('button', { name: 'Go to packet 3' }).click();
  await expect(panels(page).getByRole('region', { name: 'Explanation' })).toContainText(
    '3. control ACK',
  );
  // The binding preview: MAC from the interface, IP learned, the learning controls optional.
  const preview = panels(page).getByRole('table', { name: 'Binding parameters' });
  await expect(preview.getByRole('row', { name: /^IP / })).toContainText('learned by libvirt');
  await expect(preview.getByRole('row', { name: /^MAC / })).toContainText('set');
  await expect(preview.getByRole('row', { name: /^CTRL_IP_LEARNING / })).toContainText('optional');
});

test('a rogue DHCP server under CTRL_IP_LEARNING=dhcp: DHCPSERVER keeps its replies away', async ({
  page,
}) => {
  await openApp(page);
  await setParam(page, 'CTRL_IP_LEARNING', 'dhcp');
  await setParam(page, 'DHCPSERVER', '10.99.0.3');
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('dhcp-rogue-server');
  const learning = panels(page).getByRole('region', { name: 'IP learning' });
  await expect(learning).toContainText('CTRL_IP_LEARNING=dhcp, DHCPSERVER=10.99.0.3', {
    timeout: 30_000,
  });
  await expect(learning).toContainText('replies from 10.99.0.3 (UDP 67 → 68)');
  await expect(learning).toContainText('learned 10.99.0.2 from packet 5 (DHCPACK, lease 3600 s)');
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await expect(
    diagram.getByRole('button', {
      name: /DHCPOFFER from the rogue 10\.99\.0\.67, to the VM, untracked, dropped/,
    }),
  ).toHaveCount(1);
});

test('the IP-learning lesson: the lease the filter does not let the VM renew', async ({ page }) => {
  await openApp(page);
  await openTab(page, 'Learn');
  await panels(page)
    .getByRole('navigation', { name: 'Lessons' })
    .getByRole('button', { name: /IP learning: a DHCP lease/ })
    .click();
  await panels(page).getByRole('radio', { name: 'Dropped' }).check();
  const reveal = panels(page).getByRole('button', { name: 'Reveal' });
  await expect(reveal).toBeEnabled({ timeout: 30_000 });
  await reveal.click();
  const answer = panels(page).getByRole('region', { name: 'Answer' });
  await expect(answer.getByRole('status')).toContainText('Right: packet');
  await expect(answer).toContainText('libvirt then put the DHCP-only rules back');
  await openTab(page, 'Simulator');
  const learning = panels(page).getByRole('region', { name: 'IP learning' });
  await expect(learning).toContainText('lease of 10.99.0.2 expired');
  await expect(learning).toContainText('learning again (CTRL_IP_LEARNING=dhcp');
});

test('export without IP: the rules after learning, the rules while learning, and the domain snippet', async ({
  page,
}) => {
  await openApp(page);
  await openTab(page, 'Export');
  await expect(
    panels(page).getByRole('note').filter({ hasText: 'libvirt learns it' }),
  ).toContainText('These are the rules after it learned 10.99.0.2');
  const formats = panels(page).getByRole('tablist', { name: 'Export formats' });
  await formats.getByRole('tab', { name: 'While learning' }).click();
  const learningText = panels(page).getByRole('tabpanel', { name: 'While learning export' });
  await expect(learningText).toContainText('-A libvirt-J-vnet0');
  await expect(learningText).toContainText('-p ARP');
  await formats.getByRole('tab', { name: 'Shell script' }).click();
  await expect(panels(page).getByRole('tabpanel', { name: 'Shell script export' })).toContainText(
    '--ip-source 10.99.0.2',
  );
});

// Issue 14 §3: learning under libvirt's proposed nftables driver — its own learning rules
// (nftablesApplyBasicRules: from the VM everything but a forged source MAC passes), executed
// through the bridge tables' verdict maps; the rebuilt rules are the nftables driver's too.
test('nftables backend without IP: the driver’s learning rules in the timeline, the trace and the Export', async ({
  page,
}) => {
  await openApp(page);
  await openTab(page, 'Simulator');
  const backend = panels(page).getByRole('combobox', { name: 'Firewall backend' });
  await backend.selectOption('nftables');
  const learning = panels(page).getByRole('region', { name: 'IP learning' });
  const phases = learning.getByRole('listitem');
  await expect(phases.nth(0)).toContainText(
    'learning (CTRL_IP_LEARNING=any; rules in force: from the VM everything but frames with another source MAC than 52:54:00:11:22:33 (IPv6 too)',
    { timeout: 30_000 },
  );
  await expect(phases.nth(1)).toContainText('learned 10.99.0.2 from packet 2 (IPv4 from the VM)');
  await expect(phases.nth(2)).toContainText('rules rebuilt with IP=10.99.0.2');
  // Packet 1 meets the learning rules: the map lookup jumps to the port's chain, which accepts;
  // no ct rule is installed yet, so bridge conntrack does not see it.
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await diagram
    .getByRole('button', { name: /^Packet 1: control SYN, to the VM, untracked, accepted/ })
    .click();
  const path = panels(page)
    .getByRole('region', { name: 'Explanation' })
    .getByRole('list', { name: 'Path through the hooks' });
  await expect(path).toContainText('table bridge libvirt_nwfilter_ethernet chain postrouting');
  await expect(path).toContainText('oif vmap @vmap-oif: jump vnet0-in');
  await expect(path).not.toContainText('conntrack (bridge)');
  // Packet 2, from the VM, is accepted by the driver's own rule `ether type ip accept`.
  await diagram.getByRole('button', { name: /^Packet 2:/ }).click();
  await expect(panels(page).getByTestId('deciding-nft-rule')).toHaveText(
    'table bridge libvirt_nwfilter_ethernet chain vnet0-out handle 9',
  );
  // The Export shows the driver's commands while it learns.
  await openTab(page, 'Export');
  const formats = panels(page).getByRole('tablist', { name: 'Export formats' });
  await formats.getByRole('tab', { name: 'While learning' }).click();
  const learningText = panels(page).getByRole('tabpanel', { name: 'While learning export' });
  await expect(learningText).toContainText('libvirt_nwfilter_ethernet');
  await expect(learningText).toContainText('52:54:00:11:22:33');
});

test('parity without IP: what each driver installs while libvirt learns, packets through both phases', async ({
  page,
}) => {
  await openApp(page);
  await panels(page).getByRole('tab', { name: 'Parity' }).click();
  const panel = panels(page).getByRole('tabpanel', { name: 'Parity', exact: true });
  const section = panel.getByRole('region', { name: 'While libvirt learns the address' });
  await expect(section).toContainText(
    'The binding has no IP: libvirt learns it (CTRL_IP_LEARNING=any). The rules are compared as they are once it learned 10.99.0.2',
    { timeout: 30_000 },
  );
  await expect(section).toContainText('While learning the drivers install different rules:');
  const lines = section.getByRole('list', { name: 'Rules while learning' }).getByRole('listitem');
  await expect(lines.nth(0)).toContainText(
    'ebiptables: learning (CTRL_IP_LEARNING=any; rules in force: from the VM only IPv4 and ARP',
  );
  await expect(lines.nth(1)).toContainText(
    'nftables: learning (CTRL_IP_LEARNING=any; rules in force: from the VM everything but frames with another source MAC',
  );
  // The filter's rules (after learning) are compared as with an IP.
  await expect(
    panel.getByRole('list', { name: 'Rules installed differently' }).locator('.parity-rule'),
  ).toHaveCount(6);
});
