import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { panels, rules } from './support/studio';
import { giveVmIp } from './support/vm-ip';

// Issue 16 point 10: what a user sets comes back after a reload — the workspace and its undo
// history, the host settings, the binding's filter parameters (an added IP was lost: the saved
// workspace never held them), the backend, the libvirt release, the Simulator's scenario, the
// dock's tab and the sizes dragged (table columns, XML pane, dock).

const separator = (page: Page, name: string) => page.getByRole('separator', { name, exact: true });
const valueOf = async (l: Locator) => Number(await l.getAttribute('aria-valuenow'));
/** A field's value, or null when it is not there (a parameter row that was not restored). */
const inputOf = async (l: Locator) => ((await l.count()) ? l.inputValue() : null);

/** Everything the test sets, read back from the screen (the Simulator tab open). */
async function readSettings(page: Page) {
  const dock = panels(page);
  return {
    rows: await rules(page).locator('.rt-body [role="row"]').count(),
    undo: await page.getByRole('button', { name: 'Undo' }).isEnabled(),
    ip: await inputOf(dock.getByRole('textbox', { name: 'Value of IP' })),
    helper: await dock.getByRole('checkbox', { name: /FTP helper assigned/ }).isChecked(),
    icmpTimeout: await dock.getByRole('spinbutton', { name: 'ICMP timeout (s)' }).inputValue(),
    scenario: await dock.getByRole('combobox', { name: 'Scenario' }).inputValue(),
    backend: await dock.getByRole('combobox', { name: 'Firewall backend' }).inputValue(),
    libvirt: await dock.getByRole('combobox', { name: 'libvirt version' }).inputValue(),
    commentWidth: await valueOf(separator(page, 'Resize the Comment column')),
    xmlSplit: await valueOf(separator(page, 'Resize XML pane')),
    dock: await valueOf(separator(page, 'Resize panels')),
  };
}

/** The viewports: every point is tried at each. */
const VIEWPORTS = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
];

for (const size of VIEWPORTS) {
  test(`${size.width}×${size.height}: every setting the user made comes back after a reload (issue 16 point 10)`, async ({
    page,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(size);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'test-eth0', level: 2 })).toBeVisible();

    // The document, with an undo step.
    await rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' }).click();
    await page.keyboard.press('Delete');
    await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(0);

    // Host settings, the binding's parameters, the traffic, backend and libvirt release.
    const dock = panels(page);
    await dock.getByRole('tab', { name: 'Simulator' }).click();
    await giveVmIp(page, '10.99.0.7');
    await dock.getByRole('checkbox', { name: /FTP helper assigned/ }).check();
    await dock.getByRole('spinbutton', { name: 'ICMP timeout (s)' }).fill('12');
    await dock.getByRole('combobox', { name: 'Scenario' }).selectOption('ssh');
    await dock.getByRole('combobox', { name: 'Firewall backend' }).selectOption('nftables');
    await dock.getByRole('combobox', { name: 'libvirt version' }).selectOption('9.0');

    // Sizes: a column, the XML pane, the dock (keyboard on their separators).
    const comment = separator(page, 'Resize the Comment column');
    const fitted = await valueOf(comment);
    await comment.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(comment).toHaveAttribute('aria-valuenow', String(fitted + 32));
    const xmlPane = separator(page, 'Resize XML pane');
    const xmlSplit = await valueOf(xmlPane);
    await xmlPane.focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => valueOf(xmlPane)).not.toBe(xmlSplit);
    const dockSize = separator(page, 'Resize panels');
    const dockHeight = await valueOf(dockSize);
    await dockSize.focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => valueOf(dockSize)).not.toBe(dockHeight);

    const before = await readSettings(page);
    expect(before).toMatchObject({
      rows: 7,
      undo: true,
      ip: '10.99.0.7',
      helper: true,
      icmpTimeout: '12',
      scenario: 'ssh',
      backend: 'nftables',
      libvirt: '9.0',
      commentWidth: fitted + 32,
    });

    // And the dock on another tab.
    await dock.getByRole('tab', { name: 'Lint' }).click();
    await expect(dock.getByRole('tabpanel', { name: 'Lint', exact: true })).toBeVisible();

    // No wait for the autosave's pause: leaving the page (pagehide) saves at once.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'test-eth0', level: 2 })).toBeVisible();
    // Soft: on failure the report lists the tab and every setting that was lost.
    await expect.soft(dock.getByRole('tabpanel', { name: 'Lint', exact: true })).toBeVisible();

    await dock.getByRole('tab', { name: 'Simulator' }).click();
    await expect(dock.getByRole('combobox', { name: 'Scenario' })).toBeVisible();
    await expect.poll(() => readSettings(page), { timeout: 3000 }).toEqual(before);
    // The restored settings are what the Simulator runs: ssh under nftables, with the VM's IP.
    await expect(dock.getByRole('status').filter({ hasText: /packets in|Running/ })).toHaveText(
      /^[1-9]\d* packets in \d+ ms$/,
      { timeout: 30_000 },
    );
    await expect(dock.locator('.sim-problem')).toHaveCount(0);

    // The undo history came back with the document.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(1);
  });
}
