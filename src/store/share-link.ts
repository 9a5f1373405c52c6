import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from 'lz-string';
import type { FilterDoc } from '../core/model';
import { reparseDoc } from './core-bridge';

/** The URL fragment key that carries a shared filter. */
export const SHARE_PARAM = 'share';

interface SharePayload {
  v: 1;
  filters: FilterDoc[];
  /** The filter the link was made from (the one it opens on); absent in older links. */
  open?: string;
}

/** What a share link carries: filters, and which of them it opens. */
export interface SharedFilters {
  filters: FilterDoc[];
  /** Name of the filter to open (one of `filters`). */
  open: string;
}

/**
 * The filters a link for `name` carries: that filter and the workspace filters it references,
 * directly or through others (library filters are in every copy of the studio).
 */
export function filtersToShare(name: string, workspace: readonly FilterDoc[]): FilterDoc[] {
  const byName = new Map(workspace.map((d) => [d.name, d]));
  const out: FilterDoc[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    const doc = byName.get(n);
    if (!doc || seen.has(n)) return;
    seen.add(n);
    out.push(doc);
    for (const e of doc.entries) if (e.kind === 'filterref') visit(e.ref.filter);
  };
  visit(name);
  return out;
}

/** Encodes filters for a URL fragment (`#share=…`), compressed; the link opens on `open`. */
export function encodeShare(filters: FilterDoc[], open?: string): string {
  const payload: SharePayload = { v: 1, filters, ...(open ? { open } : {}) };
  return `${SHARE_PARAM}=${compressToEncodedURIComponent(JSON.stringify(payload))}`;
}

/**
 * Longest fragment decoded (characters). A 2,000-rule workspace compresses to well under this;
 * longer ones are refused before decompression, whose output can grow quadratically.
 */
export const MAX_SHARE_LENGTH = 4 * 1024 * 1024;
/** Longest decompressed payload (characters) parsed. */
const MAX_SHARE_JSON = 64 * 1024 * 1024;

/** Whether the fragment claims to be a share link (damaged or not). */
export function isShareLink(hash: string): boolean {
  return (hash.startsWith('#') ? hash.slice(1) : hash).startsWith(`${SHARE_PARAM}=`);
}

/**
 * Decodes a fragment made by {@link encodeShare}; null when it is not one or is damaged. Each
 * document is read back through the XML parser ({@link reparseDoc}): a hostile link can at worst
 * be refused, never put a malformed document in the store. Never throws.
 */
export function decodeShare(hash: string): SharedFilters | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const prefix = `${SHARE_PARAM}=`;
  if (!fragment.startsWith(prefix) || fragment.length > MAX_SHARE_LENGTH) return null;
  try {
    const json = decompressFromEncodedURIComponent(fragment.slice(prefix.length));
    if (!json || json.length > MAX_SHARE_JSON) return null;
    const payload = JSON.parse(json) as SharePayload;
    if (payload?.v !== 1 || !Array.isArray(payload.filters) || payload.filters.length === 0)
      return null;
    const docs = payload.filters.map(reparseDoc);
    if (!docs.every((d) => d !== null)) return null;
    const filters = docs as FilterDoc[];
    const open =
      typeof payload.open === 'string' && filters.some((d) => d.name === payload.open)
        ? payload.open
        : (filters[0] as FilterDoc).name;
    return { filters, open };
  } catch {
    return null;
  }
}

/** What a share link holds, in words: `web-server with its filterref db-access`. */
export function describeShare(open: string, filters: readonly { name: string }[]): string {
  const others = filters.filter((f) => f.name !== open).map((f) => f.name);
  if (others.length === 0) return open;
  return `${open} with the filter${others.length === 1 ? '' : 's'} it references: ${others.join(', ')}`;
}
