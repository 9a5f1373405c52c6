import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from 'lz-string';
import type { FilterDoc } from '../core/model/types';

/** The URL fragment key that carries a shared workspace. */
export const SHARE_PARAM = 'share';

interface SharePayload {
  v: 1;
  filters: FilterDoc[];
}

/** Encodes documents for a URL fragment (`#share=…`), compressed. */
export function encodeShare(filters: FilterDoc[]): string {
  const payload: SharePayload = { v: 1, filters };
  return `${SHARE_PARAM}=${compressToEncodedURIComponent(JSON.stringify(payload))}`;
}

/** Decodes a fragment made by {@link encodeShare}; null when it is not one or is damaged. */
export function decodeShare(hash: string): FilterDoc[] | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const prefix = `${SHARE_PARAM}=`;
  if (!fragment.startsWith(prefix)) return null;
  try {
    const json = decompressFromEncodedURIComponent(fragment.slice(prefix.length));
    if (!json) return null;
    const payload = JSON.parse(json) as SharePayload;
    if (payload.v !== 1 || !Array.isArray(payload.filters)) return null;
    const ok = payload.filters.every(
      (d) => typeof d?.name === 'string' && typeof d.chain === 'string' && Array.isArray(d.entries),
    );
    return ok ? payload.filters : null;
  } catch {
    return null;
  }
}
