import { useMemo, useState } from 'react';
import {
  ALLOWED_IP_COLUMNS,
  ALLOWED_L2_COLUMNS,
  ANALYSIS_PATH_TITLES,
  allowedIpCells,
  allowedL2Cells,
} from '../../core/analysis';
import type { AllowedIpRow, AllowedL2Row, AnalysisAsk, AnalysisPath } from '../../core/analysis';
import type { RuleRef } from '../../core/netfilter';
import { usePanelsStore } from '../../store/panels-store';
import type { ReachForm } from '../../store/panels-store';
import { VersionPicker } from '../Panels/VersionPicker';
import type { SimFilterSet } from '../../core/sim';
import { BackendSelect } from '../SettingSelect/SettingSelect';
import { DiffRegionList, RuleRefLink, Verdict, Witness } from './DiffRegionList';
import { useAnalysisAnswer } from './use-analysis-answer';
import type { AnswerState } from './use-analysis-answer';
import './analysis.css';

const ALLOWED_ASK: AnalysisAsk = { kind: 'allowed' };
const DIFF_ASK: AnalysisAsk = { kind: 'diff' };

function RuleLinks({ rules }: { rules: readonly RuleRef[] }) {
  if (rules.length === 0) return <span className="muted">no rule (policy)</span>;
  return (
    <>
      {rules.map((r, i) => (
        <span key={i} className="analysis-rule">
          <RuleRefLink rule={r} />
        </span>
      ))}
    </>
  );
}

const columnTitle = (c: string) => c.charAt(0) + c.slice(1).toLowerCase();

function RowsTable<R extends { rules: RuleRef[] }>({
  label,
  columns,
  rows,
  cells,
}: {
  label: string;
  columns: readonly string[];
  rows: readonly R[];
  cells(r: R): string[];
}) {
  if (rows.length === 0) return <p className="muted small">nothing</p>;
  return (
    <table className="compare-table analysis-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {columnTitle(c)}
            </th>
          ))}
          <th scope="col">Decided by</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {cells(r).map((c, j) => (
              <td key={j} className="mono">
                {c}
              </td>
            ))}
            <td>
              <RuleLinks rules={r.rules} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AnswerStatus({ state, what }: { state: AnswerState; what: string }) {
  return (
    <span className="muted small" role="status" aria-live="polite" aria-label={`${what} status`}>
      {state.running
        ? 'Analysing…'
        : state.ms !== null
          ? `exact, over all packets, in ${Math.round(state.ms)} ms`
          : ''}
    </span>
  );
}

function Problems({ state }: { state: AnswerState }) {
  const problems = [...(state.error ? [`Analysis failed: ${state.error}`] : [])];
  problems.push(...(state.answer?.problems ?? []));
  if (problems.length === 0) return null;
  return (
    <div role="alert">
      {problems.map((p, i) => (
        <p key={i} className="compare-problem">
          {p}
        </p>
      ))}
    </div>
  );
}

/** The traffic the open filter lets through, per path, recomputed after every edit. */
function AllowedView() {
  const state = useAnalysisAnswer(ALLOWED_ASK, null);
  const report = state.answer?.allowed;
  return (
    <section className="analysis-allowed" aria-label="Allowed traffic">
      <div className="sim-head">
        <h3>Allowed</h3>
        <AnswerStatus state={state} what="Allowed" />
        {/* The backend whose rules every answer here is about (shared with Simulator and Export). */}
        <BackendSelect />
      </div>
      <Problems state={state} />
      {report?.paths.map((p) => {
        const title = ANALYSIS_PATH_TITLES[p.path];
        return (
          <section key={p.path} className="analysis-path" aria-label={`Allowed ${title}`}>
            <h4>{title}</h4>
            <h5>New connections</h5>
            <RowsTable<AllowedIpRow>
              label={`New connections ${title}`}
              columns={ALLOWED_IP_COLUMNS}
              rows={p.newConnections}
              cells={allowedIpCells}
            />
            <h5>Only as ESTABLISHED / RELATED</h5>
            <RowsTable<AllowedIpRow>
              label={`Established only ${title}`}
              columns={ALLOWED_IP_COLUMNS}
              rows={p.establishedOnly}
              cells={allowedIpCells}
            />
            <h5>Layer 2 (not IPv4/IPv6)</h5>
            <RowsTable<AllowedL2Row>
              label={`Layer 2 ${title}`}
              columns={ALLOWED_L2_COLUMNS}
              rows={p.layer2}
              cells={allowedL2Cells}
            />
          </section>
        );
      })}
      {report && (!report.tracking.ipv4 || !report.tracking.ipv6) && (
        <p className="muted small">
          Conntrack does not track{' '}
          {[!report.tracking.ipv4 && 'IPv4', !report.tracking.ipv6 && 'IPv6']
            .filter(Boolean)
            .join(' or ')}{' '}
          (no rule needs it): every packet of it is judged alone.
        </p>
      )}
    </section>
  );
}

