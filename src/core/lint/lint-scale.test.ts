import { describe, expect, it } from 'vitest';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { lintFilter } from './lint-filter';

/**
 * Issue 15: lint looks up the earlier rules that may cover a rule through an index (like the
 * simulator's dispatch index) instead of comparing every pair — it must find the same covers.
 * Speed is measured in `npm run bench -- limits`, not here.
 */
describe('NWF501 on a large filter (the cover index)', () => {
  it('finds exactly the covered rules among 2,000 distinct ones, with the first cover', () => {
    const rule = (port: number, ip: string, prio = 500, action = 'accept') =>
      `<rule action='${action}' direction='in' priority='${prio}'><tcp dstportstart='${port}' srcipaddr='${ip}'/></rule>`;
    const rules: string[] = [];
    for (let i = 0; i < 2_000; i++) rules.push(rule(1 + i, `10.0.${i >> 8}.${i & 255}`));
    // 2000: same port and address as rule 7 (a bucket of the port index).
    rules.push(rule(8, '10.0.0.7'));
    // 2001: inside a broader earlier rule with no port (the candidates tried for every rule).
    rules.splice(
      3,
      0,
      "<rule action='drop' direction='in'><tcp srcipaddr='192.168.0.0' srcipmask='16'/></rule>",
    );
    rules.push(rule(9999, '192.168.7.7'));
    // 2002: same port as 50 but another address: not covered.
    rules.push(rule(51, '10.9.9.9'));
    // 2003: covered by 2000's twin rule 8? no — by rule 100 (same port and address) only.
    rules.push(rule(101, '10.0.0.100', 600));
    const doc = parseFilterXml(`<filter name='big'>${rules.join('')}</filter>`).doc;
    expect(
      parseFilterXml(`<filter name='big'>${rules.join('')}</filter>`).diagnostics.filter(
        (d) => d.severity === 'error',
      ),
    ).toEqual([]);
    const res = lintFilter([doc!], 'big', {});
    const unreachable = res.findings.filter((f) => f.code === 'NWF501');
    expect(unreachable.map((f) => f.ruleIndex)).toEqual([2001, 2002, 2004]);
    expect(unreachable.map((f) => f.related?.map((r) => r.ruleIndex))).toEqual([[8], [3], [101]]);
  });
});
