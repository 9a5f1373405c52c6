// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const UI_PACKAGES = [
  'react',
  'react-dom',
  'zustand',
  'zundo',
  'monaco-editor',
  '@monaco-editor/react',
];

/**
 * The import fence (issue 13): outside src/core, the core is reached through `src/core` or a
 * layer's `index.ts` (`src/core/<layer>`), never a file inside a layer (type imports included).
 * Test helpers under a `testing/` folder are not API and stay importable by tests.
 */
export const CORE_INTERNAL_IMPORT =
  '^(?:\\.{1,2}/)+(?:src/)?core/[a-z0-9-]+/(?!(?:[a-z0-9-]+/)*testing/)(?!index$).+';
export const CORE_FENCE_MESSAGE =
  'Import the core through src/core or its layer (src/core/<layer>, the index), not a file inside a layer (issue 13).';

export const E2E_FIXTURE_MESSAGE =
  "Take test and expect from './support/fixtures': its axe watch scans every state the test visits (issue 16).";

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/store/**/*.{ts,tsx}', 'src/*.tsx', 'src/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    // DESIGN.md invariant 4: the core is pure. Type imports are banned too.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts', 'src/core/**/*.bench.ts', 'src/core/**/testing/**'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: UI_PACKAGES.map((name) => ({
            name,
            message: 'src/core must stay pure (DESIGN.md invariant 4).',
          })),
          patterns: [
            {
              group: ['react/*', 'react-dom/*', 'monaco-editor/*', 'zustand/*'],
              message: 'src/core must stay pure.',
            },
            {
              group: ['**/store', '**/store/*', '**/ui', '**/ui/*', '**/cli', '**/cli/*'],
              message: 'src/core never imports store, ui or cli.',
            },
            {
              group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto'],
              message: 'src/core runs in the browser too: no Node built-ins.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'localStorage',
        'navigator',
        'process',
        'Date',
      ],
    },
  },
  {
    files: [
      'src/ui/**/*.{ts,tsx}',
      'src/store/**/*.{ts,tsx}',
      'src/cli/**/*.ts',
      'src/testing/**/*.ts',
      'src/*.{ts,tsx}',
      'tests/**/*.ts',
      'e2e/**/*.ts',
      'bench/**/*.ts',
      'e2e-bench/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: CORE_INTERNAL_IMPORT, message: CORE_FENCE_MESSAGE }] },
      ],
    },
  },
  {
    // Every spec takes `test` from e2e/support/fixtures, whose axe watch scans every state the
    // suite visits (issue 16); a spec on Playwright's own `test` would escape it.
    files: ['e2e/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@playwright/test',
              importNames: ['test', 'expect'],
              message: E2E_FIXTURE_MESSAGE,
            },
            {
              name: '@axe-core/playwright',
              message: 'The fixture of ./support/fixtures scans every state with axe (issue 16).',
            },
          ],
          patterns: [{ regex: CORE_INTERNAL_IMPORT, message: CORE_FENCE_MESSAGE }],
        },
      ],
    },
  },
);
