import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** Runs axe-core on the page (or the part `include` selects) and expects no violation at all. */
export async function expectNoAxeViolations(page: Page, what: string, include?: string) {
  const builder = new AxeBuilder({ page });
  const results = await (include ? builder.include(include) : builder).analyze();
  expect(
    results.violations.map(
      (v) =>
        `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.html.slice(0, 120)).join(' | ')} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(', ')}`,
    ),
  ).toEqual([]);
}
