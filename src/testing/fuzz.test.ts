import { describe, expect, it } from 'vitest';
import { trackHeap } from './fuzz';

describe("the fuzz suite's memory bounds", () => {
  it('fail on memory kept after the property and on a peak over the bound', () => {
    const kept = trackHeap({ peak: 64 * 1048576, retained: 1048576 });
    const leak = new Float64Array(1048576); // 8 MiB, still referenced at the check
    kept.sample();
    expect(() => kept.check()).toThrow(
      /heap kept \d+\.\d MiB after the property and a forced gc \(bound 1\.0 MiB\)/,
    );
    expect(leak.length).toBe(1048576);

    const peak = trackHeap({ peak: 1048576, retained: 64 * 1048576 });
    peak.sample();
    // A burst that is garbage by the time of the check: only the peak sees it.
    (() => new Float64Array(1048576))();
    peak.sample();
    expect(() => peak.check()).toThrow(
      /heap grew by \d+\.\d MiB during the property \(bound 1\.0 MiB\)/,
    );
  });

  it('pass when the garbage is collected', () => {
    const heap = trackHeap({ peak: 64 * 1048576, retained: 4 * 1048576 });
    for (let i = 0; i < 20; i++) {
      new Array(10000).fill(i);
      heap.sample();
    }
    const r = heap.check();
    expect(r.retained).toBeLessThan(4 * 1048576);
  });
});
