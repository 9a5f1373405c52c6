import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DispatchIndex } from './dispatch-index';
import type { RuleKeyConstraint } from './dispatch-index';

const NONE: RuleKeyConstraint = {
  always: false,
  proto: -1,
  dportLo: -1,
  dportHi: -1,
  sportLo: -1,
  sportHi: -1,
};

/** What the linear walk decides from the same constraints: the rule's header tests, one by one. */
function canMatch(r: RuleKeyConstraint, proto: number, dport: number, sport: number): boolean {
  if (r.always) return true;
  if (r.proto >= 0 && r.proto !== proto) return false;
  if (r.dportLo >= 0 && (dport < 0 || dport < r.dportLo || dport > r.dportHi)) return false;
  if (r.sportLo >= 0 && (sport < 0 || sport < r.sportLo || sport > r.sportHi)) return false;
  return true;
}

// Ports near the range ends the rules use, so every boundary (lo-1, lo, hi, hi+1) gets probed.
const PORTS = [0, 1, 20, 21, 22, 23, 79, 80, 81, 1023, 1024, 65534, 65535];
const portArb = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 65535 }));
const rangeArb = fc.option(
  fc.tuple(portArb, portArb).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
  { nil: null, freq: 2 },
);
const constraintArb: fc.Arbitrary<RuleKeyConstraint> = fc
  .tuple(
    fc.nat(9).map((n) => n < 2),
    fc.constantFrom(-1, 6, 17, 1, 0x0800, 0x0806),
    rangeArb,
    rangeArb,
  )
  .map(([always, proto, d, s]) => ({
    always,
    proto,
    dportLo: d ? d[0] : -1,
    dportHi: d ? d[1] : -1,
    sportLo: s ? s[0] : -1,
    sportHi: s ? s[1] : -1,
  }));
const frameKeyArb = fc.tuple(
  fc.constantFrom(-1, 6, 17, 1, 58, 0x0800, 0x0806, 0x8100),
  fc.oneof(portArb, fc.constant(-1)),
  fc.oneof(portArb, fc.constant(-1)),
);

describe('DispatchIndex', () => {
  it('lists exactly the rules whose protocol and port tests the frame passes, in rule order', () => {
    fc.assert(
      fc.property(
        fc.array(constraintArb, { minLength: 1, maxLength: 40 }),
        fc.array(frameKeyArb, { minLength: 1, maxLength: 30 }),
        (rules, frames) => {
          const index = new DispatchIndex(rules);
          // Twice: the second pass answers from the cache.
          for (const pass of [0, 1])
            for (const [proto, dport, sport] of frames) {
              const want = rules.flatMap((r, i) => (canMatch(r, proto, dport, sport) ? [i] : []));
              expect(
                [...index.candidates(proto, dport, sport)],
                `pass ${pass}: proto ${proto} dport ${dport} sport ${sport}`,
              ).toEqual(want);
            }
        },
      ),
      { numRuns: 300, seed: 2026 },
    );
  });

  it('keeps side-effecting rules in every list and tells a portless frame from port 0', () => {
    const rules: RuleKeyConstraint[] = [
      { ...NONE, proto: 6, dportLo: 0, dportHi: 0 },
      { ...NONE, always: true, proto: 17 },
      { ...NONE, proto: 6 },
      { ...NONE, dportLo: 22, dportHi: 22 },
    ];
    const index = new DispatchIndex(rules);
    expect([...index.candidates(6, 0, 1000)]).toEqual([0, 1, 2]);
    expect([...index.candidates(6, -1, -1)]).toEqual([1, 2]);
    expect([...index.candidates(17, 22, 22)]).toEqual([1, 3]);
    expect([...index.candidates(1, -1, -1)]).toEqual([1]);
  });

  it('stays right when its cache of candidate lists fills up and starts over', () => {
    const rules: RuleKeyConstraint[] = Array.from({ length: 3000 }, (_, i) => ({
      ...NONE,
      proto: 6,
      dportLo: 1000 + i,
      dportHi: 1000 + i,
    }));
    rules.push({ ...NONE, always: true });
    const index = new DispatchIndex(rules);
    // 6,000 distinct (dport, sport) cells: more lists than the cache holds, twice over.
    for (const pass of [0, 1])
      for (let p = 0; p < 6000; p++) {
        const dport = 1000 + (p % 3000);
        const sport = p < 3000 ? -1 : 5;
        const got = [...index.candidates(6, dport, sport)];
        expect(got, `pass ${pass} dport ${dport}`).toEqual([dport - 1000, 3000]);
      }
  });
});
