import { useState } from 'react';
import { useStore } from 'zustand';
import { DEFAULT_LIMITS } from '../../core/model';
import type { FilterDoc } from '../../core/model';
import {
  getLibraryFilter,
  parseXml,
  selectActiveDoc,
  selectActiveId,
  selectWorkspaceFilters,
  useStudioStore,
} from '../../store';
import type { CompareBase } from '../../store/panels-store';
import type { SimFilterSet } from '../../core/sim';

let opened: { id: string; doc: FilterDoc }[] | null = null;

/**
 * Remembers the workspace as the page opened it (restored from the browser's saved copy), so that
 * a comparison can run against "the saved version" after autosave has moved on.
 */
export function captureOpenedVersion(): void {
  opened ??= useStudioStore.getState().workspace.filters.map((f) => ({ id: f.id, doc: f.doc }));
}

/** The workspace's documents `steps` undo steps ago, with the open filter's version then (if it existed). */
function historyVersion(steps: number): { filters: FilterDoc[]; doc: FilterDoc | null } | null {
  const past = useStudioStore.temporal.getState().pastStates;
  const state = past[past.length - steps];
  if (!state?.workspace) return null;
  const id = selectActiveId(useStudioStore.getState());
  const filters = state.workspace.filters.map((f) => f.doc);
  return { filters, doc: state.workspace.filters.find((f) => f.id === id)?.doc ?? null };
}

/**
 * The "before" version of the open filter `current` as a filter set (its root is the version of
 * the filter; the rest of the workspace as it is now, or as it was then for history and saved),
 * or why there is none. `pasted` is the XML of a pasted or imported file.
 */
export function resolveBase(
  base: CompareBase,
  current: FilterDoc,
  pasted: string,
): SimFilterSet | string {
  const now = useStudioStore.getState().workspace.filters.map((f) => f.doc);
  if (base.kind === 'history') {
    const v = historyVersion(base.steps);
    if (!v) return `There is no version ${base.steps} step(s) back in the undo history.`;
    if (!v.doc) return 'The open filter did not exist at that point of the history.';
    return { filters: v.filters, root: v.doc.name };
  }
  if (base.kind === 'opened') {
    const id = selectActiveId(useStudioStore.getState());
    const then = opened?.find((f) => f.id === id);
    if (!opened || !then)
      return 'The open filter was not in the workspace when the page was opened.';
    return { filters: opened.map((f) => f.doc), root: then.doc.name };
  }
  if (base.kind === 'library') {
    const lib = getLibraryFilter(current.name);
    if (!lib) return `The library has no filter named ${current.name}.`;
    return { filters: now.filter((d) => d.name !== current.name), root: current.name };
  }
  if (base.kind === 'filter') {
    if (!now.some((d) => d.name === base.name) && !getLibraryFilter(base.name))
      return base.name
        ? `No filter named ${base.name} in the workspace or the library.`
        : 'Choose a filter to compare with.';
    return { filters: now, root: base.name };
  }
  const parsed = parseXml(pasted);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (!parsed.doc || errors.length)
    return `The pasted XML does not parse: ${errors[0]?.message ?? 'empty'}`;
  const doc = parsed.doc;
  return { filters: [doc, ...now.filter((d) => d.name !== doc.name)], root: doc.name };
}

const KINDS: { kind: CompareBase['kind']; label: string }[] = [
  { kind: 'history', label: 'undo history' },
  { kind: 'opened', label: 'saved (as the page opened)' },
  { kind: 'library', label: 'the library’s version' },
  { kind: 'filter', label: 'another filter' },
  { kind: 'pasted', label: 'pasted XML or a file' },
];

function baseOfKind(kind: string, other: string): CompareBase {
  if (kind === 'history') return { kind: 'history', steps: 1 };
  if (kind === 'opened') return { kind: 'opened' };
  if (kind === 'library') return { kind: 'library' };
  if (kind === 'filter') return { kind: 'filter', name: other };
  return { kind: 'pasted', xml: '' };
}

