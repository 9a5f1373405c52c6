/**
 * UI benchmarks (issue 8), run by `npm run bench:ui` against the production build. Prints one
 * figure per line as `<measure>: <value> <unit>`; asserts only what it needs to measure at all.
 * Timings come from the page's own clock (performance.now) at the triggering DOM event and at
 * the first animation frame after the DOM shows the result, not from Playwright's polling.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { BENCH_OUT_DIR } from '../playwright.bench.config';
import { makeFilterXml } from '../bench/make-filter-xml';
import { READY_PROBE, waitForReady } from './ready-probe';

const RULES = 2_000;
const FILTER = `ui-${RULES}`;
const REPEATS = 5;

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
function figure(measure: string, value: string, unit: string): void {
  console.log(`${measure}: ${value}${unit ? ` ${unit}` : ''}`);
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : NaN;
}

async function coldLoad(
  browser: Browser,
): Promise<{ table: number; monaco: number; fcp: number; scripts: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const scripts: string[] = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  await page.addInitScript({ content: READY_PROBE });
  await page.goto('/');
  const ready = await waitForReady(page);
  // The table must answer a click: select the first row and see the rule editor.
  await page.locator('.rt-body [role="row"]').first().click();
  await expect(page.getByRole('region', { name: 'Rule editor' })).toBeVisible();
  const fcp = await page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
  );
  await context.close();
  return { table: ready.table, monaco: ready.monaco, fcp, scripts: [...new Set(scripts)] };
}

function gzipSize(file: string): number {
  return gzipSync(readFileSync(file)).length;
}

/** The JS index.html loads up front: its module scripts and modulepreloads. */
function initialScripts(): string[] {
  const html = readFileSync(join(BENCH_OUT_DIR, 'index.html'), 'utf8');
  const out: string[] = [];
  for (const m of html.matchAll(
    /<script[^>]*\bsrc="([^"]+\.js)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g,
  )) {
    const p = m[1] ?? m[2];
    if (p) out.push(p.replace(/^\.?\//, ''));
  }
  return out;
}

/** Waits (in the page) until `predicate` holds after a DOM change, then one animation frame; resolves with that time. */
async function armObserver(
  page: Page,
  selector: string,
  text: string,
  present: boolean,
): Promise<void> {
  await page.evaluate(
    ({ selector, text, present }) => {
      const w = window as unknown as { __shown?: Promise<number> };
      const root = document.querySelector(selector);
      if (!root) throw new Error(`no ${selector}`);
      const norm = (s: string | null) => (s ?? '').replace(/\u00a0/g, ' ');
      w.__shown = new Promise<number>((resolve) => {
        const test = () => norm(root.textContent).includes(text) === present;
        const obs = new MutationObserver(() => {
          if (!test()) return;
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now()));
        });
        obs.observe(root, { childList: true, subtree: true, characterData: true });
      });
    },
    { selector, text, present },
  );
}

/** Records the time of the next event of `type` anywhere in the page (capture phase). */
async function armTrigger(page: Page, type: 'keydown' | 'input' | 'change'): Promise<void> {
  await page.evaluate((type) => {
    const w = window as unknown as { __trigger?: number };
    w.__trigger = undefined;
    document.addEventListener(type, () => (w.__trigger ??= performance.now()), {
      capture: true,
      once: true,
    });
  }, type);
}

async function elapsed(page: Page): Promise<number> {
  // NaN when the change never shows (20 s), so one miss does not hang the whole run.
  return page.evaluate(async () => {
    const w = window as unknown as { __shown?: Promise<number>; __trigger?: number };
    const shown = await Promise.race([
      w.__shown,
      new Promise<number>((r) => setTimeout(() => r(NaN), 20_000)),
    ]);
    return (shown ?? NaN) - (w.__trigger ?? NaN);
  });
}

/**
 * With BENCH_UI_PROFILE_DIR set, records a CPU profile (Chrome DevTools protocol) of `fn` into
 * `<dir>/<name>.cpuprofile` (open it in Chrome DevTools; build with --minify false for names):
 * the keystroke, cell-edit, scroll and ftp-active loops.
 */
async function profiled<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_UI_PROFILE_DIR;
  if (!dir) return fn();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const result = await fn();
  const { profile } = await cdp.send('Profiler.stop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  await cdp.detach();
  return result;
}

