import { useEffect, useRef } from 'react';
import { phaseText } from '../../core/sim';
import type { LearningPhase, SimResult } from '../../core/sim';
import { stateKind } from './StateLegend';

const ROW = 26;
const TOP = 40;
/** The arrows' part of the drawing; the conntrack state column is to its right. */
const LANES = 520;
const VM_X = 70;
const BRIDGE_X = LANES / 2;
const REMOTE_X = LANES - 70;
const BADGE_X = LANES + 6;
const BADGE_W = 104;
const WIDTH = BADGE_X + BADGE_W + 6;

/** A learning phase's short label in the diagram (the full text is its tooltip and in the list). */
const PHASE_LABEL: Record<LearningPhase['kind'], string> = {
  learning: 'libvirt learning the IP: learning rules in force',
  learned: 'IP learned',
  rebuilt: 'rules rebuilt',
  renewed: 'lease renewed',
  expired: 'lease expired',
  released: 'lease released',
  failed: 'rebuild failed: interface down',
  ignored: 'DHCP packet not read (rate limit)',
};

const VERDICT_LABEL: Record<string, string> = {
  accept: 'accepted',
  drop: 'dropped',
  reject: 'rejected',
  error: 'not simulated',
};

/** The host part of `10.0.0.1:22` or `[fe80::1]:22` (a bare address stays as it is). */
function hostOf(endpoint: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(endpoint);
  if (v6) return v6[1] as string;
  return endpoint.includes('.') ? endpoint.replace(/:\d+$/, '') : endpoint;
}

/**
 * The addresses of a packet from its trace summary (`src → dst …`): the VM's and the remote
 * host's, so the diagram's header names what the current packet carries, not the defaults.
 */
export function packetEnds(
  summary: string,
  fromVm: boolean,
): { vm: string; remote: string } | null {
  const m = /^(\S+) → (\S+)/.exec(summary);
  if (!m) return null;
  const src = hostOf(m[1] as string);
  const dst = hostOf(m[2] as string);
  return fromVm ? { vm: src, remote: dst } : { vm: dst, remote: src };
}

/** A conntrack state's badge in the diagram: the state's own colour and outline (see the legend). */
function StateBadge({ x, y, state }: { x: number; y: number; state: string }) {
  const kind = stateKind(state);
  return (
    <g className={`seq-badge ct-${kind}`}>
      <rect x={x} y={y} width={BADGE_W} height={17} rx={3} />
      <text x={x + BADGE_W / 2} y={y + 12.5} textAnchor="middle">
        {state}
      </text>
    </g>
  );
}

/**
 * VM | bridge host | remote host, one arrow per packet, coloured by verdict, and its conntrack
 * state as a badge in its own column. A dropped packet stops at the bridge with a cross. Each arrow is a button that
 * jumps to its packet; ←/→ on the diagram step through them.
 */
