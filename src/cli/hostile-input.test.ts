import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io';
import { decodeUtf8Strict, InputError } from './cli-io';
import { escapeForTerminal } from './format-diagnostic';
import { runCli } from './main';
import { callCli, spawnCli } from './testing/run-cli';
import type { Run } from './testing/run-cli';

/** The regression tests of issue 15's examples that reach the command line. */

const SSH = `<filter name='ssh'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='22'/>
  </rule>
</filter>
`;
const USES_VARS = `<filter name='v'>
  <rule action='accept' direction='in'>
    <tcp srcipaddr='$constructor' dstportstart='$toString'/>
  </rule>
</filter>
`;

/** No stack trace: no `    at fn (file:line)` frame, no Node banner. */
function expectNoStackTrace(run: Run): void {
  expect(run.stderr).not.toMatch(/^\s+at .+[:(]/m);
  expect(run.stderr).not.toMatch(/TypeError|ReferenceError|Node\.js v/);
}

describe('hostile command lines (issue 15)', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    '--param %s=1 is a parameter like any other',
    async (name) => {
      const run = await callCli(['compile', 'ssh.xml', '--param', `${name}=1`], { 'ssh.xml': SSH });
      expectNoStackTrace(run);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('--dport 22');
    },
  );

  it('substitutes parameters named like Object.prototype members', async () => {
    const run = await callCli(
      ['compile', 'v.xml', '--param', 'constructor=10.0.0.1', '--param', 'toString=80'],
      { 'v.xml': USES_VARS },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('--source 10.0.0.1 \\\n--dport 80 \\\n');
  });

  it.each([
    ['IP=a/24', "only letters, digits, '_', '.' and ':'"],
    ['IP=', 'no empty value'],
    ['IP=1.2.3.4;reboot', "only letters, digits, '_', '.' and ':'"],
    ['A-B=1', "only letters, digits and '_'"],
  ])('refuses --param %s as libvirt would ignore it', async (use, reason) => {
    const run = await callCli(['compile', 'ssh.xml', '--param', use], { 'ssh.xml': SSH });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(reason);
  });

  it('simulate --param IP=999.1.1.1 with a scenario is a usage error, not a crash', async () => {
    const run = await callCli(
      ['simulate', 'ssh.xml', '--scenario', 'ssh', '--param', 'IP=999.1.1.1'],
      { 'ssh.xml': SSH },
    );
    expectNoStackTrace(run);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      "nwfilter-studio simulate: --param IP=999.1.1.1: the scenario sends from the VM's address, and this is not an IPv4 address",
    );
  });

  it.each([
    ['zz:zz', 'is not a MAC address'],
    ['52:54:00:12:34', 'is not a MAC address'],
    ['01:00:5e:00:00:01', 'multicast'],
    [' 52:54:00:12:34:56', 'is not a MAC address'],
  ])('refuses --mac %s in compile, simulate and lint', async (mac, reason) => {
    for (const cmd of [
      ['compile', 'ssh.xml'],
      ['simulate', 'ssh.xml', '--scenario', 'ssh'],
      ['lint', 'ssh.xml'],
    ]) {
      const run = await callCli([...cmd, '--mac', mac], { 'ssh.xml': SSH });
      expectNoStackTrace(run);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(reason);
    }
  });

  it.each([
    ['eth+', "'+' is iptables' and ebtables' wildcard"],
    ['vnet 0', 'no'],
    ['vnet\n0', 'no'],
    ['a/b', 'no'],
    ['x'.repeat(16), 'at most 15 bytes'],
    ['é'.repeat(8), 'at most 15 bytes'],
    ['x'.repeat(300), 'at most 15 bytes'],
    ['..', 'is not an interface name'],
    ['', 'needs an interface name'],
  ])('refuses --iface %j', async (iface, reason) => {
    for (const cmd of [
      ['compile', 'ssh.xml'],
      ['simulate', 'ssh.xml', '--scenario', 'ssh'],
    ]) {
      const run = await callCli([...cmd, '--iface', iface], { 'ssh.xml': SSH });
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toContain(reason);
      expect(run.stderr).not.toContain('\n0');
    }
  });

  it('accepts a 15-byte interface name', async () => {
    const run = await callCli(['compile', 'ssh.xml', '--iface', 'x'.repeat(15)], {
      'ssh.xml': SSH,
    });
    expect(run.code).toBe(0);
  });

  it('turns a failure no command foresaw into one line, without the stack', async () => {
    const io: CliIo = {
      stdout: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'push')");
      },
      stderr: (t) => void (stderr += t),
      readText: () => SSH,
    };
    let stderr = '';
    const code = await runCli(['compile', 'ssh.xml'], io);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "nwfilter-studio: internal error: Cannot read properties of undefined (reading 'push')\n(this is a bug; NWFILTER_STUDIO_DEBUG=1 shows the details)\n",
    );
  });

  it('parses --limit NAME=N anywhere and refuses unknown limits', async () => {
    const bad = await callCli(['compile', 'ssh.xml', '--limit', 'bogus=1'], { 'ssh.xml': SSH });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit needs NAME=N with NAME one of');
    const zero = await callCli(['compile', 'ssh.xml', '--limit=expansion=0'], { 'ssh.xml': SSH });
    expect(zero.code).toBe(2);
    const low = await callCli(['compile', '--limit', 'expansion=1', 'ssh.xml'], {
      'ssh.xml': `<filter name='two'>${SSH.replace(/<\/?filter[^>]*>/g, '').repeat(2)}</filter>`,
    });
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(
      /^ssh\.xml:1:1: error NWF306: .*over the limit 'expansion' of 1 rule instances and filterref visits \(raise it with --limit expansion=N\)\n$/,
    );
  });
});

