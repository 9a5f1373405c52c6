/**
 * What the host must have for libvirt to bind a filter: every ipset an iptables rule names.
 * iptables refuses `-m set --match-set NAME` for a set the host lacks ("Set NAME doesn't
 * exist"), and libvirt then rolls the whole binding back (tests/libvirt-diff/README.md: the
 * suite creates its sets first for that reason), so no rule of the filter is installed.
 */
import type { AnyRuleset, Provenance } from '../compile/ir';
import type { Diagnostic } from '../model/types';

/** The code of a rule naming an ipset the host lacks (lint, compile and simulate report it). */
export const IPSET_MISSING_CODE = 'NWF520';

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

/** A rule the host's kernel refuses for lack of a module (nftables `ct` in a bridge table). */
export interface MissingKernelFeature {
  module: 'nf_conntrack_bridge';
  /** The expression the kernel refuses (`ct state`, `ct direction`, `ct count`). */
  expression: string;
  provenance: Provenance;
}

/**
 * The XML rules whose compiled nftables rules need `nf_conntrack_bridge` on a host without it,
 * once each. Every `ct` expression in a `bridge` table calls `nf_ct_netns_get(net, NFPROTO_BRIDGE)`
 * when the rule is added, which fails with EPROTO when the module does not exist ("Could not
 * process rule: Protocol error", KERNEL-FACTS N1): libvirt's driver cannot apply the filter.
 */
export function findMissingKernelFeatures(
  ruleset: AnyRuleset,
  host: { nfConntrackBridge?: boolean },
): MissingKernelFeature[] {
  if (host.nfConntrackBridge !== false) return [];
  const out: MissingKernelFeature[] = [];
  const seen = new Set<string>();
  for (const table of ruleset.tables) {
    if (table.family !== 'bridge') continue;
    for (const chain of table.chains)
      for (const rule of chain.rules) {
        if (!rule.provenance) continue;
        const ct = (rule.matches as { selector?: unknown }[]).find(
          (m) => typeof m.selector === 'string' && m.selector.startsWith('ct '),
        );
        if (!ct) continue;
        const key = `${rule.provenance.filter}\u0000${rule.provenance.ruleIndex}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          module: 'nf_conntrack_bridge',
          expression: ct.selector as string,
          provenance: rule.provenance,
        });
      }
  }
  return out;
}

/** The one-line reason the host cannot install that rule. */
export function describeMissingKernelFeature(m: MissingKernelFeature): string {
  return `the host's kernel has no ${m.module} (CONFIG_NF_CONNTRACK_BRIDGE): rule ${m.provenance.ruleIndex + 1} of filter '${m.provenance.filter}' becomes '${m.expression} …' in a bridge table, which the kernel refuses ("Could not process rule: Protocol error"), so libvirt's nftables driver cannot apply the filter and none of its rules would be installed. Load the module (modprobe nf_conntrack_bridge) or use a kernel built with it.`;
}

/**
 * A missing set as an error diagnostic at the rule that names it (`entry`; line and column 1:1,
 * as instantiation diagnostics are), for `compile` and `simulate` to print where the rule is.
 */
export function missingIpsetDiagnostic(m: MissingIpset): Diagnostic {
  return {
    code: IPSET_MISSING_CODE,
    severity: 'error',
    message: describeMissingIpset(m),
    line: 1,
    column: 1,
    entry: {
      filter: m.provenance.filter,
      entryIndex: m.provenance.entryIndex,
      ruleIndex: m.provenance.ruleIndex,
    },
  };
}