export function SequenceDiagram({
  result,
  current,
  onPick,
}: {
  result: SimResult;
  current: number;
  onPick(index: number): void;
}) {
  const steps = result.steps;
  const shown = steps[current];
  const ends = (shown && packetEnds(shown.trace.summary, shown.trace.side === 'from-vm')) ?? {
    vm: result.hosts.vm.ip,
    remote: result.hosts.remote.ip,
  };
  // A learning phase (rules rebuilt, lease expired…) takes a row of its own before its packet.
  const phases = result.phases ?? [];
  const rowOf = (i: number) => i + phases.filter((p) => p.step <= i).length;
  const height = TOP + (steps.length + phases.length) * ROW + 16;
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector(`[data-step="${current}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current]);
  return (
    <div
      ref={ref}
      className="seq-diagram"
      role="group"
      aria-label="Sequence diagram"
      tabIndex={0}
      onKeyDown={(e) => {
        if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
          e.preventDefault();
          onPick(Math.min(steps.length - 1, current + 1));
        } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
          e.preventDefault();
          onPick(Math.max(0, current - 1));
        } else if (e.key === 'Home') onPick(0);
        else if (e.key === 'End') onPick(steps.length - 1);
      }}
    >
      <svg
        width={WIDTH}
        height={height}
        viewBox={`0 0 ${WIDTH} ${height}`}
        // Scales down to its column (its aspect kept) to three quarters of its size; narrower
        // columns scroll, so the labels stay readable.
        style={{ minWidth: Math.round(WIDTH * 0.75), maxWidth: WIDTH }}
        aria-hidden="false"
      >
        <defs>
          {['accept', 'drop', 'reject', 'error'].map((v) => (
            <marker
              key={v}
              id={`arrow-${v}`}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" className={`seq-head seq-${v}`} />
            </marker>
          ))}
        </defs>
        <text x={VM_X} y={16} textAnchor="middle" className="seq-actor">
          VM {ends.vm}
        </text>
        <text x={BRIDGE_X} y={16} textAnchor="middle" className="seq-actor seq-actor-bridge">
          host bridge (vnet0)
        </text>
        <text x={REMOTE_X} y={16} textAnchor="middle" className="seq-actor">
          remote {ends.remote}
        </text>
        <text x={BADGE_X + BADGE_W / 2} y={16} textAnchor="middle" className="seq-actor">
          conntrack
        </text>
        {[VM_X, BRIDGE_X, REMOTE_X].map((x) => (
          <line
            key={x}
            x1={x}
            x2={x}
            y1={24}
            y2={height - 4}
            className={x === BRIDGE_X ? 'seq-life seq-life-bridge' : 'seq-life'}
          />
        ))}
        {phases.map((p, k) => {
          const y = TOP + (p.step + k) * ROW;
          return (
            <g key={`phase-${k}`} className={`seq-phase phase-${p.kind}`}>
              <title>{phaseText(p)}</title>
              <line x1={4} x2={LANES} y1={y - 4} y2={y - 4} className="seq-phase-line" />
              <text x={VM_X - 40} y={y - 8} className="seq-phase-text">
                {PHASE_LABEL[p.kind]}
                {p.addresses.length > 0 && p.kind !== 'expired' && p.kind !== 'ignored'
                  ? ` (IP=${p.addresses.join(',')})`
                  : ''}
              </text>
            </g>
          );
        })}
        {steps.map((s, i) => {
          const y = TOP + rowOf(i) * ROW;
          const fromVm = s.trace.side === 'from-vm';
          const x1 = fromVm ? VM_X : REMOTE_X;
          const passed = s.trace.verdict === 'accept';
          const x2 = passed ? (fromVm ? REMOTE_X : VM_X) : BRIDGE_X + (fromVm ? -6 : 6);
          const v = s.trace.verdict;
          const state = s.trace.ctstate ?? 'untracked';
          const name = `Packet ${i + 1}: ${s.label}, ${fromVm ? 'from the VM' : 'to the VM'}, ${state}, ${VERDICT_LABEL[v] ?? v}`;
          return (
            <g
              key={i}
              data-step={i}
              role="button"
              aria-label={name}
              aria-current={i === current ? 'step' : undefined}
              className={`seq-row seq-${v}${i === current ? ' is-current' : ''}`}
              onClick={() => onPick(i)}
            >
              <rect x={2} y={y - ROW + 8} width={WIDTH - 4} height={ROW} className="seq-hit" />
              <text x={8} y={y + 4} className="seq-num">
                {i + 1}
              </text>
              <line
                x1={x1}
                x2={x2}
                y1={y}
                y2={y}
                className="seq-arrow"
                markerEnd={passed ? `url(#arrow-${v})` : undefined}
              />
              {!passed && (
                <path
                  d={`M${x2 - 5},${y - 5} L${x2 + 5},${y + 5} M${x2 - 5},${y + 5} L${x2 + 5},${y - 5}`}
                  className="seq-cross"
                />
              )}
              <text x={(fromVm ? VM_X : BRIDGE_X) + 8} y={y - 4} className="seq-label">
                {s.label}
              </text>
              <StateBadge x={BADGE_X} y={y - 9} state={state} />
            </g>
          );
        })}
      </svg>
    </div>
  );
}
