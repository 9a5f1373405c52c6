import { useState } from 'react';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { VersionPicker } from '../Panels/VersionPicker';
import type { SimFilterSet } from '../../core/sim';
import { askSimulator } from '../workers/simulator-client';

/**
 * Compare: every scenario against another version of the open filter (see VersionPicker) and
 * the current one; lists the packets whose verdict changes.
 */
export function ComparePanel() {
  const doc = useStudioStore(selectActiveDoc);
  const base = usePanelsStore((s) => s.compareBase);
  const compare = usePanelsStore((s) => s.compare);
  const comparing = usePanelsStore((s) => s.comparing);
  const settings = usePanelsStore((s) => s.settings);
  const setBase = usePanelsStore((s) => s.setCompareBase);
  const [problem, setProblem] = useState<string | null>(null);

  const run = (resolved: SimFilterSet | null) => {
    setProblem(null);
    if (!doc || !resolved) {
      usePanelsStore.getState().setCompare(null);
      return;
    }
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
      <VersionPicker
        base={base}
        onBase={setBase}
        action={comparing ? 'Comparing…' : 'Compare'}
        busy={comparing}
        onResolved={run}
      />
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
