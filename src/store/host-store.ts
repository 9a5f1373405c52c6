import { create } from 'zustand';

const KEY = 'nwfilter-studio.from-host';

/** Which workspace filters came from a libvirt host (by name → the host's URI), for this tab. */
export interface HostMarks {
  fromHost: Record<string, string>;
  markFromHost(names: readonly string[], uri: string): void;
}

function load(): Record<string, string> {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) ?? '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, string> = {};
      for (const [k, u] of Object.entries(v)) if (typeof u === 'string') out[k] = u;
      return out;
    }
  } catch {
    /* no storage, or not ours: start empty */
  }
  return {};
}

/** Marks kept in sessionStorage: they belong to the `serve` session the tab was opened from. */
export const useHostMarks = create<HostMarks>()((set, get) => ({
  fromHost: typeof sessionStorage === 'undefined' ? {} : load(),
  markFromHost(names, uri) {
    const fromHost = { ...get().fromHost };
    for (const n of names) fromHost[n] = uri;
    set({ fromHost });
    try {
      sessionStorage.setItem(KEY, JSON.stringify(fromHost));
    } catch {
      /* the marks then last until reload */
    }
  },
}));
