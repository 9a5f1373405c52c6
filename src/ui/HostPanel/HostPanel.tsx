import { useEffect, useState } from 'react';
import { parseFilterXml, serializeFilterXml } from '../../core';
import type {
  BindingDrift,
  DefinePreview,
  FilterBinding,
  FilterDoc,
  HostFilterJson as HostFilter,
  HostInfo,
  PreviewLine,
} from '../../core';
import { selectActiveDoc, useHostMarks, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { RuleLink } from '../SimulatorPanel/TraceExplanation';
import { HostApiError, hostApi } from './host-connection';

type HostBinding = Pick<FilterBinding, 'portdev' | 'mac' | 'filter' | 'params'>;
type DefineOutcome =
  | { status: 'defined'; name: string; matchesPreview: boolean }
  | { status: 'failed'; error: string };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Adds the host's filters the workspace does not hold as they are (an identical filter of the
 * same name is kept, not copied), marks them as from the host, and returns how many were added.
 */
function importFilters(filters: readonly HostFilter[], uri: string): number {
  const store = useStudioStore.getState();
  const docs: FilterDoc[] = [];
  const texts: string[] = [];
  for (const f of filters) {
    const doc = parseFilterXml(f.xml).doc;
    if (!doc) continue;
    const same = store.workspace.filters.some(
      (w) => w.doc.name === doc.name && serializeFilterXml(w.doc) === serializeFilterXml(doc),
    );
    if (same) continue;
    docs.push(doc);
    texts.push(f.xml);
  }
  store.addFilters(docs, texts);
  useHostMarks.getState().markFromHost(
    filters.map((f) => f.name),
    uri,
  );
  return docs.length;
}

function Diff({ lines, label }: { lines: PreviewLine[]; label: string }) {
  if (lines.length === 0) return <p className="muted">No change.</p>;
  return (
    <pre className="host-diff" aria-label={label}>
      {lines.map((l, i) => (
        <div key={i} className={l.op === '+' ? 'diff-add' : 'diff-del'}>
          {l.op} {l.text}
        </div>
      ))}
    </pre>
  );
}