/** How a chosen version is named in a result (`against 1 undo step(s) back`). */
function describeBase(base: CompareBase, resolved: SimFilterSet): string {
  if (base.kind === 'history') return `${base.steps} undo step(s) back`;
  if (base.kind === 'filter') return `filter ${base.name}`;
  if (base.kind === 'opened') return 'the saved version';
  if (base.kind === 'library') return 'the library’s version';
  return `the pasted ${resolved.root}`;
}

/**
 * The choice of the version to compare the open filter with — a step of the undo history, the
 * saved workspace, the library's version, another filter, pasted XML or an imported file — and
 * the button that compares: `onResolved` gets the version as a filter set and its name, or the
 * picker says why there is none.
 */
export function VersionPicker({
  base,
  onBase,
  action,
  busy = false,
  onResolved,
}: {
  base: CompareBase;
  onBase(base: CompareBase): void;
  /** The button's text. */
  action: string;
  busy?: boolean;
  onResolved(set: SimFilterSet | null, label: string): void;
}) {
  const pastCount = useStore(useStudioStore.temporal, (s) => s.pastStates.length);
  const doc = useStudioStore(selectActiveDoc);
  const filters = useStudioStore(selectWorkspaceFilters);
  const others = filters.map((f) => f.doc.name).filter((n) => n !== doc?.name);
  const [pasted, onPasted] = useState('');
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const choose = () => {
    if (!doc) return;
    const resolved = resolveBase(base, doc, pasted);
    setProblem(typeof resolved === 'string' ? resolved : null);
    if (typeof resolved === 'string') onResolved(null, '');
    else onResolved(resolved, describeBase(base, resolved));
  };
  return (
    <>
      <div className="compare-form">
        <div className="version-picker">
          <label>
            Before:{' '}
            <select
              aria-label="Version to compare with"
              value={base.kind}
              onChange={(e) => onBase(baseOfKind(e.target.value, others[0] ?? ''))}
            >
              {KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          {base.kind === 'history' && (
            <label>
              steps back{' '}
              <input
                type="number"
                min={1}
                max={Math.max(1, pastCount)}
                value={base.steps}
                aria-label="Undo steps back"
                onChange={(e) =>
                  onBase({ kind: 'history', steps: Math.max(1, Number(e.target.value) || 1) })
                }
                style={{ width: 60 }}
              />{' '}
              <span className="muted">of {pastCount}</span>
            </label>
          )}
          {base.kind === 'filter' && (
            <label>
              filter{' '}
              <input
                aria-label="Filter to compare with"
                list="known-filters"
                value={base.name}
                onChange={(e) => onBase({ kind: 'filter', name: e.target.value.trim() })}
                style={{ width: 160 }}
              />
            </label>
          )}
          {base.kind === 'pasted' && (
            <>
              <label className="file-button">
                Open file…
                <input
                  type="file"
                  accept=".xml,application/xml,text/xml"
                  aria-label="Open a filter XML file as the other version"
                  onChange={async (e) => {
                    const file = e.target.files?.[0];
                    e.target.value = '';
                    if (!file) return;
                    // The import's limit: a file libvirt would refuse is not read.
                    if (file.size > DEFAULT_LIMITS.inputBytes) {
                      setFileProblem(
                        `${file.name} is over ${DEFAULT_LIMITS.inputBytes} bytes, the limit of a filter: not read.`,
                      );
                      return;
                    }
                    setFileProblem(null);
                    onPasted(await file.text());
                  }}
                />
              </label>
              <textarea
                className="compare-xml"
                aria-label="Filter XML to compare with"
                placeholder="<filter name='…'> … </filter>"
                value={pasted}
                onChange={(e) => onPasted(e.target.value)}
                rows={4}
              />
              {fileProblem && (
                <p className="compare-problem" role="alert">
                  {fileProblem}
                </p>
              )}
            </>
          )}
        </div>
        <button type="button" onClick={choose} disabled={!doc || busy}>
          {action}
        </button>
      </div>
      {problem && (
        <p className="compare-problem" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
