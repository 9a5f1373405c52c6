/**
 * Prepares a backend's ruleset IR for execution: every match compiled to a
 * predicate by the backend (header matches first, as ip_tables evaluates the
 * IP header before the extension matches; this only matters for
 * side-effecting matches such as connlimit), chains indexed by name, jump
 * targets resolved, per-rule counters, and a dispatch index per long chain
 * for the no-trace walk.
 */
import type { BackendSim, DispatchKind, TableTraits } from '../compile/backend';
import { backendOf } from '../compile/backends';
import type { AnyIrRule, AnyRuleset, IrChainOf, IrTableOf, Provenance } from '../compile/ir';
import { tableKey } from '../compile/ir';
import type { RuleDirection } from '../model/types';
import { DispatchIndex } from './dispatch-index';
import type { RuleKeyConstraint } from './dispatch-index';
import type { IpsetSpec, Predicate } from './match-eval';

/** The XML rule a verdict points at (as in the CLI's JSON output). */
export interface RuleRef {
  filter: string;
  index: number;
  priority: number;
  direction: RuleDirection;
}

/** What a matching rule does, as a number the walk switches on (`OP_*`). */
export type TargetOp = 0 | 1 | 2 | 3 | 4 | 5 | 6;
export const OP_ACCEPT = 0;
export const OP_DROP = 1;
export const OP_REJECT = 2;
export const OP_CONTINUE = 3;
export const OP_RETURN = 4;
export const OP_JUMP = 5;
export const OP_GOTO = 6;

/** Where a compiled rule sits, with the handle the kernel gives it (backends with handles only). */
export interface RuleSite {
  /** The table's key (`bridge/libvirt_nwfilter_inet`). */
  table: string;
  chain: string;
  handle: number;
}

export interface PreparedRule {
  ir: AnyIrRule;
  /** Index in its chain (0-based). */
  index: number;
  chain: string;
  family: string;
  /** Key used for per-rule state (connlimit) and counters: `family/chain/index`. */
  key: string;
  /**
   * Whether the rule has a side-effecting match (connlimit): the only predicates that read
   * `MatchContext.ruleKey` (per-rule counts) and that can set `MatchContext.hotdrop`.
   */
  connlimit: boolean;
  preds: Predicate[];
  /**
   * The predicates the no-trace walk evaluates: `preds` without the header tests the chain's
   * dispatch index already decided (the same array when nothing is indexed).
   */
  fastPreds: Predicate[];
  /** The header constraints the dispatch index keys this rule by. */
  constraint: RuleKeyConstraint;
  /** Set when a match cannot be interpreted: the packet reaching this rule is reported, not guessed. */
  unsupported: string | null;
  op: TargetOp;
  /** Jump/goto target in the same table; null when the chain does not exist (an error when reached). */
  targetChain: PreparedChain | null;
  /** The XML rule behind this one, built once and shared by the visits that show it. */
  ref: RuleRef | null;
  /** The target as traces show it (`ACCEPT`, `RETURN`, `-j CHAIN`, `-g CHAIN`). */
  targetText: string;
  packets: number;
  bytes: number;
  /** The rule's table, chain and kernel handle when its backend has handles (nftables); else null. Shared by every trace. */
  site: RuleSite | null;
}

export interface PreparedChain {
  ir: IrChainOf<unknown>;
  rules: PreparedRule[];
  /** Candidate lists for the no-trace walk; null for short chains (walked linearly). */
  index: DispatchIndex | null;
  /** Every rule index in order: the candidate list of a chain without an index. */
  all: Int32Array;
}

export interface PreparedTable {
  ir: IrTableOf<unknown>;
  traits: TableTraits;
  chains: Map<string, PreparedChain>;
}

export interface PreparedRuleset {
  ir: AnyRuleset;
  /** The backend's execution rules. */
  sim: BackendSim<unknown>;
  /** By `family/table` (`ebtables/nat`, `iptables/filter`, …; see `tableKey`). */
  tables: Map<string, PreparedTable>;
}

/**
 * Chains shorter than this are walked linearly even without traces: a candidate lookup (two
 * binary searches and a Map probe) costs about as much as a few rule visits.
 */
const MIN_INDEXED_CHAIN = 8;

/**
 * Which of a rule's matches the dispatch index can decide: the first exact key of each field the
 * backend offers (EtherType or upper protocol, one `--dport` and one `--sport` range). Returns
 * the constraint and the matches it covers. A port key that also requires an upper protocol
 * (nft's `tcp dport`) constrains the rule in any case, but covers its match only when the rule's
 * protocol key is that protocol.
 */
