import { useMemo, useState } from 'react';
import { selectActiveDoc, selectSelectedIndex, serializeDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { describeEntry, ruleLabel, selectRule } from '../Panels/rule-links';
import { buildExports } from './build-exports';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Export: the canonical XML for `virsh nwfilter-define`, libvirt's command sequence, the shell
 * script for vnet0 and its ebtables/iptables/ip6tables parts, the virsh commands and the domain
 * `<interface>` snippet. Hovering a line points at its rule; clicking selects it; the selected
 * rule's lines are highlighted.
 */
export function ExportPanel() {
  const doc = useStudioStore(selectActiveDoc);
  const filters = useStudioStore((s) => s.workspace.filters);
  const selected = useStudioStore(selectSelectedIndex);
  const settings = usePanelsStore((s) => s.settings);
  const setHinted = usePanelsStore((s) => s.setHinted);
  const [view, setView] = useState('script');
  const [copied, setCopied] = useState<string | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const exp = useMemo(
    () =>
      doc
        ? buildExports(
            doc,
            serializeDoc(doc),
            filters.map((f) => f.doc),
            settings,
          )
        : null,
    [doc, filters, settings],
  );
  if (!doc || !exp) return <p className="muted">Open a filter to export it.</p>;
  const text = exp.texts.find((t) => t.id === view) ?? exp.texts[0];
  if (!text) return null;
  const full = text.lines.map((l) => `${l}\n`).join('');
  const isSelectedLine = (i: number) => {
    const o = text.origins[i];
    return !!o && selected !== null && o.filter === doc.name && o.entryIndex === selected;
  };
  const hoverOrigin = hover !== null ? text.origins[hover] : null;
  return (
    <div className="export-panel">
      <div className="export-bar">
        <div role="tablist" aria-label="Export formats" className="subtabs">
          {exp.texts.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`export-tab-${t.id}`}
              aria-selected={t.id === text.id}
              aria-controls="export-text"
              tabIndex={t.id === text.id ? 0 : -1}
              className={t.id === text.id ? 'is-active' : ''}
              onClick={() => setView(t.id)}
              onKeyDown={(e) => {
                const i = exp.texts.indexOf(t);
                const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
                if (next === null) return;
                const target = exp.texts[(next + exp.texts.length) % exp.texts.length];
                if (target) {
                  setView(target.id);
                  document.getElementById(`export-tab-${target.id}`)?.focus();
                }
              }}
            >
              {t.title}
            </button>
          ))}
        </div>
        <div className="export-actions">
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard.writeText(full).then(
                () => setCopied(text.id),
                () => setCopied(null),
              );
            }}
          >
            {copied === text.id ? 'Copied' : 'Copy'}
          </button>
          <button type="button" onClick={() => download(text.file, full)}>
            Download {text.file}
          </button>
        </div>
      </div>
      {exp.problems.map((p, i) => (
        <p key={i} className="sim-problem">
          Cannot compile: {p}
        </p>
      ))}
      <p className="export-hint muted small" aria-live="polite">
        {hoverOrigin
          ? `Line ${(hover ?? 0) + 1} comes from ${ruleLabel({ filter: hoverOrigin.filter, entryIndex: hoverOrigin.entryIndex })}: ${describeEntry({ filter: hoverOrigin.filter, entryIndex: hoverOrigin.entryIndex })}`
          : text.id === 'xml'
            ? 'Canonical XML as libvirt writes it back (uuid kept): save it and run virsh nwfilter-define.'
            : text.id === 'virsh'
              ? 'Parameters come from the simulator’s host settings (MAC becomes the interface’s address).'
              : 'Hover a line to see the rule it came from; click it (or Enter) to select that rule. The selected rule’s lines are highlighted.'}
      </p>
      {text.lines.length === 0 && (
        <p className="muted">
          No {text.title} rules: libvirt installs none for this filter with these parameters.
        </p>
      )}
      <div
        id="export-text"
        role="tabpanel"
        aria-label={`${text.title} export`}
        className="export-text"
      >
        <ol
          className="export-lines"
          onMouseLeave={() => {
            setHover(null);
            setHinted(null);
          }}
        >
          {text.lines.map((line, i) => {
            const o = text.origins[i];
            const cls = `${o ? 'has-origin' : ''}${isSelectedLine(i) ? ' is-rule-selected' : ''}`;
            return (
              <li
                key={i}
                className={cls}
                tabIndex={o ? 0 : undefined}
                data-entry={o ? `${o.filter}#${o.entryIndex}` : undefined}
                onMouseEnter={() => {
                  setHover(i);
                  setHinted(o ? { filter: o.filter, entryIndex: o.entryIndex } : null);
                }}
                onFocus={() => {
                  setHover(i);
                  setHinted(o ? { filter: o.filter, entryIndex: o.entryIndex } : null);
                }}
                onClick={() => o && selectRule({ filter: o.filter, entryIndex: o.entryIndex })}
                onKeyDown={(e) => {
                  if (o && (e.key === 'Enter' || e.key === ' ')) {
                    e.preventDefault();
                    selectRule({ filter: o.filter, entryIndex: o.entryIndex });
                  }
                }}
              >
                <code>{line}</code>
              </li>
            );
          })}
        </ol>
      </div>
    </div>
  );
}
