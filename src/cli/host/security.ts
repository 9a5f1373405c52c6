import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header every API request carries the per-run token in. */
export const TOKEN_HEADER = 'x-nwfilter-studio-token';

/** A fresh per-run token: 32 random bytes, base64url (URL-fragment safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares a presented token with the run's in constant time: both are hashed first, so neither
 * the length nor the first differing byte of the presented text shows in the timing.
 */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The only names a browser may use for the server: a rebinding attacker's name is refused. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Why a request may not reach the API (or the page), or null when it may. */
export function refuseRequest(
  headers: Record<string, string | string[] | undefined>,
  port: number,
  opts: { api: boolean; token: string },
): { status: number; message: string } | null {
  const host = headers.host;
  // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 still sends
  // Host: evil.example.
  if (typeof host !== 'string' || !allowedHosts(port).includes(host.toLowerCase()))
    return {
      status: 421,
      message: `refused: Host must be one of ${allowedHosts(port).join(', ')}`,
    };
  const origin = headers.origin;
  if (origin !== undefined) {
    const ok = allowedHosts(port).map((h) => `http://${h}`);
    if (typeof origin !== 'string' || !ok.includes(origin.toLowerCase()))
      return { status: 403, message: 'refused: a request from another origin' };
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return { status: 403, message: `refused: a ${String(site)} request` };
  if (!opts.api) return null;
  const presented = headers[TOKEN_HEADER];
  if (!tokenMatches(typeof presented === 'string' ? presented : undefined, opts.token))
    return { status: 401, message: `refused: the ${TOKEN_HEADER} header is missing or wrong` };
  return null;
}
