import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateEntries, runLint } from './lint';
import { capturingIo, readFromDisk, tempInputs } from '../testing/run-cli';
import { parseFilterXml } from '../../core/xml';

const { dir: tmp, write } = tempInputs('nwfs-cli-lint-');

function run(...args: string[]) {
  const { io, result } = capturingIo(readFromDisk);
  return result(runLint(args, io));
}

const WEB = `<filter name='web'>
  <!-- a comment mentioning <rule> must not shift positions -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='22'/>
  </rule>
  <rule action='drop' direction='inout'>
    <all/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='80'/>
  </rule>
</filter>
`;

describe('nwfilter-studio lint', () => {
  it('prints FILE:LINE:COL findings at the rule elements and exits 0 on warnings', () => {
    const file = write('web.xml', WEB);
    const r = run(file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual([
      `${file}:3:3: warning NWF504`,
      `${file}:6:3: warning NWF512`,
      `${file}:9:3: warning NWF501`,
    ]);
    expect(lines[2]).toContain(
      "rule 2 of filter 'web' (drop inout <all>, priority 500) drops every packet",
    );
  });

  it('--json gives findings with positions and links', () => {
    const file = write('web.xml', WEB);
    const r = run(file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      findings: {
        code: string;
        line: number;
        column: number;
        ruleIndex: number;
        related?: unknown[];
      }[];
    };
    const dead = out.findings.find((f) => f.code === 'NWF501');
    expect(dead).toMatchObject({
      line: 9,
      column: 3,
      ruleIndex: 2,
      related: [{ filter: 'web', ruleIndex: 1, entryIndex: 1 }],
    });
  });

  it('--ftp-helper silences RELATED; --param binds variables; --filters resolves filterrefs in their own file', () => {
    const ftp = write(
      'ftp.xml',
      "<filter name='ftp'>\n  <filterref filter='dns-out'/>\n  <rule action='accept' direction='out'>\n    <tcp srcportstart='20' state='RELATED,ESTABLISHED'/>\n  </rule>\n  <rule action='drop' direction='inout'><all/></rule>\n</filter>\n",
    );
    write(
      'lib/dns.xml',
      "<filter name='dns-out'>\n  <rule action='accept' direction='out' statematch='false'>\n    <udp dstportstart='53'/>\n  </rule>\n</filter>\n",
    );
    const r = run(ftp, '--filters', path.join(tmp, 'lib'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ftp}:3:3: warning NWF502`);
    expect(r.stdout).toContain(`${path.join(tmp, 'lib', 'dns.xml')}:2:3: warning NWF505`);
    expect(run(ftp, '--filters', path.join(tmp, 'lib'), '--ftp-helper').stdout).not.toContain(
      'NWF502',
    );

    const v = write(
      'var.xml',
      "<filter name='v'>\n  <rule action='drop' direction='out'><tcp srcipaddr='$IP'/></rule>\n  <rule action='accept' direction='out'><tcp srcipaddr='10.0.0.5'/></rule>\n</filter>\n",
    );
    expect(run(v).stdout).not.toContain('NWF501');
    expect(run(v, '--param', 'IP=10.0.0.5').stdout).toContain(`${v}:3:3: warning NWF501`);
  });

  it('reports the attributes libvirt drops while reading a file (ipset on <tcp>) at their rule', () => {
    const f = write(
      'ipset.xml',
      "<filter name='s'>\n  <rule action='accept' direction='in'>\n    <tcp ipset='trusted' ipsetflags='src'/>\n  </rule>\n</filter>\n",
    );
    expect(run(f).stdout).toContain(`${f}:2:3: warning NWF516: libvirt drops ipset='trusted'`);
  });

  it('--icmp-timeout: the ICMP connlimit note (info) goes away when the host timeout is short', () => {
    const f = write(
      'ping.xml',
      "<filter name='p'>\n  <rule action='drop' direction='out' priority='400'>\n    <icmp connlimit-above='1'/>\n  </rule>\n</filter>\n",
    );
    expect(run(f).stdout).toContain(`${f}:2:3: info NWF513`);
    expect(run(f, '--icmp-timeout', '3').stdout).not.toContain('NWF513');
  });

  it('reports findings inside built-in filters at the root file, naming the filter', () => {
    const f = write(
      'ct.xml',
      "<filter name='vm'>\n  <rule action='drop' direction='out' priority='-900'>\n    <mac protocolid='arp'/>\n  </rule>\n  <filterref filter='clean-traffic'/>\n</filter>\n",
    );
    const r = run(f, '--mac', '52:54:00:11:22:33', '--param', 'IP=10.0.0.2');
    expect(r.stdout).toMatch(
      new RegExp(
        `${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: warning NWF501: .*\\[in built-in filter 'no-arp-mac-spoofing', rule 1\\]`,
      ),
    );
  });

  it('exits 1 on errors: parse errors, missing filters, CTRL_IP_LEARNING=none without IP', () => {
    const bad = write('bad.xml', '<filter name=');
    const r = run(bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad\.xml:1:\d+: error NWF001/);
    expect(
      run(write('miss.xml', "<filter name='m'><filterref filter='nope'/></filter>")).code,
    ).toBe(1);
    const none = write(
      'none.xml',
      "<filter name='n'>\n  <filterref filter='clean-traffic'>\n    <parameter name='CTRL_IP_LEARNING' value='none'/>\n  </filterref>\n</filter>\n",
    );
    const rn = run(none);
    expect(rn.code).toBe(1);
    expect(rn.stdout).toContain(`${none}:2:3: error NWF506`);
  });

  it('exits 2 on a wrong command line and prints usage for --help', () => {
    expect(run().code).toBe(2);
    expect(run('a.xml', '--bogus').code).toBe(2);
    expect(run('a.xml', '--icmp-timeout', 'x').code).toBe(2);
    const h = run('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: nwfilter-studio lint FILE.xml');
  });

  it('locateEntries falls back to null positions when tags cannot be matched to entries', () => {
    const doc = parseFilterXml(WEB).doc;
    expect(doc).not.toBeNull();
    if (!doc) return;
    expect(locateEntries(WEB, doc)).toEqual([
      { line: 3, column: 3 },
      { line: 6, column: 3 },
      { line: 9, column: 3 },
    ]);
    expect(locateEntries('<filter/>', doc)).toEqual([null, null, null]);
  });

  it('runs as the real executable (npx nwfilter-studio lint)', () => {
    const file = write('web.xml', WEB);
    const res = spawnSync('npx', ['nwfilter-studio', 'lint', file], {
      cwd: path.resolve(__dirname, '../../..'),
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`${file}:9:3: warning NWF501`);
  }, 60_000);

  it('NWF520: with a described host, a rule naming a set it lacks cannot be bound (error at the rule)', () => {
    const f = path.join(tmp, 'ipset-lint.xml');
    writeFileSync(
      f,
      "<filter name='sets'>\n  <rule action='accept' direction='in'><all ipset='trusted' ipsetflags='src'/></rule>\n</filter>\n",
    );
    // No host described: nothing to check the set against.
    expect(run(f).stdout).not.toContain('NWF520');
    const other = run(f, '--ipset', 'other=10.0.0.1');
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(
      /:2:3: error NWF520: This binding cannot be instantiated: the host has no ipset 'trusted'/,
    );
    expect(run(f, '--ipset', 'trusted=10.0.0.1').stdout).not.toContain('NWF520');
  });
});

describe('lint --backend', () => {
  it('lints with either backend; nftables adds what the host cannot apply', () => {
    const file = write('web-backend.xml', WEB);
    expect(run(file, '--backend', 'ebiptables').code).toBe(run(file).code);
    const nft = run(file, '--backend', 'nftables');
    expect(nft.code).toBe(run(file).code);
    expect(nft.stdout).not.toContain('NWF521');
    const noModule = run(file, '--backend', 'nftables', '--nf-conntrack-bridge', 'no');
    expect(noModule.code).toBe(1);
    expect(noModule.stdout).toMatch(
      /:3:3: error NWF521: This filter cannot be applied: the host's kernel has no nf_conntrack_bridge/,
    );
    // The ebiptables backend has no bridge-family conntrack: the module is irrelevant there.
    expect(run(file, '--nf-conntrack-bridge', 'no').stdout).not.toContain('NWF521');
  });
});
