import fc from 'fast-check';

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
