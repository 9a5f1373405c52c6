/**
 * What the host must have for libvirt to bind a filter: every ipset an iptables rule names.
 * iptables refuses `-m set --match-set NAME` for a set the host lacks ("Set NAME doesn't
 * exist"), and libvirt then rolls the whole binding back (tests/libvirt-diff/README.md: the
 * suite creates its sets first for that reason), so no rule of the filter is installed.
 */
import type { AnyRuleset, Provenance } from '../compile/ir';

/** A rule naming a set the host does not have. */
export interface MissingIpset {
  set: string;
  provenance: Provenance;
}

/** The XML rules whose compiled iptables rules name an ipset missing from `ipsets`, once each. */
export function findMissingIpsets(
  ruleset: AnyRuleset,
  ipsets: Readonly<Record<string, unknown>>,
): MissingIpset[] {
  const out: MissingIpset[] = [];
  const seen = new Set<string>();
  for (const table of ruleset.tables)
    for (const chain of table.chains)
      for (const rule of chain.rules) {
        if (!rule.provenance) continue;
        for (const m of rule.matches as { kind?: unknown; set?: unknown }[]) {
          if (m.kind !== 'ipt-set' || typeof m.set !== 'string' || Object.hasOwn(ipsets, m.set))
            continue;
          const key = `${m.set}\u0000${rule.provenance.filter}\u0000${rule.provenance.ruleIndex}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ set: m.set, provenance: rule.provenance });
        }
      }
  return out;
}

/** The one-line reason a binding with that rule cannot exist. */
export function describeMissingIpset(m: MissingIpset): string {
  return `the host has no ipset '${m.set}' (rule ${m.provenance.ruleIndex + 1} of filter '${m.provenance.filter}' matches it): iptables refuses the rule ("Set ${m.set} doesn't exist") and libvirt rolls the whole binding back — none of the filter's rules would be installed. Create the set first (ipset create ${m.set} …), or add it to the host profile's ipsets.`;
}
