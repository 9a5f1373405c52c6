import { memo, useState } from 'react';
import type { PacketTrace, RuleRef, RuleVisit } from '../../core/netfilter';
import type { EntryRef } from '../../store/panels-store';
import { usePanelsStore } from '../../store/panels-store';
import { describeEntry, entryOfRule, ruleLabel, selectRule } from '../Panels/rule-links';
import { traceHooks } from '../workers/pack-traces';
import { layOutVisits, REVEAL_STEP } from './lay-out-visits';

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

function VisitTable({ visits, decider }: { visits: RuleVisit[]; decider: EntryRef | null }) {
  const [revealed, setRevealed] = useState<ReadonlyMap<number, number>>(() => new Map());
  const rows = layOutVisits(visits, revealed);
  // nftables rules have the kernel's handles (`nft -a list ruleset`); iptables rules only positions.
  const handles = visits.some((v) => v.handle !== undefined);
  const columns = handles ? 6 : 5;
  return (
    <table className="trace-visits">
      <thead>
        <tr>
          <th scope="col">chain</th>
          <th scope="col">#</th>
          {handles && (
            <th
              scope="col"
              title="The rule's handle once the exported nft script is loaded (nft -a list ruleset)"
            >
              handle
            </th>
          )}
          <th scope="col">target</th>
          <th scope="col">matched</th>
          <th scope="col">XML rule</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          if (row.kind === 'folded') {
            const open = revealed.get(row.start) ?? 0;
            const hidden = row.end - row.start - open;
            const first = visits[row.start + open];
            const last = visits[row.end - 1];
            return (
              <tr key={`f${row.start}`} className="is-missed is-folded">
                <td colSpan={columns}>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Show ${Math.min(hidden, REVEAL_STEP)} of ${hidden} rules not matched`}
                    onClick={() =>
                      setRevealed(new Map(revealed).set(row.start, open + REVEAL_STEP))
                    }
                  >
                    {hidden.toLocaleString('en-US')} rules not matched
                    {first && last
                      ? ` (${first.chain} #${first.index + 1}–#${last.index + 1})`
                      : ''}{' '}
                    — show{hidden > REVEAL_STEP ? ` ${REVEAL_STEP}` : ''}
                  </button>
                </td>
              </tr>
            );
          }
          const v = visits[row.at] as RuleVisit;
          const entry = toEntry(v.rule);
          const deciding =
            !!decider &&
            !!entry &&
            entry.filter === decider.filter &&
            entry.entryIndex === decider.entryIndex &&
            v.matched;
          return (
            <tr
              key={row.at}
              className={`${v.matched ? 'is-matched' : 'is-missed'}${deciding ? ' is-deciding' : ''}`}
            >
              <td className="mono">{v.chain}</td>
              <td className="mono">{v.index + 1}</td>
              {handles && <td className="mono">{v.handle ?? ''}</td>}
              <td className="mono">{v.target}</td>
              <td>{v.matched ? 'yes' : 'no'}</td>
              <td>{entry ? <RuleLink entry={entry} /> : <span className="muted">libvirt</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The explanation of one packet: its path through the hooks and chains, every rule tried and
 * whether it matched, and the rule that decided (a link selecting it in the rule table). Long
 * visit lists fold the rules that did not match. Memoised on the trace: edits to the filter do
 * not redraw it until the re-run brings a new trace.
 */
export const TraceExplanation = memo(function TraceExplanation({
  trace,
  label,
}: {
  trace: PacketTrace;
  label: string;
}) {
  const hooks = traceHooks(trace);
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
            {trace.site && (
              <>
                {' '}
                — installed as{' '}
                <span className="mono" data-testid="deciding-nft-rule">
                  table {trace.site.table.replace('/', ' ')} chain {trace.site.chain} handle{' '}
                  {trace.site.handle}
                </span>
              </>
            )}
          </>
        ) : trace.site ? (
          <>
            Decided by a rule libvirt&apos;s driver writes itself (no XML rule: its rules while it
            learns the VM&apos;s address) — installed as{' '}
            <span className="mono" data-testid="deciding-nft-rule">
              table {trace.site.table.replace('/', ' ')} chain {trace.site.chain} handle{' '}
              {trace.site.handle}
            </span>
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
        {hooks.map((h, hi) => (
          <li key={hi} className="trace-hook">
            <div className="trace-hook-head">
              <strong>{h.hook}</strong>
              {h.table && <span className="muted"> · {h.table}</span>} →{' '}
              <span className="mono">{h.result}</span>
            </div>
            {/* Keyed by the trace: another packet starts with its runs folded again. */}
            {h.visits.length > 0 && (
              <VisitTable key={`${trace.i}`} visits={h.visits} decider={decider} />
            )}
          </li>
        ))}
      </ol>
    </section>
  );
});
