import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import axeCore from 'axe-core';
import type { Result, resultGroups } from 'axe-core';
import type { Page } from '@playwright/test';

/**
 * axe-core in every state the e2e suite visits (issue 16). Every user action a test takes on a
 * page (click, fill, press, drag, goto, setViewportSize, …, through Page, Locator, Keyboard,
 * Mouse or Touchscreen) marks the page as "moved"; before the page's next action, and at the
 * test's end, the state it moved to is scanned, if the run has not scanned that state yet.
 * Scanning then, not during the action, sees the state the test itself waited for and checked,
 * so a scan never races a render. A state is keyed by what is visible (see `scanNewStates`),
 * which keeps the number of scans bounded however many actions a test takes.
 *
 * The watch patches the prototypes of Playwright's client classes once per worker, so pages the
 * tests open themselves (`browser.newContext()`) are watched too; specs cannot opt out because
 * every spec takes `test` from ./fixtures (an ESLint rule refuses `test` from @playwright/test).
 */

/** One axe violation, as the failure message and the summary name it. */
export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** What one scan found, reported per test to the summary reporter. */
export interface AxeScan {
  /** The part states this scan found new (each a JSON object whose `part` names the part). */
  keys: string[];
  after: string;
  ms: number;
  violations: AxeFinding[];
}

/**
 * Where axe is wrong about this page, each with why: a rule's findings inside `within` are
 * dropped. Every rule of axe's default set (WCAG A/AA and best practices, every impact) runs
 * everywhere else.
 */
const EXCLUDED: { rules: string[]; within: string; why: string }[] = [
  {
    rules: ['aria-required-children', 'aria-required-parent'],
    within: '.monaco-editor .suggest-widget',
    why:
      "Monaco's completion list gives its rows role=listitem inside role=listbox when the user " +
      "agent says Windows (Playwright's Desktop Chrome does), on purpose, for NVDA " +
      '(monaco-editor suggestWidget.js: getRole: isWindows ? listitem : option); elsewhere they ' +
      'are options. Not markup the app writes or can change.',
  },
];

/**
 * The states scanned in this run: this worker's, and those the other workers found clean
 * (shared through the file e2e/support/axe-global-setup.ts names). A state with a violation is
 * never shared, so the test that meets it again (a retry included) fails again.
 */
const scannedStates = new Set<string>();
const SHARED = process.env.NWFS_AXE_STATES;

function readShared() {
  if (!SHARED || !existsSync(SHARED)) return;
  for (const line of readFileSync(SHARED, 'utf8').split('\n')) if (line) scannedStates.add(line);
}

interface PageWatch {
  /** The last action taken on the page, not followed by a scan yet. */
  pending: string | null;
  /** A scan in progress, so two actions in a `Promise.all` wait for the same one. */
  running: Promise<void> | null;
}

interface TestWatch {
  scans: AxeScan[];
  failures: string[];
  pages: Map<Page, PageWatch>;
}

let current: TestWatch | null = null;
let scanning = false;

/** Starts watching the pages of one test; returns what the test's end must check. */
export function beginTest(): TestWatch {
  current = { scans: [], failures: [], pages: new Map() };
  return current;
}

/** Scans what the test's last actions led to; returns the failures of the whole test. */
export async function endTest(watch: TestWatch, scanPending: boolean): Promise<string[]> {
  if (scanPending)
    for (const [page, state] of watch.pages)
      if (!page.isClosed()) await flush(page, state).catch((e) => watch.failures.push(String(e)));
  current = null;
  return watch.failures;
}

/** Where in the specs an action was taken: the helper's line and the spec's line. */
function callSite(): string {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .map((l) => /\(?([^\s()]*\/e2e\/[^\s()]+?):(\d+):\d+\)?$/.exec(l.trim()))
    .map((m) => (m ? `${(m[1] ?? '').replace(/^.*\/e2e\//, '')}:${m[2]}` : ''))
    .filter((f) => f && !/^support\/(axe-watch|fixtures)\./.test(f));
  const spec = frames.findIndex((f) => f.includes('.spec.'));
  return (spec < 0 ? frames.slice(0, 1) : frames.slice(0, spec + 1)).join(' ← ');
}

function describeArg(arg: unknown): string {
  if (typeof arg === 'string')
    return JSON.stringify(arg.length > 40 ? `${arg.slice(0, 40)}…` : arg);
  if (typeof arg === 'number') return String(arg);
  if (arg && typeof arg === 'object' && 'width' in arg && 'height' in arg)
    return `${(arg as { width: number }).width}×${(arg as { height: number }).height}`;
  return '…';
}

