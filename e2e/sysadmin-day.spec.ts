import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { importFilter } from './support/import-filter';
import { giveVmIp } from './support/vm-ip';

// Issue 16: the sysadmin's and the teacher's day, at the viewports people use.

/** The viewports of the issue: every point's test runs at each. */
const VIEWPORTS = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const;

// Several page loads per test, on a machine that may be busy.
test.describe.configure({ timeout: 90_000 });

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
const dock = (page: Page) => page.getByRole('region', { name: 'Panels' });

async function openApp(page: Page) {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'test-eth0' })).toBeVisible();
}

/**
 * The app with the ftp-active scenario run (no helper); its sequence diagram, once it shows
 * `packets` packets (42 since the scenario reacts to what was delivered), or any.
 */
async function openActiveFtp(page: Page, packets?: number): Promise<Locator> {
  await openApp(page);
  await giveVmIp(page);
  await dock(page).getByRole('combobox', { name: 'Scenario' }).selectOption('ftp-active');
  const diagram = dock(page).getByRole('group', { name: 'Sequence diagram' });
  if (packets === undefined)
    await expect(diagram.getByRole('button').first()).toBeVisible({ timeout: 30_000 });
  else await expect(diagram.getByRole('button')).toHaveCount(packets, { timeout: 30_000 });
  return diagram;
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

const workspaceNames = (page: Page) =>
  page
    .getByRole('navigation', { name: 'Filters' })
    .locator('.filter-list:not(.library) .filter-link')
    .evaluateAll((els) => els.map((el) => el.firstChild?.textContent?.trim() ?? ''));

for (const size of VIEWPORTS) {
  test.describe(`${size.width}×${size.height}`, () => {
    test.use({ viewport: size });

    test('1. rules are told apart in the table: nothing cut, columns resizable', async ({
      page,
    }) => {
      await openApp(page);
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
    });

    test('3. the header and the rows scroll together', async ({ page }) => {
      await openApp(page);
      await importFilter(page, 'web-server', WEB_SERVER);
      // The table narrower than its rows at every viewport, as at 1024 px: the XML pane as wide
      // as it goes (the filter pane at its 20 % minimum).
      const split = page.getByRole('separator', { name: 'Resize XML pane' });
      await split.focus();
      for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowLeft');
      await expect(split).toHaveAttribute('aria-valuenow', '20');
      const row = bodyRows(page).filter({ hasText: 'dst 443' });
      const header = rules(page).getByRole('columnheader', { name: 'Comment' });
      const cell = row.locator('[data-col="comment"]');
      // Scrolled sideways with the wheel until the comment shows in the table …
      const shown = async () => {
        const [c, t] = [await cell.boundingBox(), await rules(page).boundingBox()];
        return !!c && !!t && c.x >= t.x && c.x + 20 <= t.x + t.width;
      };
      expect(await shown()).toBe(false);
      await row.locator('[data-col="action"]').hover();
      const frame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
      for (let i = 0; i < 40 && !(await shown()); i++) {
        await page.mouse.wheel(50, 0);
        await frame();
        await frame();
      }
      expect(await shown()).toBe(true);
      // … the header came with the rows.
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
    });

    test('4. a share link opens the filter it was made from and says what it carries', async ({
      page,
      browser,
    }) => {
      await openApp(page);
      await importFilter(page, 'web-server', WEB_SERVER);
      await page.getByRole('button', { name: 'Share link' }).click();
      await expect(page).toHaveURL(/#share=/);
      await expect(page.locator('.notice')).toContainText('Share link');
      await expect(page.locator('.notice')).toContainText('web-server');
      const url = page.url();

      // A fresh browser: its workspace holds the default FTP example only.
      const other = await browser.newContext({ viewport: size });
      const second = await other.newPage();
      await second.goto(url);
      await expect(second.getByRole('heading', { name: 'web-server', level: 2 })).toBeVisible();
      await expect(second.locator('.notice')).toContainText('Opened the shared link: web-server');
      await expect(rules(second).getByRole('row').filter({ hasText: 'tcp dst 443' })).toHaveCount(
        1,
      );
      // It carries the shared filter, not a second copy of the FTP example.
      expect(await workspaceNames(second)).toEqual(['test-eth0', 'web-server']);
      await other.close();
    });

    test('6. import refuses what is not a filter, with a message, and adds nothing', async ({
      page,
    }) => {
      await openApp(page);
      const input = page.getByLabel('Import XML file');
      const png = Buffer.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x10, 0xff, 0xfe,
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
    });

    test('5. a lesson reuses its own filter, named after it; resetting it is explicit', async ({
      page,
    }) => {
      await openApp(page);
      const dock = page.getByRole('region', { name: 'Panels' });
      await dock.getByRole('tab', { name: 'Learn' }).click();
      const lessons = dock.getByRole('navigation', { name: 'Lessons' });
      const ftp = lessons.getByRole('button', { name: /two FTP-server solutions/ });
      await ftp.click();
      await expect(
        page.getByRole('heading', { name: 'lesson-ftp-helper', level: 2 }),
      ).toBeVisible();
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
        await expect(
          page.getByRole('heading', { name: 'lesson-ftp-helper', level: 2 }),
        ).toBeVisible();
      }
      expect(await workspaceNames(page)).toEqual([
        'test-eth0',
        'lesson-ftp-helper',
        'lesson-icmp-echo-only',
      ]);
      await expect(bodyRows(page)).toHaveCount(8);
      const lesson = dock.getByRole('article');
      await expect(lesson).toContainText('You changed lesson-ftp-helper');
      await lesson.getByRole('button', { name: "Reset the lesson's filter" }).click();
      await expect(bodyRows(page)).toHaveCount(9);
      await expect(lesson).not.toContainText('You changed');
      // The reset is one undo step.
      await page.getByRole('button', { name: 'Undo' }).click();
      await expect(bodyRows(page)).toHaveCount(8);
    });

    test('7. export opens on the XML, says when it is stale, and a stale download is deliberate', async ({
      page,
    }) => {
      await openApp(page);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await dock(page).getByRole('tab', { name: 'Export' }).click();
      const formats = dock(page).getByRole('tablist', { name: 'Export formats' });
      await expect(formats.getByRole('tab', { name: 'XML', exact: true })).toHaveAttribute(
        'aria-selected',
        'true',
      );
      await expect(dock(page).getByRole('tabpanel', { name: 'XML export' })).toContainText(
        "<filter name='test-eth0' chain='root'>",
      );
      const warning = dock(page).getByRole('status').filter({ hasText: 'Out of date' });
      await expect(warning).toHaveCount(0);

      // Break the XML in the pane: the export is now the last valid version, and says so.
      await page.locator('.xml-pane .monaco-editor .view-lines').click();
      await page.keyboard.press('ControlOrMeta+End');
      await page.keyboard.type('<rule');
      await expect(page.locator('.rule-table')).toContainText('Out of date', { timeout: 15_000 });
      await expect(warning).toContainText('the XML pane has errors (line');
      await expect(warning).toContainText('last valid version of test-eth0');
      const copy = dock(page).getByRole('button', { name: 'Copy last valid version' });
      await expect(copy).toHaveAccessibleDescription(/Out of date/);
      await copy.click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(
        "<filter name='test-eth0' chain='root'>",
      );
      // Download asks first.
      let downloads = 0;
      page.on('download', () => downloads++);
      await dock(page).getByRole('button', { name: 'Download test-eth0.xml…' }).click();
      const confirm = dock(page).getByRole('group', { name: 'Confirm the download' });
      await expect(confirm).toBeVisible();
      expect(downloads).toBe(0);
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        confirm.getByRole('button', { name: 'Download the last valid version' }).click(),
      ]);
      expect(file.suggestedFilename()).toBe('test-eth0.xml');
      await expect(confirm).toHaveCount(0);

      // Valid again: no warning, and Download downloads at once.
      await page.locator('.xml-pane .monaco-editor .view-lines').click();
      await page.keyboard.press('ControlOrMeta+End');
      for (let i = 0; i < 5; i++) await page.keyboard.press('Backspace');
      await expect(page.locator('.rule-table')).not.toContainText('Out of date', {
        timeout: 15_000,
      });
      await expect(warning).toHaveCount(0);
      await Promise.all([
        page.waitForEvent('download'),
        dock(page).getByRole('button', { name: 'Download test-eth0.xml', exact: true }).click(),
      ]);
    });

    test('10. orientation: start here, skip links and landmarks, wrapped XML', async ({ page }) => {
      await openApp(page);
      const start = page.getByRole('region', { name: 'Start here' });
      await expect(start).toBeVisible();
      await expect(start).toContainText('Export');
      // The first Tab stop goes straight to the rule table.
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to the rule table' });
      await expect(skip).toBeFocused();
      await expect(skip).toBeInViewport();
      await page.keyboard.press('Enter');
      await expect(rules(page).locator('.rt-body')).toBeFocused();
      await page.keyboard.press('ArrowDown');
      await expect(rules(page).getByRole('row', { selected: true })).toBeFocused();
      // Landmarks name the areas.
      await expect(page.getByRole('banner')).toHaveCount(1);
      await expect(page.getByRole('main')).toHaveCount(1);
      await expect(page.getByRole('navigation', { name: 'Filters' })).toBeVisible();
      await expect(page.getByRole('region', { name: 'Panels' })).toBeVisible();
      // Dismissed, it stays dismissed.
      await start.getByRole('button', { name: 'Got it' }).click();
      await expect(start).toHaveCount(0);
      await page.reload();
      await expect(page.getByRole('heading', { name: 'test-eth0', level: 2 })).toBeVisible();
      await expect(page.getByRole('region', { name: 'Start here' })).toHaveCount(0);

      // A long rule wraps in the XML pane instead of running off its right edge.
      await importFilter(
        page,
        'long',
        `<filter name='long'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='22' comment='${'ssh from the administration network of the data centre '.repeat(2)}end-of-comment'/>\n  </rule>\n</filter>\n`,
      );
      await expect(page.locator('.xml-pane .monaco-editor')).toBeVisible({ timeout: 20_000 });
      const tail = page.locator('.xml-pane .view-line span', { hasText: 'end-of-comment' }).last();
      await expect(tail).toBeVisible();
      const pane = await page.locator('.xml-pane .monaco-editor').boundingBox();
      const box = await tail.boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(
        (pane?.x ?? 0) + (pane?.width ?? 0),
      );
    });

    test('10. Add rule starts from a rule that lets nothing through and opens its form', async ({
      page,
    }) => {
      await openApp(page);
      await rules(page).getByRole('row').filter({ hasText: 'udp dst 53' }).click();
      await page.getByRole('button', { name: 'Add rule' }).click();
      const added = rules(page).getByRole('row', { selected: true });
      await expect(added).toContainText('accept');
      await expect(added).toContainText('tcp dst 0 · state NEW');
      await expect(added).not.toContainText('inout');
      // Its form is open on the port, selected: typing replaces the placeholder.
      const port = page
        .getByRole('region', { name: 'Rule editor' })
        .getByLabel('dstportstart', { exact: true });
      await expect(port).toBeFocused();
      await page.keyboard.type('8080');
      await expect(added).toContainText('tcp dst 8080 · state NEW');
    });

    test('10. the undo history survives a reload', async ({ page }) => {
      await openApp(page);
      await rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' }).click();
      await page.keyboard.press('Delete');
      await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(0);
      await rules(page).getByRole('row').filter({ hasText: 'udp dst 53' }).click();
      await page.keyboard.press('Delete');
      await expect(bodyRows(page)).toHaveCount(6);
      await page.reload();
      await expect(bodyRows(page)).toHaveCount(6);
      const undo = page.getByRole('button', { name: 'Undo' });
      await expect(undo).toBeEnabled();
      await undo.click();
      await expect(rules(page).getByRole('row').filter({ hasText: 'udp dst 53' })).toHaveCount(1);
      await undo.click();
      await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(1);
      await expect(undo).toBeDisabled();
      // Redo too, after another reload.
      await page.reload();
      await page.getByRole('button', { name: 'Redo' }).click();
      await expect(rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' })).toHaveCount(0);
    });

    test('8. custom packets: labelled fields, a bad address marked, no stale result, the header follows the packet', async ({
      page,
    }) => {
      await openApp(page);
      await dock(page).getByRole('combobox', { name: 'Scenario' }).selectOption('__custom');
      const builder = dock(page).getByRole('group', { name: 'Custom packets' });
      const first = builder.getByRole('group', { name: 'Custom packet 1' });
      // Every field has a visible label that names it.
      for (const label of [
        'Side',
        'Protocol',
        'Source address',
        'Destination address',
        'Source port',
        'Destination port',
        'TCP flags',
        'Time (s)',
      ]) {
        await expect(first.getByText(label, { exact: true })).toBeVisible();
        await expect(first.getByLabel(label, { exact: true })).toBeVisible();
      }
      // A packet from another address: the diagram's header names it.
      const source = first.getByLabel('Source address', { exact: true });
      await source.fill('192.168.5.7');
      await first.getByLabel('Destination port', { exact: true }).fill('80');
      const send = builder.getByRole('button', { name: 'Send packets' });
      await send.click();
      const diagram = dock(page).getByRole('group', { name: 'Sequence diagram' });
      await expect(diagram.getByRole('button')).toHaveCount(1, { timeout: 30_000 });
      await expect(diagram).toContainText('remote 192.168.5.7');
      await expect(diagram).not.toContainText('remote 10.99.0.3');

      // A bad address: the field is marked and says why; sending clears the last result.
      await source.fill('10.0.0.300');
      await expect(source).toHaveAttribute('aria-invalid', 'true');
      await expect(source).toHaveAccessibleDescription(/10\.0\.0\.300 is not an IPv4 address/);
      await send.click();
      await expect(dock(page).getByRole('alert')).toContainText('not IPv4');
      await expect(diagram).toHaveCount(0);
      await expect(source).toBeFocused();
      // Fixed, it runs again.
      await source.fill('10.0.0.30');
      await expect(source).not.toHaveAttribute('aria-invalid', 'true');
      await send.click();
      await expect(diagram).toContainText('remote 10.0.0.30', { timeout: 30_000 });
      await expect(dock(page).getByRole('alert')).toHaveCount(0);
    });

    test('9. conntrack states as distinct badges with a legend, and the diagram in the Learn tab', async ({
      page,
    }) => {
      const diagram = await openActiveFtp(page);
      const legend = dock(page).getByRole('list', { name: 'Conntrack states' });
      await expect(legend.getByRole('listitem')).toHaveCount(5);
      // Each state's badge differs by more than its hue: fill and edge style too.
      const styles = await legend.locator('.ct-badge').evaluateAll((badges) =>
        badges.map((b) => {
          const s = getComputedStyle(b);
          return {
            name: b.textContent,
            look: `${s.backgroundColor} ${s.borderTopStyle} ${s.borderTopWidth}`,
            size: parseFloat(s.fontSize),
            weight: Number(s.fontWeight),
          };
        }),
      );
      expect(new Set(styles.map((s) => s.look)).size).toBe(5);
      for (const s of styles) {
        expect(s.size, `${s.name} font size`).toBeGreaterThanOrEqual(11.5);
        expect(s.weight, `${s.name} font weight`).toBeGreaterThanOrEqual(700);
      }
      // The diagram's badges: the SYN is NEW, the SYN/ACK ESTABLISHED, drawn differently.
      const badge = (n: number) => diagram.locator(`[data-step="${n}"] .seq-badge`);
      await expect(badge(0)).toHaveText('NEW');
      await expect(badge(1)).toHaveText('ESTABLISHED');
      const fill = (n: number) =>
        badge(n)
          .locator('rect')
          .evaluate((r) => getComputedStyle(r).fill);
      expect(await fill(0)).not.toBe(await fill(1));
      // From 1440 px on, the drawing fits its column: the state badges are in view, no sideways
      // scrolling (it scales down to three quarters of its size before a column may scroll).
      if ((page.viewportSize()?.width ?? 0) >= 1440) {
        const fits = await diagram.evaluate((el) => {
          const box = el.getBoundingClientRect();
          const badges = [...el.querySelectorAll('.seq-badge rect')].map((b) =>
            b.getBoundingClientRect(),
          );
          return el.scrollWidth <= el.clientWidth + 1 && badges.every((b) => b.right <= box.right);
        });
        expect(fits).toBe(true);
      }

      // The Learn tab shows the conversation up to the key packet, all of it after the reveal.
      await dock(page).getByRole('tab', { name: 'Learn' }).click();
      await dock(page)
        .getByRole('navigation', { name: 'Lessons' })
        .getByRole('button', { name: /two FTP-server solutions/ })
        .click();
      const conversation = dock(page).getByRole('region', { name: 'The conversation' });
      await expect(conversation).toContainText('up to packet 24 “data SYN”', { timeout: 30_000 });
      const learnDiagram = conversation.getByRole('group', { name: 'Sequence diagram' });
      await expect(learnDiagram.getByRole('button')).toHaveCount(23);
      await expect(conversation.getByRole('list', { name: 'Conntrack states' })).toBeVisible();
      await dock(page).getByRole('radio', { name: 'Dropped' }).check();
      await dock(page).getByRole('button', { name: 'Reveal' }).click();
      await expect(learnDiagram.getByRole('button')).toHaveCount(42);
      await expect(
        learnDiagram.getByRole('button', {
          name: /data SYN( \(retransmission \d\))?, from the VM, NEW, dropped/,
        }),
      ).toHaveCount(10);
    });

    test('2. the rule form gets the room to edit while a rule is edited', async ({ page }) => {
      await openApp(page);
      const panelsHeight = async () => (await dock(page).boundingBox())?.height ?? 0;
      const before = await panelsHeight();
      const http = rules(page).getByRole('row').filter({ hasText: 'tcp dst 80' });
      await http.locator('[data-col="match"]').dblclick();
      const form = page.getByRole('region', { name: 'Rule editor' });
      const port = form.getByLabel('dstportstart', { exact: true });
      // Focus is in the form (on the match's first set attribute).
      await expect(form.locator('input:focus')).toBeInViewport();
      // On a short screen the dock steps back; the form gets more than a few lines, the table
      // keeps its row in view.
      if (size.height <= 960) await expect.poll(panelsHeight).toBeLessThan(before / 2);
      else expect(await panelsHeight()).toBeCloseTo(before, 0);
      // At least 220 px, or all it holds when that is less.
      const room = await form.evaluate((el) => ({ has: el.clientHeight, needs: el.scrollHeight }));
      expect(room.has, 'the rule form is cut short').toBeGreaterThanOrEqual(
        Math.min(220, room.needs),
      );
      await expect(http).toBeInViewport();
      // A validation message has room too: a bad port is explained where it is typed.
      await port.fill('99999');
      await expect(port).toHaveAttribute('aria-invalid', 'true');
      await expect(form.getByRole('alert')).toBeInViewport();
      await port.fill('8080');
      // Back to the table: the dock comes back.
      await page.keyboard.press('Escape');
      await expect(rules(page).getByRole('row', { selected: true })).toBeFocused();
      await expect.poll(panelsHeight).toBeCloseTo(before, 0);
    });

    test('9. INVALID on a default host, beside mid-stream-ack (NEW) and with tcp_loose=0; the INVALID lesson', async ({
      page,
    }) => {
      await openApp(page);
      await giveVmIp(page);
      const scenario = dock(page).getByRole('combobox', { name: 'Scenario' });
      const diagram = dock(page).getByRole('group', { name: 'Sequence diagram' });
      const packet = (n: number) => diagram.locator(`[data-step="${n}"]`);
      // The three scenarios sit together in the list.
      const names = await scenario
        .locator('option')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      const at = names.indexOf('mid-stream-ack');
      expect(names.slice(at, at + 3)).toEqual([
        'mid-stream-ack',
        'mid-stream-ack-strict',
        'tcp-invalid',
      ]);
      // tcp_loose=1 (the default): the bare ACK is NEW and the SSH rule accepts it.
      await scenario.selectOption('mid-stream-ack');
      await expect(diagram.getByRole('button')).toHaveCount(4, { timeout: 30_000 });
      await expect(packet(0).locator('.seq-badge')).toHaveText('NEW');
      await expect(
        diagram.getByRole('button', { name: /data \(mid-stream\), to the VM, NEW, accepted/ }),
      ).toHaveCount(1);
      // tcp_loose=0: the same segment is INVALID and the final drop takes it.
      await scenario.selectOption('mid-stream-ack-strict');
      await expect(diagram.getByRole('button')).toHaveCount(1, { timeout: 30_000 });
      await expect(packet(0).locator('.seq-badge')).toHaveText('INVALID');
      await expect(
        diagram.getByRole('button', { name: /data \(mid-stream\), to the VM, INVALID, dropped/ }),
      ).toHaveCount(1);
      await expect(dock(page).locator('.sim-explain')).toContainText('nf_conntrack_tcp_loose=0');
      // A default host: four INVALID segments dropped, the session itself carries on.
      await scenario.selectOption('tcp-invalid');
      await expect(diagram.getByRole('button')).toHaveCount(11, { timeout: 30_000 });
      await expect(diagram.locator('.seq-badge', { hasText: 'INVALID' })).toHaveCount(4);
      await expect(diagram.getByRole('button', { name: /INVALID, dropped/ })).toHaveCount(4);
      await expect(
        diagram.getByRole('button', { name: /client banner, to the VM, ESTABLISHED, accepted/ }),
      ).toHaveCount(1);

      // The lesson: predict, then reveal with tcp_loose=0.
      await dock(page).getByRole('tab', { name: 'Learn' }).click();
      await dock(page)
        .getByRole('navigation', { name: 'Lessons' })
        .getByRole('button', { name: /INVALID: a session conntrack cannot pick up/ })
        .click();
      await expect(
        page.getByRole('heading', { name: 'lesson-invalid-tcp-loose', level: 2 }),
      ).toBeVisible();
      const lesson = dock(page).getByRole('article');
      await expect(lesson).toContainText('nf_conntrack_tcp_loose=0');
      await dock(page).getByRole('radio', { name: 'Dropped' }).check();
      const reveal = dock(page).getByRole('button', { name: 'Reveal' });
      await expect(reveal).toBeEnabled({ timeout: 30_000 });
      await reveal.click();
      await expect(
        dock(page).getByRole('region', { name: 'Answer' }).getByRole('status'),
      ).toContainText('Right: packet 1 “data (mid-stream)” is dropped (conntrack state INVALID)');
    });

    test('9. FTP without the helper reacts to what was delivered: the SYN retried, then 425, no 226', async ({
      page,
    }) => {
      const diagram = await openActiveFtp(page, 42);
      // The server's data SYN: sent ten times before vsftpd's connect_timeout, each one dropped.
      await expect(
        diagram.getByRole('button', {
          name: /data SYN( \(retransmission [1-9]\))?, from the VM, NEW, dropped/,
        }),
      ).toHaveCount(10);
      // Then 425, not 150/226, and the client quits.
      await expect(
        diagram.getByRole('button', { name: /: 425, from the VM, ESTABLISHED, accepted/ }),
      ).toHaveCount(1);
      await expect(diagram.getByRole('button', { name: /: (150|226), / })).toHaveCount(0);
      await expect(diagram.getByRole('button', { name: /: QUIT, to the VM/ })).toHaveCount(1);
      await diagram.getByRole('button', { name: /: 425, from the VM/ }).click();
      const explanation = dock(page).getByRole('region', { name: 'Explanation' });
      await expect(explanation).toContainText('425');
      await expect(dock(page).getByText(/^Not sent/)).toHaveCount(0);
      // With the helper: one data SYN, RELATED and accepted; 150 and 226, no 425.
      await dock(page)
        .getByRole('checkbox', { name: /FTP helper/ })
        .check();
      await expect(diagram.getByRole('button')).toHaveCount(42, { timeout: 30_000 });
      await expect(
        diagram.getByRole('button', { name: /data SYN, from the VM, RELATED, accepted/ }),
      ).toHaveCount(1);
      await expect(diagram.getByRole('button', { name: /: 226, from the VM/ })).toHaveCount(1);
      await expect(diagram.getByRole('button', { name: /: 425, / })).toHaveCount(0);
    });
  });
}
