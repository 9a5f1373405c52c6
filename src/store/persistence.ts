import { reparseDoc } from './core-bridge';
import { isBackendId } from '../core/compile';
import type { BackendId } from '../core/compile';
import { parseHostProfile } from '../core/host';
import type { HostProfile } from '../core/host';
import { restoreHistory, saveHistory } from './history-persistence';
import { hostProfileOf, withHostProfile } from '../core/sim';
import { useLayoutStore } from './layout-store';
import { usePanelsStore } from './panels-store';
import type { PanelsState } from './panels-store';
import { applyView, decodeView, viewOf } from './view-persistence';
import type { SavedView } from './view-persistence';
import { useStudioStore } from './app-store';
import type { StudioState, WorkspaceFilter, XmlDraft } from './studio-store';

/** localStorage key; bump the version when the saved shape changes. */
export const STORAGE_KEY = 'nwfilter-studio:workspace:v1';
/** Saving a 2,000-rule workspace costs tens of ms: do it in pauses, not on every keystroke. */
const SAVE_DELAY_MS = 700;

interface SavedState {
  version: 1;
  filters: WorkspaceFilter[];
  activeId: string | null;
  /** Unparsed XML texts per filter id, so an unfinished edit survives a reload. */
  drafts: Record<string, string>;
  /** The simulator's host profile (FTP helper, bridge address, sysctls, ipsets, events). */
  host?: HostProfile;
  /** The firewall backend the Export panel prints and the Simulator executes (absent: default). */
  backend?: BackendId;
  /** The rest of what the user set: parameters, libvirt release, traffic, tab, sizes. */
  view?: SavedView;
}

/** Where an entry that could not be read (in full) is kept, so saving over it loses nothing. */
export const UNREADABLE_KEY = `${STORAGE_KEY}:unreadable`;

/** Keeps the raw entry under {@link UNREADABLE_KEY} (once) and says so. */
function keepUnreadable(storage: Storage, raw: string, what: string): string {
  try {
    if (storage.getItem(UNREADABLE_KEY) === null) storage.setItem(UNREADABLE_KEY, raw);
  } catch {
    // Quota: the notice still says what happened.
  }
  return `The saved workspace ${what}; its text is kept in localStorage under '${UNREADABLE_KEY}'.`;
}

/**
 * Reads the saved workspace; null when there is none or it is unreadable. Never throws, whatever
 * the entry holds: each filter is read back through the XML parser, filters that do not read back
 * are left out, and then (or when nothing can be read) the raw entry is kept aside and `notice`
 * says so.
 */
