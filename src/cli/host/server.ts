import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { defineWithPreview, previewDefine } from './define';
import { driftOfHost } from './drift';
import type { HostFirewall } from './firewall';
import { NEEDS_ROOT } from './firewall';
import { checkPortdev } from './names';
import { newToken, refuseRequest } from './security';
import { VirshError } from './virsh';
import type { HostLibvirt } from './virsh';

/** What `serve` runs with. */
export interface HostServerOptions {
  libvirt: HostLibvirt;
  firewall: HostFirewall;
  /** Without it the server never defines anything (every define answers 403). */
  allowDefine: boolean;
  /** The built app (`dist/`); null serves the API only. */
  appDir: string | null;
  /** 0: any free port. */
  port: number;
  /** Fixed only by tests; a fresh random one otherwise. */
  token?: string;
}

/** A running server. */
export interface HostServer {
  port: number;
  token: string;
  /** The address to open: the token travels in the fragment, which the browser never sends. */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 10 << 20;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  // A form post from another page cannot send JSON without a CORS preflight this server never grants.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new HttpError(400, 'the body is not a JSON object');
}

function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string') throw new HttpError(400, `the body needs the text field '${name}'`);
  return v;
}

async function api(
  opts: HostServerOptions,
  req: http.IncomingMessage,
  url: URL,
): Promise<[number, unknown]> {
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  const { libvirt } = opts;
  switch (route) {
    case 'GET /api/host':
      return [
        200,
        { uri: libvirt.uri, allowDefine: opts.allowDefine, libvirt: await libvirt.version() },
      ];
    case 'GET /api/filters':
      return [200, { filters: await libvirt.filters() }];
    case 'GET /api/bindings':
      return [
        200,
        { bindings: (await libvirt.bindings()).map((b) => ({ ...b.binding, xml: b.xml })) },
      ];
    case 'GET /api/drift': {
      const iface = url.searchParams.get('iface') ?? undefined;
      if (iface !== undefined) {
        const bad = checkPortdev(iface);
        if (bad) throw new HttpError(400, bad);
      }
      return [200, { drift: await driftOfHost(libvirt, opts.firewall, iface) }];
    }
    case 'POST /api/define/preview':
    case 'POST /api/define': {
      // Checked before the body is even read: without --allow-define nothing reaches virsh.
      if (!opts.allowDefine)
        throw new HttpError(
          403,
          'refused: this server is read-only (start it with --allow-define to define filters)',
        );
      const body = await readJson(req);
      const xml = stringField(body, 'xml');
      if (route === 'POST /api/define/preview') {
        const p = await previewDefine(libvirt, xml);
        return ['error' in p ? 400 : 200, p];
      }
      const out = await defineWithPreview(libvirt, xml, stringField(body, 'confirm'));
      const status = { defined: 200, stale: 409, refused: 400, failed: 502 }[out.status];
      return [status, out];
    }
    default:
      throw new HttpError(404, `no API route ${route}`);
  }
}

function serveFile(appDir: string | null, url: URL, res: http.ServerResponse): void {
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    rel = '\0';
  }
  if (appDir === null || rel.includes('\0')) {
    send(res, 404, { error: 'not found' });
    return;
  }
  const file = normalize(join(appDir, rel));
  if (!file.startsWith(normalize(appDir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
    send(res, 404, { error: 'not found' });
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(readFileSync(file));
}

/**
 * Starts the host server on 127.0.0.1 only: the built app, and the API over libvirt. Every
 * request must name the server as 127.0.0.1:PORT or localhost:PORT (no DNS rebinding), come from
 * no other origin, and every API request must carry the run's token.
 */
export async function startHostServer(opts: HostServerOptions): Promise<HostServer> {
  const token = opts.token ?? newToken();
  let port = opts.port;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const refusal = refuseRequest(req.headers, port, { api: isApi, token });
    if (refusal) {
      req.resume();
      send(res, refusal.status, { error: refusal.message });
      return;
    }
    if (!isApi) {
      if (req.method !== 'GET' && req.method !== 'HEAD') send(res, 405, { error: 'GET only' });
      else serveFile(opts.appDir, url, res);
      return;
    }
    api(opts, req, url).then(
      ([status, body]) => send(res, status, body),
      (e: unknown) => {
        if (e instanceof HttpError) send(res, e.status, { error: e.message });
        else if (e instanceof VirshError)
          send(res, 502, { error: e.message, libvirt: e.libvirtMessage });
        else if (e instanceof Error && e.message === NEEDS_ROOT)
          send(res, 503, { error: e.message });
        else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
