/**
 * How the simulator executes the ebiptables ruleset: ebtables nat PREROUTING/POSTROUTING on the
 * bridge, iptables/ip6tables filter FORWARD and INPUT through br_netfilter.
 */
import { iptProtocolNumber, prepareMatch } from '../../netfilter/match-eval';
import type { BackendSim, DispatchKey, HookEntry, HookPoint } from '../backend';
import { tableKey } from '../ir';
import type { IrRule, IrTable, Match, Ruleset } from './ir';

const HOOKS: readonly {
  point: HookPoint;
  family: string;
  table: string;
  chain: string;
  label: string;
  priority?: number;
}[] = [
  {
    point: 'bridge-prerouting',
    family: 'ebtables',
    table: 'nat',
    chain: 'PREROUTING',
    label: 'ebtables nat PREROUTING',
    // NF_BR_PRI_NAT_DST_BRIDGED: before br_netfilter's IP header check.
    priority: -300,
  },
  {
    point: 'ipv4-forward',
    family: 'iptables',
    table: 'filter',
    chain: 'FORWARD',
    label: 'FORWARD',
  },
  { point: 'ipv4-input', family: 'iptables', table: 'filter', chain: 'INPUT', label: 'INPUT' },
  {
    point: 'ipv6-forward',
    family: 'ip6tables',
    table: 'filter',
    chain: 'FORWARD',
    label: 'FORWARD',
  },
  { point: 'ipv6-input', family: 'ip6tables', table: 'filter', chain: 'INPUT', label: 'INPUT' },
  {
    point: 'bridge-postrouting',
    family: 'ebtables',
    table: 'nat',
    chain: 'POSTROUTING',
    label: 'ebtables nat POSTROUTING',
  },
];

/** The simulator's view of the ebiptables backend. */
export const ebiptablesSim: BackendSim<Match> = {
  // The built-in chains exist whether or not libvirt added rules to them: traces show each hook.
  hooks(): HookEntry[] {
    return HOOKS.map((h) => ({
      point: h.point,
      table: tableKey({ family: h.family, name: h.table }),
      chain: h.chain,
      label: h.label,
      ...(h.priority !== undefined ? { priority: h.priority } : {}),
    }));
  },
  tableTraits(table: IrTable) {
    const l2 = table.family === 'ebtables';
    return { layer: l2 ? 'l2' : 'l3', rejectIsDrop: l2 };
  },
  prepareMatch,
  dispatchKey(m: Match): DispatchKey | null {
    if (m.kind === 'eb-proto') return m.negated ? null : { field: 'proto', value: m.ethertype };
    if (m.kind === 'ipt-proto') {
      const n = iptProtocolNumber(m.proto);
      return n !== undefined && n !== 0 ? { field: 'proto', value: n } : null;
    }
    if (m.kind === 'ipt-port' && !m.negated && m.range.lo >= 0 && m.range.lo <= m.range.hi)
      return { field: m.field, lo: m.range.lo, hi: m.range.hi };
    return null;
  },
  hasSideEffects: (m: Match) => m.kind === 'ipt-connlimit',
  conntrackUsers(ruleset: Ruleset) {
    const out = { ipv4: false, ipv6: false };
    for (const t of ruleset.tables) {
      if (t.family === 'ebtables') continue;
      const uses = t.chains.some((c) =>
        c.rules.some((r) =>
          r.matches.some(
            (m) => m.kind === 'ipt-ctstate' || m.kind === 'ipt-ctdir' || m.kind === 'ipt-connlimit',
          ),
        ),
      );
      if (uses && t.family === 'iptables') out.ipv4 = true;
      if (uses && t.family === 'ip6tables') out.ipv6 = true;
    }
    return out;
  },
  targetText(r: IrRule): string {
    return r.target.kind === 'verdict'
      ? r.target.verdict
      : `${r.target.kind === 'jump' ? '-j' : '-g'} ${r.target.chain}`;
  },
};