function keyConstraint(
  sim: BackendSim<unknown>,
  matches: readonly unknown[],
  unsupported: boolean,
  kind: DispatchKind,
): { constraint: RuleKeyConstraint; covered: Set<unknown> } {
  const constraint: RuleKeyConstraint = {
    always: true,
    proto: -1,
    dportLo: -1,
    dportHi: -1,
    sportLo: -1,
    sportHi: -1,
  };
  const covered = new Set<unknown>();
  if (unsupported || matches.some((m) => sim.hasSideEffects(m))) return { constraint, covered };
  constraint.always = false;
  const keys = matches.map((m) => sim.dispatchKey(m, kind));
  matches.forEach((m, i) => {
    const key = keys[i];
    if (key?.field === 'proto' && key.implied !== true && constraint.proto < 0) {
      constraint.proto = key.value;
      covered.add(m);
    }
  });
  // No exact protocol test: one a match needs anyway (its dependency) still keys the rule.
  for (const key of keys) {
    if (constraint.proto >= 0) break;
    if (key?.field === 'proto') constraint.proto = key.value;
    else if (key?.proto !== undefined) constraint.proto = key.proto;
  }
  matches.forEach((m, i) => {
    const key = keys[i];
    if (!key || key.field === 'proto') return;
    const whole = key.proto === undefined || key.proto === constraint.proto;
    if (key.field === 'dport') {
      if (constraint.dportLo < 0) {
        constraint.dportLo = key.lo;
        constraint.dportHi = key.hi;
        if (whole) covered.add(m);
      }
    } else if (constraint.sportLo < 0) {
      constraint.sportLo = key.lo;
      constraint.sportHi = key.hi;
      if (whole) covered.add(m);
    }
  });
  return { constraint, covered };
}

/** What a table's dispatch index keys by (its traits' choice, else by its layer). */
export function dispatchKindOf(traits: TableTraits): DispatchKind {
  return traits.dispatch ?? (traits.layer === 'l2' ? 'ethertype' : 'l4');
}

function opOf(r: AnyIrRule): TargetOp {
  const t = r.target;
  if (t.kind === 'jump') return OP_JUMP;
  if (t.kind === 'goto') return OP_GOTO;
  switch (t.verdict) {
    case 'ACCEPT':
      return OP_ACCEPT;
    case 'DROP':
      return OP_DROP;
    case 'REJECT':
      return OP_REJECT;
    case 'CONTINUE':
      return OP_CONTINUE;
    case 'RETURN':
      return OP_RETURN;
  }
}

function refOf(p: Provenance | null): RuleRef | null {
  return p
    ? { filter: p.filter, index: p.ruleIndex, priority: p.priority, direction: p.direction }
    : null;
}

function siteOf(
  handles: ReadonlyMap<unknown, number> | null,
  rule: AnyIrRule,
  table: string,
  chain: string,
): RuleSite | null {
  const handle = handles?.get(rule);
  return handle === undefined ? null : { table, chain, handle };
}

/** Compiles the ruleset's matches once, through its backend; `ipsets` are the host's sets for `-m set`. */
export function prepareRuleset(
  ruleset: AnyRuleset,
  ipsets: Record<string, IpsetSpec> = {},
): PreparedRuleset {
  const sim = backendOf(ruleset).sim;
  const tables = new Map<string, PreparedTable>();
  const handles = sim.ruleHandles?.(ruleset) ?? null;
  for (const t of ruleset.tables) {
    const tkey = tableKey(t);
    const traits = sim.tableTraits(t);
    const kind = dispatchKindOf(traits);
    const chains = new Map<string, PreparedChain>();
    for (const c of t.chains) {
      const rules = c.rules.map((r, index): PreparedRule => {
        const head: Predicate[] = [];
        const tail: Predicate[] = [];
        const fastHead: Predicate[] = [];
        const fastTail: Predicate[] = [];
        let unsupported: string | null = null;
        const ready = r.matches.map((m) => sim.prepareMatch(m, ipsets));
        for (const p of ready) if (!p.ok) unsupported ??= p.unsupported;
        const { constraint, covered } = keyConstraint(sim, r.matches, unsupported !== null, kind);
        r.matches.forEach((m, i) => {
          const p = ready[i];
          if (!p?.ok) return;
          (p.header ? head : tail).push(p.pred);
          if (!covered.has(m)) (p.header ? fastHead : fastTail).push(p.pred);
        });
        const preds = [...head, ...tail];
        return {
          ir: r,
          index,
          chain: c.name,
          family: t.family,
          key: `${t.family}/${c.name}/${index}`,
          connlimit: r.matches.some((m) => sim.hasSideEffects(m)),
          preds,
          fastPreds: covered.size === 0 ? preds : [...fastHead, ...fastTail],
          constraint,
          unsupported,
          op: opOf(r),
          targetChain: null,
          ref: refOf(r.provenance),
          targetText: sim.targetText(r),
          packets: 0,
          bytes: 0,
          site: siteOf(handles, r, tkey, c.name),
        };
      });
      const keyed = rules.some(
        (r) => r.constraint.proto >= 0 || r.constraint.dportLo >= 0 || r.constraint.sportLo >= 0,
      );
      const index =
        keyed && rules.length >= MIN_INDEXED_CHAIN
          ? new DispatchIndex(rules.map((r) => r.constraint))
          : null;
      // Without an index nothing decides a rule's header tests beforehand: the walk evaluates them all.
      if (index === null) for (const r of rules) r.fastPreds = r.preds;
      chains.set(c.name, { ir: c, rules, index, all: Int32Array.from(rules, (_, i) => i) });
    }
    for (const c of chains.values()) {
      for (const r of c.rules) {
        const target = r.ir.target;
        if (target.kind !== 'verdict') r.targetChain = chains.get(target.chain) ?? null;
      }
    }
    tables.set(tkey, { ir: t, traits, chains });
  }
  return { ir: ruleset, sim, tables };
}

/** Resets every rule counter to zero. */
export function resetCounters(p: PreparedRuleset): void {
  for (const t of p.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules) {
        r.packets = 0;
        r.bytes = 0;
      }
}
