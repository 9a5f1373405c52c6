import { describe, expect, it } from 'vitest';
import type { SimResult } from '../core/sim';
import { sameHits, usePanelsStore } from './panels-store';

const result = (hits: Record<string, number>): SimResult => ({
  title: 't',
  explanation: '',
  hosts: {
    vm: { ip: '10.0.0.2', mac: '52:54:00:00:00:02' },
    remote: { ip: '10.0.0.3', mac: '52:54:00:00:00:03' },
  },
  steps: [],
  skipped: [],
  problems: [],
  failures: [],
  missingParams: [],
  hits,
});

describe('panels store', () => {
  it('sameHits compares counts key by key, both ways', () => {
    expect(sameHits(undefined, {})).toBe(false);
    expect(sameHits({ 'f#1': 2 }, { 'f#1': 2 })).toBe(true);
    expect(sameHits({ 'f#1': 2 }, { 'f#1': 3 })).toBe(false);
    expect(sameHits({ 'f#1': 2 }, { 'f#1': 2, 'f#2': 1 })).toBe(false);
    expect(sameHits({ 'f#1': 2, 'f#2': 1 }, { 'f#1': 2 })).toBe(false);
  });

  it('a re-run with the same hit counts keeps the old counts object (the rule table does not redraw)', () => {
    const store = usePanelsStore.getState();
    store.setResult(result({ 'f#1': 2 }), 5);
    const first = usePanelsStore.getState().result?.hits;
    store.setResult(result({ 'f#1': 2 }), 6);
    expect(usePanelsStore.getState().result?.hits).toBe(first);
    expect(usePanelsStore.getState().lastRunMs).toBe(6);
    store.setResult(result({ 'f#1': 3 }), 7);
    expect(usePanelsStore.getState().result?.hits).toEqual({ 'f#1': 3 });
  });
});