function describeAction(target: string, method: string, args: unknown[]): string {
  const shown = args.filter((a) => typeof a === 'string' || typeof a === 'number' || a);
  return `${target}.${method}(${shown.slice(0, 2).map(describeArg).join(', ')}) at ${callSite()}`;
}

/**
 * The page is cut into parts: its top-most landmarks, named sections and regions, and open
 * dialogs, menus, listboxes and tooltips, plus the rest. Each part's state is what is visible in
 * it, in a few words: its selected tabs, what is expanded or open, its named regions, groups,
 * forms, tables and lists, the names of the form fields it shows (which tell one rule form from
 * another), and whether a field is marked invalid or an alert shows; with the viewport, theme and
 * route. Digits are folded, so "Custom packet 1" and "… 2" are one state, as are two filters of
 * the same shape. A scan checks the parts whose state this worker has not scanned yet (their
 * elements, every rule), and, when the page's layout of parts is new, the rules about the page
 * as a whole (landmarks, headings, skip links, duplicate ids). So opening a tab in the dock scans
 * the dock alone, and the cost stays bounded however many actions a test takes.
 */
interface InPageScan {
  /** The states found new, scanned now (the part's name first). */
  scanned: { hash: string; key: string }[];
  violations: AxeFinding[];
}

async function scanNewStates(page: Page, known: string[]): Promise<InPageScan> {
  const injected = await page.evaluate(() => 'axe' in window);
  if (!injected) await page.evaluate(axeCore.source);
  const viewport = page.viewportSize();
  return page.evaluate(
    async ({ known, viewport, excluded }) => {
      type Axe = typeof axeCore & {
        _audit: { rules: { id: string; pageLevel: boolean }[] };
      };
      const axe = (window as unknown as { axe: Axe }).axe;
      // Scan the settled state: a fade-in read half-way (Monaco's hover fades in over 100 ms)
      // has a contrast the user never sees once it ends. Endless animations are not awaited.
      const fading = document
        .getAnimations()
        .filter(
          (a) =>
            a.playState === 'running' &&
            Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity),
        );
      await Promise.race([
        Promise.all(fading.map((a) => a.finished.catch(() => undefined))),
        new Promise((settle) => setTimeout(settle, 1000)),
      ]);
      const knownSet = new Set(known);
      const shown = (el: Element) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
      };
      const fold = (text: string) =>
        text.replace(/\d+/g, '#').replace(/\s+/g, ' ').trim().slice(0, 60);
      const nameOf = (el: Element): string => {
        const by = el.getAttribute('aria-labelledby');
        return fold(
          el.getAttribute('aria-label') ??
            (by
              ? by
                  .split(/\s+/)
                  .map((id) => document.getElementById(id)?.textContent ?? '')
                  .join(' ')
              : ((el as HTMLInputElement).labels?.[0]?.textContent ??
                el.getAttribute('title') ??
                (el.localName === 'input' ? '' : (el.textContent ?? '')))),
        );
      };
      const PART =
        'header, nav, aside, footer, section[aria-label], [role="region"][aria-label], ' +
        '[role="region"][aria-labelledby], [role="dialog"], [role="alertdialog"], dialog[open], ' +
        '[role="menu"], [role="listbox"], [role="tooltip"]';
      const candidates = [...document.querySelectorAll(PART)].filter(shown);
      const parts = candidates.filter((el) => !candidates.some((o) => o !== el && o.contains(el)));
      const inRest = (el: Element) => !parts.some((p) => p.contains(el));
      const describe = (root: Element, keep: (el: Element) => boolean) => {
        const names = (
          selector: string,
          label = (el: Element) => el.getAttribute('role') ?? el.localName,
        ) =>
          [
            ...new Set(
              [...root.querySelectorAll(selector)]
                .filter((el) => keep(el) && shown(el))
                .map((el) => `${label(el)}:${nameOf(el)}`),
            ),
          ].sort();
        return {
          tabs: names('[role="tab"][aria-selected="true"]'),
          open: names(
            '[aria-expanded="true"], [aria-pressed="true"], details[open], [role="dialog"], [role="menu"], [role="listbox"], [role="tooltip"]',
          ),
          parts: names(
            '[role="region"], section[aria-label], [role="group"][aria-label], [role="form"], form, nav, [role="table"], [role="grid"], [role="list"][aria-label], [role="status"], [role="toolbar"]',
          ),
          fields: names(
            'input:not([type="hidden"]), select, textarea, [contenteditable="true"]',
            (el) =>
              el.localName === 'input' ? `input[${(el as HTMLInputElement).type}]` : el.localName,
          ),
          invalid: [...root.querySelectorAll('[aria-invalid="true"]')].some(keep),
          alert: [...root.querySelectorAll('[role="alert"]')].some(
            (el) => keep(el) && shown(el) && !!el.textContent?.trim(),
          ),
        };
      };
      const dark = matchMedia('(prefers-color-scheme: dark)').matches;
      const where = {
        viewport: viewport && `${viewport.width}×${viewport.height}`,
        theme: `${dark ? 'dark' : 'light'} ${document.documentElement.className}`.trim(),
        route: location.pathname + location.search + location.hash.replace(/=.*/, '=…'),
      };
      // cyrb53: a short, stable name for a state, so the worker's list stays small.
      const hash = (text: string) => {
        let h1 = 0xdeadbeef;
        let h2 = 0x41c6ce57;
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          h1 = Math.imul(h1 ^ c, 2654435761);
          h2 = Math.imul(h2 ^ c, 1597334677);
        }
        h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
        h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
        return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
      };
      // A part is named by its label alone: the header's text changes with every notice.
      const partName = (el: Element) =>
        `${el.getAttribute('role') ?? el.localName}:${el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? nameOf(el) : ''}`;
      const states = parts.map((el) => {
        const key = JSON.stringify({ part: partName(el), ...where, ...describe(el, () => true) });
        return { el, key, hash: hash(key) };
      });
      const restKey = JSON.stringify({
        part: 'rest',
        ...where,
        ...describe(document.body, inRest),
      });
      const pageKey = JSON.stringify({ part: 'page', ...where, layout: parts.map(partName) });
      const rest = { key: restKey, hash: hash(restKey) };
      const whole = { key: pageKey, hash: hash(pageKey) };
      const fresh = states.filter((s) => !knownSet.has(s.hash));
      const restFresh = !knownSet.has(rest.hash);
      const wholeFresh = !knownSet.has(whole.hash);

      const findings: Result[] = [];
      const options = { resultTypes: ['violations'] as resultGroups[], elementRef: true };
      if (restFresh || fresh.length) {
        const context = restFresh
          ? {
              include: [document.body],
              exclude: states.filter((s) => knownSet.has(s.hash)).map((s) => s.el),
            }
          : { include: fresh.map((s) => s.el) };
        findings.push(...(await axe.run(context as never, options)).violations);
      }
      if (wholeFresh) {
        // What a part-by-part scan leaves out: axe runs page-level rules only on the whole page.
        const rules = axe._audit.rules
          .filter((r) => r.pageLevel || /^(landmark-|duplicate-id|region$|bypass$)/.test(r.id))
          .map((r) => r.id);
        const enabled = new Set(axe.getRules().map((r) => r.ruleId));
        const result = await axe.run(document, {
          ...options,
          runOnly: { type: 'rule', values: rules.filter((r) => enabled.has(r)) },
        });
        for (const v of result.violations)
          if (!findings.some((f) => f.id === v.id)) findings.push(v);
      }
      return {
        scanned: [
          ...fresh.map(({ key, hash }) => ({ key, hash })),
          ...(restFresh ? [rest] : []),
          ...(wholeFresh ? [whole] : []),
        ],
        violations: findings
          .map((v) => ({
            ...v,
            nodes: v.nodes.filter(
              (n) =>
                !excluded.some(
                  (e) =>
                    e.rules.includes(v.id) &&
                    n.element instanceof Element &&
                    n.element.closest(e.within),
                ),
            ),
          }))
          .filter((v) => v.nodes.length)
          .map((v) => ({
            rule: v.id,
            impact: v.impact ?? 'unknown',
            help: v.help,
            targets: v.nodes
              .slice(0, 5)
              .map((n) => `${n.target.join(' ')} ${n.html.slice(0, 100)}`),
          })),
      };
    },
    { known, viewport, excluded: EXCLUDED.map(({ rules, within }) => ({ rules, within })) },
  );
}

