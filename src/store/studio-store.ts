import { create } from 'zustand';
import { temporal } from 'zundo';
import { applyChange } from '../core/model';
import type { DocChange } from '../core/model';
import type { Diagnostic, FilterDoc, ParseResult } from '../core/model';
import { DEFAULT_EXAMPLE } from '../core/examples';
import { parseIncrementally, serializeDoc, serializeEdited } from '../core/xml';
import { getLibraryFilter, parseXml } from './core-bridge';

/** A filter of the user's workspace. `id` is stable across renames. */
export interface WorkspaceFilter {
  id: string;
  doc: FilterDoc;
}

/** The undoable part of the state: the user's documents, nothing else. */
export interface Workspace {
  filters: WorkspaceFilter[];
}

/**
 * XML text typed by the user that differs from the serialized document.
 * It belongs to `baseDoc`: once the document changes by another route (table
 * edit, undo) the draft no longer applies and the pane shows the document again.
 */
export interface XmlDraft {
  text: string;
  baseDoc: FilterDoc;
  diagnostics: Diagnostic[];
  /** Typed but not parsed yet (inside the debounce window). */
  pending: boolean;
  /**
   * The text `baseDoc` was parsed from, when it parsed without any diagnostic:
   * the next edit can then re-parse just the entry it touched. Null = unknown.
   */
  cleanText: string | null;
}

/** Prefix of `activeId` for a built-in (read-only) library filter. */
export const LIBRARY_PREFIX = 'lib:';

export interface StudioState {
  /** Undoable. */
  workspace: Workspace;
  /** The open filter: a workspace id or `lib:NAME`. */
  activeId: string | null;
  /** Selected entry (index into the open document's entries). */
  selectedIndex: number | null;
  /** XML drafts per filter id. */
  drafts: Record<string, XmlDraft>;
  /** A one-line message for the status bar (e.g. why a move was refused). */
  notice: string | null;
}

export interface StudioActions {
  openFilter(id: string): void;
  selectEntry(index: number | null): void;
  /** Applies a table edit to the open filter. Same `coalesceKey` within a short window = one undo step. */
  applyDocChange(
    change: DocChange,
    options?: { coalesceKey?: string; select?: number | null },
  ): boolean;
  /**
   * The XML pane's text changed (typing). An edit inside one rule (or whitespace between rules)
   * is parsed and applied at once; any other edit is parsed after a debounce.
   */
  setXmlText(text: string): void;
  /** Parses the open filter's draft now (end of debounce, before undo, before leaving). */
  commitXmlDraft(): void;
  /** Drops the open filter's draft; the pane shows the document again. */
  revertXmlDraft(): void;
  /**
   * Adds documents to the workspace (one undo step) and opens the first. `texts`
   * optionally gives each one's source XML, shown as written until the first table edit.
   */
  addFilters(docs: FilterDoc[], texts?: (string | undefined)[]): void;
  deleteFilter(id: string): void;
  /** Copies a library filter into the workspace so it can be edited. */
  copyLibraryFilter(name: string): void;
  undo(): void;
  redo(): void;
  setNotice(notice: string | null): void;
}

export type StudioStore = StudioState & StudioActions;

/** How long a burst of typing or field edits stays one undo step. */
export const COALESCE_MS = 1500;
/** Shortest delay between the last keystroke in the XML pane and parsing it. */
export const XML_DEBOUNCE_MS = 30;
/** Longest such delay (for filters whose full parse is slow). */
export const XML_DEBOUNCE_MAX_MS = 500;

/**
 * A generator of fresh workspace filter ids (each store has its own); not in the core, so the
 * clock is allowed here.
 */
export function filterIdGenerator(): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return `f${Date.now().toString(36)}${counter.toString(36)}`;
  };
}

function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The state the app opens with when nothing was saved: the FTP-server example. */
export function createInitialState(createFilterId = filterIdGenerator()): StudioState {
  const parsed = parseXml(DEFAULT_EXAMPLE.xml);
  const filters: WorkspaceFilter[] = parsed.doc ? [{ id: createFilterId(), doc: parsed.doc }] : [];
  const drafts: Record<string, XmlDraft> = {};
  // The pane opens on the docs' text as written (comments included) until the first table edit.
  const first = filters[0];
  if (first) {
    drafts[first.id] = {
      text: DEFAULT_EXAMPLE.xml,
      baseDoc: first.doc,
      diagnostics: parsed.diagnostics,
      pending: false,
      cleanText: parsed.diagnostics.length === 0 ? DEFAULT_EXAMPLE.xml : null,
    };
  }
  return {
    workspace: { filters },
    activeId: first?.id ?? null,
    selectedIndex: null,
    drafts,
    notice: null,
  };
}