/** What changed between a chosen version and the current one, over all packets. */
function WhatChanged() {
  const base = usePanelsStore((s) => s.changedBase);
  const setBase = usePanelsStore((s) => s.setChangedBase);
  const [before, setBefore] = useState<{ set: SimFilterSet; label: string } | null>(null);
  const state = useAnalysisAnswer(before ? DIFF_ASK : null, before?.set ?? null);
  const regions = state.answer?.diff;
  return (
    <section className="analysis-changed" aria-label="What changed">
      <div className="sim-head">
        <h3>What changed</h3>
        {before && <AnswerStatus state={state} what="What changed" />}
      </div>
      <VersionPicker
        base={base}
        onBase={setBase}
        action="Show what changed"
        onResolved={(set, label) => setBefore(set ? { set, label } : null)}
      />
      {before && <Problems state={state} />}
      {before && regions && (
        <div className="analysis-result">
          <p>
            {regions.length === 0
              ? `Equivalent to ${before.label}: no packet changes its verdict.`
              : `${regions.length} region(s) change verdict against ${before.label}:`}
          </p>
          <DiffRegionList
            regions={regions}
            label="Changed regions"
            before="before"
            after="now"
            replay
          />
        </div>
      )}
    </section>
  );
}

const PATHS: { path: AnalysisPath; label: string }[] = [
  { path: 'to-vm', label: 'remote → VM' },
  { path: 'from-vm', label: 'VM → remote' },
  { path: 'to-host', label: 'VM → host' },
];

const PROTOCOLS = ['any', 'tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'udplite', 'esp', 'ah', 'igmp'];

/** The reach form's query as the core takes it (empty fields: any). */
function askOfForm(f: ReachForm): AnalysisAsk {
  const v = (s: string) => (s.trim() === '' ? undefined : s.trim());
  const query = {
    protocol: f.protocol === 'any' ? undefined : f.protocol,
    source: v(f.source),
    destination: v(f.destination),
    sourcePort: v(f.sourcePort),
    destinationPort: v(f.destinationPort),
    icmpType: v(f.icmpType),
    state: f.state,
    ...(f.protocol === 'icmpv6' ? { family: 'ipv6' as const } : {}),
  };
  for (const k of Object.keys(query) as (keyof typeof query)[])
    if (query[k] === undefined) delete query[k];
  return { kind: 'reach', path: f.path, query };
}

/** "Can X reach Y?": every packet the form describes, ranges allowed, answered exactly. */
function ReachQueryView() {
  const form = usePanelsStore((s) => s.reachForm);
  const asked = usePanelsStore((s) => s.reachAsked);
  const set = usePanelsStore((s) => s.setReachForm);
  // The form as last asked: answers follow edits of the filter, not each keystroke in the form.
  const ask = useMemo(
    () => (asked > 0 ? askOfForm(usePanelsStore.getState().reachForm) : null),
    [asked],
  );
  const state = useAnalysisAnswer(ask, null);
  const reach = state.answer?.reach;
  const ports = form.protocol !== 'icmp' && form.protocol !== 'icmpv6';
  const field = (key: keyof ReachForm, label: string, placeholder: string) => (
    <label className="cp-field">
      <span>{label}</span>
      <input
        value={form[key]}
        placeholder={placeholder}
        onChange={(e) => set({ [key]: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'Enter') usePanelsStore.getState().askReach();
        }}
      />
    </label>
  );
  return (
    <section className="analysis-reach" aria-label="Can it reach">
      <div className="sim-head">
        <h3>Can X reach Y?</h3>
        {ask && <AnswerStatus state={state} what="Reach" />}
      </div>
      <div className="reach-form" role="group" aria-label="Reach query">
        <label className="cp-field">
          <span>Path</span>
          <select value={form.path} onChange={(e) => set({ path: e.target.value as AnalysisPath })}>
            {PATHS.map((p) => (
              <option key={p.path} value={p.path}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label className="cp-field">
          <span>Protocol</span>
          <select value={form.protocol} onChange={(e) => set({ protocol: e.target.value })}>
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {field('source', 'Source', 'any (10.0.0.0/8, a-b)')}
        {field('destination', 'Destination', 'any')}
        {ports ? (
          <>
            {field('sourcePort', 'Source port', 'any (1024-65535)')}
            {field('destinationPort', 'Destination port', 'any')}
          </>
        ) : (
          field('icmpType', 'ICMP type', 'any (8, 0-255)')
        )}
        <label className="cp-field">
          <span>State</span>
          <select
            value={form.state}
            onChange={(e) => set({ state: e.target.value as ReachForm['state'] })}
          >
            <option value="NEW">NEW (first packet)</option>
            <option value="ESTABLISHED">ESTABLISHED</option>
            <option value="RELATED">RELATED</option>
          </select>
        </label>
        <button type="button" onClick={() => usePanelsStore.getState().askReach()}>
          Can it reach?
        </button>
      </div>
      {ask && <Problems state={state} />}
      {ask && reach && (
        <div className="analysis-result" data-testid="reach-answer">
          <p className={`reach-answer reach-${reach.answer}`}>
            {reach.answer === 'yes'
              ? 'Yes: every packet of the query is accepted.'
              : reach.answer === 'no'
                ? 'No: no packet of the query is accepted.'
                : reach.answer === 'partly'
                  ? 'Partly: some packets of the query are accepted, others not.'
                  : 'No packet fits the query.'}
          </p>
          <ol className="analysis-regions" aria-label="Reach answer parts">
            {reach.parts.map((p, i) => (
              <li key={i} className="analysis-region">
                <div>
                  <Verdict v={p.verdict} /> by <RuleRefLink rule={p.rule} />
                </div>
                <div className="mono small analysis-cube">{p.region}</div>
                <Witness r={p} n={`of part ${i + 1}`} />
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

/**
 * Exact answers over all packets (issue 17): what the open filter allows, what changed against
 * another version, and whether X can reach Y — computed in a worker over the compiled rules.
 */
export function AnalysisPanel() {
  return (
    <div className="analysis-panel">
      <AllowedView />
      <div className="analysis-side">
        <ReachQueryView />
        <WhatChanged />
      </div>
    </div>
  );
}
