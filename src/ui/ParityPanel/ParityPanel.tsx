import { useEffect, useState } from 'react';
import type {
  PacketFate,
  PacketParity,
  ParitySideView,
  ParityView,
  RuleChange,
  RuleParity,
} from '../../core/parity';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { DiffRegionList } from '../AnalysisPanel/DiffRegionList';
import { BindingFailures } from '../Panels/BindingFailures';
import { describeEntry, entryOfRule, ruleLabel } from '../Panels/rule-links';
import { RuleLink } from '../SimulatorPanel/TraceExplanation';
import { askSimulator } from '../workers/simulator-client';

const KIND_TEXT: Record<RuleChange['kind'], string> = {
  verdict: 'other verdict',
  dropped: 'test dropped',
  added: 'test added',
  changed: 'test changed',
  'only-ebiptables': 'rule only in ebiptables',
  'only-nftables': 'rule only in nftables',
};

const PATH_TEXT = { 'from-vm': 'from the VM', 'to-vm': 'to the VM', 'to-host': 'VM to host' };

function ChangeRow({ c }: { c: RuleChange }) {
  return (
    <li className={`parity-change parity-${c.kind}`}>
      <span className="parity-kind">
        {KIND_TEXT[c.kind]}
        {c.slot ? <code> {c.slot}</code> : null}
      </span>{' '}
      <span className="muted small">({c.paths.map((p) => PATH_TEXT[p]).join(', ')})</span>
      <dl className="parity-sides">
        <dt>ebiptables</dt>
        <dd>
          <code>{c.ebiptables ?? '—'}</code>
        </dd>
        <dt>nftables</dt>
        <dd>
          <code>{c.nftables ?? '—'}</code>
        </dd>
      </dl>
      <p className="parity-why small">{c.why}</p>
    </li>
  );
}

function RuleEntry({ r }: { r: RuleParity }) {
  const entry = { filter: r.filter, entryIndex: r.entryIndex };
  return (
    <li className="parity-rule">
      <p className="parity-rule-head">
        <RuleLink entry={entry}>{ruleLabel(entry)}</RuleLink>{' '}
        <span className="mono muted">{describeEntry(entry)}</span>
        {r.bindings.length > 0 && (
          <span className="muted small"> with {r.bindings.join('; ')}</span>
        )}
      </p>
      <ul className="parity-changes" aria-label={`Differences of ${ruleLabel(entry)}`}>
        {r.changes.map((c, i) => (
          <ChangeRow key={i} c={c} />
        ))}
      </ul>
    </li>
  );
}

/** Opens a packet in the Simulator: its scenario (or the custom packets), then that packet. */
function openInSimulator(p: PacketParity): void {
  const panels = usePanelsStore.getState();
  panels.setSource(
    p.run === 'custom'
      ? { kind: 'custom', packets: panels.customPackets }
      : { kind: 'scenario', name: p.run },
  );
  panels.setTab('simulator');
  // The run that follows has the packet among its steps (frames it answers may be skipped).
  const unsubscribe = usePanelsStore.subscribe((s) => {
    if (s.running || !s.result) return;
    unsubscribe();
    const at = s.result.steps.findIndex((step) => step.index === p.index);
    if (at >= 0) s.goTo(at);
  });
}

function Fate({ f }: { f: PacketFate | null }) {
  if (!f) return <span className="muted">not sent</span>;
  const entryIndex = f.rule ? entryOfRule(f.rule.filter, f.rule.index) : null;
  return (
    <span>
      <span className={`verdict-text verdict-${f.verdict}`}>{f.verdict}</span>
      {f.ctstate ? <span className="muted"> {f.ctstate}</span> : null}{' '}
      {f.rule && entryIndex !== null ? (
        <RuleLink entry={{ filter: f.rule.filter, entryIndex }} />
      ) : (
        <span className="muted small">no filter rule</span>
      )}
    </span>
  );
}

function SideProblems({ name, side }: { name: string; side: ParitySideView }) {
  if (side.binds) return null;
  return (
    <div className="parity-binding">
      <p>
        <strong>{name}</strong> cannot bind this filter:
      </p>
      {side.problems.map((p, i) => (
        <p key={i} className="small">
          {p}
        </p>
      ))}
      <BindingFailures failures={side.failures} />
    </div>
  );
}

