import type { Page } from '@playwright/test';
import { parseHostProfile } from '../src/core/host';
import { expect, test } from './support/fixtures';
import { importFilter } from './support/import-filter';
import { openApp, openTab, panels } from './support/studio';

// Issue 15 in the browser: hostile input from outside the page never breaks it (the fixture
// fails the test on any page error) and never loses what the user had.

const WORKSPACE_KEY = 'nwfilter-studio:workspace:v1';

/**
 * Puts `entry` in the saved workspace's place as the next page loads (once: not again on later
 * reloads). Written by the page itself, because a page being left saves its own state first.
 */
function seedOnce(page: Page, entry: string) {
  return page.addInitScript(
    ([key, value]) => {
      if (!sessionStorage.getItem('seeded')) {
        localStorage.setItem(key as string, value as string);
        sessionStorage.setItem('seeded', '1');
      }
    },
    [WORKSPACE_KEY, entry],
  );
}

test('a hostile share link opens nothing and says so; the workspace is unchanged', async ({
  page,
}) => {
  await page.goto('/#share=NoIgLgpgHgDg9gJwJYGcB0BDANgOQIYC2ECgA');
  await expect(page.getByText('This share link is damaged or too large')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test('a corrupt saved workspace is kept aside, the page opens, nothing is lost', async ({
  page,
}) => {
  const corrupt = JSON.stringify({
    version: 1,
    activeId: 'x',
    filters: [{ id: 'x', doc: { name: 'evil', chain: 'root', entries: [null, { kind: 'rule' }] } }],
  });
  await seedOnce(page, corrupt);
  await page.goto('/');
  await expect(page.getByText(`${WORKSPACE_KEY}:unreadable`)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  expect(await page.evaluate((k) => localStorage.getItem(`${k}:unreadable`), WORKSPACE_KEY)).toBe(
    corrupt,
  );
});

test('a corrupt host profile in the saved workspace: one notice naming its first problem, its text kept aside, the workspace opens', async ({
  page,
}) => {
  await openApp(page);
  await importFilter(
    page,
    'kept',
    `<filter name='kept'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='22'/>\n  </rule>\n</filter>`,
  );
  const read = (key: string) => page.evaluate((k) => localStorage.getItem(k), key);
  // The app saves in pauses: wait until the saved workspace holds the imported filter.
  await expect.poll(async () => (await read(WORKSPACE_KEY)) ?? '').toContain('"kept"');
  const saved = JSON.parse((await read(WORKSPACE_KEY)) as string) as { host: object };
  // Two problems: a flag that is not a boolean and a prefix length beyond 32.
  saved.host = { ...saved.host, ftpHelper: 'yes', bridgeAddress: '10.99.0.1/33' };
  const problems = parseHostProfile(JSON.stringify(saved.host)).diagnostics.filter(
    (d) => d.severity === 'error',
  );
  expect(problems.length).toBe(2);
  const [first, second] = problems as [(typeof problems)[0], (typeof problems)[0]];
  const corrupt = JSON.stringify(saved);
  await seedOnce(page, corrupt);

  await page.reload();
  // The workspace opens on the filter that was open, the example beside it.
  await expect(page.getByRole('heading', { name: 'kept' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete filter test-eth0' })).toBeAttached();
  const notice = page.locator('.notice');
  await expect(notice).toContainText(`${first.code}: ${first.message.slice(0, 60)}`);
  await expect(notice).toContainText(`${WORKSPACE_KEY}:unreadable`);
  await expect(notice).toContainText('the simulator starts with the default host');
  await expect(notice).not.toContainText(second.message.slice(0, 40));
  expect(await read(`${WORKSPACE_KEY}:unreadable`)).toBe(corrupt);
  // The simulator runs on the default host: no bridge address.
  await openTab(page, 'Simulator');
  await expect(panels(page).getByLabel('Bridge address')).toHaveValue('');

  // Later saves write over the entry, never over the text kept aside.
  await importFilter(
    page,
    'later',
    `<filter name='later'>\n  <rule action='drop' direction='in'>\n    <all/>\n  </rule>\n</filter>`,
  );
  await expect.poll(async () => (await read(WORKSPACE_KEY)) ?? '').toContain('"later"');
  expect(await read(`${WORKSPACE_KEY}:unreadable`)).toBe(corrupt);
});

test('a 50 MB drop is refused before it is read; a pcapng drop opens in the simulator', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  const drop = async (name: string, make: string) => {
    const dt = await page.evaluateHandle(
      ([n, m]) => {
        const d = new DataTransfer();
        const bytes =
          m === 'big'
            ? new Uint8Array(50 * 1024 * 1024)
            : new Uint8Array([
                // pcapng: a section header block and an Ethernet interface description.
                0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0,
                0, 0, 0, 4, 0, 20, 0, 0, 0,
              ]);
        d.items.add(new File([bytes], n as string));
        return d;
      },
      [name, make],
    );
    await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
  };
  await drop('big.xml', 'big');
  await expect(page.getByText('big.xml is 50.0 MiB')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
  await drop('capture.pcapng', 'ng');
  await expect(page.getByText('Opened the capture capture.pcapng in the simulator.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
});
