import { useDeferredValue, useMemo } from 'react';
import { getLintCodeInfo } from '../../core/lint';
import { lintFilter } from '../../core/lint';
import type { LintFinding, LintRef } from '../../core/lint';
import { getBuiltinFilter } from '../../core/library';
import { parseFilterXml } from '../../core/xml';
import type { FilterDoc } from '../../core/model';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { describeEntry, ruleLabel } from '../Panels/rule-links';
import { RuleLink } from '../SimulatorPanel/TraceExplanation';

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

function refLabel(ref: LintRef): string {
  return ruleLabel(ref);
}

function Finding({ f }: { f: LintFinding }) {
  const info = getLintCodeInfo(f.code);
  return (
    <li className={`finding sev-${f.severity}`}>
      <div className="finding-head">
        <span className={`sev-badge sev-${f.severity}`}>{f.severity}</span>
        <code className="finding-code">{f.code}</code>
        {info && <span className="finding-title">{info.title}</span>}
      </div>
      <p className="finding-message">{f.message}</p>
      <p className="finding-links">
        Rule: <RuleLink entry={f}>{refLabel(f)}</RuleLink>{' '}
        <span className="mono muted">{describeEntry(f)}</span>
        {f.related?.map((r, i) => (
          <span key={i} className="finding-related">
            {' '}
            · related: <RuleLink entry={r}>{refLabel(r)}</RuleLink>
          </span>
        ))}
      </p>
    </li>
  );
}

/** Lint: the pitfalls of the open filter as bound with the simulator's host settings and parameters. */
export function LintPanel() {
  // Deferred: typing in a big filter paints first, the findings follow in a later render.
  const doc = useDeferredValue(useStudioStore(selectActiveDoc));
  const filters = useDeferredValue(useStudioStore((s) => s.workspace.filters));
  const settings = useDeferredValue(usePanelsStore((s) => s.settings));
  // The XML typed for the open filter, when it differs from the document: attributes libvirt
  // drops (an ipset on <tcp>, ranges on <ip>) are only in that text, never in the document.
  const draftText = useDeferredValue(
    useStudioStore((s) => (s.activeId ? s.drafts[s.activeId]?.text : undefined)),
  );
  const result = useMemo(() => {
    if (!doc) return null;
    const parsed = draftText !== undefined ? parseFilterXml(draftText) : null;
    const dropped =
      parsed?.doc?.name === doc.name && parsed.dropped ? { [doc.name]: parsed.dropped } : undefined;
    const docs = filters.map((f) => f.doc);
    const lookup = (name: string): FilterDoc | undefined =>
      docs.find((d) => d.name === name) ?? getBuiltinFilter(name, settings.libvirt)?.doc;
    const params: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(settings.params))
      if (k !== 'MAC' && v.length) params[k] = v;
    const icmp = settings.sysctl.nf_conntrack_icmp_timeout;
    return lintFilter(lookup, doc.name, {
      mac: settings.params.MAC?.[0],
      params,
      ftpHelper: settings.ftpHelper,
      bridgeHasAddress: Boolean(settings.bridgeAddress),
      ipsets: settings.ipsets ?? {},
      ...(icmp !== undefined ? { icmpTimeout: icmp } : {}),
      ...(dropped ? { dropped } : {}),
    });
  }, [doc, filters, settings, draftText]);
  if (!doc || !result) return <p className="muted">Open a filter to lint it.</p>;
  const findings = [...result.findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.filter.localeCompare(b.filter) ||
      a.entryIndex - b.entryIndex,
  );
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return (
    <div className="lint-panel">
      <p className="lint-summary" role="status">
        {findings.length === 0
          ? `No findings for ${doc.name}.`
          : `${findings.length} finding(s) for ${doc.name}: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} info.`}{' '}
        <span className="muted small">
          Bound with{' '}
          {Object.entries(settings.params)
            .map(([k, v]) => `${k}=${v.join(',')}`)
            .join(' ') || 'no parameters'}
          ; FTP helper {settings.ftpHelper ? 'on' : 'off'}; bridge address{' '}
          {settings.bridgeAddress ?? 'none'} (host settings in the Simulator tab).
        </span>
      </p>
      {result.diagnostics.length > 0 && (
        <ul className="lint-diags">
          {result.diagnostics.map((d, i) => (
            <li key={i}>
              <code>{d.code}</code> {d.message}
            </li>
          ))}
        </ul>
      )}
      <ul className="findings" aria-label="Lint findings">
        {findings.map((f, i) => (
          <Finding key={`${f.code}-${f.filter}-${f.entryIndex}-${i}`} f={f} />
        ))}
      </ul>
    </div>
  );
}
