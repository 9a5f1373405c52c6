/**
 * What every backend's ruleset IR has in common: tables ▸ chains ▸ rules, each rule a list of
 * backend-specific matches, a target and its XML provenance. The simulator walks this shape and
 * asks the backend ({@link BackendSim}) what a match means, which base chains sit at which hook
 * and how a table counts and rejects; nothing downstream knows a backend's table names.
 *
 * @packageDocumentation
 */

import type { Provenance } from '../instantiate/types';

export type { Provenance } from '../instantiate/types';

/**
 * What happens when a rule matches.
 * - `verdict`: a terminal or flow verdict. `CONTINUE` means "go on with the next rule";
 *   `RETURN` returns to the calling chain (or applies the policy in a base chain).
 * - `jump` (`-j CHAIN`, nft `jump`): call a chain; when it returns, continue after this rule.
 * - `goto` (`-g CHAIN`, nft `goto`): go to a chain; its RETURN returns to the caller of this chain.
 */
export type Target =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'RETURN' | 'CONTINUE' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string };

/** One rule of a chain; `M` is the backend's match type. */
export interface IrRuleOf<M> {
  /** All must match, in order. */
  matches: M[];
  target: Target;
  /** The XML rule it came from; null for the backend's structural rules (links, sub-chain jumps). */
  provenance: Provenance | null;
  /** Position in the backend's emission order within the table (unique per table, ascending). */
  seq: number;
}

/** A chain: falling off its end returns to the caller (a base chain ends in the host's policy, ACCEPT). */
export interface IrChainOf<M> {
  /** The name it is installed under, unique in its table; jump targets name it. */
  name: string;
  rules: IrRuleOf<M>[];
}

/** One table; `family/name` (`ebtables/nat`, `bridge/libvirt_nwfilter_inet`) is its key in traces and counters. */
export interface IrTableOf<M> {
  family: string;
  name: string;
  chains: IrChainOf<M>[];
}

/** A backend's complete ruleset for one interface. */
export interface RulesetOf<M> {
  /** The {@link Backend} that compiled it (`ebiptables`, `nftables`): the simulator asks it what the matches mean. */
  backend: string;
  iface: string;
  tables: IrTableOf<M>[];
}

/** A ruleset of any backend, as the simulator and the UI pass it around. */
export type AnyRuleset = RulesetOf<unknown>;
/** A rule of any backend. */
export type AnyIrRule = IrRuleOf<unknown>;

/** The key of a table in traces, counters and hook entries: `family/name`. */
export function tableKey(table: { family: string; name: string }): string {
  return `${table.family}/${table.name}`;
}
