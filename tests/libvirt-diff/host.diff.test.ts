/**
 * `serve` and `drift` against a real libvirt 9.0 (issue 19): the libvirt-diff test bed's daemon,
 * in a network namespace of its own, is the host. libvirt runs its firewall commands in that
 * namespace (`…d`), and the server and `drift` read the rules there (`--netns`). Covered: import
 * of filters and bindings, drift (identical, then made by hand with `iptables -D` inside the
 * namespace), define after a preview and the re-read, a define libvirt refuses, the token and the
 * read-only default. See ./README.md ("The host: serve and drift").
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftOfHost } from '../../src/cli/host/drift';
import { HostFirewall } from '../../src/cli/host/firewall';
import { TOKEN_HEADER } from '../../src/cli/host/security';
import { startHostServer, type HostServer } from '../../src/cli/host/server';
import { HostLibvirt } from '../../src/cli/host/virsh';
import {
  HOST_BED_FILTER as FILTER,
  HOST_BED_MAC as MAC,
  startHostBed,
  type HostBed,
} from './lib/host-bed';
import { whyUnavailable } from './lib/host-environment';
import type { LibvirtDaemon } from './lib/libvirt-daemon';
import type { Netns } from './lib/netns-pool';
import { REPO_ROOT } from './lib/project-script';

const PREFIX = `nwfs-ld-${process.pid}-`;
const unavailable = whyUnavailable(PREFIX);

if (unavailable) {
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! host (serve/drift against real libvirt) SKIPPED: ${unavailable}.\n!! It needs root and network namespaces (CI runs it as root).\n${bar}\n`,
  );
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'nwfilter-studio.mjs'), ...args],
      { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(unavailable !== null)('host: serve and drift against real libvirt 9.0', () => {
  let bed: HostBed | undefined;
  let daemon: LibvirtDaemon;
  let home: Netns;
  let libvirt: HostLibvirt;
  let firewall: HostFirewall;
  const servers: HostServer[] = [];

  async function serve(allowDefine: boolean): Promise<HostServer> {
    const s = await startHostServer({ libvirt, firewall, allowDefine, appDir: null, port: 0 });
    servers.push(s);
    return s;
  }
  async function api(s: HostServer, path: string, body?: unknown, token: string | null = s.token) {
    const headers: Record<string, string> = {};
    if (token !== null) headers[TOKEN_HEADER] = token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`http://127.0.0.1:${s.port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }
  const dumpxml = async () => (await daemon.virsh(['nwfilter-dumpxml', 'test-eth0'])).stdout;

  beforeAll(async () => {
    bed = await startHostBed(PREFIX);
    ({ daemon, home } = bed);
    libvirt = new HostLibvirt(daemon.uri);
    firewall = new HostFirewall({ netns: home.name });
  }, 900_000);

  afterAll(async () => {
    for (const s of servers) await s.close();
    await bed?.stop();
  });

  it('imports every filter with its dumpxml and the binding with its MAC and parameters', async () => {
    const s = await serve(false);
    const filters = (await api(s, '/api/filters')).body.filters as { name: string; xml: string }[];
    const names = filters.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['test-eth0', 'clean-traffic', 'no-ip-spoofing']));
    expect(filters.find((f) => f.name === 'test-eth0')?.xml).toBe(await dumpxml());
    const bindings = (await api(s, '/api/bindings')).body.bindings as Record<string, unknown>[];
    expect(bindings).toEqual([
      expect.objectContaining({ portdev: 'vnet0', mac: MAC, filter: 'test-eth0' }),
    ]);
    expect(bindings[0]?.params).toContainEqual(['IP', '10.99.0.2']);
    const host = (await api(s, '/api/host')).body;
    expect(host).toMatchObject({ allowDefine: false, libvirt: { daemon: '9.0.0', target: '9.0' } });
  });

  it('finds the host identical to what the studio compiles for the binding (API and CLI, exit 0)', async () => {
    const [d] = await driftOfHost(libvirt, firewall, 'vnet0');
    expect(d?.report.lines).toEqual([]);
    expect(d?.report.identical).toBe(true);
    expect((d?.report.compared.iptables ?? 0) + (d?.report.compared.ebtables ?? 0)).toBeGreaterThan(
      40,
    );
    const r = await cli(['drift', '--connect', daemon.uri, '--netns', home.name, 'vnet0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^vnet0 \(filter test-eth0, libvirt 9\.0\.0\): identical \(\d+ rules compared\)\n$/,
    );
  });

  it('shows drift made by hand (iptables -D in the namespace) with the XML rule it belongs to, exit 1', async () => {
    const save = (await home.exec('iptables-save', [])).stdout;
    const lost = '-A FO-vnet0 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT';
    expect(save).toContain(lost);
    await home.exec('iptables', ['-D', 'FO-vnet0', ...lost.split(' ').slice(2)]);
    const r = await cli([
      'drift',
      '--connect',
      daemon.uri,
      '--netns',
      home.name,
      'vnet0',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const [d] = JSON.parse(r.stdout) as {
      report: { identical: boolean; lines: Record<string, unknown>[] };
    }[];
    expect(d?.report.identical).toBe(false);
    expect(d?.report.lines).toEqual([
      expect.objectContaining({
        family: 'iptables',
        chain: 'FO-vnet0',
        only: 'studio',
        text: lost,
        rule: expect.objectContaining({
          filter: 'test-eth0',
          ruleIndex: 3,
          action: 'accept',
          direction: 'in',
        }),
      }),
    ]);
    const text = await cli(['drift', '--connect', daemon.uri, '--netns', home.name]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `- ${lost}   [missing on the host] ← test-eth0 rule #3 (accept in, priority 500)`,
    );
  });

  it('refuses define without --allow-define: the host keeps its version', async () => {
    const before = await dumpxml();
    const s = await serve(false);
    const xml = readFileSync(FILTER, 'utf8').replace("dstportstart='80'", "dstportstart='8080'");
    for (const path of ['/api/define/preview', '/api/define']) {
      const r = await api(s, path, { xml, confirm: 'x' });
      expect(r.status).toBe(403);
    }
    expect((await api(s, '/api/filters', undefined, null)).status).toBe(401);
    expect((await api(s, '/api/filters', undefined, 'not-the-token')).status).toBe(401);
    expect(await dumpxml()).toBe(before);
  });

  it('defines after a preview, re-reads, and the host then holds what was shown (drift gone)', async () => {
    const s = await serve(true);
    const xml = readFileSync(FILTER, 'utf8').replace("dstportstart='80'", "dstportstart='8080'");
    const p = await api(s, '/api/define/preview', { xml });
    expect(p.status).toBe(200);
    expect(p.body.xmlDiff).toEqual([
      { op: '-', text: "    <tcp state='NEW' dstportstart='80'/>" },
      { op: '+', text: "    <tcp state='NEW' dstportstart='8080'/>" },
    ]);
    const [b] = p.body.bindings as {
      portdev: string;
      ruleChanges: { op: string; text: string }[];
    }[];
    expect(b?.portdev).toBe('vnet0');
    expect(b?.ruleChanges.filter((c) => c.op === '+').map((c) => c.text)).toEqual([
      expect.stringContaining('--dport 8080'),
    ]);
    // Nothing is defined by the preview.
    expect(await dumpxml()).toContain("dstportstart='80'");
    const d = await api(s, '/api/define', { xml, confirm: p.body.confirm });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ status: 'defined', matchesPreview: true });
    expect(await dumpxml()).toBe(p.body.newXml);
    // libvirt re-instantiated the binding: the hand-made drift is gone, the new port is there.
    const [after] = await driftOfHost(libvirt, firewall, 'vnet0');
    expect(after?.report.lines).toEqual([]);
    expect((await home.exec('iptables-save', [])).stdout).toContain('--dport 8080');
  });

  it("a define libvirt refuses leaves the host's version and says libvirt's error", async () => {
    const s = await serve(true);
    const before = await dumpxml();
    // Another UUID under the same name: libvirt refuses it.
    const xml = readFileSync(FILTER, 'utf8').replace(
      "<filter name='test-eth0'>",
      "<filter name='test-eth0'>\n  <uuid>0f0f0f0f-1111-4222-8333-444444444444</uuid>",
    );
    const p = await api(s, '/api/define/preview', { xml });
    expect(p.status).toBe(200);
    const d = await api(s, '/api/define', { xml, confirm: p.body.confirm });
    expect(d.status).toBe(502);
    expect(d.body).toMatchObject({ status: 'failed', hostXml: before });
    expect(String(d.body.error)).toMatch(/already exists with uuid/);
    expect(await dumpxml()).toBe(before);
  });
});
