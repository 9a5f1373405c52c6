import { useEffect } from 'react';
import type { ReactNode } from 'react';
import { DEFAULT_SYSCTL } from '../../core/conntrack';
import { SCENARIOS } from '../../core/sim';
import { selectActiveDoc, useStudioStore } from '../../store';
import { DEFAULT_CUSTOM_PACKET, usePanelsStore } from '../../store/panels-store';
import type { ReachForm } from '../../store/panels-store';
import { BindingFailures } from '../Panels/BindingFailures';
import { entryOfRule, selectRule } from '../Panels/rule-links';
import { BackendSelect, LibvirtVersionSelect } from '../SettingSelect/SettingSelect';
import { hostsFor } from '../../core/sim';
import type { CustomPacket, SimStep } from '../../core/sim';
import { ComparePanel } from './ComparePanel';
import { ConntrackView } from './ConntrackView';
import { HostProfileEditor } from './HostProfileEditor';
import { BindingPreview } from './BindingPreview';
import { LearningTimeline } from './LearningTimeline';
import { SequenceDiagram } from './SequenceDiagram';
import { StateLegend } from './StateLegend';
import { TraceExplanation } from './TraceExplanation';

const PLAY_MS = 700;
const NO_NAMES: string[] = [];

/** Timeouts people tune (seconds); the rest keep the kernel's defaults. */
const TIMEOUTS: { name: keyof typeof DEFAULT_SYSCTL; label: string }[] = [
  { name: 'nf_conntrack_icmp_timeout', label: 'ICMP timeout' },
  { name: 'nf_conntrack_udp_timeout', label: 'UDP timeout' },
  { name: 'nf_conntrack_udp_timeout_stream', label: 'UDP stream timeout' },
  { name: 'nf_conntrack_tcp_timeout_established', label: 'TCP established timeout' },
];

/** Selects the rule that decided a packet when it belongs to the open filter (table + XML highlight). */
export function highlightDecider(step: SimStep | null | undefined): void {
  if (!step) return;
  const doc = selectActiveDoc(useStudioStore.getState());
  const p = step.trace.provenance;
  const ref = p
    ? { filter: p.filter, entryIndex: p.entryIndex }
    : step.trace.rule
      ? {
          filter: step.trace.rule.filter,
          entryIndex: entryOfRule(step.trace.rule.filter, step.trace.rule.index) ?? -1,
        }
      : null;
  if (ref && ref.entryIndex >= 0 && doc?.name === ref.filter) selectRule(ref);
}

function goAndHighlight(index: number) {
  const store = usePanelsStore.getState();
  store.goTo(index);
  const s = usePanelsStore.getState();
  highlightDecider(s.result?.steps[s.current]);
}

