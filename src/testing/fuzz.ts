import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Parameters of the fuzz suite's properties (issue 15): a fixed seed, so a run is reproducible
 * and a failure reports the seed and path to replay (`FUZZ_SEED=… npx vitest run <file>`), a
 * number of runs, and a time box after which the property stops (passing) so `npm test` stays
 * within its budget on a loaded machine. FUZZ_RUNS scales the runs for a longer session.
 */
export function fuzzParameters(runs: number): fc.Parameters<unknown> {
  const seed = Number(process.env['FUZZ_SEED'] ?? 15_015);
  const scale = Number(process.env['FUZZ_RUNS'] ?? 1);
  return {
    seed,
    numRuns: Math.max(1, Math.round(runs * scale)),
    interruptAfterTimeLimit: Number(process.env['FUZZ_TIME_MS'] ?? 8_000),
    markInterruptAsFailure: false,
    verbose: 1,
  };
}

/** Strings people and attackers put where names and values go. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '$',
  '$IP',
  '$IP[@1001]',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '\u0000',
  '\u001b]0;title\u0007',
  '\u001b[2J',
  '\n',
  '\r\n',
  '\u2028',
  '\u202e',
  '\ud800',
  '\ufffe',
  'é',
  '😀',
  '../../etc/passwd',
  '-',
  '.',
  '--',
  '=',
  '==',
  'a=',
  '=b',
  'eth+',
  'vnet0',
  'x'.repeat(300),
  '999.1.1.1',
  '10.0.0.1',
  '::1',
  'zz:zz',
  '52:54:00:12:34:56',
  'ff:ff:ff:ff:ff:ff',
  '65536',
  '-1',
  '0x10',
  "'",
  '"',
  '<',
  '&amp;',
  '&#0;',
  "';reboot;'",
  '$(reboot)',
  '`reboot`',
];

/** One hostile or ordinary string. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
);

/** Characters a terminal acts on (kept out of everything the CLI prints). */
export const TERMINAL_CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * The fuzz suite's memory bounds (docs/limits.md, "The fuzz suite"): over one property, the memory
 * in use (JavaScript heap and ArrayBuffers) may grow by at most `peak` bytes at any run, and must be back within `retained` bytes of
 * where it started once the garbage collector has run. A leak (a cache that keeps every input) or
 * a blow-up (an input that makes the code allocate without bound) fails the test.
 */
export const FUZZ_HEAP_BOUNDS = { peak: 256 * 1024 * 1024, retained: 32 * 1024 * 1024 } as const;

/** Node's collector, exposed at run time (no command-line flag needed in the test workers). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap use around a property: `sample` after each run, `check` at the end. */
export interface HeapTracker {
  sample(): void;
  /** Throws when a bound is exceeded; returns the figures (bytes) otherwise. */
  check(): { peak: number; retained: number };
}

/** JavaScript heap plus the memory behind ArrayBuffers (frames, captures) and other externals. */
function inUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function trackHeap(bounds = FUZZ_HEAP_BOUNDS): HeapTracker {
  const gc = forcedGc();
  gc();
  const base = inUse();
  let peak = 0;
  return {
    sample() {
      peak = Math.max(peak, inUse() - base);
    },
    check() {
      gc();
      const retained = inUse() - base;
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      if (peak > bounds.peak)
        throw new Error(
          `heap grew by ${mib(peak)} during the property (bound ${mib(bounds.peak)})`,
        );
      if (retained > bounds.retained)
        throw new Error(
          `heap kept ${mib(retained)} after the property and a forced gc (bound ${mib(bounds.retained)})`,
        );
      return { peak, retained };
    },
  };
}

/**
 * `fc.assert` with the suite's parameters ({@link fuzzParameters}) and its memory bounds
 * ({@link FUZZ_HEAP_BOUNDS}), the heap sampled after every run.
 */
export function assertFuzz<Ts>(property: fc.IPropertyWithHooks<Ts>, runs: number): void {
  const heap = trackHeap();
  fc.assert(
    property.afterEach((previous) => {
      previous();
      heap.sample();
    }),
    fuzzParameters(runs),
  );
  report(heap.check());
}

/** FUZZ_HEAP_REPORT=1 prints each property's figures (how docs/limits.md got them). */
function report(r: { peak: number; retained: number }): void {
  if (process.env['FUZZ_HEAP_REPORT'])
    console.log(
      `fuzz heap: peak +${(r.peak / 1048576).toFixed(1)} MiB, retained ${(r.retained / 1048576).toFixed(1)} MiB`,
    );
}

/** {@link assertFuzz} for an async property. */
export async function assertFuzzAsync<Ts>(
  property: fc.IAsyncPropertyWithHooks<Ts>,
  runs: number,
): Promise<void> {
  const heap = trackHeap();
  await fc.assert(
    property.afterEach(async (previous) => {
      await previous();
      heap.sample();
    }),
    fuzzParameters(runs),
  );
  report(heap.check());
}