/**
 * Puts Monaco's cursor right after `after` on the line containing it: a click on the line's
 * visible start, End, then ArrowLeft (long lines run past the pane's right edge).
 */
async function placeCursorAfter(page: Page, after: string): Promise<void> {
  const line = page.locator('.xml-pane .view-line', { hasText: after }).first();
  const text = ((await line.textContent()) ?? '').replace(/\u00a0/g, ' ');
  const box = await line.boundingBox();
  if (!box) throw new Error(`no XML line with ${after}`);
  await page.mouse.click(box.x + 40, box.y + box.height / 2);
  await page.keyboard.press('End');
  const back = text.trimEnd().length - (text.indexOf(after) + after.length);
  for (let i = 0; i < back; i++) await page.keyboard.press('ArrowLeft');
}

test('UI benchmarks', async ({ browser, page }) => {
  // --- cold load and initial JS --------------------------------------------------------------
  const loads = [];
  // BENCH_UI_COLD_LOADS=N: more loads for a steadier median on a busy machine.
  const coldLoads = Number(process.env.BENCH_UI_COLD_LOADS) || 3;
  for (let i = 0; i < (process.env.BENCH_UI_SKIP_COLD === '1' ? 0 : coldLoads); i++)
    loads.push(await coldLoad(browser));
  // Interactive: the rule table painted with rows (and answering a click, checked in coldLoad).
  figure(
    'cold load to interactive editor (rule table painted)',
    fmt(median(loads.map((l) => Math.max(l.table, l.fcp))), 0),
    'ms',
  );
  figure('cold load first contentful paint', fmt(median(loads.map((l) => l.fcp)), 0), 'ms');
  figure('cold load to Monaco XML editor shown', fmt(median(loads.map((l) => l.monaco)), 0), 'ms');
  figure(
    'Monaco shown after the rule table',
    fmt(median(loads.map((l) => l.monaco - Math.max(l.table, l.fcp))), 0),
    'ms',
  );
  const initial = initialScripts();
  const initialGz = initial.reduce((s, f) => s + gzipSize(join(BENCH_OUT_DIR, f)), 0);
  const initialRaw = initial.reduce((s, f) => s + readFileSync(join(BENCH_OUT_DIR, f)).length, 0);
  figure('initial JS (index.html scripts + modulepreloads) gzip', fmt(initialGz / 1024, 1), 'KB');
  figure('initial JS uncompressed', fmt(initialRaw / 1024, 1), 'KB');
  const loaded = (loads[0]?.scripts ?? []).map((p) => p.replace(/^\//, ''));
  const loadedGz = loaded.reduce((s, f) => {
    try {
      return s + gzipSize(join(BENCH_OUT_DIR, f));
    } catch {
      return s;
    }
  }, 0);
  figure(
    'all JS fetched during a cold load (incl. Monaco, lazy) gzip',
    fmt(loadedGz / 1024, 1),
    'KB',
  );
  // The cold path alone (bench/README.md, "The cold path").
  if (process.env.BENCH_UI_ONLY_COLD === '1') return;

  // --- a 2,000-rule filter ---------------------------------------------------------------------
  await page.addInitScript({ content: READY_PROBE });
  await page.goto('/');
  await waitForReady(page);
  const xml = makeFilterXml(FILTER, RULES, 1, 500);
  const t0 = Date.now();
  await page.getByLabel('Import XML file').setInputFiles({
    name: `${FILTER}.xml`,
    mimeType: 'application/xml',
    buffer: Buffer.from(xml),
  });
  await expect(page.getByRole('heading', { name: FILTER })).toBeVisible({ timeout: 60_000 });
  const firstRow = page.locator('.rt-body [role="row"]').first();
  await expect(firstRow).toContainText('1024', { timeout: 60_000 });
  await expect(page.locator('.xml-pane')).toContainText(`name='${FILTER}'`, { timeout: 60_000 });
  figure(
    `import ${RULES.toLocaleString('en-US')}-rule filter to table and XML shown (wall, incl. Playwright polling)`,
    fmt(Date.now() - t0, 0),
    'ms',
  );

  // Keystroke in the XML pane → the table shows it. Rule 0: dstportstart='1024' dstportend='1034'.
  await placeCursorAfter(page, "dstportend='1034");
  const keyTimes: number[] = [];
  await profiled(page, 'keystroke', async () => {
    for (let i = 0; i < REPEATS; i++) {
      await armObserver(page, '.rt-body', '10349', true);
      await armTrigger(page, 'keydown');
      await page.keyboard.type('9');
      keyTimes.push(await elapsed(page));
      await armObserver(page, '.rt-body', '10349', false);
      await armTrigger(page, 'keydown');
      await page.keyboard.press('Backspace');
      keyTimes.push(await elapsed(page));
    }
  });
  figure(
    `keystroke in XML → table shows it, ${RULES.toLocaleString('en-US')} rules (median)`,
    fmt(median(keyTimes)),
    'ms',
  );
  figure(
    `keystroke in XML → table shows it, ${RULES.toLocaleString('en-US')} rules (max)`,
    fmt(Math.max(...keyTimes)),
    'ms',
  );

  // Cell edit (rule editor field of the selected row) → the XML shows it.
  await firstRow.click();
  const field = page
    .getByRole('region', { name: 'Rule editor' })
    .getByLabel('dstportend', { exact: true });
  await expect(field).toHaveValue('1034');
  const editTimes: number[] = [];
  await profiled(page, 'cell-edit', async () => {
    for (let i = 0; i < REPEATS * 2; i++) {
      const value = String(1035 + i);
      await armObserver(page, '.xml-pane', `dstportend='${value}'`, true);
      await armTrigger(page, 'input');
      await field.fill(value);
      editTimes.push(await elapsed(page));
    }
  });
  figure(
    `cell edit → XML shows it, ${RULES.toLocaleString('en-US')} rules (median)`,
    fmt(median(editTimes)),
    'ms',
  );
  figure(
    `cell edit → XML shows it, ${RULES.toLocaleString('en-US')} rules (max)`,
    fmt(Math.max(...editTimes)),
    'ms',
  );

  // Table scroll: wheel through the table while recording frame intervals.
  const body = page.locator('.rt-body');
  const box = await body.boundingBox();
  if (!box) throw new Error('no table body');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__frames = [];
    w.__recording = true;
    let last = performance.now();
    const tick = (t: number) => {
      w.__frames.push(t - last);
      last = t;
      if (w.__recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(tick);
    });
  });
  await profiled(page, 'scroll', async () => {
    for (let i = 0; i < 120; i++) {
      await page.mouse.wheel(0, i < 60 ? 240 : -240);
      await page.waitForTimeout(16);
    }
  });
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__recording = false;
    return w.__frames;
  });
  const scrolled = await body.evaluate((el) => el.scrollHeight > el.clientHeight);
  // A frame interval above 16.7 ms (plus rAF jitter) means a 60 Hz vsync was missed.
  const slow = frames.filter((d) => d > 20);
  figure(
    'table scroll frames over 16 ms (missed a 60 Hz vsync)',
    `${slow.length} of ${frames.length}`,
    `frames (${fmt((100 * slow.length) / Math.max(1, frames.length))} %)`,
  );
  figure('table scroll longest frame', fmt(Math.max(...frames)), 'ms');
  if (!scrolled) figure('table scroll note', 'table did not overflow', '');

  // --- simulator: run and show ftp-active --------------------------------------------------------
  // From choosing the scenario (the change event) to the first frame that shows its packets
  // ('LIST' is a frame label only active/passive FTP have); the live re-run's debounce included.
  const simTab = page.getByRole('tab', { name: /simulat/i });
  if ((await simTab.count()) === 0) {
    figure('run and show ftp-active', 'n/a', '(no simulator panel in this build)');
    return;
  }
  await simTab.first().click();
  const panel = page.getByRole('tabpanel').first();
  const scenario = panel.getByRole('combobox', { name: 'Scenario' });
  await expect(scenario).toBeVisible();
  const simTimes: number[] = [];
  await profiled(page, 'ftp-active', async () => {
    for (let i = 0; i < 3; i++) {
      await scenario.selectOption('ping');
      await expect(panel).not.toContainText('LIST', { timeout: 60_000 });
      await page.waitForTimeout(500);
      await armObserver(page, '[role="tabpanel"]', 'LIST', true);
      await armTrigger(page, 'change');
      await scenario.selectOption('ftp-active');
      simTimes.push(await elapsed(page));
    }
  });
  figure(
    `run and show ftp-active, ${RULES.toLocaleString('en-US')}-rule filter open (median)`,
    fmt(median(simTimes)),
    'ms',
  );
});
