import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyChange, evaluationOrder } from './apply-change';
import type { FilterDoc, FilterEntry, Rule } from './types';

function rule(priority: number, port?: string): Rule {
  return {
    action: 'accept',
    direction: 'in',
    priority,
    statematch: true,
    protocol: 'tcp',
    attrs: port ? { dstportstart: { value: port, negated: false } } : {},
  };
}
const r = (priority: number, port?: string): FilterEntry => ({
  kind: 'rule',
  rule: rule(priority, port),
});
const ref = (filter: string): FilterEntry => ({ kind: 'filterref', ref: { filter, params: [] } });
function doc(...entries: FilterEntry[]): FilterDoc {
  return { name: 'f', chain: 'root', chainPriority: null, uuid: null, entries };
}
function ports(d: FilterDoc): string[] {
  return evaluationOrder(d).map((i) => {
    const e = d.entries[i] as FilterEntry;
    return e.kind === 'rule' ? (e.rule.attrs.dstportstart?.value ?? '') : `@${e.ref.filter}`;
  });
}
function priorities(d: FilterDoc): number[] {
  return d.entries.flatMap((e) => (e.kind === 'rule' ? [e.rule.priority] : []));
}

describe('evaluationOrder', () => {
  it('orders by priority, ties in document order, filterrefs in place', () => {
    const d = doc(ref('a'), r(500, '1'), r(100, '2'), r(500, '3'), ref('b'), r(-5, '4'));
    expect(ports(d)).toEqual(['@a', '4', '2', '1', '3', '@b']);
  });
});

describe('applyChange', () => {
  it('never mutates its input', () => {
    const d = doc(r(500, '1'), r(500, '2'));
    const frozen = JSON.stringify(d);
    applyChange(d, {
      type: 'set-attr',
      index: 0,
      name: 'dstportstart',
      value: { value: '9', negated: true },
    });
    applyChange(d, { type: 'move-entry', index: 0, toPosition: 1 });
    applyChange(d, { type: 'duplicate-entry', index: 1 });
    expect(JSON.stringify(d)).toBe(frozen);
  });

  it('adds, duplicates and deletes entries', () => {
    let d = doc(r(500, '1'));
    d = applyChange(d, { type: 'add-rule', rule: rule(300, '2') });
    d = applyChange(d, { type: 'add-filterref', filter: 'clean-traffic', index: 0 });
    d = applyChange(d, { type: 'duplicate-entry', index: 1 });
    expect(ports(d)).toEqual(['@clean-traffic', '2', '1', '1']);
    d = applyChange(d, { type: 'delete-entry', index: 0 });
    expect(d.entries).toHaveLength(3);
    expect(applyChange(d, { type: 'delete-entry', index: 7 })).toBe(d);
  });

  it('sets and removes attributes and fields', () => {
    let d = doc(r(500, '1'));
    d = applyChange(d, {
      type: 'set-attr',
      index: 0,
      name: 'state',
      value: { value: 'NEW', negated: false },
    });
    d = applyChange(d, { type: 'set-attr', index: 0, name: 'dstportstart', value: null });
    d = applyChange(d, {
      type: 'update-rule',
      index: 0,
      patch: { action: 'drop', statematch: false },
    });
    d = applyChange(d, { type: 'set-filter-fields', name: 'g', chainPriority: -300 });
    expect(d.name).toBe('g');
    expect(d.chainPriority).toBe(-300);
    expect(d.entries[0]).toEqual({
      kind: 'rule',
      rule: {
        ...rule(500),
        action: 'drop',
        statematch: false,
        attrs: { state: { value: 'NEW', negated: false } },
      },
    });
  });

  it('moves within equal priorities by document position only', () => {
    const d = doc(r(500, '1'), r(500, '2'), r(500, '3'));
    const moved = applyChange(d, { type: 'move-entry', index: 2, toPosition: 0 });
    expect(ports(moved)).toEqual(['3', '1', '2']);
    expect(priorities(moved)).toEqual([500, 500, 500]);
  });

  it('changes only the moved rule priority when priorities differ', () => {
    const d = doc(r(100, '1'), r(200, '2'), r(300, '3'));
    const moved = applyChange(d, { type: 'move-entry', index: 2, toPosition: 1 });
    expect(ports(moved)).toEqual(['1', '3', '2']);
    const changed = priorities(moved).filter((p) => ![100, 200].includes(p));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toBeGreaterThan(100);
    expect(changed[0]).toBeLessThan(200);
  });

  it('moves to the very top and bottom', () => {
    const d = doc(r(-1000, '1'), r(0, '2'), r(1000, '3'));
    expect(ports(applyChange(d, { type: 'move-entry', index: 1, toPosition: 0 }))).toEqual([
      '2',
      '1',
      '3',
    ]);
    expect(ports(applyChange(d, { type: 'move-entry', index: 1, toPosition: 2 }))).toEqual([
      '1',
      '3',
      '2',
    ]);
  });

  it('any move gives exactly the requested order and changes at most the moved rule priority', () => {
    const entryArb = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: -3, max: 3 }).map((p) => r(p * 250)) },
      { weight: 1, arbitrary: fc.constant(ref('x')) },
    );
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        (entries, a, b) => {
          // Give every entry an identity to follow it through the move.
          const d = doc(
            ...entries.map((e, i): FilterEntry =>
              e.kind === 'rule'
                ? {
                    kind: 'rule',
                    rule: {
                      ...e.rule,
                      attrs: { dstportstart: { value: String(i), negated: false } },
                    },
                  }
                : { kind: 'filterref', ref: { filter: `x${i}`, params: [] } },
            ),
          );
          const index = a % d.entries.length;
          const toPosition = b % d.entries.length;
          const before = ports(d);
          const moved = applyChange(d, { type: 'move-entry', index, toPosition });
          const after = ports(moved);
          const movedId = (() => {
            const e = d.entries[index] as FilterEntry;
            return e.kind === 'rule'
              ? (e.rule.attrs.dstportstart?.value ?? '')
              : `@${e.ref.filter}`;
          })();
          const wanted = before.filter((p) => p !== movedId);
          wanted.splice(toPosition, 0, movedId);
          if (moved === d) return; // infeasible (a filterref anchor forbids it): a no-op, never a wrong order
          expect(after).toEqual(wanted);
          const changedPriorities = moved.entries.filter((e) => {
            if (e.kind !== 'rule') return false;
            const id = e.rule.attrs.dstportstart?.value;
            const orig = d.entries[Number(id)] as FilterEntry;
            return orig.kind === 'rule' && orig.rule.priority !== e.rule.priority;
          });
          expect(changedPriorities.length).toBeLessThanOrEqual(1);
          if (changedPriorities[0]?.kind === 'rule')
            expect(changedPriorities[0].rule.attrs.dstportstart?.value).toBe(movedId);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('moves every rule one step with no no-op when only rules are present', () => {
    const d = doc(r(500, '0'), r(500, '1'), r(400, '2'), r(-1000, '3'), r(1000, '4'), r(1000, '5'));
    const order = evaluationOrder(d);
    for (let pos = 0; pos < order.length; pos++) {
      for (const to of [pos - 1, pos + 1]) {
        if (to < 0 || to >= order.length) continue;
        const moved = applyChange(d, {
          type: 'move-entry',
          index: order[pos] as number,
          toPosition: to,
        });
        expect(moved).not.toBe(d);
      }
    }
  });
});