function HostSettingsForm() {
  const settings = usePanelsStore((s) => s.settings);
  const setSettings = usePanelsStore((s) => s.setSettings);
  const missing = usePanelsStore((s) => s.result?.missingParams ?? NO_NAMES);
  const paramRows = Object.entries(settings.params);
  const setParam = (old: string, name: string, value: string) => {
    const next: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(settings.params)) {
      if (k === old) {
        if (name) next[name] = value.split(/[\s,]+/).filter(Boolean);
      } else next[k] = v;
    }
    setSettings({ params: next });
  };
  return (
    <fieldset className="host-settings">
      <legend>Host settings</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={settings.ftpHelper}
          onChange={(e) => setSettings({ ftpHelper: e.target.checked })}
        />{' '}
        FTP helper assigned <span className="muted">(CT --helper ftp on port 21)</span>
      </label>
      <HostProfileEditor />
      <div className="settings-grid">
        {TIMEOUTS.map((t) => (
          <label key={t.name}>
            {t.label} (s)
            <input
              type="number"
              min={1}
              placeholder={String(DEFAULT_SYSCTL[t.name])}
              value={settings.sysctl[t.name] ?? ''}
              onChange={(e) => {
                const sysctl = { ...settings.sysctl };
                const n = Number(e.target.value);
                if (e.target.value === '' || !Number.isFinite(n) || n <= 0) delete sysctl[t.name];
                else sysctl[t.name] = n;
                setSettings({ sysctl });
              }}
            />
          </label>
        ))}
      </div>
      <div className="params" role="group" aria-label="Filter parameters">
        <div className="params-head">Filter parameters</div>
        {paramRows.map(([name, values], i) => (
          <div key={i} className="param-row">
            <input
              aria-label={`Parameter ${i + 1} name`}
              value={name}
              onChange={(e) => setParam(name, e.target.value, values.join(' '))}
              style={{ width: 90 }}
            />
            <span>=</span>
            <input
              aria-label={`Value of ${name || `parameter ${i + 1}`}`}
              defaultValue={values.join(' ')}
              key={`${name}-${values.join(' ')}`}
              onBlur={(e) => setParam(name, name, e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setParam(name, name, e.currentTarget.value);
              }}
            />
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove parameter ${name}`}
              onClick={() => setParam(name, '', '')}
            >
              ×
            </button>
          </div>
        ))}
        {missing.length > 0 && (
          <p className="missing-params" role="alert">
            The filter needs a value for{' '}
            {missing.map((name) => (
              <button
                key={name}
                type="button"
                className="link-button"
                onClick={() => setSettings({ params: { ...settings.params, [name]: [] } })}
              >
                {name}
              </button>
            ))}
            : add it and give it a value.
          </p>
        )}
        <button
          type="button"
          onClick={() => {
            let n = 1;
            while (settings.params[`VAR${n}`]) n++;
            setSettings({ params: { ...settings.params, [`VAR${n}`]: [] } });
          }}
        >
          Add parameter
        </button>
        <p className="muted small">
          IP and MAC are the VM’s addresses in scenarios; without IP libvirt learns it (the
          scenarios’ VM uses 10.99.0.2). Several values (space-separated) make a list.
        </p>
      </div>
      <BindingPreview />
    </fieldset>
  );
}

/** Why `text` is not an IPv4 address the packet builder takes (null: it is, or empty = default). */
export function checkIpv4(text: string): string | null {
  if (text === '') return null;
  const parts = text.split('.');
  const ok = parts.length === 4 && parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
  return ok ? null : `${text} is not an IPv4 address (four numbers 0–255, e.g. 10.99.0.3)`;
}

/** One labelled field of a custom packet: the label is shown, and names the control. */
function Field({
  label,
  error,
  id,
  children,
}: {
  label: string;
  error?: string | null;
  id: string;
  children: ReactNode;
}) {
  return (
    <div className={`cp-field${error ? ' is-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

/**
 * The reach query of a custom packet: the same packet (its addresses as the simulator fills them
 * in), as the first packet of its connection; in the form its fields can then be widened to ranges.
 */
function reachFormOf(p: CustomPacket): ReachForm {
  const hosts = hostsFor(usePanelsStore.getState().settings);
  const fromVm = p.side === 'from-vm';
  const icmp = p.proto === 'icmp';
  return {
    path: p.side,
    protocol: p.proto,
    source: p.src || (fromVm ? hosts.vm.ip : hosts.remote.ip),
    destination: p.dst || (fromVm ? hosts.remote.ip : hosts.vm.ip),
    sourcePort: icmp ? '' : String(p.sport),
    destinationPort: icmp ? '' : String(p.dport),
    icmpType: icmp ? String(p.icmpType) : '',
    state: 'NEW',
  };
}

function CustomPacketRow({
  p,
  i,
  onChange,
  onRemove,
}: {
  p: CustomPacket;
  i: number;
  onChange(p: CustomPacket): void;
  onRemove(): void;
}) {
  const num = (v: string) => Math.max(0, Math.min(65535, Number(v) || 0));
  const id = (name: string) => `cp-${i}-${name}`;
  const srcError = checkIpv4(p.src);
  const dstError = checkIpv4(p.dst);
  const errorId = id('error');
  const invalid = (error: string | null) =>
    error ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
  return (
    <div className="custom-row" role="group" aria-label={`Custom packet ${i + 1}`}>
      <Field label="Side" id={id('side')}>
        <select
          id={id('side')}
          value={p.side}
          onChange={(e) => onChange({ ...p, side: e.target.value as CustomPacket['side'] })}
        >
          <option value="to-vm">remote → VM</option>
          <option value="from-vm">VM → remote</option>
        </select>
      </Field>
      <Field label="Protocol" id={id('proto')}>
        <select
          id={id('proto')}
          value={p.proto}
          onChange={(e) => onChange({ ...p, proto: e.target.value as CustomPacket['proto'] })}
        >
          <option value="tcp">tcp</option>
          <option value="udp">udp</option>
          <option value="icmp">icmp</option>
        </select>
      </Field>
      <Field label="Source address" id={id('src')} error={srcError}>
        <input
          id={id('src')}
          className="cp-address"
          placeholder={p.side === 'from-vm' ? 'the VM' : 'the remote host'}
          value={p.src}
          onChange={(e) => onChange({ ...p, src: e.target.value.trim() })}
          {...invalid(srcError)}
        />
      </Field>
      <Field label="Destination address" id={id('dst')} error={dstError}>
        <input
          id={id('dst')}
          className="cp-address"
          placeholder={p.side === 'from-vm' ? 'the remote host' : 'the VM'}
          value={p.dst}
          onChange={(e) => onChange({ ...p, dst: e.target.value.trim() })}
          {...invalid(dstError)}
        />
      </Field>
      {p.proto === 'icmp' ? (
        <>
          <Field label="ICMP type" id={id('type')}>
            <input
              id={id('type')}
              type="number"
              min={0}
              max={255}
              value={p.icmpType}
              onChange={(e) => onChange({ ...p, icmpType: num(e.target.value) & 255 })}
            />
          </Field>
          <Field label="ICMP code" id={id('code')}>
            <input
              id={id('code')}
              type="number"
              min={0}
              max={255}
              value={p.icmpCode}
              onChange={(e) => onChange({ ...p, icmpCode: num(e.target.value) & 255 })}
            />
          </Field>
        </>
      ) : (
        <>
          <Field label="Source port" id={id('sport')}>
            <input
              id={id('sport')}
              type="number"
              min={0}
              max={65535}
              value={p.sport}
              onChange={(e) => onChange({ ...p, sport: num(e.target.value) })}
            />
          </Field>
          <Field label="Destination port" id={id('dport')}>
            <input
              id={id('dport')}
              type="number"
              min={0}
              max={65535}
              value={p.dport}
              onChange={(e) => onChange({ ...p, dport: num(e.target.value) })}
            />
          </Field>
        </>
      )}
      {p.proto === 'tcp' && (
        <Field label="TCP flags" id={id('flags')}>
          <input
            id={id('flags')}
            value={p.flags}
            placeholder="SYN"
            onChange={(e) => onChange({ ...p, flags: e.target.value.toUpperCase() })}
          />
        </Field>
      )}
      <Field label="Time (s)" id={id('t')}>
        <input
          id={id('t')}
          type="number"
          min={0}
          step={0.1}
          value={p.t}
          onChange={(e) => onChange({ ...p, t: Math.max(0, Number(e.target.value) || 0) })}
        />
      </Field>
      <button
        type="button"
        className="cp-reach"
        title="Ask the exact analysis about this packet; widen its fields to ranges there"
        onClick={() => usePanelsStore.getState().askReach(reachFormOf(p))}
      >
        Can packet {i + 1} reach?
      </button>
      <button
        type="button"
        className="icon-button cp-remove"
        aria-label={`Remove packet ${i + 1}`}
        onClick={onRemove}
      >
        ×
      </button>
      {(srcError || dstError) && (
        <p id={errorId} className="field-error cp-error">
          {srcError ? `Source address: ${srcError}` : `Destination address: ${dstError}`}
        </p>
      )}
    </div>
  );
}

function CustomPacketBuilder() {
  const packets = usePanelsStore((s) => s.customPackets);
  const set = usePanelsStore((s) => s.setCustomPackets);
  const run = () => {
    const state = usePanelsStore.getState();
    const bad = state.customPackets.findIndex((p) => checkIpv4(p.src) || checkIpv4(p.dst));
    if (bad >= 0) {
      // Nothing is sent, and the last run's diagram goes: it is not what the fields say.
      state.setError(`packet ${bad + 1} has an address that is not IPv4: fix the marked field.`);
      document.querySelector<HTMLElement>(`.custom-row [aria-invalid='true']`)?.focus();
      return;
    }
    state.setSource({ kind: 'custom', packets: state.customPackets });
  };
  return (
    <div className="custom-builder" role="group" aria-label="Custom packets">
      <p className="muted small">
        Side, protocol, addresses (empty = the VM’s / the remote host’s), ports or ICMP type/code,
        TCP flags, time.
      </p>
      {packets.map((p, i) => (
        <CustomPacketRow
          key={i}
          p={p}
          i={i}
          onChange={(np) => set(packets.map((x, j) => (j === i ? np : x)))}
          onRemove={() => set(packets.filter((_, j) => j !== i))}
        />
      ))}
      <div className="row-buttons">
        <button
          type="button"
          onClick={() =>
            set([...packets, { ...DEFAULT_CUSTOM_PACKET, t: (packets.at(-1)?.t ?? -1) + 1 }])
          }
        >
          Add packet
        </button>
        <button type="button" onClick={run} disabled={packets.length === 0}>
          Send packets
        </button>
      </div>
    </div>
  );
}

function SourcePicker() {
  const source = usePanelsStore((s) => s.source);
  const setSource = usePanelsStore((s) => s.setSource);
  const value =
    source.kind === 'scenario'
      ? source.name
      : source.kind === 'custom'
        ? '__custom'
        : `__${source.kind}`;
  return (
    <div className="source-picker">
      <label>
        Traffic{' '}
        <select
          aria-label="Scenario"
          value={value}
          onChange={(e) => {
            const v = e.target.value;
            if (v === '__custom')
              setSource({ kind: 'custom', packets: usePanelsStore.getState().customPackets });
            else if (!v.startsWith('__')) setSource({ kind: 'scenario', name: v });
          }}
        >
          <optgroup label="Scenarios">
            {SCENARIOS.map((s) => (
              <option key={s.name} value={s.name}>
                {s.title} ({s.name})
              </option>
            ))}
          </optgroup>
          <option value="__custom">Custom packets…</option>
          {source.kind === 'pcap' && <option value="__pcap">Capture {source.name}</option>}
          {source.kind === 'witness' && <option value="__witness">Witness: {source.label}</option>}
        </select>
      </label>
      <LibvirtVersionSelect />
      <BackendSelect />
      <label className="file-button">
        Open pcap…
        <input
          type="file"
          accept=".pcap,.pcapng,.cap,.ntar,application/vnd.tcpdump.pcap"
          aria-label="Open a pcap file"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            const bytes = new Uint8Array(await file.arrayBuffer());
            setSource({ kind: 'pcap', name: file.name, bytes });
            e.target.value = '';
          }}
        />
      </label>
    </div>
  );
}

function Transport({ count }: { count: number }) {
  const current = usePanelsStore((s) => s.current);
  const playing = usePanelsStore((s) => s.playing);
  const setPlaying = usePanelsStore((s) => s.setPlaying);
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => {
      const s = usePanelsStore.getState();
      const n = s.result?.steps.length ?? 0;
      if (s.current >= n - 1) s.setPlaying(false);
      else goAndHighlight(s.current + 1);
    }, PLAY_MS);
    return () => clearInterval(id);
  }, [playing]);
  return (
    <div className="transport" role="toolbar" aria-label="Step through packets">
      <button
        type="button"
        aria-label="First packet"
        onClick={() => goAndHighlight(0)}
        disabled={count === 0}
      >
        First
      </button>
      <button
        type="button"
        aria-label="Previous packet"
        onClick={() => goAndHighlight(current - 1)}
        disabled={current === 0}
      >
        ◀ Back
      </button>
      <button
        type="button"
        aria-label={playing ? 'Pause' : 'Play'}
        onClick={() => setPlaying(!playing)}
        disabled={count === 0}
      >
        {playing ? '⏸ Pause' : '▶ Play'}
      </button>
      <button
        type="button"
        aria-label="Next packet"
        onClick={() => goAndHighlight(current + 1)}
        disabled={current >= count - 1}
      >
        Forward ▶
      </button>
      <button
        type="button"
        aria-label="Last packet"
        onClick={() => goAndHighlight(count - 1)}
        disabled={count === 0}
      >
        Last
      </button>
      <label className="jump">
        Packet{' '}
        <input
          type="number"
          min={1}
          max={count}
          value={count ? current + 1 : 0}
          aria-label="Jump to packet"
          onChange={(e) => goAndHighlight(Number(e.target.value) - 1)}
          style={{ width: 56 }}
        />{' '}
        of {count}
      </label>
    </div>
  );
}

