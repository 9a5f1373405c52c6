import type { Page } from '@playwright/test';

/**
 * Page-side probe shared by the UI benchmarks (ui.bench.ts) and the cold path (bench/cold-start.ts):
 * the page's own clock, not Playwright's polling, which waits while the page's main thread runs.
 *
 * Records in `window.__bench`, from navigation start, when the rule table has rows and when
 * Monaco is on screen: requestAnimationFrame then a task, the time just after the frame that
 * shows each. Source text rather than a function: tsx (which runs bench/) wraps functions in a
 * `__name` helper the page does not have. Pass it as `page.addInitScript({ content })`.
 */
export const READY_PROBE = `(() => {
  const w = window;
  w.__bench = {};
  const afterPaint = (key) => {
    w.__bench[key + 'Pending'] = 1;
    requestAnimationFrame(() => setTimeout(() => (w.__bench[key] = performance.now()), 0));
  };
  const check = () => {
    if (w.__bench.tablePending === undefined && document.querySelector('.rt-body [role="row"]'))
      afterPaint('table');
    if (
      w.__bench.monacoPending === undefined &&
      document.querySelector('.xml-pane .monaco-editor .view-line')
    )
      afterPaint('monaco');
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

/**
 * Waits until the probe has seen both the table and Monaco; their times in ms from navigation
 * start. Expressions as text, for the same reason as the probe.
 */
export async function waitForReady(page: Page): Promise<{ table: number; monaco: number }> {
  await page.waitForFunction(
    'window.__bench && window.__bench.table !== undefined && window.__bench.monaco !== undefined',
    null,
    { timeout: 60_000 },
  );
  return page.evaluate('({ table: window.__bench.table, monaco: window.__bench.monaco })');
}