export function loadSavedState(storage: Storage = localStorage): Partial<StudioState> | null {
  let raw: string | null;
  try {
    raw = storage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  let saved: SavedState;
  try {
    saved = JSON.parse(raw) as SavedState;
    if (saved?.version !== 1 || !Array.isArray(saved.filters)) throw new Error('not a workspace');
  } catch {
    return { notice: keepUnreadable(storage, raw, 'could not be read and was not opened') };
  }
  const filters: WorkspaceFilter[] = [];
  const ids = new Set<string>();
  for (const f of saved.filters as unknown[]) {
    const id = (f as Partial<WorkspaceFilter> | null)?.id;
    const doc = reparseDoc((f as Partial<WorkspaceFilter> | null)?.doc);
    if (typeof id === 'string' && !ids.has(id) && doc) {
      ids.add(id);
      filters.push({ id, doc });
    }
  }
  const drafts: Record<string, XmlDraft> = {};
  const savedDrafts: unknown = saved.drafts;
  if (typeof savedDrafts === 'object' && savedDrafts !== null) {
    for (const [id, text] of Object.entries(savedDrafts)) {
      const filter = filters.find((f) => f.id === id);
      if (filter && typeof text === 'string')
        drafts[id] = { text, baseDoc: filter.doc, diagnostics: [], pending: true, cleanText: null };
    }
  }
  const lost = saved.filters.length - filters.length;
  if (filters.length === 0 && lost > 0)
    return { notice: keepUnreadable(storage, raw, 'had no filter that could be read') };
  const activeId =
    typeof saved.activeId === 'string' && ids.has(saved.activeId)
      ? saved.activeId
      : (filters[0]?.id ?? null);
  return {
    workspace: { filters },
    activeId,
    drafts,
    selectedIndex: null,
    ...(lost > 0
      ? {
          notice: keepUnreadable(
            storage,
            raw,
            `had ${lost} filter(s) that could not be read; they were left out`,
          ),
        }
      : {}),
  };
}

/** A message from a stored text, short enough for the notice bar. */
function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** The host profile saved with the workspace, or why it could not be used. */
export interface SavedHost {
  /** The profile; null when none was saved or it could not be read (the default host then). */
  host: HostProfile | null;
  /** Set when a saved profile could not be read: what was wrong, and where its text is kept. */
  notice: string | null;
}

/**
 * The saved host profile, checked as `--host` checks a file. Never throws: an entry that is not
 * JSON says nothing here (loadSavedState reports it); a profile that does not pass the check is
 * kept aside with the rest of the entry, and `notice` names its first problem.
 */
export function loadSavedHost(storage: Storage = localStorage): SavedHost {
  let raw: string | null;
  let host: unknown;
  try {
    raw = storage.getItem(STORAGE_KEY);
    host = raw ? (JSON.parse(raw) as Partial<SavedState> | null)?.host : undefined;
  } catch {
    return { host: null, notice: null };
  }
  if (host === undefined || raw === null) return { host: null, notice: null };
  const parsed = parseHostProfile(JSON.stringify(host) ?? 'null');
  if (parsed.profile) return { host: parsed.profile, notice: null };
  const first = parsed.diagnostics.find((d) => d.severity === 'error') ?? parsed.diagnostics[0];
  return {
    host: null,
    notice: keepUnreadable(
      storage,
      raw,
      `had a host profile that could not be used (${first ? `${first.code}: ${clip(first.message)}` : 'not a host profile'}), so the simulator starts with the default host`,
    ),
  };
}

function toSaved(state: StudioState): SavedState {
  const drafts: Record<string, string> = {};
  for (const f of state.workspace.filters) {
    const draft = state.drafts[f.id];
    if (draft && draft.baseDoc === f.doc) drafts[f.id] = draft.text;
  }
  return {
    version: 1,
    filters: state.workspace.filters,
    activeId: state.activeId,
    drafts,
    host: hostProfileOf(usePanelsStore.getState().settings),
    ...(usePanelsStore.getState().settings.backend
      ? { backend: usePanelsStore.getState().settings.backend }
      : {}),
    view: viewOf(usePanelsStore.getState(), useLayoutStore.getState()),
  };
}

/** The saved backend; null when absent or not a registered backend. */
export function loadSavedBackend(storage: Storage = localStorage): BackendId | null {
  try {
    const raw = storage.getItem(STORAGE_KEY);
    const backend: unknown = raw ? (JSON.parse(raw) as Partial<SavedState>).backend : undefined;
    return typeof backend === 'string' && isBackendId(backend) ? backend : null;
  } catch {
    return null;
  }
}

/** The saved view (what {@link SavedView} lists), or why part of it could not be used. */
export function loadSavedView(storage: Storage = localStorage): {
  view: SavedView;
  notice: string | null;
} {
  let raw: string | null;
  let value: unknown;
  try {
    raw = storage.getItem(STORAGE_KEY);
    const saved: unknown = raw ? JSON.parse(raw) : undefined;
    value = typeof saved === 'object' && saved !== null ? (saved as SavedState).view : undefined;
  } catch {
    return { view: {}, notice: null };
  }
  const { view, unusable } = decodeView(value);
  if (unusable.length === 0 || raw === null) return { view, notice: null };
  return {
    view,
    notice: keepUnreadable(
      storage,
      raw,
      `had settings that could not be used (${unusable.join(', ')}); they start from their defaults`,
    ),
  };
}

/** The panels' fields saved with the workspace (a change to any of them schedules a save). */
const SAVED_PANELS_FIELDS = [
  'settings',
  'source',
  'customPackets',
  'tab',
  'collapsed',
] as const satisfies readonly (keyof PanelsState)[];

/**
 * Restores the saved workspace into the store (when there is one) and saves
 * every later change, debounced, plus once more when the page is hidden.
 * @returns a function that stops autosaving.
 */
export function startAutosave(storage: Storage = localStorage): () => void {
  const saved = loadSavedState(storage);
  if (saved) {
    useStudioStore.setState(saved);
    // The undo history saved with this workspace comes back with it.
    if (!restoreHistory(useStudioStore, storage)) useStudioStore.temporal.getState().clear();
    // A restored draft is re-parsed so its diagnostics show again.
    useStudioStore.getState().commitXmlDraft();
  }
  const { host, notice } = loadSavedHost(storage);
  if (host) {
    const panels = usePanelsStore.getState();
    panels.setSettings(withHostProfile(panels.settings, host));
  }
  const backend = loadSavedBackend(storage);
  if (backend) usePanelsStore.getState().setSettings({ backend });
  const { view, notice: viewNotice } = loadSavedView(storage);
  applyView(view);
  for (const n of [notice, viewNotice]) {
    if (!n) continue;
    const before = useStudioStore.getState().notice;
    useStudioStore.getState().setNotice(before ? `${before} ${n}` : n);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: { filters: unknown; activeId: unknown; drafts: unknown } | null = null;
  const save = () => {
    clearTimeout(timer);
    const state = useStudioStore.getState();
    try {
      storage.setItem(STORAGE_KEY, JSON.stringify(toSaved(state)));
    } catch {
      // Quota or private mode: the session still works, it just is not kept.
    }
    saveHistory(useStudioStore, storage);
  };
  const schedule = () => {
    clearTimeout(timer);
    // After the pause, wait for an idle moment too: stringifying a big workspace on the main
    // thread must not land on the user's next keystroke.
    timer = setTimeout(() => {
      if (typeof requestIdleCallback === 'function') requestIdleCallback(save, { timeout: 2000 });
      else save();
    }, SAVE_DELAY_MS);
  };
  const unsubscribe = useStudioStore.subscribe((state) => {
    if (
      last &&
      last.filters === state.workspace.filters &&
      last.activeId === state.activeId &&
      last.drafts === state.drafts
    )
      return;
    last = { filters: state.workspace.filters, activeId: state.activeId, drafts: state.drafts };
    schedule();
  });
  // The host settings and the view are saved with the workspace, in the same pauses.
  const unsubscribePanels = usePanelsStore.subscribe((state, before) => {
    if (SAVED_PANELS_FIELDS.some((k) => state[k] !== before[k])) schedule();
  });
  const unsubscribeLayout = useLayoutStore.subscribe(schedule);
  const onHide = () => save();
  window.addEventListener('pagehide', onHide);
  document.addEventListener('visibilitychange', onHide);
  return () => {
    unsubscribe();
    unsubscribePanels();
    unsubscribeLayout();
    clearTimeout(timer);
    window.removeEventListener('pagehide', onHide);
    document.removeEventListener('visibilitychange', onHide);
  };
}