/**
 * The run status, its own component: an edit marks a run due at once (see useLiveSimulation),
 * and that should redraw this line, not the whole panel, inside the keystroke.
 */
function SimStatus() {
  const running = usePanelsStore((s) => s.running);
  const ms = usePanelsStore((s) => s.lastRunMs);
  const packets = usePanelsStore((s) => s.result?.steps.length ?? 0);
  return (
    <span className="muted small" role="status" aria-live="polite">
      {running ? 'Running…' : ms !== null ? `${packets} packets in ${Math.round(ms)} ms` : ''}
    </span>
  );
}

/** The simulator: traffic, host settings, the sequence diagram, the explanation and conntrack state. */
export function SimulatorPanel() {
  const result = usePanelsStore((s) => s.result);
  const current = usePanelsStore((s) => s.current);
  const error = usePanelsStore((s) => s.error);
  const source = usePanelsStore((s) => s.source);
  const step = result?.steps[current];
  return (
    <div className="sim-panel">
      <div className="sim-controls">
        <SourcePicker />
        {source.kind === 'custom' && <CustomPacketBuilder />}
        <HostSettingsForm />
        <ComparePanel />
      </div>
      <div className="sim-diagram">
        <div className="sim-head">
          <h3>{result?.title ?? 'Simulation'}</h3>
          <SimStatus />
        </div>
        {result?.explanation && <p className="sim-explain">{result.explanation}</p>}
        {error && (
          <p className="sim-problem" role="alert">
            Simulator error: {error}
          </p>
        )}
        {result?.problems.map((p, i) => (
          <p key={i} className="sim-problem">
            {p}
          </p>
        ))}
        {result && <BindingFailures failures={result.failures} />}
        <Transport count={result?.steps.length ?? 0} />
        {result && result.steps.length > 0 && (
          <>
            <StateLegend />
            <SequenceDiagram result={result} current={current} onPick={goAndHighlight} />
          </>
        )}
        {result && <LearningTimeline result={result} onPick={goAndHighlight} />}
        {result && result.skipped.length > 0 && (
          <p className="muted small">
            Not sent ({result.skipped.length}): {result.skipped.map((s) => s.label).join(', ')} —
            they answer a packet that was dropped.
          </p>
        )}
      </div>
      {/* Focusable: it scrolls, and may hold no link to reach it by. */}
      <div className="sim-detail" role="region" aria-label="Packet details" tabIndex={0}>
        {step ? (
          <>
            <TraceExplanation trace={step.trace} label={`${current + 1}. ${step.label}`} />
            <ConntrackView table={step.table} expectations={step.expectations} />
          </>
        ) : (
          <p className="muted">No packet to explain.</p>
        )}
      </div>
    </div>
  );
}
