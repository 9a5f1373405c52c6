/**
 * The link to `nwfilter-studio serve`: the page it prints (`http://127.0.0.1:PORT/#token=…`) hands
 * the per-run token over in the fragment, which no browser sends to a server. The token is taken
 * out of the address at once (kept for this tab only, in sessionStorage) so that it never ends up
 * in a share link, a bookmark or the history.
 */
const KEY = 'nwfilter-studio.host-token';
const HEADER = 'x-nwfilter-studio-token';

function takeTokenFromFragment(): string | null {
  if (typeof location === 'undefined') return null;
  const m = /^#token=([A-Za-z0-9_-]{20,200})$/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(KEY, m[1]);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return m[1];
  }
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const token = takeTokenFromFragment();

/** Whether this page was opened from `serve` (the Host tab exists only then). */
export function hasHostToken(): boolean {
  return token !== null;
}

/** An error answer of the host API, with libvirt's own message when it has one. */
export class HostApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Calls the host API (same origin, the token in its header); throws {@link HostApiError}. */
export async function hostApi<T>(path: string, body?: unknown): Promise<T> {
  if (token === null) throw new HostApiError(0, 'not opened from nwfilter-studio serve', {});
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      [HEADER]: token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok && !(res.status === 502 && json.status === 'failed'))
    throw new HostApiError(res.status, String(json.error ?? `HTTP ${res.status}`), json);
  return json as T;
}
