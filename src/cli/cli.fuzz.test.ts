import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertFuzzAsync, hostileString, TERMINAL_CONTROL } from '../testing/fuzz';
import { callCli } from './testing/run-cli';

/**
 * Fuzz suite (issue 15): hostile command lines never escape as an exception or a stack trace,
 * exit 0, 1 or 2, and print nothing a terminal would act on. In-process, with files in memory.
 */

const FILES: Record<string, string> = {
  'f.xml': `<filter name='f'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in'>
    <tcp srcipaddr='$IP' dstportstart='$PORT[@1]' comment='$C'/>
  </rule>
</filter>
`,
  'bad.xml': "<filter name='b'><rule action='nope' direction='in'><tcp dstportstart='99999'/>",
};

const COMMANDS = ['compile', 'simulate', 'lint', 'validate', 'format', 'scenarios', 'help'];
const OPTIONS = [
  '--param',
  '--mac',
  '--iface',
  '--format',
  '--filters',
  '--scenario',
  '--from-vm',
  '--to-vm',
  '--json',
  '--limit',
  '--sysctl',
  '--ftp-helper',
  '--verbose',
  '--backend',
  '--host',
  '--bridge-address',
  '--ipset',
  '--icmp-timeout',
];
const VALUES = [
  'f.xml',
  'bad.xml',
  'missing.xml',
  'IP=10.0.0.1',
  'PORT=22',
  'C=x',
  'IP=999.1.1.1',
  '__proto__=1',
  'constructor=1',
  'expansion=1',
  'frames=1',
  'input-bytes=10',
  'ssh',
  'ftp-active',
  'script',
  'args',
  'nf_conntrack_icmp_timeout=30',
];

const token = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...OPTIONS) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(...OPTIONS).map((o) => `${o}=`) },
);

describe('fuzz: the command line', () => {
  it('never throws, exits 0/1/2, prints no stack trace and no terminal control characters', async () => {
    await assertFuzzAsync(
      fc.asyncProperty(
        fc.constantFrom(...COMMANDS),
        fc.array(token, { maxLength: 10 }),
        async (command, args) => {
          const { code, stdout, stderr } = await callCli([command, ...args], FILES);
          expect([0, 1, 2]).toContain(code);
          const text = stdout + stderr;
          expect(text).not.toMatch(/^\s+at .+[:(]/m);
          expect(text).not.toMatch(/internal error/);
          expect(text).not.toMatch(TERMINAL_CONTROL);
        },
      ),
      150,
    );
  });
});
