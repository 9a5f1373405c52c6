/** The conntrack states the diagram tells apart, and what each means for a packet. */
const STATES = [
  { kind: 'new', name: 'NEW', meaning: 'starts a connection' },
  { kind: 'established', name: 'ESTABLISHED', meaning: 'belongs to one both sides have used' },
  { kind: 'related', name: 'RELATED', meaning: 'expected by a helper, or an ICMP error' },
  { kind: 'invalid', name: 'INVALID', meaning: 'conntrack cannot place it' },
  { kind: 'untracked', name: 'untracked', meaning: 'not seen by conntrack' },
] as const;

export type StateKind = (typeof STATES)[number]['kind'];

/** The badge style of a state name (`ESTABLISHED` → `established`; anything else untracked). */
export function stateKind(state: string): StateKind {
  const kind = state.toLowerCase();
  return STATES.find((s) => s.kind === kind)?.kind ?? 'untracked';
}

/**
 * The key to the diagram's state badges. Each state differs by more than its hue (Okabe–Ito
 * colours, safe for colour-blind readers): filled or outlined, solid, dashed or dotted edge.
 */
export function StateLegend() {
  return (
    <ul className="ct-legend" aria-label="Conntrack states">
      {STATES.map((s) => (
        <li key={s.kind}>
          <span className={`ct-badge ct-${s.kind}`}>{s.name}</span> {s.meaning}
        </li>
      ))}
    </ul>
  );
}
