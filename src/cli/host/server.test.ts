import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostFirewall } from './firewall';
import { checkFilterName, checkPortdev, checkUri } from './names';
import { refuseRequest, tokenMatches, TOKEN_HEADER } from './security';
import { startHostServer } from './server';
import type { HostServer } from './server';
import { execFileRunner, HostLibvirt } from './virsh';
import type { Runner } from './virsh';

const UUID = '6d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
const WEB = `<filter name='web' chain='root'>\n  <uuid>${UUID}</uuid>\n  <rule action='accept' direction='in' priority='500'>\n    <tcp dstportstart='22'/>\n  </rule>\n</filter>\n`;
const BINDING = `<filterbinding>\n  <owner>\n    <name>vm1</name>\n    <uuid>11111111-2222-4333-8444-555555555555</uuid>\n  </owner>\n  <portdev name='vnet7'/>\n  <mac address='52:54:00:aa:bb:cc'/>\n  <filterref filter='web'>\n    <parameter name='IP' value='10.0.0.7'/>\n  </filterref>\n</filterbinding>\n`;

/** A stand-in for virsh: one filter `web`, one binding on vnet7; records every call. */
function fakeVirsh() {
  const calls: string[][] = [];
  const defined: string[] = [];
  let hostXml = WEB;
  const run: Runner = (file, args) => {
    calls.push([file, ...args]);
    const cmd = args.slice(3);
    const ok = (stdout: string) => Promise.resolve({ code: 0, stdout, stderr: '' });
    switch (cmd[0]) {
      case 'nwfilter-list':
        return ok(` ${UUID}   web\n`);
      case 'nwfilter-dumpxml':
        return ok(hostXml);
      case 'nwfilter-binding-list':
        return ok(' vnet7   web\n');
      case 'nwfilter-binding-dumpxml':
        return ok(BINDING);
      case 'version':
        return ok('Using library: libvirt 9.0.0\n');
      case 'nwfilter-define': {
        const text = readFileSync(cmd[1] as string, 'utf8');
        defined.push(text);
        hostXml = text;
        return ok('');
      }
      default:
        return Promise.resolve({ code: 1, stdout: '', stderr: `error: unknown command ${cmd[0]}` });
    }
  };
  return { run, calls, defined };
}

let server: HostServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(allowDefine: boolean) {
  const v = fakeVirsh();
  server = await startHostServer({
    libvirt: new HostLibvirt('qemu:///system', v.run),
    firewall: new HostFirewall({ run: v.run }),
    allowDefine,
    appDir: null,
    port: 0,
  });
  return { ...v, server };
}

/** A raw request, so that Host and Origin can be anything (fetch fixes Host). */
function request(
  s: HostServer,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    token?: string | null;
  } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${s.port}`, ...opts.headers };
    if (opts.token !== null) headers[TOKEN_HEADER] = opts.token ?? s.token;
    const req = http.request(
      { host: '127.0.0.1', port: s.port, path, method: opts.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('the token', () => {
  it('is compared in constant time over digests: equal only when identical', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
  });

  it('is fresh and long for every run, and travels in the URL fragment only', async () => {
    const a = await start(false);
    const first = a.server.token;
    await a.server.close();
    const b = await start(false);
    expect(b.server.token).not.toBe(first);
    expect(b.server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.server.url).toBe(`http://127.0.0.1:${b.server.port}/#token=${b.server.token}`);
  });

  it('is required on every API request; without it or wrong, virsh is never run', async () => {
    const { server: s, calls } = await start(true);
    for (const path of ['/api/host', '/api/filters', '/api/bindings', '/api/drift'])
      expect((await request(s, path, { token: null })).status).toBe(401);
    expect((await request(s, '/api/filters', { token: `${s.token}x` })).status).toBe(401);
    expect((await request(s, '/api/filters', { token: s.token.slice(1) })).status).toBe(401);
    const post = await request(s, '/api/define', {
      method: 'POST',
      token: null,
      headers: json,
      body: JSON.stringify({ xml: WEB, confirm: 'x' }),
    });
    expect(post.status).toBe(401);
    expect(calls).toEqual([]);
    const ok = await request(s, '/api/filters');
    expect(ok.status).toBe(200);
    expect(ok.body.filters).toEqual([{ uuid: UUID, name: 'web', xml: WEB }]);
  });
});

