import type { SimResult } from '../../core/sim';
import { phaseText } from '../../core/sim';

/**
 * IP learning on the run's timeline: the rules in force while libvirt learns the VM's address,
 * the packet that taught it, the rebuild, leases that end. Each phase names the packet it comes
 * before; its button moves to that packet.
 */
export function LearningTimeline({
  result,
  onPick,
}: {
  result: SimResult;
  onPick(index: number): void;
}) {
  const phases = result.phases;
  if (!result.learning || !phases) return null;
  return (
    <section className="learning-timeline" aria-label="IP learning">
      <h4>
        IP learning{' '}
        <span className="muted small">
          (the binding has no IP; CTRL_IP_LEARNING={result.learning.mode}
          {result.learning.dhcpServers.length > 0
            ? `, DHCPSERVER=${result.learning.dhcpServers.join(' ')}`
            : ''}
          )
        </span>
      </h4>
      <ol>
        {phases.map((p, i) => (
          <li key={i} className={`learning-phase phase-${p.kind}`}>
            <button
              type="button"
              className="link-button"
              disabled={p.step >= result.steps.length}
              onClick={() => onPick(p.step)}
              aria-label={`Go to packet ${p.step + 1}`}
            >
              before packet {p.step + 1}
            </button>{' '}
            {phaseText(p)}
          </li>
        ))}
      </ol>
    </section>
  );
}
