import { describe, expect, it } from 'vitest';
import type { FilterDoc, FilterEntry } from '../core/model';
import { decodeHistory, encodeHistory, SAVED_STEPS } from './history-persistence';

const rule = (port: string): FilterEntry => ({
  kind: 'rule',
  rule: {
    action: 'accept',
    direction: 'in',
    priority: 500,
    statematch: true,
    protocol: 'tcp',
    attrs: { dstportstart: { value: port, negated: false } },
  },
});

const docOf = (entries: FilterEntry[]): FilterDoc => ({
  name: 'web',
  chain: 'root',
  chainPriority: null,
  uuid: null,
  entries,
});

const step = (doc: FilterDoc) => ({ workspace: { filters: [{ id: 'f1', doc }] } });

describe('undo history persistence', () => {
  it('round-trips the steps, storing each shared entry once', () => {
    const shared = Array.from({ length: 100 }, (_, i) => rule(String(1000 + i)));
    const v1 = docOf(shared);
    const ssh = rule('22');
    const v2 = docOf([...shared, ssh]);
    const v3 = docOf([...shared.slice(1), ssh]);
    const saved = encodeHistory([step(v1), step(v2)], [step(v3)]);
    expect(saved.entries).toHaveLength(101);
    const back = decodeHistory(JSON.parse(JSON.stringify(saved)));
    expect(back?.past.map((s) => s.workspace.filters[0]?.doc)).toEqual([v1, v2]);
    expect(back?.future.map((s) => s.workspace.filters[0]?.doc)).toEqual([v3]);
    // Decoded steps share their entries again.
    expect(back?.past[0]?.workspace.filters[0]?.doc.entries[5]).toBe(
      back?.past[1]?.workspace.filters[0]?.doc.entries[5],
    );
  });

  it('keeps the most recent steps only', () => {
    const steps = Array.from({ length: SAVED_STEPS + 10 }, (_, i) =>
      step(docOf([rule(String(i))])),
    );
    const back = decodeHistory(encodeHistory(steps, []));
    expect(back?.past).toHaveLength(SAVED_STEPS);
    expect(back?.past.at(-1)).toEqual(steps.at(-1));
  });

  it('refuses what is not a saved history', () => {
    expect(decodeHistory(null)).toBeNull();
    expect(decodeHistory({ version: 2 })).toBeNull();
    expect(
      decodeHistory({
        version: 1,
        entries: [],
        docs: [{ name: 'x', entries: [3] }],
        past: [],
        future: [],
      }),
    ).toBeNull();
  });
});
