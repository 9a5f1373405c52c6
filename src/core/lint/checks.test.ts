import { describe, expect, it } from 'vitest';
import { LINT_CHECKS } from './checks';
import { dedupeFindings } from './lint-check';
import { LINT_CODES } from './lint-codes';

describe('LINT_CHECKS: the one list of checks', () => {
  it('has unique ids, and every lint code is reported by a registered check', () => {
    const ids = LINT_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const reported = new Set(LINT_CHECKS.flatMap((c) => c.codes));
    expect(Object.values(LINT_CODES).filter((c) => !reported.has(c.code))).toEqual([]);
  });

  it('gives each check the default severity of its first code (binding refusals: error)', () => {
    for (const c of LINT_CHECKS) {
      const info = Object.values(LINT_CODES).find((k) => k.code === c.codes[0]);
      expect(info?.severity ?? 'error').toBe(c.severity);
    }
  });
});

describe('dedupeFindings', () => {
  const f = (code: string, entryIndex: number, message: string) => ({
    code,
    severity: 'warning' as const,
    filter: 'f',
    ruleIndex: entryIndex,
    entryIndex,
    message,
  });

  it('keeps the first of findings with the same code, entry and message', () => {
    const a = f('NWF501', 1, 'x');
    const out = dedupeFindings([a, f('NWF501', 1, 'x'), f('NWF501', 1, 'y'), f('NWF502', 1, 'x')]);
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(a);
  });
});