/**
 * A parser off the main thread (a Web Worker running the same core), set by the UI. With
 * `diagnosticsOnly` it may answer `doc: null` (only whether and how the text is wrong).
 */
export type AsyncParser = (
  text: string,
  options?: { diagnosticsOnly?: boolean },
) => Promise<ParseResult>;
/** Texts at least this long are parsed off the main thread when the edit is not incremental. */
export const ASYNC_PARSE_MIN_CHARS = 40_000;

/** Finds the document shown for `id` (workspace or library). */
export function findDoc(state: StudioState, id: string | null): FilterDoc | null {
  if (id === null) return null;
  if (id.startsWith(LIBRARY_PREFIX))
    return getLibraryFilter(id.slice(LIBRARY_PREFIX.length))?.doc ?? null;
  return state.workspace.filters.find((f) => f.id === id)?.doc ?? null;
}

/** What a store offers besides its state and actions (not part of the state: never persisted). */
export interface StudioStoreExtras {
  /** Lets full parses of big texts run in a worker so typing never freezes (null: parse inline). */
  setAsyncParser(parser: AsyncParser | null): void;
  /** How long the last XML parse took (ms), for the performance figures. */
  getLastParseMs(): number;
}

/**
 * A studio store (DESIGN.md: slices workspace / editor / selection); only `workspace` is tracked
 * by the undo history. Everything the store keeps between calls (the coalescing window, the
 * debounce timer, the async parser, filter ids) lives in this closure, so stores are independent:
 * the app creates one (`app-store.ts`), tests as many as they like.
 */