/** Errors that only say the page went away or navigated while it was being read. */
const GONE =
  /Target page, context or browser has been closed|Execution context was destroyed|navigating|Frame was detached/i;

async function scan(page: Page, after: string, watch: TestWatch): Promise<void> {
  // Before its first goto a page shows nothing of the app (setViewportSize comes first).
  if (!/^https?:/.test(page.url())) return;
  const start = Date.now();
  let found: InPageScan;
  scanning = true;
  try {
    readShared();
    found = await scanNewStates(page, [...scannedStates]);
  } catch (e) {
    if (GONE.test(String(e))) return;
    throw e;
  } finally {
    scanning = false;
  }
  if (!found.scanned.length) return;
  for (const s of found.scanned) scannedStates.add(s.hash);
  const violations = found.violations;
  if (SHARED && !violations.length)
    appendFileSync(SHARED, found.scanned.map((s) => `${s.hash}\n`).join(''));
  watch.scans.push({
    keys: found.scanned.map((s) => s.key),
    after,
    ms: Date.now() - start,
    violations,
  });
  if (violations.length) {
    const message =
      `axe: ${violations.length} violation(s) in the state after ${after}:\n` +
      violations
        .map(
          (v) =>
            `  ${v.rule} (${v.impact}): ${v.help}\n${v.targets.map((t) => `    ${t}`).join('\n')}`,
        )
        .join('\n');
    watch.failures.push(message);
    throw new Error(message);
  }
}

