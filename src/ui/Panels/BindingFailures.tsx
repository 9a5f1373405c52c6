import { RuleLink } from '../SimulatorPanel/TraceExplanation';
import type { BindingFailureView } from '../../core/sim';

/**
 * Why libvirt would refuse to bind the filter, each with a link to the rule (or filterref) that
 * causes it: on a host no rule of such a binding exists, so there is nothing to simulate or export.
 */
export function BindingFailures({ failures }: { failures: readonly BindingFailureView[] }) {
  if (failures.length === 0) return null;
  return (
    <div className="sim-problem binding-failures" role="alert" data-testid="binding-failures">
      <strong>libvirt cannot bind this filter</strong>: no rule of it would exist on a host.
      <ul>
        {failures.map((f, i) => (
          <li key={i}>
            <RuleLink entry={{ filter: f.filter, entryIndex: f.entryIndex }} /> {f.code}:{' '}
            {f.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
