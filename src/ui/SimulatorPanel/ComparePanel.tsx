import { useState } from 'react';
import { useStore } from 'zustand';
import type { FilterDoc } from '../../core/model/types';
import {
  getLibraryFilter,
  parseXml,
  selectActiveDoc,
  selectActiveId,
  useStudioStore,
} from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import type { CompareBase } from '../../store/panels-store';
import { askSimulator } from '../workers/simulator-client';

let opened: { id: string; doc: FilterDoc }[] | null = null;

/**
 * Remembers the workspace as the page opened it (restored from the browser's saved copy), so that
 * Compare can run against "the saved version" after autosave has moved on.
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

/** Resolves the "before" version, or a reason why there is none. */
function resolveBase(
  base: CompareBase,
  current: FilterDoc,
): { filters: FilterDoc[]; root: string } | string {
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
  const parsed = parseXml(base.xml);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (!parsed.doc || errors.length)
    return `The pasted XML does not parse: ${errors[0]?.message ?? 'empty'}`;
  const doc = parsed.doc;
  return { filters: [doc, ...now.filter((d) => d.name !== doc.name)], root: doc.name };
}

/**
 * Compare: every scenario against an earlier version of the open filter (undo history, the
 * library's version, or pasted XML) and the current one; lists the packets whose verdict changes.
 */
export function ComparePanel() {
  const doc = useStudioStore(selectActiveDoc);
  const pastCount = useStore(useStudioStore.temporal, (s) => s.pastStates.length);
  const base = usePanelsStore((s) => s.compareBase);
  const compare = usePanelsStore((s) => s.compare);
  const comparing = usePanelsStore((s) => s.comparing);
  const settings = usePanelsStore((s) => s.settings);
  const setBase = usePanelsStore((s) => s.setCompareBase);
  const [problem, setProblem] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');

  const run = () => {
    if (!doc) return;
    const resolved = resolveBase(
      base.kind === 'pasted' ? { kind: 'pasted', xml: pasted } : base,
      doc,
    );
    if (typeof resolved === 'string') {
      setProblem(resolved);
      usePanelsStore.getState().setCompare(null);
      return;
    }
    setProblem(null);
    usePanelsStore.getState().setComparing();
    const now = useStudioStore.getState().workspace.filters.map((f) => f.doc);
    void askSimulator({
      kind: 'compare',
      before: resolved,
      after: { filters: now, root: doc.name },
      settings,
    }).then((reply) => {
      if (reply.kind === 'compare') usePanelsStore.getState().setCompare(reply.result);
      else if (reply.kind === 'error' && reply.message !== 'superseded') {
        usePanelsStore.getState().setCompare(null);
        setProblem(reply.message);
      }
    });
  };

  return (
    <section className="compare" aria-label="Compare">
      <h3>Compare with an earlier version</h3>
      <div className="compare-form">
        <label>
          Before:{' '}
          <select
            aria-label="Version to compare with"
            value={base.kind}
            onChange={(e) => {
              const k = e.target.value;
              setBase(
                k === 'history'
                  ? { kind: 'history', steps: 1 }
                  : k === 'opened'
                    ? { kind: 'opened' }
                    : k === 'library'
                      ? { kind: 'library' }
                      : { kind: 'pasted', xml: '' },
              );
            }}
          >
            <option value="history">undo history</option>
            <option value="opened">saved (as the page opened)</option>
            <option value="library">the library’s version</option>
            <option value="pasted">pasted XML</option>
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
                setBase({ kind: 'history', steps: Math.max(1, Number(e.target.value) || 1) })
              }
              style={{ width: 60 }}
            />{' '}
            <span className="muted">of {pastCount}</span>
          </label>
        )}
        <button type="button" onClick={run} disabled={!doc || comparing}>
          {comparing ? 'Comparing…' : 'Compare'}
        </button>
      </div>
      {base.kind === 'pasted' && (
        <textarea
          className="compare-xml"
          aria-label="Filter XML to compare with"
          placeholder="<filter name='…'> … </filter>"
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
          rows={4}
        />
      )}
      {problem && (
        <p className="compare-problem" role="alert">
          {problem}
        </p>
      )}
      {compare && (
        <div className="compare-result" role="status">
          {compare.problems.map((p, i) => (
            <p key={i} className="compare-problem">
              {p}
            </p>
          ))}
          <p>
            {compare.rows.length === 0
              ? `No verdict changes across ${compare.scenarios} scenarios (${compare.packets} packets).`
              : `${compare.rows.length} packet(s) change verdict across ${compare.scenarios} scenarios (${compare.packets} packets):`}
          </p>
          {compare.rows.length > 0 && (
            <table className="compare-table" aria-label="Verdict changes">
              <thead>
                <tr>
                  <th scope="col">scenario</th>
                  <th scope="col">packet</th>
                  <th scope="col">before</th>
                  <th scope="col">now</th>
                </tr>
              </thead>
              <tbody>
                {compare.rows.map((r) => (
                  <tr key={`${r.scenario}-${r.index}`}>
                    <td>
                      <button
                        type="button"
                        className="link-button"
                        title={r.title}
                        onClick={() =>
                          usePanelsStore
                            .getState()
                            .setSource({ kind: 'scenario', name: r.scenario })
                        }
                      >
                        {r.scenario}
                      </button>
                    </td>
                    <td>
                      {r.index + 1}. {r.label}
                    </td>
                    <td className={`verdict-text verdict-${r.before.replace(' ', '-')}`}>
                      {r.before}
                    </td>
                    <td className={`verdict-text verdict-${r.after.replace(' ', '-')}`}>
                      {r.after}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
