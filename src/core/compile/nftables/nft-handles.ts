/**
 * The handles the kernel gives the objects of the exported `nft -f` script when it is loaded on a
 * host without the two tables (what `nft -a list ruleset` / `nft -j -a list ruleset` shows).
 *
 * Where they come from (net/netfilter/nf_tables_api.c): every chain, set (a map is a set), stateful
 * object, flowtable and rule of a table takes `nf_tables_alloc_handle(table)`, i.e.
 * `++table->hgenerator` — one counter per table, starting at 1, shared by all of them. A table's own
 * handle comes from one counter per network namespace that every table ever created there moved,
 * even in a batch that was then aborted (`nft -c -f` takes two), so it is not predicted here. The order is the order of nft's batch: nft expands
 * a `table { … }` block (`nft_cmd_expand`, src/cmd.c) into its chains (declaration order), its
 * objects, its sets and maps, its flowtables, and only then every chain's rules (chains in
 * declaration order, rules in order). A rule's anonymous set (`tcp flags & syn == { syn,ack }`) is a
 * set of the table too, added just before the rule, so it takes the number before the rule's —
 * unless nft turned it into a plain comparison: `optimize_singleton_set` (src/evaluate.c) does that
 * for a set of one value, prefix or range, never for the catch-all element `*`. Checked against the real kernel by
 * tests/nftables/nft-script.diff.test.ts for every corpus case and project filter.
 *
 * @packageDocumentation
 */
import type { NftChain, NftRule, NftRuleset, NftTable } from './ir';

/** The table's chains in the order the script declares them: interface chains (libvirt's creation order), then the base chains. */
export function nftScriptChains(t: NftTable): NftChain[] {
  const own = t.chains.filter((c) => c.kind !== 'base').sort((a, b) => a.seq - b.seq);
  return [...own, ...t.chains.filter((c) => c.kind === 'base')];
}

/**
 * Whether a base chain's map lookup has no IR rule: the verdict map holds no element for the port
 * (the drop-all learning rules), so the lookup is printed and numbered but never jumps.
 */
export function nftBareMapLookup(c: NftChain): boolean {
  return c.kind === 'base' && !c.rules.some((r) => r.viaMap !== null);
}

/** The table's sets and maps in the order the script declares them. */
export function nftScriptSets(t: NftTable): string[] {
  return [...(t.hasSameIpSet ? ['same-ip-set'] : []), ...t.maps.map((m) => m.name)];
}

/** Handles of one ruleset's objects once its script is loaded. */
export interface NftHandles {
  chains: Map<NftChain, number>;
  /** Per table name, then set or map name. */
  sets: Map<string, Map<string, number>>;
  rules: Map<NftRule, number>;
  /** A base chain's map lookup that has no IR rule ({@link nftBareMapLookup}). */
  lookups: Map<NftChain, number>;
}

/**
 * The handles the kernel assigns when {@link printNftScript}'s output for `rs` is loaded with
 * `nft -f` into a namespace with no nftables tables: within a table, chains first, then sets and
 * maps, then the rules chain by chain — each taking the table's next number.
 */
export function nftHandles(rs: NftRuleset): NftHandles {
  const out: NftHandles = {
    chains: new Map(),
    sets: new Map(),
    rules: new Map(),
    lookups: new Map(),
  };
  for (const t of rs.tables) {
    let next = 0;
    const chains = nftScriptChains(t);
    for (const c of chains) out.chains.set(c, ++next);
    const sets = new Map<string, number>();
    for (const s of nftScriptSets(t)) sets.set(s, ++next);
    out.sets.set(t.name, sets);
    for (const c of chains) {
      if (nftBareMapLookup(c)) out.lookups.set(c, ++next);
      for (const r of c.rules) {
        next += anonymousSets(r);
        out.rules.set(r, ++next);
      }
    }
  }
  return out;
}

/** How many anonymous sets nft creates for the rule (`{ … }` with several elements, or `{ * }`). */
function anonymousSets(r: NftRule): number {
  let n = 0;
  for (const m of r.matches) {
    const open = m.args.indexOf('{');
    if (open < 0) continue;
    const close = m.args.indexOf('}', open);
    const elements = m.args
      .slice(open + 1, close < 0 ? undefined : close)
      .join(' ')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (elements.length > 1 || elements.includes('*')) n++;
  }
  return n;
}
