import { describe, expect, it } from 'vitest';
import { callCli } from './testing/run-cli';

const FILTER = `<filter name='web'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='22' state='NEW'/>
  </rule>
</filter>
`;

/** Every command that binds a filter, with what it needs besides the binding options. */
const BINDING_COMMANDS: [string, string[]][] = [
  ['compile', ['f.xml']],
  ['simulate', ['f.xml', '--scenario', 'ssh']],
  ['compare-backends', ['f.xml']],
  ['lint', ['f.xml']],
  ['allowed', ['f.xml']],
  ['diff', ['f.xml', 'f.xml']],
  ['reach', ['f.xml']],
];

describe('the binding options: one reading for every command that binds a filter', () => {
  const cases: [string, string[], RegExp][] = [
    [
      '--iface with the wildcard',
      ['--iface', 'vnet+'],
      /--iface: '\+' is iptables' and ebtables' wildcard/,
    ],
    [
      '--mac multicast',
      ['--mac', '01:00:5e:00:00:01'],
      /--mac: 01:00:5e:00:00:01 is a multicast address/,
    ],
    [
      '--param a value libvirt ignores',
      ['--param', 'IP=a b'],
      /--param IP=a b: libvirt accepts only/,
    ],
    ['--libvirt unknown', ['--libvirt', '1.0'], /unknown libvirt version '1\.0'/],
  ];
  for (const [command, base] of BINDING_COMMANDS)
    for (const [what, option, message] of cases) {
      if (command === 'lint' && option[0] === '--iface') continue; // lint binds no interface
      it(`${command}: ${what} is a usage error (exit 2)`, async () => {
        const r = await callCli([command, ...base, ...option], { 'f.xml': FILTER });
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^nwfilter-studio ${command}: `));
        expect(r.stderr).toMatch(message);
        expect(r.code).toBe(2);
      });
    }

  it('the analysis commands bind against the --libvirt release named', async () => {
    const r = await callCli(['allowed', 'f.xml', '--libvirt', '9.0'], { 'f.xml': FILTER });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('--backend: the same check for compile, simulate and lint', async () => {
    for (const [command, base] of BINDING_COMMANDS.filter(([c]) =>
      ['compile', 'simulate', 'lint'].includes(c),
    )) {
      const r = await callCli([command, ...base, '--backend', 'pf'], { 'f.xml': FILTER });
      expect(r.stderr).toContain("--backend must be one of 'ebiptables', 'nftables'");
      expect(r.code).toBe(2);
    }
  });
});
