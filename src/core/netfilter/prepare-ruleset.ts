/**
 * Prepares a Ruleset IR for execution: every match compiled to a predicate
 * (header matches first, as ip_tables evaluates the IP header before the
 * extension matches; this only matters for side-effecting matches such as
 * connlimit), chains indexed by name, per-rule counters.
 */
import type { IrChain, IrRule, IrTable, Ruleset, TableFamily } from '../compile/ir';
import type { IpsetSpec, Predicate } from './match-eval';
import { prepareMatch } from './match-eval';

export interface PreparedRule {
  ir: IrRule;
  /** Index in its chain (0-based). */
  index: number;
  chain: string;
  family: TableFamily;
  /** Key used for per-rule state (connlimit) and counters: `family/chain/index`. */
  key: string;
  preds: Predicate[];
  /** Set when a match cannot be interpreted: the packet reaching this rule is reported, not guessed. */
  unsupported: string | null;
  packets: number;
  bytes: number;
}

export interface PreparedChain {
  ir: IrChain;
  rules: PreparedRule[];
}

export interface PreparedTable {
  ir: IrTable;
  chains: Map<string, PreparedChain>;
}

export interface PreparedRuleset {
  ir: Ruleset;
  /** By `family/table`: `ebtables/nat`, `iptables/filter`, `ip6tables/filter`. */
  tables: Map<string, PreparedTable>;
}

/** Compiles the ruleset's matches once; `ipsets` are the host's sets for `-m set`. */
export function prepareRuleset(ruleset: Ruleset, ipsets: Record<string, IpsetSpec> = {}): PreparedRuleset {
  const tables = new Map<string, PreparedTable>();
  for (const t of ruleset.tables) {
    const chains = new Map<string, PreparedChain>();
    for (const c of t.chains) {
      const rules = c.rules.map((r, index): PreparedRule => {
        const preds: Predicate[] = [];
        const tail: Predicate[] = [];
        let unsupported: string | null = null;
        for (const m of r.matches) {
          const p = prepareMatch(m, ipsets);
          if (!p.ok) {
            unsupported ??= p.unsupported;
            continue;
          }
          (p.header ? preds : tail).push(p.pred);
        }
        return { ir: r, index, chain: c.name, family: t.family, key: `${t.family}/${c.name}/${index}`, preds: [...preds, ...tail], unsupported, packets: 0, bytes: 0 };
      });
      chains.set(c.name, { ir: c, rules });
    }
    tables.set(`${t.family}/${t.name}`, { ir: t, chains });
  }
  return { ir: ruleset, tables };
}

/** Resets every rule counter to zero. */
export function resetCounters(p: PreparedRuleset): void {
  for (const t of p.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) {
    r.packets = 0;
    r.bytes = 0;
  }
}
