/**
 * The Host tab against `nwfilter-studio serve` on a real libvirt 9.0 (issue 19): the libvirt-diff
 * test bed's daemon in a network namespace of its own is the host (see
 * tests/libvirt-diff/README.md). Needs root and network namespaces, like the differential suite;
 * skipped with the reason where they are missing, and outside CI unless NWFS_HOST_E2E=1. The server serves this e2e run's own build.
 */
import { join } from 'node:path';
import { HostFirewall } from '../src/cli/host/firewall';
import { startHostServer, type HostServer } from '../src/cli/host/server';
import { HostLibvirt } from '../src/cli/host/virsh';
import { startHostBed, type HostBed } from '../tests/libvirt-diff/lib/host-bed';
import { whyUnavailable } from '../tests/libvirt-diff/lib/host-environment';
import { expect, test } from './support/fixtures';

// The build the e2e web server made (playwright.config.ts).
const APP_DIR = join(import.meta.dirname, '..', 'node_modules', '.cache', 'nwfilter-studio-e2e');
const PREFIX = `nwfs-ld-${process.pid}-`;

test('without serve the page has no Host tab', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('tab', { name: 'Simulator' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Host' })).toHaveCount(0);
});

test.describe.serial('the Host tab against real libvirt 9.0', () => {
  // As the header says: a developer's e2e run shares the machine's namespaces with others.
  const unavailable =
    process.env.CI || process.env.NWFS_HOST_E2E === '1'
      ? whyUnavailable(PREFIX)
      : 'outside CI (set NWFS_HOST_E2E=1, under flock /tmp/netns.lock)';
  test.skip(
    unavailable !== null,
    `host e2e skipped: ${unavailable} (needs root and network namespaces)`,
  );
  let bed: HostBed | undefined;
  let server: HostServer;

  test.beforeAll(async () => {
    test.setTimeout(900_000);
    bed = await startHostBed(PREFIX);
    server = await startHostServer({
      libvirt: new HostLibvirt(bed.daemon.uri),
      firewall: new HostFirewall({ netns: bed.home.name }),
      allowDefine: true,
      appDir: APP_DIR,
      port: 0,
    });
  });

  test.afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  test('imports, simulates a binding, shows drift made by hand, defines after a preview', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    await page.goto(server.url);
    // The token leaves the address at once: it must not end up in a share link or the history.
    await expect.poll(() => page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    await page.getByRole('tab', { name: 'Host' }).click();
    const panel = page.locator('#panel-host');
    // Each host action runs virsh (and for drift the firewall tools) on a shared, loaded machine.
    const slow = { timeout: 60_000 };
    await expect(panel).toContainText('libvirt 9.0.0', slow);
    await expect(panel).toContainText('defining allowed');
    const row = panel.getByRole('row', { name: /vnet0/ });
    await expect(row).toContainText('52:54:00:11:22:33');
    await expect(row).toContainText('IP=10.99.0.2');

    await panel.getByRole('button', { name: "Import the host's filters" }).click();
    await expect(panel.getByRole('status')).toContainText(
      /Imported \d+ of the host's \d+ filters/,
      slow,
    );
    const sidebar = page.getByRole('navigation', { name: 'Filters' });
    await expect(sidebar.getByRole('button', { name: /^test-eth0 host/ })).toBeVisible();

    await panel.getByRole('button', { name: 'Drift of vnet0' }).click();
    await expect(panel.getByRole('status').last()).toContainText(
      'vnet0: the host holds exactly what the studio compiles',
      slow,
    );

    // Drift by hand: a rule of the binding deleted inside the host's namespace.
    await bed?.home.exec('iptables', [
      '-D',
      'FO-vnet0',
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '80',
      '-m',
      'conntrack',
      '--ctstate',
      'NEW',
      '-j',
      'ACCEPT',
    ]);
    await panel.getByRole('button', { name: 'Drift of vnet0' }).click();
    const drift = panel.locator('.host-drift.is-drift');
    await expect(drift).toContainText('1 rule differ', slow);
    await expect(drift).toContainText('-A FO-vnet0 -p tcp -m tcp --dport 80');
    await expect(drift).toContainText('missing on the host');
    await page.screenshot({ path: 'docs/screenshots/host.png' });
    // The line links to its XML rule: test-eth0's rule #3 (tcp port 80) is selected.
    await drift.getByRole('button', { name: 'test-eth0 rule #3' }).click();
    await expect(page.locator('.rt-row.is-selected').first()).toContainText('80');

    await panel.getByRole('button', { name: 'Simulate vnet0' }).click();
    await expect(page.getByRole('tab', { name: 'Simulator' })).toHaveAttribute(
      'aria-selected',
      'true',
      slow,
    );
    await expect(page.getByLabel('Value of IP')).toHaveValue('10.99.0.2');
    await expect(page.getByLabel('Value of MAC')).toHaveValue('52:54:00:11:22:33');

    // Define after a preview: a new rule for the open filter.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('tab', { name: 'Host' }).click();
    await panel.getByRole('button', { name: 'Define test-eth0 on the host…' }).click();
    const preview = panel.getByRole('region', { name: 'Define preview' });
    await expect(preview.getByLabel('XML changes')).toContainText(
      "+     <tcp state='NEW' dstportstart='0'/>",
      slow,
    );
    await expect(preview.getByLabel('Rule changes of vnet0')).toContainText('--dport 0');
    await preview.getByRole('button', { name: 'Define on the host' }).click();
    await expect(panel.getByRole('status').first()).toContainText(
      'Defined test-eth0 on the host; re-read: the host holds what the preview showed.',
      slow,
    );
    expect((await bed?.daemon.virsh(['nwfilter-dumpxml', 'test-eth0']))?.stdout).toContain(
      "dstportstart='0'",
    );
    // libvirt re-instantiated the binding with the new filter: no drift is left.
    await panel.getByRole('button', { name: 'Drift of vnet0' }).click();
    await expect(panel.locator('.host-drift.is-identical')).toBeVisible(slow);
  });
});
