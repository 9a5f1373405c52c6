import type { Locator, Page } from '@playwright/test';
import { expectNoAxeViolations } from './support/axe';
import { expect, test } from './support/fixtures';

// Issue 16: the sysadmin's and the teacher's day, at the viewports people use.

/** A web-server VM's filter: three services from the same network, told apart by the port. */
const WEB_SERVER = `<filter name='web-server' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'>
    <tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='22' state='NEW' comment='ssh from the admin network'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='80' state='NEW' comment='http'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='443' state='NEW' comment='https'/>
  </rule>
  <rule action='accept' direction='inout' priority='500'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='drop' direction='inout' priority='500'>
    <all/>
  </rule>
</filter>
`;

const rules = (page: Page) => page.getByRole('table', { name: 'Rules' });
const bodyRows = (page: Page) => rules(page).locator('.rt-body [role="row"]');

async function openApp(page: Page, size: { width: number; height: number }) {
  await page.setViewportSize(size);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
}

async function importFilter(page: Page, name: string, xml: string) {
  await page.getByLabel('Import XML file').setInputFiles({
    name: `${name}.xml`,
    mimeType: 'application/xml',
    buffer: Buffer.from(xml),
  });
  await expect(page.getByRole('heading', { name })).toBeVisible({ timeout: 20_000 });
}

/** The text each cell of `row` shows, and whether the cell (or its text) is cut off. */
function cellsOf(row: Locator) {
  return row.locator('[role="cell"]').evaluateAll((cells) =>
    cells.map((cell) => {
      const cut = (el: Element) => el.scrollWidth > el.clientWidth + 1;
      const inner = [...cell.querySelectorAll('*')];
      return {
        text: (cell.textContent ?? '').trim(),
        cut: cut(cell) || inner.some((el) => el.clientWidth > 0 && cut(el)),
      };
    }),
  );
}

for (const size of [
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
]) {
  test(`1. rules are told apart in the table at ${size.width} px: nothing cut, columns resizable`, async ({
    page,
  }) => {
    await openApp(page, size);
    await importFilter(page, 'web-server', WEB_SERVER);
    await expect(bodyRows(page)).toHaveCount(6);
    // The SSH, HTTP and HTTPS rules differ only by the port: the summary leads with it.
    for (const port of ['22', '80', '443'])
      await expect(
        rules(page)
          .getByRole('row')
          .filter({ hasText: `tcp dst ${port} · src 10.0.0.0/8` }),
      ).toHaveCount(1);
    // No cell of any rule row is cut off behind an ellipsis (match, state, comment, hits).
    for (const row of await bodyRows(page).all())
      for (const cell of await cellsOf(row))
        expect(cell, 'a cut-off cell').toEqual({ ...cell, cut: false });

    // Columns are resizable: from the keyboard on the header's handle, and back to fit.
    const handle = rules(page).getByRole('separator', { name: 'Resize the Match column' });
    const fitted = Number(await handle.getAttribute('aria-valuenow'));
    await handle.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect(handle).toHaveAttribute('aria-valuenow', String(fitted - 32));
    const matchCell = bodyRows(page).nth(1).locator('[data-col="match"]');
    expect(Math.round((await matchCell.boundingBox())?.width ?? 0)).toBe(fitted - 32);
    // And by dragging it.
    const box = await handle.boundingBox();
    if (!box) throw new Error('no resize handle');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect(handle).toHaveAttribute('aria-valuenow', String(fitted + 28));
    await handle.dblclick();
    await expect(handle).toHaveAttribute('aria-valuenow', String(fitted));
    await expectNoAxeViolations(page, 'table', '.rule-table');
  });
}

test('3. at 1024 px the header and the rows scroll together', async ({ page }) => {
  await openApp(page, { width: 1024, height: 700 });
  await importFilter(page, 'web-server', WEB_SERVER);
  const row = bodyRows(page).filter({ hasText: 'dst 443' });
  await row.locator('[data-col="action"]').hover();
  await page.mouse.wheel(600, 0);
  const header = rules(page).getByRole('columnheader', { name: 'Comment' });
  const cell = row.locator('[data-col="comment"]');
  await expect(cell).toBeInViewport();
  await expect
    .poll(async () => {
      const [h, c] = [await header.boundingBox(), await cell.boundingBox()];
      return h && c ? Math.round(c.x - h.x) : null;
    })
    .toBe(0);
  // And vertically the header stays over the rows.
  await page.mouse.wheel(0, 400);
  await expect(header).toBeInViewport();
  const [h, c] = [await header.boundingBox(), await cell.boundingBox()];
  expect(Math.round((c?.x ?? 0) - (h?.x ?? 1))).toBe(0);
  await expectNoAxeViolations(page, 'table', '.rule-table');
});

const workspaceNames = (page: Page) =>
  page
    .getByRole('navigation', { name: 'Filters' })
    .locator('.filter-list:not(.library) .filter-link')
    .evaluateAll((els) => els.map((el) => el.firstChild?.textContent?.trim() ?? ''));

