import type { PacketTrace, RuleRef } from '../../core/netfilter/bridge-host';
import type { EntryRef } from '../../store/panels-store';
import { usePanelsStore } from '../../store/panels-store';
import { describeEntry, entryOfRule, ruleLabel, selectRule } from '../Panels/rule-links';

const VERDICT_TEXT: Record<string, string> = {
  accept: 'ACCEPT',
  drop: 'DROP',
  reject: 'REJECT',
  error: 'ERROR',
};

function toEntry(rule: RuleRef | null): EntryRef | null {
  if (!rule) return null;
  const entryIndex = entryOfRule(rule.filter, rule.index);
  return entryIndex === null ? null : { filter: rule.filter, entryIndex };
}

/** A link that selects a rule in the table and the XML pane. */
export function RuleLink({ entry, children }: { entry: EntryRef; children?: React.ReactNode }) {
  const setHinted = usePanelsStore((s) => s.setHinted);
  return (
    <button
      type="button"
      className="link-button rule-link"
      onClick={() => selectRule(entry)}
      onMouseEnter={() => setHinted(entry)}
      onMouseLeave={() => setHinted(null)}
      onFocus={() => setHinted(entry)}
      onBlur={() => setHinted(null)}
      title={`Select ${ruleLabel(entry)} in the rule table`}
    >
      {children ?? ruleLabel(entry)}
    </button>
  );
}

/**
 * The explanation of one packet: its path through the hooks and chains, every rule tried and
 * whether it matched, and the rule that decided (a link selecting it in the rule table).
 */
export function TraceExplanation({ trace, label }: { trace: PacketTrace; label: string }) {
  const decider = trace.provenance
    ? { filter: trace.provenance.filter, entryIndex: trace.provenance.entryIndex }
    : toEntry(trace.rule);
  return (
    <section className="trace" aria-label="Explanation">
      <h3 className="trace-title">
        <span className={`verdict-badge verdict-${trace.verdict}`}>
          {VERDICT_TEXT[trace.verdict] ?? trace.verdict}
        </span>{' '}
        {label}
      </h3>
      <p className="trace-summary">
        <span className="mono">{trace.summary}</span>
        <br />
        {trace.side === 'from-vm' ? 'From the VM' : 'Towards the VM'}
        {trace.path === 'local' ? ' (to the host)' : ''} · conntrack{' '}
        <strong className="ct-state">{trace.ctstate ?? 'not tracked'}</strong>
        {trace.ctdir ? ` (${trace.ctdir.toLowerCase()} direction)` : ''}
      </p>
      <p className="trace-decider" data-testid="deciding-rule">
        {decider ? (
          <>
            Decided by <RuleLink entry={decider} />:{' '}
            <span className="mono">{describeEntry(decider)}</span>
          </>
        ) : trace.verdict === 'accept' ? (
          'No rule of the filter decided: the chains end without a verdict, so the packet passes (libvirt’s default).'
        ) : (
          'Decided by a structural rule libvirt adds (no XML rule).'
        )}
      </p>
      {trace.error && <p className="trace-error">Not simulated: {trace.error}</p>}
      {trace.notes.length > 0 && (
        <ul className="trace-notes">
          {trace.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      <ol className="trace-hooks" aria-label="Path through the hooks">
        {trace.hooks.map((h, hi) => (
          <li key={hi} className="trace-hook">
            <div className="trace-hook-head">
              <strong>{h.hook}</strong>
              {h.table && <span className="muted"> · {h.table}</span>} →{' '}
              <span className="mono">{h.result}</span>
            </div>
            {h.visits.length > 0 && (
              <table className="trace-visits">
                <thead>
                  <tr>
                    <th scope="col">chain</th>
                    <th scope="col">#</th>
                    <th scope="col">target</th>
                    <th scope="col">matched</th>
                    <th scope="col">XML rule</th>
                  </tr>
                </thead>
                <tbody>
                  {h.visits.map((v, vi) => {
                    const entry = toEntry(v.rule);
                    const deciding =
                      !!decider &&
                      !!entry &&
                      entry.filter === decider.filter &&
                      entry.entryIndex === decider.entryIndex &&
                      v.matched;
                    return (
                      <tr
                        key={vi}
                        className={`${v.matched ? 'is-matched' : 'is-missed'}${deciding ? ' is-deciding' : ''}`}
                      >
                        <td className="mono">{v.chain}</td>
                        <td className="mono">{v.index + 1}</td>
                        <td className="mono">{v.target}</td>
                        <td>{v.matched ? 'yes' : 'no'}</td>
                        <td>
                          {entry ? (
                            <RuleLink entry={entry} />
                          ) : (
                            <span className="muted">libvirt</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