function DriftView({ drift }: { drift: BindingDrift }) {
  const r = drift.report;
  const total = Object.values(r.compared).reduce((a, b) => a + b, 0);
  if (r.identical)
    return (
      <p className="host-drift is-identical" role="status">
        {drift.portdev}: the host holds exactly what the studio compiles ({total} rules compared).
      </p>
    );
  return (
    <div className="host-drift is-drift" role="status">
      <p>
        {drift.portdev}: <strong>drift</strong>, {r.lines.length} rule
        {r.lines.length === 1 ? '' : 's'} differ.
      </p>
      <ul className="host-drift-lines">
        {r.lines.map((l, i) => (
          <li key={i}>
            <span className="muted">
              {l.family} {l.table} {l.chain}:
            </span>{' '}
            <code>{l.text}</code>{' '}
            <span className={l.only === 'studio' ? 'diff-del' : 'diff-add'}>
              {l.only === 'studio' ? 'missing on the host' : 'only on the host'}
            </span>
            {l.rule && (
              <>
                {' '}
                ←{' '}
                <RuleLink entry={{ filter: l.rule.filter, entryIndex: l.rule.entryIndex }}>
                  {l.rule.filter} rule #{l.rule.ruleIndex}
                </RuleLink>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The Host tab: what `nwfilter-studio serve` connects to — import, bindings, drift, define. */
export function HostPanel() {
  const [info, setInfo] = useState<HostInfo | null>(null);
  const [bindings, setBindings] = useState<HostBinding[] | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [drift, setDrift] = useState<BindingDrift | null>(null);
  const [preview, setPreview] = useState<DefinePreview | null>(null);
  const [busy, setBusy] = useState(false);
  const doc = useStudioStore(selectActiveDoc);

  useEffect(() => {
    let live = true;
    Promise.all([
      hostApi<HostInfo>('/api/host'),
      hostApi<{ bindings: HostBinding[] }>('/api/bindings'),
    ]).then(
      ([i, b]) => {
        if (!live) return;
        setInfo(i);
        setBindings(b.bindings);
      },
      (e: unknown) => live && setError(message(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(e instanceof HostApiError ? e.message : message(e));
    } finally {
      setBusy(false);
    }
  };
  const importAll = () =>
    run(async () => {
      if (!info) return;
      const { filters } = await hostApi<{ filters: HostFilter[] }>('/api/filters');
      const added = importFilters(filters, info.uri);
      setStatus(
        `Imported ${added} of the host's ${filters.length} filters (the others are in the workspace as they are).`,
      );
    });
  const simulate = (b: HostBinding) =>
    run(async () => {
      if (!info) return;
      const { filters } = await hostApi<{ filters: HostFilter[] }>('/api/filters');
      importFilters(filters, info.uri);
      const state = useStudioStore.getState();
      const own = state.workspace.filters.find((f) => f.doc.name === b.filter);
      if (own) state.openFilter(own.id);
      const params: Record<string, string[]> = { MAC: [b.mac] };
      for (const [n, v] of b.params) (params[n] ??= []).push(v);
      if (b.params.some(([n]) => n === 'MAC')) params.MAC = params.MAC?.slice(1) ?? [];
      const panels = usePanelsStore.getState();
      panels.setSettings({ params, libvirt: info.libvirt.target });
      panels.setTab('simulator');
    });
  const showDrift = (b: HostBinding) =>
    run(async () => {
      setDrift(null);
      const r = await hostApi<{ drift: BindingDrift[] }>(
        `/api/drift?iface=${encodeURIComponent(b.portdev)}`,
      );
      setDrift(r.drift[0] ?? null);
    });
  const askPreview = () =>
    run(async () => {
      if (!doc) return;
      setStatus(null);
      setPreview(
        await hostApi<DefinePreview>('/api/define/preview', { xml: serializeFilterXml(doc) }),
      );
    });
  const define = () =>
    run(async () => {
      if (!doc || !preview) return;
      const out = await hostApi<DefineOutcome>('/api/define', {
        xml: serializeFilterXml(doc),
        confirm: preview.confirm,
      });
      setPreview(null);
      if (out.status === 'failed')
        setError(`libvirt refused the define; the host keeps its version: ${out.error}`);
      else
        setStatus(
          out.matchesPreview
            ? `Defined ${out.name} on the host; re-read: the host holds what the preview showed.`
            : `Defined ${out.name}, but the host's re-read differs from the preview: check it.`,
        );
    });

  if (!info)
    return (
      <div className="host-panel">
        {error ? (
          <p className="host-error">The host does not answer: {error}</p>
        ) : (
          <p>Connecting…</p>
        )}
      </div>
    );
  return (
    <div className="host-panel">
      <p className="host-head">
        Host <code>{info.uri}</code> · libvirt {info.libvirt.daemon} ·{' '}
        {info.allowDefine ? 'defining allowed' : 'read-only (serve --allow-define to define)'}
      </p>
      <p>
        <button type="button" onClick={importAll} disabled={busy}>
          Import the host&apos;s filters
        </button>{' '}
        {info.allowDefine && doc && (
          <button type="button" onClick={askPreview} disabled={busy}>
            Define {doc.name} on the host…
          </button>
        )}
      </p>
      {status && (
        <p className="host-status" role="status">
          {status}
        </p>
      )}
      {error && (
        <p className="host-error" role="alert">
          {error}
        </p>
      )}
      {preview && (
        <section className="host-preview" aria-label="Define preview">
          <h3>
            Define {preview.name} {preview.hostXml === null ? '(new on the host)' : ''}
          </h3>
          <Diff lines={preview.xmlDiff} label="XML changes" />
          {preview.bindings.map((b) => (
            <div key={b.portdev}>
              <h4>
                Rules of {b.portdev} (filter {b.filter})
              </h4>
              {b.error ? (
                <p className="host-error">{b.error}</p>
              ) : (
                <Diff lines={b.ruleChanges} label={`Rule changes of ${b.portdev}`} />
              )}
            </div>
          ))}
          <p>
            <button type="button" onClick={define} disabled={busy}>
              Define on the host
            </button>{' '}
            <button type="button" onClick={() => setPreview(null)} disabled={busy}>
              Cancel
            </button>
          </p>
        </section>
      )}
      <h3>Bindings</h3>
      {bindings && bindings.length === 0 && <p className="muted">No interface has a filter.</p>}
      {bindings && bindings.length > 0 && (
        <table className="host-bindings">
          <thead>
            <tr>
              <th>Interface</th>
              <th>MAC</th>
              <th>Filter</th>
              <th>Parameters</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {bindings.map((b) => (
              <tr key={b.portdev}>
                <td className="mono">{b.portdev}</td>
                <td className="mono">{b.mac}</td>
                <td>{b.filter}</td>
                <td className="mono">{b.params.map(([n, v]) => `${n}=${v}`).join(' ')}</td>
                <td>
                  <button type="button" onClick={() => simulate(b)} disabled={busy}>
                    Simulate {b.portdev}
                  </button>{' '}
                  <button type="button" onClick={() => showDrift(b)} disabled={busy}>
                    Drift of {b.portdev}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {drift && <DriftView drift={drift} />}
    </div>
  );
}
