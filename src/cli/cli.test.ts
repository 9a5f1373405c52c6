import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCli, spawnCli } from './testing/run-cli';
import type { Run } from './testing/run-cli';
import { REPO_ROOT, corpusDir } from '../testing/corpus-dir';

const CORPUS = corpusDir();
const XML2XML = path.join(CORPUS, 'xml2xml');

/** `FILE:LINE:COL: error NWFnnn: message`, for a given file name. */
const diagnosticLine = (file: string, severity = 'error') =>
  new RegExp(
    `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: ${severity} NWF\\d{3}: \\S.*$`,
  );

const VALID = `<filter name='web' chain='ipv4'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='80'/>
  </rule>
</filter>
`;
const MALFORMED = `<filter name='web'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='80'>
</filter>
`;
const BAD_PORT = `<filter name='web'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='65536'/>
  </rule>
</filter>
`;
// libvirt folds two protocol elements of one rule into one match (an info note, not a problem).
const FOLDED = `<filter name='web'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='80'/>
    <tcp srcportstart='1024'/>
  </rule>
</filter>
`;
// libvirt ignores an out-of-range rule priority and uses 500: a warning, not an error.
const BAD_PRIORITY = `<filter name='web'>
  <rule action='accept' direction='in' priority='5000'>
    <tcp dstportstart='80'/>
  </rule>
</filter>
`;

describe('nwfilter-studio executable', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nwfilter-cli-'));
    writeFileSync(path.join(dir, 'valid.xml'), VALID);
    writeFileSync(path.join(dir, 'malformed.xml'), MALFORMED);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("formats libvirt's example-1 exactly as libvirt writes it back", async () => {
    const run = await spawnCli(['format', path.join(XML2XML, 'in/example-1.xml')], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(path.join(XML2XML, 'out/example-1.xml'), 'utf8'));
  });

  it('rejects malformed XML: exit 1, nothing on stdout, diagnostics on stderr', async () => {
    const run = await spawnCli(['format', 'malformed.xml'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(diagnosticLine('malformed.xml'));
  });

  it('validates several files and fails when one has an error', async () => {
    const run = await spawnCli(['validate', 'valid.xml', 'malformed.xml'], dir);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(diagnosticLine('malformed.xml'));
  });

  it('validates a valid file silently with exit 0', async () => {
    const run = await spawnCli(['validate', 'valid.xml'], dir);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("is what `npx nwfilter-studio` runs from the repository root (the package's own bin)", async () => {
    const version = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const run = await new Promise<Run>((resolve) => {
      // --no-install: resolve locally or fail, never ask the registry.
      execFile(
        'npx',
        ['--no-install', 'nwfilter-studio', '--version'],
        { cwd: REPO_ROOT, encoding: 'utf8' },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it('prints help listing the commands', async () => {
    const run = await spawnCli(['--help'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s+format\s+\S/m);
    expect(run.stdout).toMatch(/^\s+validate\s+\S/m);
  });
});

describe('runCli', () => {
  it('formats a valid file to canonical XML, adding libvirt defaults', async () => {
    const run = await callCli(['format', 'web.xml'], { 'web.xml': VALID });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain("<rule action='accept' direction='in' priority='500'>");
    // Formatting is idempotent: the output formats to itself.
    const again = await callCli(['format', 'out.xml'], { 'out.xml': run.stdout });
    expect(again.stdout).toBe(run.stdout);
  });

  it("format --libvirt 9.0 splits a mixed match='no' element at every change, as 9.0's dumpxml does", async () => {
    const mixed =
      "<filter name='m'>\n  <rule action='accept' direction='in'>\n    <tcp match='no' srcipaddr='1.2.3.4'/>\n    <tcp dscp='3' comment='c'/>\n  </rule>\n</filter>\n";
    const old = await callCli(['format', 'm.xml', '--libvirt', '9.0'], { 'm.xml': mixed });
    expect(old.code).toBe(0);
    expect(old.stdout).toContain(
      "    <tcp match='no' srcipaddr='1.2.3.4'/>\n    <tcp dscp='3' comment='c'/>\n",
    );
    const newest = await callCli(['format', 'm.xml'], { 'm.xml': mixed });
    expect(newest.stdout).toContain(
      "    <tcp dscp='3' comment='c'/>\n    <tcp match='no' srcipaddr='1.2.3.4'/>\n",
    );
    expect((await callCli(['format', 'm.xml', '--libvirt', 'x'], { 'm.xml': mixed })).code).toBe(2);
  });

  it('rejects an out-of-range port with its line and column', async () => {
    const run = await callCli(['format', 'bad.xml'], { 'bad.xml': BAD_PORT });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^bad\.xml:3:\d+: error NWF\d{3}: .*65536.*\n$/);
  });

  it('formats despite warnings, printing them on stderr', async () => {
    const run = await callCli(['format', 'prio.xml'], { 'prio.xml': BAD_PRIORITY });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("<rule action='accept' direction='in' priority='500'>");
    expect(run.stderr).toMatch(/^prio\.xml:2:\d+: warning NWF\d{3}: .*5000.*\n$/);
  });

  it('validate shows info notes only with --verbose', async () => {
    const files = { 'web.xml': FOLDED };
    expect(await callCli(['validate', 'web.xml'], files)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const verbose = await callCli(['validate', '--verbose', 'web.xml'], files);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toMatch(/^web\.xml:3:5: info NWF\d{3}: \S.*\n$/);
  });

  it('rejects a corpus case libvirt rejects (tcp-test-invalid)', async () => {
    const file = path.join(XML2XML, 'in/tcp-test-invalid.xml');
    const run = await callCli(['validate', 'tcp.xml'], { 'tcp.xml': readFileSync(file, 'utf8') });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.includes(': error '));
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors) expect(line).toMatch(diagnosticLine('tcp.xml'));
  });

  it('reports a file it cannot read', async () => {
    const run = await callCli(['format', 'missing.xml']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'nwfilter-studio: cannot read missing.xml: ENOENT\n',
    });
  });

  it('rejects usage errors with exit 2', async () => {
    expect((await callCli([])).code).toBe(2);
    expect((await callCli(['frobnicate'])).code).toBe(2);
    expect((await callCli(['format'])).code).toBe(2);
    expect((await callCli(['format', 'a.xml', 'b.xml'])).code).toBe(2);
    expect((await callCli(['validate'])).code).toBe(2);
  });

  it('prints a command usage with --help', async () => {
    const run = await callCli(['format', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: nwfilter-studio format FILE\.xml/);
  });
});
