import { create } from 'zustand';
import type { AnalysisPath } from '../core/analysis';
import type { CompareResult, CustomPacket, SimResult, SimSettings, SimSource } from '../core/sim';

/** The tabs of the panels dock. */
export type PanelTab = 'simulator' | 'analysis' | 'learn' | 'export' | 'lint' | 'parity' | 'host';

/** A rule of a filter, by entry index (what the rule table and the XML pane select). */
export interface EntryRef {
  filter: string;
  entryIndex: number;
}

/** Where the Compare run takes the "before" version from. */
export type CompareBase =
  | { kind: 'history'; steps: number }
  | { kind: 'opened' }
  | { kind: 'library' }
  | { kind: 'filter'; name: string }
  | { kind: 'pasted'; xml: string };

/**
 * "Can X reach Y?" as the Analysis panel's form holds it: text fields, ranges allowed
 * (`10.0.0.0/24`, `1024-65535`); empty means any.
 */
export interface ReachForm {
  path: AnalysisPath;
  protocol: string;
  source: string;
  destination: string;
  sourcePort: string;
  destinationPort: string;
  icmpType: string;
  state: 'NEW' | 'ESTABLISHED' | 'RELATED';
}

export interface LessonProgress {
  id: string;
  prediction: 'accept' | 'drop' | null;
  revealed: boolean;
}

export interface PanelsState {
  tab: PanelTab;
  collapsed: boolean;
  settings: SimSettings;
  source: SimSource;
  /** Custom packets being edited (the custom source runs a copy). */
  customPackets: CustomPacket[];
  result: SimResult | null;
  running: boolean;
  error: string | null;
  /** Milliseconds the last run took in the worker. */
  lastRunMs: number | null;
  /** Position in `result.steps`. */
  current: number;
  playing: boolean;
  compareBase: CompareBase;
  compare: CompareResult | null;
  comparing: boolean;
  lesson: LessonProgress | null;
  /** The version What changed compares the current document with. */
  changedBase: CompareBase;
  reachForm: ReachForm;
  /** Bumped to ask the Analysis panel to answer the reach form now (a custom packet's "Can it reach?"). */
  reachAsked: number;
  /** A rule pointed at (hovering an exported line or a trace row), shown as a hint in the table. */
  hinted: EntryRef | null;
}

export interface PanelsActions {
  setTab(tab: PanelTab): void;
  setCollapsed(collapsed: boolean): void;
  setSettings(patch: Partial<SimSettings>): void;
  setSource(source: SimSource): void;
  setCustomPackets(packets: CustomPacket[]): void;
  setRunning(): void;
  setResult(result: SimResult, ms: number): void;
  setError(message: string): void;
  /** Moves to a packet (clamped). */
  goTo(index: number): void;
  setPlaying(playing: boolean): void;
  setCompareBase(base: CompareBase): void;
  setComparing(): void;
  setCompare(result: CompareResult | null): void;
  setLesson(lesson: LessonProgress | null): void;
  setChangedBase(base: CompareBase): void;
  setReachForm(patch: Partial<ReachForm>): void;
  /** Fills the reach form (when given), opens the Analysis panel and answers it. */
  askReach(form?: ReachForm): void;
  setHinted(ref: EntryRef | null): void;
}

export type PanelsStore = PanelsState & PanelsActions;

/**
 * The parameters the panel starts from: the scenarios' VM MAC, and no IP — as most people bind
 * clean-traffic, and as the app's default filter says: libvirt learns the address.
 */
export const DEFAULT_PARAMS: Record<string, string[]> = {
  MAC: ['52:54:00:11:22:33'],
};

export const DEFAULT_CUSTOM_PACKET: CustomPacket = {
  side: 'to-vm',
  proto: 'tcp',
  src: '',
  dst: '',
  sport: 40000,
  dport: 22,
  flags: 'SYN',
  icmpType: 8,
  icmpCode: 0,
  t: 0,
};

/** Whether two per-rule hit counts are the same (a re-run after an edit mostly changes none). */
export function sameHits(
  a: Record<string, number> | undefined,
  b: Record<string, number>,
): boolean {
  if (!a) return false;
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  return n === Object.keys(b).length;
}

/**
 * The panels' own state (simulator, lessons, compare, export/lint hints). Not undoable: it is
 * derived from the workspace or is view state; only the workspace belongs in the history.
 */
export const usePanelsStore = create<PanelsStore>()((set, get) => ({
  tab: 'simulator',
  collapsed: false,
  settings: { ftpHelper: false, sysctl: {}, params: DEFAULT_PARAMS },
  source: { kind: 'scenario', name: 'ftp-active' },
  customPackets: [DEFAULT_CUSTOM_PACKET],
  result: null,
  running: false,
  error: null,
  lastRunMs: null,
  current: 0,
  playing: false,
  compareBase: { kind: 'history', steps: 1 },
  compare: null,
  comparing: false,
  lesson: null,
  changedBase: { kind: 'history', steps: 1 },
  reachForm: {
    path: 'to-vm',
    protocol: 'tcp',
    source: '',
    destination: '',
    sourcePort: '',
    destinationPort: '22',
    icmpType: '',
    state: 'NEW',
  },
  reachAsked: 0,
  hinted: null,

  setTab: (tab) => set({ tab, collapsed: false }),
  setCollapsed: (collapsed) => set({ collapsed }),
  setSettings: (patch) => set({ settings: { ...get().settings, ...patch } }),
  setSource: (source) => set({ source, current: 0, playing: false }),
  setCustomPackets: (customPackets) => set({ customPackets }),
  setRunning: () => set({ running: true }),
  setResult: (result, ms) =>
    set({
      // Same counts as before: keep the old object so the rule table's rows do not all redraw.
      result: sameHits(get().result?.hits, result.hits)
        ? { ...result, hits: get().result?.hits ?? result.hits }
        : result,
      running: false,
      error: null,
      lastRunMs: ms,
      current: Math.min(get().current, Math.max(0, result.steps.length - 1)),
    }),
  // The last result goes with an error: it is not what the current input gives.
  setError: (error) => set({ error, running: false, result: null, current: 0 }),
  goTo: (index) => {
    const n = get().result?.steps.length ?? 0;
    set({ current: Math.max(0, Math.min(n - 1, index)) });
  },
  setPlaying: (playing) => set({ playing }),
  setCompareBase: (compareBase) => set({ compareBase }),
  setComparing: () => set({ comparing: true }),
  setCompare: (compare) => set({ compare, comparing: false }),
  setLesson: (lesson) => set({ lesson }),
  setChangedBase: (changedBase) => set({ changedBase }),
  setReachForm: (patch) => set({ reachForm: { ...get().reachForm, ...patch } }),
  askReach: (form) =>
    set({
      reachForm: form ?? get().reachForm,
      reachAsked: get().reachAsked + 1,
      tab: 'analysis',
      collapsed: false,
    }),
  setHinted: (hinted) => set({ hinted }),
}));

export const selectHits = (s: PanelsState): Record<string, number> | null => s.result?.hits ?? null;
export const selectHinted = (s: PanelsState): EntryRef | null => s.hinted;
export const selectCurrentStep = (s: PanelsState) => s.result?.steps[s.current] ?? null;
