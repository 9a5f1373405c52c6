import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './corpus-dir';

/**
 * The import fence of eslint.config.js (issue 13) fires: outside src/core, a file inside a core
 * layer is refused (type imports too), the core's and its layers' indexes and test helpers are not.
 */
describe('the import fence', () => {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const fenced = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
      .map((m) => m.line);
  };

  it('refuses core internals in ui, store, cli, tests and bench, type imports included', async () => {
    const code = [
      "import { parseFilterXml } from '../core/xml/parse-filter-xml';",
      "import type { Rule } from '../core/model/types';",
      "export { BridgeHost } from '../core/netfilter/bridge-host';",
      'export const used: unknown = [parseFilterXml, {} as Rule];',
    ].join('\n');
    for (const file of ['src/ui/probe.ts', 'src/store/probe.ts', 'src/cli/probe.ts'])
      expect(await fenced(file, code)).toEqual([1, 2, 3]);
    expect(
      await fenced(
        'tests/kernel-diff/probe.ts',
        "import type { Conn } from '../../src/core/conntrack/types';\nexport type C = Conn;",
      ),
    ).toEqual([1]);
  });

  it('lets the core, its layers and test helpers through', async () => {
    const code = [
      "import { parseFilterXml } from '../core';",
      "import type { Rule } from '../core/model';",
      "import { serializeDoc } from '../core/xml/index';",
      "import { corpusDir } from '../core/compile/testing/libvirt-harness';",
      'export const used: unknown = [parseFilterXml, {} as Rule, serializeDoc, corpusDir];',
    ].join('\n');
    expect(await fenced('src/ui/probe.ts', code)).toEqual([]);
    // Inside the core, layers import each other's files freely.
    expect(
      await fenced(
        'src/core/lint/probe.ts',
        "import { BridgeHost } from '../netfilter/bridge-host';\nexport const b = BridgeHost;",
      ),
    ).toEqual([]);
  });

  it('makes every e2e spec take test from the fixture with the axe watch', async () => {
    const code = [
      "import { test, expect } from '@playwright/test';",
      "import AxeBuilder from '@axe-core/playwright';",
      "import type { Page } from '@playwright/test';",
      "import { test as ours } from './support/fixtures';",
      'export const used: unknown = [test, expect, AxeBuilder, {} as Page, ours];',
    ].join('\n');
    expect(await fenced('e2e/probe.spec.ts', code)).toEqual([1, 1, 2]);
    // Helpers and the fixture itself build on Playwright's own.
    expect(await fenced('e2e/support/probe.ts', code)).toEqual([]);
    // And every spec there is does take it.
    const specs = readdirSync(path.join(REPO_ROOT, 'e2e')).filter((f) => f.endsWith('.spec.ts'));
    expect(specs.length).toBeGreaterThan(10);
    for (const spec of specs)
      expect(readFileSync(path.join(REPO_ROOT, 'e2e', spec), 'utf8'), spec).toMatch(
        /^import \{[^}]*\btest\b[^}]*\} from '\.\/support\/fixtures';$/m,
      );
  });
});
