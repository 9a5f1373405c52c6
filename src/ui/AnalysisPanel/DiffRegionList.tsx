import { ANALYSIS_PATH_TITLES } from '../../core/analysis';
import type { DiffRegionView, RegionView } from '../../core/analysis';
import type { RuleRef } from '../../core/netfilter';
import { usePanelsStore } from '../../store/panels-store';
import { entryOfRule } from '../Panels/rule-links';
import { RuleLink } from '../SimulatorPanel/TraceExplanation';
import './analysis.css';

/** A link to the XML rule a region names (rule index among the filter's rules). */
export function RuleRefLink({ rule }: { rule: RuleRef | null }) {
  if (!rule) return <span className="muted">no rule (policy)</span>;
  const entryIndex = entryOfRule(rule.filter, rule.index);
  if (entryIndex === null) return <span className="mono">{`${rule.filter}#${rule.index}`}</span>;
  return <RuleLink entry={{ filter: rule.filter, entryIndex }} />;
}

export function Verdict({ v }: { v: string }) {
  return <span className={`verdict-text verdict-${v}`}>{v}</span>;
}

/**
 * A region's witness packet; with `replay`, a button that sends it to the simulator (or why a
 * single packet cannot show it).
 */
export function Witness({ r, n, replay = true }: { r: RegionView; n: string; replay?: boolean }) {
  const ct = r.witness.ctstate ? ` [${r.witness.ctstate}]` : '';
  return (
    <div className="analysis-witness">
      <code>
        {r.witness.packet}
        {ct}
      </code>{' '}
      {!replay ? null : r.noReplay ? (
        <span className="muted small">(not replayable: {r.noReplay})</span>
      ) : (
        <button
          type="button"
          aria-label={`Replay witness ${n} in the simulator`}
          onClick={() => {
            const panels = usePanelsStore.getState();
            panels.setSource({
              kind: 'witness',
              label: r.witness.packet,
              path: r.path,
              point: r.point,
            });
            panels.setTab('simulator');
          }}
        >
          Replay
        </button>
      )}
    </div>
  );
}

/**
 * Regions whose verdict differs between two sides (two versions of a filter, or two backends),
 * each with the deciding rule on each side, its fields and a witness.
 */
export function DiffRegionList({
  regions,
  label,
  before,
  after,
  replay,
}: {
  regions: readonly DiffRegionView[];
  label: string;
  before: string;
  after: string;
  replay: boolean;
}) {
  if (regions.length === 0) return null;
  return (
    <ol className="analysis-regions" aria-label={label}>
      {regions.map((r, i) => (
        <li key={i} className="analysis-region">
          <div>
            <strong>{ANALYSIS_PATH_TITLES[r.path]}</strong>: {before}{' '}
            <Verdict v={r.before.verdict} /> (<RuleRefLink rule={r.before.rule} />) → {after}{' '}
            <Verdict v={r.after.verdict} /> (
            <RuleRefLink rule={r.after.rule} />)
          </div>
          <div className="mono small analysis-cube">{r.region}</div>
          <Witness r={r} n={String(i + 1)} replay={replay} />
        </li>
      ))}
    </ol>
  );
}
