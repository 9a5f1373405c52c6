import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HARNESS_PARAMS,
  corpusDir,
  removeCommonRules,
} from '../../core/compile/testing/libvirt-harness';
import { removeNftCommonRules } from '../../core/compile/nftables/testing/nft-harness';
import { callCliOnDisk, tempInputs } from '../testing/run-cli';

const { dir: tmp, write } = tempInputs('nwfs-cli-compile-');
const run = (...args: string[]) => callCliOnDisk(['compile', ...args]);

const FW = path.join(corpusDir(), 'xml2firewall');

describe('nwfilter-studio compile', () => {
  it("prints libvirt's dry-run commands (corpus example-1, with the harness variables)", async () => {
    const params = Object.entries(HARNESS_PARAMS).flatMap(([k, vs]) =>
      vs.flatMap((v) => ['--param', `${k}=${v}`]),
    );
    const r = await run(path.join(FW, 'iter2.xml'), ...params);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(removeCommonRules(r.stdout)).toBe(
      readFileSync(path.join(FW, 'iter2-linux.ebiptables.args'), 'utf8'),
    );
  });

  it('--format script prints an installable script with final chain names', async () => {
    const r = await run(path.join(FW, 'example-1.xml'), '--format', 'script', '--iface', 'vnet7');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#!/bin/sh\n')).toBe(true);
    expect(r.stdout).toContain('iptables -w -A FI-vnet7 -p tcp --sport 22');
    expect(r.stdout).toContain(
      'iptables -w -A libvirt-in -m physdev --physdev-in vnet7 -g FI-vnet7',
    );
    expect(r.stdout).not.toContain('FJ-vnet7');
  });

  it('resolves built-in filters (clean-traffic) with --mac and --param IP', async () => {
    const file = write(
      'vm.xml',
      "<filter name='vm-ftp'>\n  <filterref filter='clean-traffic'/>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='21'/>\n  </rule>\n</filter>\n",
    );
    const r = await run(file, '--mac', '52:54:00:11:22:33', '--param', 'IP=10.0.0.5');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--ip-source 10.0.0.5 \\\n'); // no-ip-spoofing
    expect(r.stdout).toContain('-A J-vnet0-mac \\\n-s 52:54:00:11:22:33 \\\n-j RETURN\n'); // no-mac-spoofing
    expect(r.stdout).toContain('10.0.0.5');
    expect(r.stdout).toContain('--dport 21');
  });

  it('names the missing variable and the filterref path (CTRL_IP_LEARNING=none: no learning)', async () => {
    const file = write(
      'needs-ip.xml',
      "<filter name='needs-ip'>\n  <filterref filter='clean-traffic'/>\n</filter>\n",
    );
    const r = await run(file, '--mac', '52:54:00:11:22:33', '--param', 'CTRL_IP_LEARNING=none');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: error NWF303: variable 'IP' has no value`,
        'm',
      ),
    );
    expect(r.stderr).toContain('needs-ip → clean-traffic → no-ip-spoofing');
  });

  it('without IP prints the rules libvirt installs while it learns; --learned-ip the rules after', async () => {
    const file = write(
      'learn.xml',
      "<filter name='learn'>\n  <filterref filter='clean-traffic'/>\n</filter>\n",
    );
    const learning = await run(file, '--mac', '52:54:00:11:22:33', '--libvirt', '9.0');
    expect(learning.code).toBe(0);
    expect(learning.stderr).toMatch(
      /^note: variable 'IP' has no value: libvirt learns .*CTRL_IP_LEARNING=any/,
    );
    expect(learning.stdout).toContain(
      "ebtables \\\n--concurrent \\\n-t nat \\\n-A libvirt-J-vnet0 \\\n-s '!' 52:54:00:11:22:33 \\\n-j DROP\n",
    );
    expect(learning.stdout).not.toContain('FJ-vnet0 \\\n-p');
    const dhcp = await run(
      file,
      '--mac',
      '52:54:00:11:22:33',
      '--param',
      'CTRL_IP_LEARNING=dhcp',
      '--param',
      'DHCPSERVER=10.0.0.1',
      '--format',
      'script',
    );
    expect(dhcp.stdout).toContain(
      'ebtables --concurrent -t nat -A libvirt-O-vnet0 -d 52:54:00:11:22:33 -p ipv4 --ip-protocol udp --ip-src 10.0.0.1 --ip-sport 67 --ip-dport 68 -j ACCEPT',
    );
    const after = await run(
      file,
      '--mac',
      '52:54:00:11:22:33',
      '--learned-ip',
      '10.0.0.7',
      '--format',
      'script',
    );
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
    expect(after.stdout).toContain('--ip-source 10.0.0.7');
    expect((await run(file, '--learned-ip', '10.0.0.300')).code).toBe(2);
    expect((await run(file, '--learned-ip', '10.0.0.3', '--param', 'IP=10.0.0.4')).code).toBe(2);
  });

  it('reports XML errors as FILE:LINE:COL: error NWFnnn: message', async () => {
    const file = write(
      'broken.xml',
      "<filter name='b'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='22'/>\n</filter>\n",
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${path.basename(file)}:\\d+:\\d+: error NWF\\d{3}: `));
  });

  it('finds filterrefs in --filters directories and expands repeated --param into a list', async () => {
    const dir = path.join(tmp, 'lib');
    write(
      'lib/allow-ports.xml',
      "<filter name='allow-ports' chain='root'>\n  <rule action='accept' direction='in'>\n    <tcp dstportstart='$PORTS'/>\n  </rule>\n</filter>\n",
    );
    const file = write(
      'uses-lib.xml',
      "<filter name='uses-lib'>\n  <filterref filter='allow-ports'/>\n</filter>\n",
    );
    const r = await run(
      file,
      '--filters',
      dir,
      '--param',
      'PORTS=22',
      '--param',
      'PORTS=80',
      '--format',
      'script',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-A FO-vnet0 -p tcp --dport 22 ');
    expect(r.stdout).toContain('-A FO-vnet0 -p tcp --dport 80 ');
    const missing = await run(file);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("filter 'allow-ports', which does not exist");
  });

  it('runs through the real executable', () => {
    const bin = path.resolve(
      path.dirname(new URL(import.meta.url).pathname),
      '../../../bin/nwfilter-studio.mjs',
    );
    const ok = spawnSync(
      process.execPath,
      [bin, 'compile', path.join(FW, 'conntrack.xml'), '--format', 'script'],
      { encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(
      'iptables -w -A FI-vnet0 -p icmp -m connlimit --connlimit-above 1 -j DROP',
    );
    const bad = spawnSync(process.execPath, [bin, 'compile', path.join(tmp, 'needs-ip.xml')], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error NWF303');
  });

  it("prints one tool's part of the script (--format iptables) through the backend", async () => {
    const file = path.join(FW, 'conntrack.xml');
    const script = await run(file, '--format', 'script');
    const part = await run(file, '--backend', 'ebiptables', '--format', 'iptables');
    expect(part.code).toBe(0);
    const lines = part.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(
      script.stdout.split('\n').filter((l) => l.startsWith('iptables ')),
    );
    expect(lines.some((l) => l.startsWith('ebtables') || l.startsWith('ip6tables'))).toBe(false);
  });

  it('rejects bad usage', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('a.xml', '--format', 'nft')).stderr).toContain(
      "--format must be one of 'args', 'script', 'ebtables', 'iptables', 'ip6tables' for --backend ebiptables",
    );
    const badBackend = await run('a.xml', '--backend', 'pf');
    expect(badBackend.code).toBe(2);
    expect(badBackend.stderr).toContain("--backend must be one of 'ebiptables'");
    expect((await run('a.xml', '--param', 'novalue')).stderr).toContain('--param needs NAME=VALUE');
    expect((await run('--help')).code).toBe(0);
    const nofile = await run(path.join(tmp, 'does-not-exist.xml'));
    expect(nofile.code).toBe(1);
    expect(nofile.stderr).toContain('cannot read file');
  });

  it('a binding libvirt cannot instantiate: stderr names the rule at its line, exit 1, nothing on stdout', async () => {
    const file = write(
      'continue.xml',
      "<filter name='cont'>\n  <rule action='accept' direction='out'>\n    <tcp dstportstart='22'/>\n  </rule>\n  <rule action='continue' direction='in'>\n    <udp dstportstart='53'/>\n  </rule>\n</filter>\n",
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:3: error NWF331: rule 2 of filter 'cont': .*-j CONTINUE`,
      ),
    );
  });

  it('with --filters DIR, prints the warnings of the filters the compiled one references, not of every file', async () => {
    const dir = path.join(tmp, 'warn-lib');
    write(
      'warn-lib/used.xml',
      "<filter name='used'><rule action='accept' direction='out' bogus='1'><all/></rule></filter>",
    );
    write(
      'warn-lib/unused.xml',
      "<filter name='unused'><rule action='accept' direction='out' bogus='2'><all/></rule></filter>",
    );
    write('warn-lib/deep.xml', "<filter name='deep'><filterref filter='used'/></filter>");
    const root = write(
      'warn-root.xml',
      "<filter name='warn-root'><filterref filter='deep'/></filter>",
    );
    const r = await run(root, '--filters', dir, '--param', 'IP=10.0.0.2');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('used.xml');
    expect(r.stderr).not.toContain('unused.xml');
    expect(r.stderr.match(/warning/g)).toHaveLength(1);
  });

  it("--libvirt 9.0 resolves filterrefs to 9.0's built-ins (qemu-announce-self accepts 0x835); the default is the newest", async () => {
    const file = write(
      'ct.xml',
      "<filter name='ct'>\n  <filterref filter='clean-traffic'/>\n</filter>\n",
    );
    const args = [
      file,
      '--format',
      'script',
      '--mac',
      '52:54:00:11:22:33',
      '--param',
      'IP=10.0.0.2',
    ];
    const old = await run(...args, '--libvirt', '9.0');
    expect(old.code).toBe(0);
    expect(old.stdout).toContain('-A libvirt-I-vnet0 -p 0x835 -j ACCEPT');
    const newest = await run(...args);
    expect(newest.code).toBe(0);
    expect(newest.stdout).not.toContain('0x835');
    expect((await run(...args, '--libvirt', 'latest')).stdout).toBe(newest.stdout);
    const bad = await run(...args, '--libvirt', '8.0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown libvirt version '8.0' (known: 12.5, 9.0, latest)");
  });
});

describe('nwfilter-studio compile --backend nftables', () => {
  it("prints the proposed driver's dry-run commands (corpus iter2), labelled on stderr", async () => {
    const params = Object.entries(HARNESS_PARAMS).flatMap(([k, vs]) =>
      vs.flatMap((v) => ['--param', `${k}=${v}`]),
    );
    const r = await run(path.join(FW, 'iter2.xml'), '--backend', 'nftables', ...params);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "note: libvirt's proposed nftables driver (series v5/v6, not yet in a release)\n",
    );
    expect(removeNftCommonRules(r.stdout)).toBe(
      readFileSync(path.join(FW, 'iter2-linux.nftables.args'), 'utf8'),
    );
  });

  it('--format script prints an nft -f file with the final chain names', async () => {
    const r = await run(
      path.join(FW, 'example-1.xml'),
      '--backend',
      'nftables',
      '--format',
      'script',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#!/usr/sbin/nft -f\n')).toBe(true);
    expect(r.stdout).toContain('elements = { "vnet0" : jump vnet0-in }');
    expect(r.stdout).toContain('\tchain vnet0-in {\n');
    expect(r.stdout).not.toContain('n-vnet0');
  });

  it('refuses the ebiptables-only formats and unknown backends', async () => {
    const fmt = await run(
      path.join(FW, 'example-1.xml'),
      '--backend',
      'nftables',
      '--format',
      'ebtables',
    );
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain("--format must be one of 'args', 'script' for --backend nftables");
    const bad = await run(path.join(FW, 'example-1.xml'), '--backend', 'pf');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--backend must be one of 'ebiptables', 'nftables'");
  });

  it('with --ipset or --host, a rule naming a set the host lacks is NWF520 at that rule (in the file it is in), nothing on stdout', async () => {
    const dir = path.join(tmp, 'sets');
    const sets = write(
      'sets/sets.xml',
      "<filter name='sets'>\n  <rule action='accept' direction='out'><tcp dstportstart='22'/></rule>\n  <filterref filter='sets-ref'/>\n</filter>\n",
    );
    write(
      'sets/sets-ref.xml',
      "<filter name='sets-ref'>\n  <rule action='accept' direction='in'><all ipset='present' ipsetflags='src'/></rule>\n  <rule action='drop' direction='in'><all ipset='absent' ipsetflags='src,dst'/></rule>\n</filter>\n",
    );
    const ref = path.join(dir, 'sets-ref.xml');
    // The host unknown: compile does not guess, as before.
    expect((await run(sets, '--filters', dir)).code).toBe(0);
    const one = await run(sets, '--filters', dir, '--ipset', 'present=');
    expect(one.code).toBe(1);
    expect(one.stdout).toBe('');
    expect(one.stderr).toBe(
      `${ref}:3:3: error NWF520: the host has no ipset 'absent' (rule 2 of filter 'sets-ref' matches it): iptables refuses the rule ("Set absent doesn't exist") and libvirt rolls the whole binding back — none of the filter's rules would be installed. Create the set first (ipset create absent …), or add it to the host profile's ipsets.\n`,
    );
    const both = await run(
      sets,
      '--filters',
      dir,
      '--ipset',
      'present=',
      '--ipset',
      'absent:hash:net=',
    );
    expect(both.code).toBe(0);
    expect(both.stdout).toContain('--match-set absent src,dst');
    const host = write(
      'sets/host.json',
      '{ "ipsets": { "present": { "type": "hash:ip", "members": [] } } }',
    );
    expect((await run(sets, '--filters', dir, '--host', host)).stderr).toContain('error NWF520');
    const bad = await run(sets, '--ipset', 'x:hash:foo=');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ipset x: type must be one of');
  });
});
