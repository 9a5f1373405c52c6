import type { Netns } from './netns-pool';

/** The three rule sets compared, by the tool that prints them. */
export const FAMILIES = ['iptables', 'ip6tables', 'ebtables'] as const;
export type Family = (typeof FAMILIES)[number];
export type FirewallDump = Record<Family, string>;

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

interface Table {
  name: string;
  /** chain → policy ("ACCEPT", "-", …) without counters, in declaration order. */
  chains: Map<string, string>;
  /** chain → its rules (the text after `-A CHAIN `), in order. */
  rules: Map<string, string[]>;
}

/**
 * Canonical text of one `*-save` dump. Only what carries no meaning is removed:
 * - `#` header/footer lines (tool version, timestamps) and `COMMIT`;
 * - packet/byte counters on chain declarations;
 * - the order in which tables and user chains are listed (creation order, not semantics):
 *   tables sort by name, built-in chains keep their order, user chains sort by name, and each
 *   chain's rules follow its declaration, in their original (meaningful) order;
 * - tables that hold nothing: only built-in chains, policy ACCEPT, no rules (the same as no
 *   table; the nft backends create one as a side effect of a failed `-D` or a listing).
 * A rule whose text spans lines (a comment with a newline) stays one rule.
 */
export function normaliseDump(text: string): string {
  const tables: Table[] = [];
  let cur: Table | undefined;
  let last: { chain: string; index: number } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '' || line === 'COMMIT') {
      if (line !== '') last = undefined;
      continue;
    }
    if (line.startsWith('*')) {
      cur = { name: line.slice(1).trim(), chains: new Map(), rules: new Map() };
      tables.push(cur);
      last = undefined;
      continue;
    }
    if (!cur) throw new Error(`rule outside a table: ${line}`);
    const decl = /^:(\S+) (\S+)(?: \[\d+:\d+\])?$/.exec(line);
    if (decl?.[1] && decl[2]) {
      cur.chains.set(decl[1], decl[2]);
      last = undefined;
      continue;
    }
    const rule = /^(?:\[\d+:\d+\] )?-A (\S+) ?([\s\S]*)$/.exec(line);
    if (rule?.[1] !== undefined) {
      const list = cur.rules.get(rule[1]) ?? [];
      list.push(rule[2] ?? '');
      cur.rules.set(rule[1], list);
      last = { chain: rule[1], index: list.length - 1 };
      continue;
    }
    if (last) {
      const list = cur.rules.get(last.chain);
      if (list) list[last.index] = `${list[last.index] ?? ''}\n${line}`;
      continue;
    }
    throw new Error(`unexpected line in dump: ${JSON.stringify(line)}`);
  }
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
