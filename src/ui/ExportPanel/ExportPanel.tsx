import { memo, useDeferredValue, useMemo, useState } from 'react';
import { DEFAULT_BACKEND, NFT_BACKEND_LABEL } from '../../core/compile';
import {
  selectActiveDoc,
  selectDiagnostics,
  selectIsStale,
  selectSelectedIndex,
  serializeDoc,
  useStudioStore,
} from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { describeEntry, ruleLabel, selectRule } from '../Panels/rule-links';
import { serializeFilterXml } from '../../core/xml';
import { BackendSelect, LibvirtVersionSelect } from '../SettingSelect/SettingSelect';
import { BindingFailures } from '../Panels/BindingFailures';
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

type LineOrigin = { filter: string; entryIndex: number } | null | undefined;

/**
 * The lines of one export, memoised: a script for 2,000 rules has thousands of lines, and
 * hovering a line (which updates the hint above) must not redraw all of them.
 */
const ExportLines = memo(function ExportLines({
  lines,
  origins,
  selected,
  onHover,
}: {
  lines: readonly string[];
  origins: readonly LineOrigin[];
  /** `filter#entryIndex` of the selected rule. */
  selected: string | null;
  onHover(line: number | null): void;
}) {
  const hint = (o: LineOrigin) =>
    usePanelsStore.getState().setHinted(o ? { filter: o.filter, entryIndex: o.entryIndex } : null);
  return (
    <ol
      className="export-lines"
      // It scrolls: the keyboard must reach it even when no line links to a rule.
      tabIndex={0}
      aria-label="Lines"
      onMouseLeave={() => {
        onHover(null);
        hint(null);
      }}
    >
      {lines.map((line, i) => {
        const o = origins[i];
        const isSelected = !!o && `${o.filter}#${o.entryIndex}` === selected;
        const cls = `${o ? 'has-origin' : ''}${isSelected ? ' is-rule-selected' : ''}`;
        return (
          <li
            key={i}
            className={cls}
            tabIndex={o ? 0 : undefined}
            data-entry={o ? `${o.filter}#${o.entryIndex}` : undefined}
            onMouseEnter={() => {
              onHover(i);
              hint(o);
            }}
            onFocus={() => {
              onHover(i);
              hint(o);
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
  );
});

/**
 * Export: the canonical XML for `virsh nwfilter-define`, libvirt's command sequence, the shell
 * script for vnet0 and its ebtables/iptables/ip6tables parts, the virsh commands and the domain
 * `<interface>` snippet. Hovering a line points at its rule; clicking selects it; the selected
 * rule's lines are highlighted.
 */
export function ExportPanel() {
  // Deferred: typing in a big filter paints first, the exports follow in a later render.
  const doc = useDeferredValue(useStudioStore(selectActiveDoc));
  const filters = useDeferredValue(useStudioStore((s) => s.workspace.filters));
  const selected = useStudioStore(selectSelectedIndex);
  const settings = useDeferredValue(usePanelsStore((s) => s.settings));
  // What a sysadmin pastes into `virsh nwfilter-define` comes first.
  const [view, setView] = useState('xml');
  const backend = settings.backend ?? DEFAULT_BACKEND;
  const [copied, setCopied] = useState<string | null>(null);
  const stale = useStudioStore(selectIsStale);
  const firstError = useStudioStore(selectDiagnostics).find((d) => d.severity === 'error');
  /** A stale download is a deliberate second step: the file it is about to save. */
  const [confirming, setConfirming] = useState<string | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const exp = useMemo(
    () =>
      doc
        ? buildExports(
            doc,
            // libvirt 9.0 lays out split negations differently; the newest is the cached text.
            settings.libvirt === '9.0'
              ? serializeFilterXml(doc, { libvirt: '9.0' })
              : serializeDoc(doc),
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
  const hoverOrigin = hover !== null ? text.origins[hover] : null;
  const hoverHandle = hover !== null ? (text.handles?.[hover] ?? null) : null;
  return (
    <div className="export-panel">
      <div className="export-bar">
        <BackendSelect />
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
        <LibvirtVersionSelect />
        <div className="export-actions">
          <button
            type="button"
            aria-describedby={stale ? 'export-stale' : undefined}
            onClick={() => {
              void navigator.clipboard.writeText(full).then(
                () => setCopied(text.id),
                () => setCopied(null),
              );
            }}
          >
            {copied === text.id ? 'Copied' : stale ? 'Copy last valid version' : 'Copy'}
          </button>
          {stale && confirming === text.file ? (
            <span className="export-confirm" role="group" aria-label="Confirm the download">
              <button
                type="button"
                className="danger-button"
                onClick={() => {
                  setConfirming(null);
                  download(text.file, full);
                }}
              >
                Download the last valid version
              </button>
              <button type="button" onClick={() => setConfirming(null)}>
                Cancel
              </button>
            </span>
          ) : (
            <button
              type="button"
              aria-describedby={stale ? 'export-stale' : undefined}
              onClick={() => (stale ? setConfirming(text.file) : download(text.file, full))}
            >
              Download {text.file}
              {stale ? '…' : ''}
            </button>
          )}
        </div>
      </div>
      {stale && (
        <p id="export-stale" className="export-stale" role="status">
          <strong>Out of date:</strong> the XML pane has errors
          {firstError ? ` (line ${firstError.line}: ${firstError.message})` : ''}. This export is
          the last valid version of <code>{doc.name}</code>, not the text in the XML pane.
        </p>
      )}
      {backend !== DEFAULT_BACKEND && (
        <p className="export-backend-note small" role="note">
          {backend === 'nftables' ? `nftables: ${NFT_BACKEND_LABEL}.` : backend} The Simulator
          executes these rules too.
        </p>
      )}
      {exp.learning && (
        <p className="export-learning-note small" role="note">
          The binding has no IP: libvirt learns it (CTRL_IP_LEARNING={exp.learning.plan.mode}).
          These are the rules after it learned <code>{exp.learning.example}</code> (the scenarios’
          VM address, an example); <em>While learning</em> shows the rules before.
        </p>
      )}
      {exp.problems.map((p, i) => (
        <p key={i} className="sim-problem">
          Cannot compile: {p}
        </p>
      ))}
      <BindingFailures failures={exp.failures} />
      <p className="export-hint muted small" aria-live="polite">
        {hoverOrigin
          ? `Line ${(hover ?? 0) + 1}${hoverHandle !== null ? ` (rule handle ${hoverHandle} once loaded: nft -a list ruleset)` : ''} comes from ${ruleLabel({ filter: hoverOrigin.filter, entryIndex: hoverOrigin.entryIndex })}: ${describeEntry({ filter: hoverOrigin.filter, entryIndex: hoverOrigin.entryIndex })}`
          : text.id === 'xml'
            ? 'Canonical XML as libvirt writes it back (uuid kept): save it and run virsh nwfilter-define.'
            : text.id === 'virsh'
              ? 'Parameters come from the simulator’s host settings (MAC becomes the interface’s address).'
              : text.handles
                ? 'Hover a rule to see the XML rule it came from and the handle the kernel gives it once the script is loaded (the Simulator’s traces name the same handles); click it (or Enter) to select that rule. The selected rule’s lines are highlighted.'
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
        <ExportLines
          lines={text.lines}
          origins={text.origins}
          selected={selected === null ? null : `${doc.name}#${selected}`}
          onHover={setHover}
        />
      </div>
    </div>
  );
}