async function flush(page: Page, state: PageWatch): Promise<void> {
  while (state.running) await state.running;
  const after = state.pending;
  if (after === null || !current) return;
  state.pending = null;
  state.running = scan(page, after, current).finally(() => {
    state.running = null;
  });
  await state.running;
}

function watchOf(page: Page): PageWatch | null {
  if (!current) return null;
  let state = current.pages.get(page);
  if (!state) current.pages.set(page, (state = { pending: null, running: null }));
  return state;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** Wraps `methods` of `proto`: scan what the previous action led to, act, remember this action. */
function patch(
  proto: object,
  methods: string[],
  pageOf: (self: object) => Page | undefined,
  describe: (self: object) => string,
) {
  for (const method of methods) {
    const original = (proto as Record<string, Method>)[method];
    if (typeof original !== 'function' || (original as { axeWatched?: boolean }).axeWatched)
      continue;
    const wrapped = async function (this: object, ...args: unknown[]) {
      const page = scanning ? undefined : pageOf(this);
      const state = page && watchOf(page);
      if (!page || !state) return original.apply(this, args);
      await flush(page, state);
      const action = describeAction(describe(this), method, args);
      const result = await original.apply(this, args);
      state.pending = action;
      return result;
    };
    (wrapped as { axeWatched?: boolean }).axeWatched = true;
    Object.defineProperty(proto, method, { value: wrapped, configurable: true, writable: true });
  }
}

let patched = false;

/** Patches Playwright's client classes, once per worker, from a live page's objects. */
export function installAxeWatch(page: Page): void {
  if (patched) return;
  patched = true;
  const ownerPage = (self: object) => (self as { _page?: Page })._page;
  patch(
    Object.getPrototypeOf(page),
    [
      'goto',
      'reload',
      'goBack',
      'goForward',
      'setViewportSize',
      'emulateMedia',
      'click',
      'dblclick',
      'fill',
      'press',
      'type',
      'check',
      'uncheck',
      'setChecked',
      'selectOption',
      'setInputFiles',
      'hover',
      'focus',
      'tap',
      'dragAndDrop',
      'dispatchEvent',
    ],
    (self) => self as Page,
    () => 'page',
  );
  patch(
    Object.getPrototypeOf(page.locator('body')),
    [
      'click',
      'dblclick',
      'fill',
      'clear',
      'press',
      'pressSequentially',
      'type',
      'check',
      'uncheck',
      'setChecked',
      'selectOption',
      'selectText',
      'setInputFiles',
      'hover',
      'focus',
      'blur',
      'tap',
      'dragTo',
      'dispatchEvent',
      'scrollIntoViewIfNeeded',
    ],
    (self) => (self as { page(): Page }).page(),
    (self) => `locator(${String(self)})`,
  );
  patch(
    Object.getPrototypeOf(page.keyboard),
    ['down', 'up', 'press', 'type', 'insertText'],
    ownerPage,
    () => 'keyboard',
  );
  patch(
    Object.getPrototypeOf(page.mouse),
    ['click', 'dblclick', 'down', 'up', 'move', 'wheel'],
    ownerPage,
    () => 'mouse',
  );
  patch(Object.getPrototypeOf(page.touchscreen), ['tap'], ownerPage, () => 'touchscreen');
  // A page or context closed by the test: what its last action led to is scanned first.
  patch(
    Object.getPrototypeOf(page),
    ['close'],
    (self) => self as Page,
    () => 'page',
  );
  const contextProto = Object.getPrototypeOf(page.context());
  const closeContext = contextProto.close as Method;
  if (!(closeContext as { axeWatched?: boolean }).axeWatched) {
    const wrapped = async function (this: { pages(): Page[] }, ...args: unknown[]) {
      if (current && !scanning)
        for (const p of this.pages()) {
          const state = current.pages.get(p);
          if (state && !p.isClosed()) await flush(p, state);
        }
      return closeContext.apply(this, args);
    };
    (wrapped as { axeWatched?: boolean }).axeWatched = true;
    Object.defineProperty(contextProto, 'close', {
      value: wrapped,
      configurable: true,
      writable: true,
    });
  }
}

/** The exclusions, for the README and the summary. */
export const AXE_EXCLUSIONS = EXCLUDED;