function Packets({ view }: { view: ParityView }) {
  const packets = view.packets;
  if (!packets.available) return <p className="parity-unavailable">{packets.reason}.</p>;
  return (
    <>
      <p>
        {packets.differences.length === 0
          ? `All ${packets.packets} packets of ${packets.runs} runs meet the same verdict and conntrack state.`
          : `${packets.differences.length} of ${packets.packets} packets (${packets.runs} runs) behave differently:`}
      </p>
      {packets.differences.length > 0 && (
        <table className="compare-table" aria-label="Packets that behave differently">
          <thead>
            <tr>
              <th scope="col">packet</th>
              <th scope="col">ebiptables</th>
              <th scope="col">nftables</th>
            </tr>
          </thead>
          <tbody>
            {packets.differences.map((p) => (
              <tr key={`${p.run}-${p.index}`}>
                <td>
                  <button
                    type="button"
                    className="link-button"
                    title={`Open packet ${p.index + 1} of ${p.title} in the Simulator`}
                    onClick={() => openInSimulator(p)}
                  >
                    {p.run} #{p.index + 1} {p.label}
                  </button>
                  <div className="mono muted small">{p.summary}</div>
                </td>
                <td>
                  <Fate f={p.ebiptables} />
                </td>
                <td>
                  <Fate f={p.nftables} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Over all packets: the exact regions whose verdict differs (the analysis, both backends). */
function Regions({ view }: { view: ParityView }) {
  const r = view.regions;
  if (!r.available) return <p className="parity-unavailable">{r.reason}.</p>;
  return (
    <>
      <p>
        {r.regions.length === 0
          ? 'Every packet meets the same verdict under both drivers.'
          : `${r.regions.length} region(s) of the header space meet another verdict (ebiptables → nftables):`}
      </p>
      {r.problems.map((p, i) => (
        <p key={i} className="muted small">
          {p}
        </p>
      ))}
      <DiffRegionList
        regions={r.regions}
        label="Regions that behave differently"
        before="ebiptables"
        after="nftables"
        replay={false}
      />
    </>
  );
}

let latest = 0;

/**
 * Parity: the open filter under libvirt's ebiptables driver and its proposed nftables driver —
 * what each XML rule becomes, and which packets behave differently. Computed in the simulator
 * worker (it runs every scenario twice).
 */
/** A binding without IP: what each driver installs while libvirt learns the address. */
function LearningNote({ learning }: { learning: NonNullable<ParityView['learning']> }) {
  const same = learning.ebiptables === learning.nftables;
  return (
    <section aria-labelledby="parity-learning-title">
      <h3 id="parity-learning-title" className="parity-title">
        While libvirt learns the address
      </h3>
      <p>
        The binding has no IP: libvirt learns it (CTRL_IP_LEARNING={learning.mode}). The rules are
        compared as they are once it learned <code>{learning.address}</code>; the packets run
        through each driver&apos;s learning phases.{' '}
        {same
          ? 'While learning both drivers install the same rules.'
          : 'While learning the drivers install different rules:'}
      </p>
      <ul className="parity-learning" aria-label="Rules while learning">
        <li>
          <strong>ebiptables</strong>: {learning.ebiptables}
        </li>
        <li>
          <strong>nftables</strong>: {learning.nftables}
        </li>
      </ul>
    </section>
  );
}

export function ParityPanel() {
  const doc = useStudioStore(selectActiveDoc);
  const filters = useStudioStore((s) => s.workspace.filters);
  const settings = usePanelsStore((s) => s.settings);
  const customPackets = usePanelsStore((s) => s.customPackets);
  const [view, setView] = useState<ParityView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    if (!doc) return;
    const id = ++latest;
    setRunning(true);
    const timer = setTimeout(() => {
      void askSimulator({
        kind: 'parity',
        set: { filters: filters.map((f) => f.doc), root: doc.name },
        settings,
        customPackets,
      }).then((reply) => {
        if (id !== latest) return;
        setRunning(false);
        if (reply.kind === 'parity') {
          setView(reply.result);
          setError(null);
        } else if (reply.kind === 'error' && reply.message !== 'superseded')
          setError(reply.message);
      });
    }, 200);
    return () => clearTimeout(timer);
  }, [doc, filters, settings, customPackets]);
  if (!doc) return <p className="muted">Open a filter to compare the backends.</p>;
  return (
    <div className="parity-panel">
      <p className="parity-label">
        <strong>ebiptables</strong> (every libvirt release) vs. <strong>nftables</strong>:{' '}
        libvirt&apos;s proposed nftables driver (series v5/v6, not yet in a release).
      </p>
      <p className="muted small" role="status">
        {running
          ? `Comparing ${doc.name}…`
          : view
            ? `${doc.name}: ${view.rules.length} rule(s) installed differently${
                view.packets.available
                  ? `, ${view.packets.differences.length} packet(s) behave differently`
                  : ''
              }${
                view.regions.available
                  ? `, ${view.regions.regions.length} region(s) over all packets`
                  : ''
              }.`
            : ''}{' '}
        Bound as in the Simulator (vnet0, its parameters and host settings).
      </p>
      {error && <p className="error-text">{error}</p>}
      {view && (
        <>
          {view.problems.map((p, i) => (
            <p key={i} className="error-text">
              {p}
            </p>
          ))}
          <SideProblems name="ebiptables" side={view.ebiptables} />
          <SideProblems name="nftables" side={view.nftables} />
          {view.learning && <LearningNote learning={view.learning} />}
          <section aria-labelledby="parity-rules-title">
            <h3 id="parity-rules-title" className="parity-title">
              What the nftables driver installs differently
            </h3>
            {view.rules.length === 0 ? (
              <p>
                {view.ebiptables.binds && view.nftables.binds
                  ? 'Both drivers install the same tests and verdicts for every XML rule.'
                  : 'No rule comparison: a backend cannot bind this filter.'}
              </p>
            ) : (
              <ul className="parity-rules" aria-label="Rules installed differently">
                {view.rules.map((r) => (
                  <RuleEntry key={`${r.filter}-${r.entryIndex}`} r={r} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="parity-packets-title">
            <h3 id="parity-packets-title" className="parity-title">
              What behaves differently
            </h3>
            <Packets view={view} />
          </section>
          <section aria-labelledby="parity-regions-title">
            <h3 id="parity-regions-title" className="parity-title">
              Over all packets (exact analysis)
            </h3>
            <p className="muted small">
              Every packet, not only the scenarios&apos;: the regions of the header space whose
              verdict differs, each with the rule deciding under each driver and a witness.
            </p>
            <Regions view={view} />
          </section>
        </>
      )}
    </div>
  );
}
