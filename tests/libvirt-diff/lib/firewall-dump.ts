import { parseSaveDump, SAVE_FAMILIES } from '../../../src/core/drift';
import type { SaveDumps, SaveFamily } from '../../../src/core/drift';
import type { Netns } from './netns-pool';

/** The three rule sets compared, by the tool that prints them: drift's, read by drift's parser. */
export const FAMILIES = SAVE_FAMILIES;
export type Family = SaveFamily;
export type FirewallDump = SaveDumps;

/** Takes `iptables-save`, `ip6tables-save` and `ebtables-save` inside a namespace. */
export async function dumpFirewall(ns: Netns): Promise<FirewallDump> {
  const [iptables, ip6tables, ebtables] = await Promise.all([
    ns.exec('iptables-save', []),
    ns.exec('ip6tables-save', []),
    ns.exec('ebtables-save', []),
  ]);
  return { iptables: iptables.stdout, ip6tables: ip6tables.stdout, ebtables: ebtables.stdout };
}

const BUILTIN_CHAINS = new Set([
  'INPUT',
  'FORWARD',
  'OUTPUT',
  'PREROUTING',
  'POSTROUTING',
  'BROUTING',
]);

/**
 * Canonical text of one `*-save` dump, as read by drift's parser (no headers, footers or
 * counters; a rule whose text spans lines stays one rule). What else carries no meaning goes too:
 * - the order in which tables and user chains are listed (creation order, not semantics):
 *   tables sort by name, built-in chains keep their order, user chains sort by name, and each
 *   chain's rules follow its declaration, in their original (meaningful) order;
 * - tables that hold nothing: only built-in chains, policy ACCEPT, no rules (the same as no
 *   table; the nft backends create one as a side effect of a failed `-D` or a listing).
 */
export function normaliseDump(text: string): string {
  const tables = parseSaveDump(text);
  if ('error' in tables) throw new Error(`line ${tables.line} of the dump: ${tables.error}`);
  const out: string[] = [];
  for (const t of [...tables].sort((a, b) => cmp(a.name, b.name))) {
    const chains = [...t.chains.keys()];
    const builtin = chains.filter((c) => BUILTIN_CHAINS.has(c));
    const user = chains.filter((c) => !BUILTIN_CHAINS.has(c)).sort(cmp);
    const hasRules = [...t.rules.values()].some((l) => l.length > 0);
    if (user.length === 0 && !hasRules && builtin.every((c) => t.chains.get(c) === 'ACCEPT'))
      continue;
    out.push(`*${t.name}`);
    for (const c of [...builtin, ...user]) out.push(`:${c} ${t.chains.get(c)}`);
    const ruleChains = [
      ...builtin,
      ...user,
      ...[...t.rules.keys()].filter((c) => !t.chains.has(c)).sort(cmp),
    ];
    for (const c of ruleChains)
      for (const r of t.rules.get(c) ?? []) out.push(`-A ${c}${r === '' ? '' : ' ' + r}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