describe('hostile files (issue 15)', () => {
  it('validate /dev/zero stops at the input limit while reading', async () => {
    const run = await spawnCli(['validate', '--limit', 'input-bytes=65536', '/dev/zero']);
    expectNoStackTrace(run);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      "/dev/zero:1:1: error NWF004: /dev/zero is larger than 65536 bytes, the limit 'input-bytes' (raise it with --limit input-bytes=N)\n",
    );
  });

  it('reports invalid UTF-8 at its line and column instead of decoding it to U+FFFD', () => {
    const bytes = new TextEncoder().encode("<filter name='é'>\n  <rule x='1'/>");
    const bad = new Uint8Array([...bytes.slice(0, 22), 0xc3, 0x28, ...bytes.slice(22)]);
    expect(() => decodeUtf8Strict(bad)).toThrow(InputError);
    try {
      decodeUtf8Strict(bad);
    } catch (e) {
      expect((e as InputError).toDiagnostic()).toMatchObject({
        code: 'NWF009',
        line: 2,
        column: 4,
      });
    }
    for (const seq of [
      [0xff],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      expect(() => decodeUtf8Strict(new Uint8Array([0x41, ...seq]))).toThrow(/invalid UTF-8/);
    }
    expect(decodeUtf8Strict(new TextEncoder().encode('a€😀'))).toBe('a€😀');
  });

  it('never echoes control characters to the terminal', async () => {
    const esc = `<filter name='t\u001b]0;pwned\u0007'><rule action='accept' direction='in'><tcp/></rule></filter>`;
    const run = await callCli(['validate', 'e\u001b[2J.xml'], { 'e\u001b[2J.xml': esc });
    expect(run.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout + run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(run.stdout).toBe(
      'e\\x1b[2J.xml:1:16: error NWF001: Malformed XML: character U+001B is not allowed in an XML document (libxml2 refuses it); remove it or write the text without control characters.\n',
    );
    expect(escapeForTerminal('a\u202eb\u0085c\nd')).toBe('a\\u{202e}b\\x85c\\x0ad');
  });
});