describe('origin and host checks', () => {
  it('refuses a request naming another host (DNS rebinding), even with the token', async () => {
    const { server: s, calls } = await start(false);
    const r = await request(s, '/api/filters', { headers: { host: `evil.example:${s.port}` } });
    expect(r.status).toBe(421);
    expect((await request(s, '/', { headers: { host: 'evil.example' } })).status).toBe(421);
    expect(calls).toEqual([]);
  });

  it('refuses a request from another origin or a cross-site fetch', async () => {
    const { server: s, calls } = await start(true);
    const other = await request(s, '/api/filters', { headers: { origin: 'http://evil.example' } });
    expect(other.status).toBe(403);
    const port = await request(s, '/api/filters', { headers: { origin: 'http://127.0.0.1:1' } });
    expect(port.status).toBe(403);
    const site = await request(s, '/api/filters', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
    expect(calls).toEqual([]);
    const same = await request(s, '/api/filters', {
      headers: { origin: `http://127.0.0.1:${s.port}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.status).toBe(200);
  });

  it('the pure check: every refusal names its cause', () => {
    const h = { host: '127.0.0.1:8080', [TOKEN_HEADER]: 't' };
    expect(refuseRequest(h, 8080, { api: true, token: 't' })).toBeNull();
    expect(
      refuseRequest({ ...h, host: 'localhost:8080' }, 8080, { api: true, token: 't' }),
    ).toBeNull();
    expect(
      refuseRequest({ ...h, host: '127.0.0.1:8081' }, 8080, { api: true, token: 't' })?.status,
    ).toBe(421);
    expect(refuseRequest({ host: '127.0.0.1:8080' }, 8080, { api: false, token: 't' })).toBeNull();
    expect(refuseRequest({ host: '127.0.0.1:8080' }, 8080, { api: true, token: 't' })?.status).toBe(
      401,
    );
  });
});

describe('listening', () => {
  it('binds 127.0.0.1 only', async () => {
    const { server: s } = await start(false);
    const addr = await new Promise<string>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/api/host',
          headers: { [TOKEN_HEADER]: s.token },
        },
        (res) => {
          res.resume();
          resolve(`${res.socket?.remoteAddress}`);
        },
      );
      req.end();
    });
    expect(addr).toBe('127.0.0.1');
    // Not on the other loopback family nor any other address.
    await expect(
      new Promise((resolve, reject) => {
        const req = http.request({ host: '::1', port: s.port, path: '/' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toThrow();
  });
});

describe('read-only by default', () => {
  it('refuses preview and define without --allow-define; nothing reaches virsh', async () => {
    const { server: s, calls, defined } = await start(false);
    for (const path of ['/api/define/preview', '/api/define']) {
      const r = await request(s, path, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ xml: WEB, confirm: 'x' }),
      });
      expect(r.status).toBe(403);
      expect(String(r.body.error)).toMatch(/read-only.*--allow-define/);
    }
    expect(calls).toEqual([]);
    expect(defined).toEqual([]);
  });

  it('with --allow-define, defines only the change the preview showed', async () => {
    const { server: s, defined } = await start(true);
    const xml = WEB.replace("dstportstart='22'", "dstportstart='2222'");
    const p = await request(s, '/api/define/preview', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ xml }),
    });
    expect(p.status).toBe(200);
    expect(p.body.xmlDiff).toEqual([
      { op: '-', text: "    <tcp dstportstart='22'/>" },
      { op: '+', text: "    <tcp dstportstart='2222'/>" },
    ]);
    const bindings = p.body.bindings as {
      portdev: string;
      ruleChanges: { op: string; text: string }[];
    }[];
    expect(bindings.map((b) => b.portdev)).toEqual(['vnet7']);
    expect(bindings[0]?.ruleChanges.some((c) => c.op === '+' && c.text.includes('2222'))).toBe(
      true,
    );
    const stale = await request(s, '/api/define', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ xml, confirm: 'not-the-preview' }),
    });
    expect(stale.status).toBe(409);
    expect(defined).toEqual([]);
    const d = await request(s, '/api/define', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ xml, confirm: p.body.confirm }),
    });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ status: 'defined', matchesPreview: true });
    expect(defined).toEqual([p.body.newXml]);
  });

  it('refuses a body that is not JSON (a cross-site form post cannot send JSON)', async () => {
    const { server: s, calls } = await start(true);
    const r = await request(s, '/api/define/preview', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ xml: WEB }),
    });
    expect(r.status).toBe(415);
    expect(calls).toEqual([]);
  });
});

describe('values that reach virsh', () => {
  it('refuses an interface that virsh would read as an option, before virsh runs', async () => {
    const { server: s, calls } = await start(false);
    const r = await request(s, `/api/drift?iface=${encodeURIComponent('--help')}`);
    expect(r.status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('checks names, interfaces and URIs as libvirt and the kernel allow them', () => {
    for (const ok of ['clean-traffic', 'no-mac-spoofing', 'web_1.2', '_x'])
      expect(checkFilterName(ok)).toBeNull();
    for (const bad of ['-x', '--help', 'a b', 'a/b', "a'b", '', 'a;rm', '1web', 'a\nb'])
      expect(checkFilterName(bad)).not.toBeNull();
    for (const ok of ['vnet0', 'tap-1', 'eth0.100']) expect(checkPortdev(ok)).toBeNull();
    for (const bad of ['-i', 'a/b', 'x'.repeat(16), 'a b', 'vnet+', '..', 'a\u0001'])
      expect(checkPortdev(bad)).not.toBeNull();
    for (const ok of [
      'qemu:///system',
      'qemu+ssh://root@h/system',
      'nwfilter+unix:///system?socket=/tmp/s',
    ])
      expect(checkUri(ok)).toBeNull();
    for (const bad of ['-c', '--readonly', 'qemu:///sys tem', 'a\nb'])
      expect(checkUri(bad)).not.toBeNull();
    expect(() => new HostLibvirt('--readonly')).toThrow();
  });

  it('runs programs without a shell: shell syntax in an argument arrives verbatim', async () => {
    const marker = join(tmpdir(), `nwfs-no-shell-${process.pid}`);
    const arg = `$(touch ${marker}); touch ${marker} \`touch ${marker}\``;
    const r = await execFileRunner('printf', ['%s', arg]);
    expect(r).toEqual({ code: 0, stdout: arg, stderr: '' });
    expect(existsSync(marker)).toBe(false);
  });

  it('a missing program is a clear error, not a crash', async () => {
    const r = await execFileRunner('nwfs-no-such-program', []);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/not found/);
  });
});