test('4. a share link opens the filter it was made from and says what it carries', async ({
  page,
  browser,
}) => {
  await openApp(page, { width: 1440, height: 900 });
  await importFilter(page, 'web-server', WEB_SERVER);
  await page.getByRole('button', { name: 'Share link' }).click();
  await expect(page).toHaveURL(/#share=/);
  await expect(page.locator('.notice')).toContainText('Share link');
  await expect(page.locator('.notice')).toContainText('web-server');
  const url = page.url();

  // A fresh browser: its workspace holds the default FTP example only.
  const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const second = await other.newPage();
  await second.goto(url);
  await expect(second.getByRole('heading', { name: 'web-server', level: 2 })).toBeVisible();
  await expect(second.locator('.notice')).toContainText('Opened the shared link: web-server');
  await expect(rules(second).getByRole('row').filter({ hasText: 'tcp dst 443' })).toHaveCount(1);
  // It carries the shared filter, not a second copy of the FTP example.
  expect(await workspaceNames(second)).toEqual(['test-eth0', 'web-server']);
  await expectNoAxeViolations(second, 'shared link opened');
  await other.close();
});

test('6. import refuses what is not a filter, with a message, and adds nothing', async ({
  page,
}) => {
  await openApp(page, { width: 1440, height: 900 });
  const input = page.getByLabel('Import XML file');
  const png = Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x10, 0xff, 0xfe,
  ]);
  await input.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
  await expect(page.locator('.notice')).toHaveText(
    /^Not imported: logo\.png is not text \(binary data\)\./,
  );
  await input.setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('allow ssh from the admin network\n'),
  });
  await expect(page.locator('.notice')).toHaveText(/^Not imported: notes\.txt is not XML/);
  await input.setInputFiles({
    name: 'vm.xml',
    mimeType: 'application/xml',
    buffer: Buffer.from("<domain type='kvm'><name>vm</name></domain>\n"),
  });
  await expect(page.locator('.notice')).toHaveText(
    /^Not imported: vm\.xml is a <domain> document, not a <filter>/,
  );
  expect(await workspaceNames(page)).toEqual(['test-eth0']);
  await expect(page.getByRole('heading', { name: 'test-eth0', level: 2 })).toBeVisible();
  // A filter with errors still arrives, as a draft to fix in the XML pane.
  await input.setInputFiles({
    name: 'half.xml',
    mimeType: 'application/xml',
    buffer: Buffer.from("<filter name='half'>\n  <rule action='accept' direction='in'>\n"),
  });
  await expect(page.locator('.notice')).toContainText('with errors');
  expect(await workspaceNames(page)).toEqual(['test-eth0', 'half']);
  await expectNoAxeViolations(page, 'after refused imports');
});

test('5. a lesson reuses its own filter, named after it; resetting it is explicit', async ({
  page,
}) => {
  await openApp(page, { width: 1440, height: 900 });
  const dock = page.getByRole('region', { name: 'Panels' });
  await dock.getByRole('tab', { name: 'Learn' }).click();
  const lessons = dock.getByRole('navigation', { name: 'Lessons' });
  const ftp = lessons.getByRole('button', { name: /two FTP-server solutions/ });
  await ftp.click();
  await expect(page.getByRole('heading', { name: 'lesson-ftp-helper', level: 2 })).toBeVisible();
  // The filterref to clean-traffic and eight rules.
  await expect(bodyRows(page)).toHaveCount(9);
  // Change the lesson's filter: delete its final drop.
  await rules(page).getByRole('row').filter({ hasText: 'drop' }).click();
  await page.keyboard.press('Delete');
  await expect(bodyRows(page)).toHaveCount(8);
  // Another lesson, then this one again, five times: one filter per lesson, the change kept.
  for (let i = 0; i < 5; i++) {
    await lessons.getByRole('button', { name: 'ICMP echo only' }).click();
    await expect(
      page.getByRole('heading', { name: 'lesson-icmp-echo-only', level: 2 }),
    ).toBeVisible();
    await ftp.click();
    await expect(page.getByRole('heading', { name: 'lesson-ftp-helper', level: 2 })).toBeVisible();
  }
  expect(await workspaceNames(page)).toEqual([
    'test-eth0',
    'lesson-ftp-helper',
    'lesson-icmp-echo-only',
  ]);
  await expect(bodyRows(page)).toHaveCount(8);
  const lesson = dock.getByRole('article');
  await expect(lesson).toContainText('You changed lesson-ftp-helper');
  await expectNoAxeViolations(page, 'lesson with a changed filter', '.panels');
  await lesson.getByRole('button', { name: "Reset the lesson's filter" }).click();
  await expect(bodyRows(page)).toHaveCount(9);
  await expect(lesson).not.toContainText('You changed');
  // The reset is one undo step.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(bodyRows(page)).toHaveCount(8);
});