export function createStudioStore() {
  const createFilterId = filterIdGenerator();
  let lastCoalesce: { key: string; at: number } | null = null;
  let lastParseMs = 0;
  let asyncParser: AsyncParser | null = null;
  let asyncInFlight = false;
  let asyncRerun = false;
  let draftTimer: ReturnType<typeof setTimeout> | undefined;

  const store = create<StudioStore>()(
    temporal(
      (set, get) => {
        const withoutCoalescing = (fn: () => void) => {
          const t = store.temporal.getState();
          t.pause();
          try {
            fn();
          } finally {
            t.resume();
          }
        };
        /** Runs `fn` as its own undo step, or merged into the previous one for the same key. */
        const recordStep = (key: string | undefined, fn: () => void) => {
          const now = Date.now();
          const merge =
            key !== undefined && lastCoalesce?.key === key && now - lastCoalesce.at < COALESCE_MS;
          lastCoalesce = key === undefined ? null : { key, at: now };
          if (merge) withoutCoalescing(fn);
          else fn();
        };
        /** `extra` is set in the same update, so no subscriber sees the document without it. */
        const replaceDoc = (
          id: string,
          doc: FilterDoc,
          key?: string,
          extra?: Partial<StudioState>,
        ) => {
          const { workspace } = get();
          recordStep(key, () =>
            set({
              ...extra,
              workspace: {
                filters: workspace.filters.map((f) => (f.id === id ? { id: f.id, doc } : f)),
              },
            }),
          );
        };
        const replaceActiveDoc = (doc: FilterDoc, key?: string, extra?: Partial<StudioState>) => {
          const { activeId } = get();
          if (activeId !== null) replaceDoc(activeId, doc, key, extra);
        };
        /** Applies a parse of `draft` (of filter `id`) if the draft is still the one parsed. */
        const applyParse = (id: string, text: string, result: ParseResult) => {
          const state = get();
          const draft = state.drafts[id];
          const doc = findDoc(state, id);
          if (!draft || !doc || draft.baseDoc !== doc || draft.text !== text) return;
          const hasError = result.diagnostics.some((d) => d.severity === 'error');
          if (result.doc && !hasError) {
            const next = result.doc;
            // The text stays as typed (it is the same document); it now belongs to the new doc.
            replaceDoc(id, next, `xml:${id}`, {
              drafts: {
                ...state.drafts,
                [id]: {
                  text,
                  baseDoc: next,
                  diagnostics: result.diagnostics,
                  pending: false,
                  cleanText: result.diagnostics.length === 0 ? text : null,
                },
              },
            });
          } else {
            set({
              drafts: {
                ...state.drafts,
                [id]: { ...draft, diagnostics: result.diagnostics, pending: false },
              },
            });
          }
        };

        return {
          ...createInitialState(createFilterId),

          openFilter(id) {
            get().commitXmlDraft();
            lastCoalesce = null;
            set({ activeId: id, selectedIndex: null, notice: null });
          },

          selectEntry(index) {
            set({ selectedIndex: index });
          },

          applyDocChange(change, options) {
            const state = get();
            const id = state.activeId;
            if (id === null || id.startsWith(LIBRARY_PREFIX)) return false;
            const doc = findDoc(state, id);
            if (!doc) return false;
            const next = applyChange(doc, change);
            if (next === doc) return false;
            serializeEdited(doc, next);
            replaceActiveDoc(next, options?.coalesceKey);
            if (options?.select !== undefined) set({ selectedIndex: options.select });
            return true;
          },

          setXmlText(text) {
            const state = get();
            const id = state.activeId;
            if (id === null || id.startsWith(LIBRARY_PREFIX)) return;
            const doc = findDoc(state, id);
            if (!doc) return;
            const previous = state.drafts[id];
            const base = previous && previous.baseDoc === doc ? previous : null;
            if (!base && text === serializeDoc(doc)) return;
            clearTimeout(draftTimer);
            // Without a draft the pane showed the serialized document, which is clean.
            const cleanText = base ? base.cleanText : serializeDoc(doc);
            // Typing inside one rule re-parses just that rule: cheap enough to apply at once, so the
            // table follows the keystroke. The entry must parse without any diagnostic (else null
            // and the debounced full parse below decides), so the table never shows a half-typed
            // rule; all such keystrokes share one coalescing key, so a burst is one undo step.
            const incremental =
              cleanText !== null ? parseIncrementally(parseXml, doc, cleanText, text) : null;
            const parsed = incremental?.doc;
            if (parsed) {
              const draft: XmlDraft = {
                text,
                baseDoc: parsed,
                diagnostics: [],
                pending: false,
                cleanText: text,
              };
              const drafts = { ...state.drafts, [id]: draft };
              if (parsed === doc) set({ drafts });
              else replaceDoc(id, parsed, `xml:${id}`, { drafts });
              return;
            }
            set({
              drafts: {
                ...state.drafts,
                [id]: {
                  text,
                  baseDoc: doc,
                  diagnostics: base?.diagnostics ?? [],
                  pending: true,
                  cleanText,
                },
              },
            });
            // A slow full parse waits for a pause in typing so it does not run on every keystroke.
            const delay = Math.min(
              XML_DEBOUNCE_MAX_MS,
              Math.max(XML_DEBOUNCE_MS, lastParseMs * 1.5),
            );
            draftTimer = setTimeout(() => get().commitXmlDraft(), delay);
          },

          commitXmlDraft() {
            clearTimeout(draftTimer);
            const state = get();
            const id = state.activeId;
            if (id === null) return;
            const draft = state.drafts[id];
            const doc = findDoc(state, id);
            if (!draft || !doc || draft.baseDoc !== doc || !draft.pending) return;
            const started = performance.now();
            const text = draft.text;
            const incremental =
              draft.cleanText !== null &&
              parseIncrementally(parseXml, draft.baseDoc, draft.cleanText, text);
            if (!incremental && asyncParser && text.length >= ASYNC_PARSE_MIN_CHARS) {
              // One parse in flight at a time; a newer text is parsed when it returns.
              if (asyncInFlight) {
                asyncRerun = true;
                return;
              }
              asyncInFlight = true;
              const finish = () => {
                asyncInFlight = false;
                if (asyncRerun) {
                  asyncRerun = false;
                  get().commitXmlDraft();
                }
              };
              asyncParser(text).then(
                (result) => {
                  lastParseMs = XML_DEBOUNCE_MS;
                  applyParse(id, text, result);
                  finish();
                },
                () => {
                  // The worker failed: parse here rather than lose the edit.
                  applyParse(id, text, parseXml(text));
                  finish();
                },
              );
              return;
            }
            const result = incremental || parseXml(text);
            lastParseMs = performance.now() - started;
            applyParse(id, text, result);
          },

          revertXmlDraft() {
            clearTimeout(draftTimer);
            const { activeId, drafts } = get();
            if (activeId === null || !drafts[activeId]) return;
            const rest = { ...drafts };
            delete rest[activeId];
            set({ drafts: rest });
          },

          addFilters(docs, texts) {
            if (docs.length === 0) return;
            get().commitXmlDraft();
            const { workspace } = get();
            const taken = new Set(workspace.filters.map((f) => f.doc.name));
            const drafts = { ...get().drafts };
            const added = docs.map((doc, i) => {
              const name = uniqueName(doc.name, taken);
              taken.add(name);
              const filter = {
                id: createFilterId(),
                doc: name === doc.name ? doc : { ...doc, name },
              };
              const text = texts?.[i];
              // A renamed copy no longer matches its source text, so it shows the serialized form.
              if (text !== undefined && name === doc.name) {
                drafts[filter.id] = {
                  text,
                  baseDoc: filter.doc,
                  diagnostics: [],
                  pending: false,
                  cleanText: null,
                };
              }
              return filter;
            });
            lastCoalesce = null;
            set({ workspace: { filters: [...workspace.filters, ...added] } });
            set({ activeId: added[0]?.id ?? null, selectedIndex: null, drafts });
            for (const f of added) {
              const text = drafts[f.id]?.text;
              if (text !== undefined && asyncParser)
                markCleanWhenItIs(f.id, f.doc, text, asyncParser);
            }
          },

          deleteFilter(id) {
            const { workspace, activeId } = get();
            const filters = workspace.filters.filter((f) => f.id !== id);
            if (filters.length === workspace.filters.length) return;
            lastCoalesce = null;
            set({ workspace: { filters } });
            if (activeId === id) set({ activeId: filters[0]?.id ?? null, selectedIndex: null });
          },

          copyLibraryFilter(name) {
            const builtin = getLibraryFilter(name);
            if (builtin) get().addFilters([builtin.doc]);
          },

          undo() {
            const { activeId, drafts } = get();
            const draft = activeId === null ? undefined : drafts[activeId];
            // An uncommitted or invalid draft is the most recent change: undo drops it first.
            if (draft && (draft.pending || draft.diagnostics.some((d) => d.severity === 'error'))) {
              get().revertXmlDraft();
              return;
            }
            lastCoalesce = null;
            store.temporal.getState().undo();
            fixActive();
          },

          redo() {
            get().commitXmlDraft();
            lastCoalesce = null;
            store.temporal.getState().redo();
            fixActive();
          },

          setNotice(notice) {
            set({ notice });
          },
        };

        /**
         * Checks off the main thread whether an imported text parses without any diagnostic; if so
         * (and it is still the draft), later typing in it can be parsed incrementally instead of
         * the first keystroke paying for a full parse of the whole filter.
         */
        function markCleanWhenItIs(id: string, doc: FilterDoc, text: string, parse: AsyncParser) {
          parse(text, { diagnosticsOnly: true }).then(
            (result) => {
              const draft = get().drafts[id];
              if (
                result.diagnostics.length > 0 ||
                !draft ||
                draft.text !== text ||
                draft.baseDoc !== doc ||
                draft.pending ||
                draft.cleanText !== null
              )
                return;
              set({ drafts: { ...get().drafts, [id]: { ...draft, cleanText: text } } });
            },
            () => {
              // No worker: the first edit parses the whole text, as before.
            },
          );
        }

        /** After undo/redo the open filter may be gone (or back). */
        function fixActive() {
          const { activeId, workspace } = get();
          if (
            activeId !== null &&
            !activeId.startsWith(LIBRARY_PREFIX) &&
            !workspace.filters.some((f) => f.id === activeId)
          ) {
            set({ activeId: workspace.filters[0]?.id ?? null, selectedIndex: null });
          }
        }
      },
      {
        partialize: (state) => ({ workspace: state.workspace }),
        equality: (a, b) => a.workspace === b.workspace,
        limit: 200,
      },
    ),
  );
  const extras: StudioStoreExtras = {
    setAsyncParser(parser) {
      asyncParser = parser;
    },
    getLastParseMs: () => lastParseMs,
  };
  return Object.assign(store, extras);
}

/** A store made by {@link createStudioStore} (a zustand hook with `temporal` and the extras). */
export type StudioStoreApi = ReturnType<typeof createStudioStore>;
