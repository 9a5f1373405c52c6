import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';

// The host panel (issue 12 §1): FTP helper, bridge address and the host profile JSON (ipsets,
// sysctls, events) drive the simulator and are saved with the workspace.

async function openSimulator(page: Page) {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  await panels(page).getByRole('tab', { name: 'Simulator' }).click();
}

const panels = (page: Page) => page.getByRole('region', { name: 'Panels' });

async function waitForRun(page: Page, packets: number) {
  await expect(
    panels(page)
      .getByRole('status')
      .filter({ hasText: /packets in|Running/ }),
  ).toHaveText(new RegExp(`^${packets} packets in \\d+ ms$`), { timeout: 30_000 });
}

const PROFILE = `{
  "ftpHelper": true,
  "bridgeAddress": "10.99.0.1/24",
  "sysctls": { "nf_conntrack_icmp_timeout": "10" },
  "ipsets": { "trusted": { "type": "hash:ip", "members": ["10.99.0.3"] } },
  "events": [ { "t": 5, "sysctls": { "nf_conntrack_icmp_timeout": "3" } } ]
}`;

test('host panel: the profile drives the run and is restored on reload (FTP helper included)', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openSimulator(page);
  await panels(page).getByRole('combobox', { name: 'Scenario' }).selectOption('ftp-active');
  // Without the helper the data connection is dropped: its SYN is sent ten times, then 425 —
  // 42 packets, the first data SYN NEW.
  await waitForRun(page, 42);
  const diagram = panels(page).getByRole('group', { name: 'Sequence diagram' });
  await expect(
    diagram.getByRole('button', { name: /: data SYN, from the VM, NEW, dropped/ }),
  ).toHaveCount(1);

  await panels(page).getByText('Host profile (ipsets, sysctls, events)').click();
  const json = panels(page).getByRole('textbox', { name: 'Host profile JSON' });
  await json.fill(PROFILE);
  await panels(page).getByRole('button', { name: 'Apply host profile' }).click();
  // The profile turned the helper on: the active data connection is RELATED (42 packets too).
  await expect(
    diagram.getByRole('button', { name: /: data SYN, from the VM, RELATED, accepted/ }),
  ).toHaveCount(1, { timeout: 30_000 });
  await waitForRun(page, 42);
  const helper = panels(page).getByRole('checkbox', { name: /FTP helper assigned/ });
  await expect(helper).toBeChecked();
  await expect(panels(page).getByRole('textbox', { name: 'Bridge address' })).toHaveValue(
    '10.99.0.1/24',
  );
  await expect(panels(page).getByRole('spinbutton', { name: 'ICMP timeout (s)' })).toHaveValue(
    '10',
  );

  await expect
    .poll(() =>
      page.evaluate(() => Object.values(localStorage).some((v) => v.includes('"trusted"'))),
    )
    .toBe(true);
  await page.reload();
  await panels(page).getByRole('tab', { name: 'Simulator' }).click();
  await expect(helper).toBeChecked();
  await expect(panels(page).getByRole('textbox', { name: 'Bridge address' })).toHaveValue(
    '10.99.0.1/24',
  );
  await panels(page).getByText('Host profile (ipsets, sysctls, events)').click();
  await expect(json).toHaveValue(/"trusted"/);
  await expect(json).toHaveValue(/"t": 5/);

  // Unticking the helper is saved too.
  await helper.uncheck();
  await expect
    .poll(() =>
      page.evaluate(() => Object.values(localStorage).some((v) => v.includes('"ftpHelper":false'))),
    )
    .toBe(true);
  await page.reload();
  await panels(page).getByRole('tab', { name: 'Simulator' }).click();
  await expect(helper).not.toBeChecked();
});

test('host panel: a bad profile lists positioned errors and changes nothing; a bad address is flagged', async ({
  page,
}) => {
  await openSimulator(page);
  await panels(page).getByText('Host profile (ipsets, sysctls, events)').click();
  const json = panels(page).getByRole('textbox', { name: 'Host profile JSON' });
  await json.fill(
    '{\n  "ftpHelper": true,\n  "bridge": "10.0.0.1/24",\n  "sysctls": { "nf_conntrack_nope": "1" }\n}',
  );
  await panels(page).getByRole('button', { name: 'Apply host profile' }).click();
  const errors = panels(page).getByRole('alert', { name: 'Host profile errors' });
  await expect(errors).toContainText('3:3: NWF702: unknown key "bridge" in the host profile');
  await expect(errors).toContainText("4:16: NWF704: unknown sysctl 'nf_conntrack_nope'");
  await expect(
    panels(page).getByRole('checkbox', { name: /FTP helper assigned/ }),
  ).not.toBeChecked();
  // The text being fixed is kept.
  await expect(json).toHaveValue(/"bridge"/);

  const address = panels(page).getByRole('textbox', { name: 'Bridge address' });
  await address.fill('10.0.0.1/33');
  await expect(address).toHaveAttribute('aria-invalid', 'true');
  await expect(panels(page).getByText(/the prefix length must be 0–32/)).toBeVisible();
});
