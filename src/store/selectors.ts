import type { Diagnostic, FilterDoc } from '../core/model';
import { serializeDoc } from '../core/xml';
import { findDoc, LIBRARY_PREFIX } from './studio-store';
import type { StudioState, XmlDraft } from './studio-store';

const NO_DIAGNOSTICS: Diagnostic[] = [];

/** The open document (workspace or library), by identity. */
export const selectActiveDoc = (s: StudioState): FilterDoc | null => findDoc(s, s.activeId);

export const selectActiveId = (s: StudioState): string | null => s.activeId;

/** Library filters are shown read-only. */
export const selectIsReadOnly = (s: StudioState): boolean =>
  s.activeId?.startsWith(LIBRARY_PREFIX) ?? true;

export const selectSelectedIndex = (s: StudioState): number | null => s.selectedIndex;

export const selectWorkspaceFilters = (s: StudioState) => s.workspace.filters;

export const selectNotice = (s: StudioState): string | null => s.notice;

/** The draft of the open filter, when it still applies to the open document. */
export const selectActiveDraft = (s: StudioState): XmlDraft | null => {
  if (s.activeId === null) return null;
  const draft = s.drafts[s.activeId];
  return draft && draft.baseDoc === selectActiveDoc(s) ? draft : null;
};

/** The text of the XML pane: the user's draft, else the serialized document. */
export const selectXmlText = (s: StudioState): string => {
  const draft = selectActiveDraft(s);
  if (draft) return draft.text;
  const doc = selectActiveDoc(s);
  return doc ? serializeDoc(doc) : '';
};

export const selectDiagnostics = (s: StudioState): Diagnostic[] =>
  selectActiveDraft(s)?.diagnostics ?? NO_DIAGNOSTICS;

/** The XML does not parse: the table shows the last valid document. */
export const selectIsStale = (s: StudioState): boolean =>
  selectActiveDraft(s)?.diagnostics.some((d) => d.severity === 'error') ?? false;

/** Typed text waiting for the debounce. */
export const selectIsPending = (s: StudioState): boolean => selectActiveDraft(s)?.pending ?? false;
