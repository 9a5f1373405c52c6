import type { FilterDoc, FilterEntry } from '../core/model';
import { reparseDoc } from './core-bridge';
import type { StudioStoreApi, Workspace } from './studio-store';

type Store = StudioStoreApi;

/** localStorage key of the undo history; bump the version when the saved shape changes. */
export const HISTORY_KEY = 'nwfilter-studio:history:v1';
/** Undo steps kept across a reload, each way (the store keeps more in memory). */
export const SAVED_STEPS = 50;

type SavedDoc = Omit<FilterDoc, 'entries'> & { entries: number[] };
type SavedWorkspace = { id: string; doc: number }[];

interface SavedHistory {
  version: 1;
  /** Every entry of every saved step, once: the steps share most of them. */
  entries: FilterEntry[];
  docs: SavedDoc[];
  past: SavedWorkspace[];
  future: SavedWorkspace[];
}

type Step = { workspace: Workspace };

/**
 * The undo history in a form that stays small: steps share their documents and entries (an
 * edit changes one entry of one filter), so each is stored once and referred to by number.
 */
export function encodeHistory(past: readonly Step[], future: readonly Step[]): SavedHistory {
  const entries: FilterEntry[] = [];
  const entryIds = new Map<FilterEntry, number>();
  const docs: SavedDoc[] = [];
  const docIds = new Map<FilterDoc, number>();
  const docId = (doc: FilterDoc) => {
    let id = docIds.get(doc);
    if (id === undefined) {
      const refs = doc.entries.map((e) => {
        let n = entryIds.get(e);
        if (n === undefined) {
          n = entries.push(e) - 1;
          entryIds.set(e, n);
        }
        return n;
      });
      id = docs.push({ ...doc, entries: refs }) - 1;
      docIds.set(doc, id);
    }
    return id;
  };
  const step = (s: Step): SavedWorkspace =>
    s.workspace.filters.map((f) => ({ id: f.id, doc: docId(f.doc) }));
  return {
    version: 1,
    entries,
    docs,
    past: past.slice(-SAVED_STEPS).map(step),
    future: future.slice(-SAVED_STEPS).map(step),
  };
}

/** The steps of a saved history; null when it is not one. */
export function decodeHistory(raw: unknown): { past: Step[]; future: Step[] } | null {
  const saved = raw as Partial<SavedHistory> | null;
  if (
    !saved ||
    saved.version !== 1 ||
    !Array.isArray(saved.entries) ||
    !Array.isArray(saved.docs) ||
    !Array.isArray(saved.past) ||
    !Array.isArray(saved.future)
  )
    return null;
  const entries = saved.entries;
  const docs: FilterDoc[] = [];
  for (const d of saved.docs) {
    if (typeof d?.name !== 'string' || !Array.isArray(d.entries)) return null;
    const list = d.entries.map((n) => entries[n]);
    if (list.some((e) => e === undefined)) return null;
    const doc = { ...d, entries: list as FilterEntry[] };
    // Whatever the entry holds (it may be hostile), an undo step must be a document the editor
    // can show: one that is written as XML and reads back without error.
    if (!reparseDoc(doc)) return null;
    docs.push(doc);
  }
  const step = (w: SavedWorkspace): Step | null => {
    if (!Array.isArray(w)) return null;
    const filters = w.map((f) => ({ id: f?.id, doc: docs[f?.doc] }));
    return filters.every((f) => typeof f.id === 'string' && f.doc)
      ? { workspace: { filters: filters as { id: string; doc: FilterDoc }[] } }
      : null;
  };
  const past = saved.past.map(step);
  const future = saved.future.map(step);
  if (past.some((s) => !s) || future.some((s) => !s)) return null;
  return { past: past as Step[], future: future as Step[] };
}

/** Saves the store's undo history (quota errors: the history is just not kept). */
export function saveHistory(store: Store, storage: Storage): void {
  const { pastStates, futureStates } = store.temporal.getState();
  try {
    storage.setItem(
      HISTORY_KEY,
      JSON.stringify(encodeHistory(pastStates as Step[], futureStates as Step[])),
    );
  } catch {
    try {
      storage.removeItem(HISTORY_KEY);
    } catch {
      // Storage unavailable: nothing to clean either.
    }
  }
}

/** Puts a saved undo history back into the store; false when there is none to restore. */
export function restoreHistory(store: Store, storage: Storage): boolean {
  let saved: { past: Step[]; future: Step[] } | null;
  try {
    const raw = storage.getItem(HISTORY_KEY);
    saved = raw ? decodeHistory(JSON.parse(raw)) : null;
  } catch {
    saved = null;
  }
  if (!saved) return false;
  store.temporal.setState({ pastStates: saved.past, futureStates: saved.future });
  return true;
}
