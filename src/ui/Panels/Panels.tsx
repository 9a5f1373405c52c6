import { lazy, Suspense, useState } from 'react';
import { useLayoutStore } from '../../store/layout-store';
import { usePanelsStore } from '../../store/panels-store';
import type { PanelTab } from '../../store/panels-store';
import { LearnPanel } from '../LearnPanel/LearnPanel';
import { SimulatorPanel } from '../SimulatorPanel/SimulatorPanel';
import { Splitter } from '../Splitter/Splitter';
import { hasHostToken } from '../HostPanel/host-connection';

// The tabs the page does not open on load only when opened (the Simulator, and the Learn tab
// that Start here opens, are in the first bundle): lint, analysis, parity, export and host code
// is a third of the app's own JS and the first paint waits for every byte of that bundle.
const AnalysisPanel = lazy(() =>
  import('../AnalysisPanel/AnalysisPanel').then((m) => ({ default: m.AnalysisPanel })),
);
const ExportPanel = lazy(() =>
  import('../ExportPanel/ExportPanel').then((m) => ({ default: m.ExportPanel })),
);
const LintPanel = lazy(() =>
  import('../LintPanel/LintPanel').then((m) => ({ default: m.LintPanel })),
);
const ParityPanel = lazy(() =>
  import('../ParityPanel/ParityPanel').then((m) => ({ default: m.ParityPanel })),
);
const HostPanel = lazy(() =>
  import('../HostPanel/HostPanel').then((m) => ({ default: m.HostPanel })),
);
import { captureOpenedVersion } from './VersionPicker';
import './panels.css';
import { useLiveSimulation } from './use-live-simulation';

const TABS: { id: PanelTab; label: string }[] = [
  { id: 'simulator', label: 'Simulator' },
  { id: 'analysis', label: 'Analysis' },
  { id: 'learn', label: 'Learn' },
  { id: 'export', label: 'Export' },
  { id: 'lint', label: 'Lint' },
  { id: 'parity', label: 'Parity' },
  // Only on a page opened from `nwfilter-studio serve` (its token in the address).
  ...(hasHostToken() ? [{ id: 'host' as const, label: 'Host' }] : []),
];

/** The dock under the editor: simulator, lessons, export and lint, as tabs. */
export function Panels() {
  const tab = usePanelsStore((s) => s.tab);
  const collapsed = usePanelsStore((s) => s.collapsed);
  const setTab = usePanelsStore((s) => s.setTab);
  const setCollapsed = usePanelsStore((s) => s.setCollapsed);
  useLiveSimulation();
  useState(captureOpenedVersion);
  // Height as a share of the window (the dock shares the screen with the editor).
  const share = useLayoutStore((s) => s.dockShare);
  const resize = useLayoutStore((s) => s.setDockShare);
  return (
    <section
      className={`panels${collapsed ? ' is-collapsed' : ''}`}
      aria-label="Panels"
      id="panels"
      tabIndex={-1}
      style={{ ['--panels-height' as string]: `${Math.round(share * 100)}vh` }}
    >
      {!collapsed && (
        <Splitter
          className="panels-resizer"
          label="Resize panels"
          orientation="horizontal"
          value={share}
          min={20}
          max={85}
          increaseKey="ArrowUp"
          decreaseKey="ArrowDown"
          fractionAt={(e) => 1 - e.clientY / window.innerHeight}
          onResize={resize}
        />
      )}
      <div className="panels-bar">
        <div role="tablist" aria-label="Panels" className="panels-tabs">
          {TABS.map((t, i) => (
            <button
              key={t.id}
              id={`panel-tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              // Hidden panels render no tabpanel: a selected tab must not name a missing one.
              aria-controls={collapsed ? undefined : `panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                const next =
                  e.key === 'ArrowRight'
                    ? i + 1
                    : e.key === 'ArrowLeft'
                      ? i - 1
                      : e.key === 'Home'
                        ? 0
                        : e.key === 'End'
                          ? TABS.length - 1
                          : null;
                if (next === null) return;
                e.preventDefault();
                const target = TABS[(next + TABS.length) % TABS.length];
                if (!target) return;
                setTab(target.id);
                document.getElementById(`panel-tab-${target.id}`)?.focus();
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="icon-button panels-toggle"
          aria-expanded={!collapsed}
          aria-controls={`panel-${tab}`}
          onClick={() => setCollapsed(!collapsed)}
        >
          {collapsed ? '▴ Show panels' : '▾ Hide panels'}
        </button>
      </div>
      {!collapsed && (
        <div
          id={`panel-${tab}`}
          role="tabpanel"
          aria-labelledby={`panel-tab-${tab}`}
          className="panels-body"
        >
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {tab === 'simulator' && <SimulatorPanel />}
            {tab === 'analysis' && <AnalysisPanel />}
            {tab === 'learn' && <LearnPanel />}
            {tab === 'export' && <ExportPanel />}
            {tab === 'lint' && <LintPanel />}
            {tab === 'parity' && <ParityPanel />}
            {tab === 'host' && <HostPanel />}
          </Suspense>
        </div>
      )}
    </section>
  );
}
