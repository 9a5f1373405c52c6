import type {
  IrChain,
  IrRule,
  IrTable,
  Match,
  Provenance,
  Ruleset,
} from '../compile/ebiptables/ir';
import { matchesContain } from './match-constraints';

/** An XML rule none of whose compiled rules can ever match, with the earlier rules that decide first. */
export interface UnreachableRule {
  /** Provenance of one compiled rule of the unreachable XML rule. */
  rule: Provenance;
  /** The earlier rules that take every packet first (one per compiled rule, deduplicated). */
  coveredBy: Provenance[];
}

/** A rule that may take a packet before a later one, with the matches a packet meets on the way to it. */
interface Candidate {
  rule: IrRule;
  effective: Match[];
}

function isVerdict(r: IrRule, verdicts: readonly string[]): boolean {
  return r.target.kind === 'verdict' && verdicts.includes(r.target.verdict);
}

/** A provenance whose bindings hold a placeholder stands for unknown values: it proves nothing. */
function isConcrete(p: Provenance | null): p is Provenance {
  return p !== null && !Object.values(p.bindings).some((v) => v.startsWith('$'));
}

/** Rules of `chain` before `index` that end the chain's evaluation for a packet they match. */
function sameChainCandidates(chain: IrChain, index: number, prefix: readonly Match[]): Candidate[] {
  const out: Candidate[] = [];
  for (let j = 0; j < index; j++) {
    const r = chain.rules[j] as IrRule;
    // ACCEPT/DROP/REJECT end the table; RETURN ends this chain: either way no later rule here sees the packet.
    if (isVerdict(r, ['ACCEPT', 'DROP', 'REJECT', 'RETURN']) && isConcrete(r.provenance)) {
      out.push({ rule: r, effective: [...prefix, ...r.matches] });
    }
  }
  return out;
}

function findCover(candidates: readonly Candidate[], later: readonly Match[]): IrRule | null {
  for (const c of candidates) if (matchesContain(c.effective, later)) return c.rule;
  return null;
}

/** Per compiled rule with provenance: the earlier rule that provably takes all its packets, or null. */
function coverOfEachRule(table: IrTable): { rule: IrRule; cover: IrRule | null }[] {
  const out: { rule: IrRule; cover: IrRule | null }[] = [];
  if (table.family !== 'ebtables') {
    for (const chain of table.chains) {
      if (chain.kind !== 'iface-root') continue;
      chain.rules.forEach((rule, i) => {
        if (!rule.provenance) return;
        out.push({ rule, cover: findCover(sameChainCandidates(chain, i, []), rule.matches) });
      });
    }
    return out;
  }
  for (const root of table.chains.filter((c) => c.kind === 'iface-root')) {
    root.rules.forEach((rule, i) => {
      if (!rule.provenance) return;
      out.push({ rule, cover: findCover(sameChainCandidates(root, i, []), rule.matches) });
    });
    // Sub chains are entered by a protocol-selecting jump from the root chain.
    const jumps = root.rules
      .map((r, index) => ({ r, index }))
      .filter(({ r }) => r.target.kind === 'jump' && r.provenance === null);
    for (const { r: jump, index: jumpIndex } of jumps) {
      const sub = table.chains.find(
        (c) => jump.target.kind === 'jump' && c.name === jump.target.chain,
      );
      if (!sub) continue;
      const before: Candidate[] = sameChainCandidates(root, jumpIndex, []);
      // A terminal rule of an earlier sub chain decides for packets that reach it: only when no
      // RETURN before it in that chain can hand them back to the root chain.
      for (const { r: other, index: otherIndex } of jumps) {
        if (otherIndex >= jumpIndex || other.target.kind !== 'jump') continue;
        const otherName = other.target.chain;
        const otherChain = table.chains.find((c) => c.name === otherName);
        if (!otherChain) continue;
        for (const r of otherChain.rules) {
          if (isVerdict(r, ['RETURN'])) break;
          if (isVerdict(r, ['ACCEPT', 'DROP', 'REJECT']) && isConcrete(r.provenance)) {
            before.push({ rule: r, effective: [...other.matches, ...r.matches] });
          }
        }
      }
      sub.rules.forEach((rule, i) => {
        if (!rule.provenance) return;
        const later = [...jump.matches, ...rule.matches];
        const cands = [...before, ...sameChainCandidates(sub, i, jump.matches)];
        out.push({ rule, cover: findCover(cands, later) });
      });
    }
  }
  return out;
}

function provKey(p: Provenance): string {
  return `${p.filter}\u0000${p.ruleIndex}`;
}

/**
 * XML rules that can never match because, for every rule they compile to, an earlier rule in
 * libvirt's evaluation order (the compiled chains: root chain, protocol sub chains by priority,
 * rules by priority) provably matches every packet it would match and ends the evaluation
 * (accept, drop, reject, or a return that leaves the chain). Containment is checked field by field
 * (addresses with masks, ranges, negation, conntrack state sets); ipsets, connlimit, TCP options
 * and values from unbound variables never count as covering.
 */
export function findUnreachableRules(ruleset: Ruleset): UnreachableRule[] {
  const byRule = new Map<string, { first: Provenance; covers: Provenance[]; dead: boolean }>();
  for (const table of ruleset.tables) {
    for (const { rule, cover } of coverOfEachRule(table)) {
      const p = rule.provenance as Provenance;
      const k = provKey(p);
      const e = byRule.get(k) ?? { first: p, covers: [], dead: true };
      if (!cover?.provenance) e.dead = false;
      else if (!e.covers.some((c) => provKey(c) === provKey(cover.provenance as Provenance)))
        e.covers.push(cover.provenance);
      byRule.set(k, e);
    }
  }
  return [...byRule.values()]
    .filter((e) => e.dead)
    .map((e) => ({ rule: e.first, coveredBy: e.covers }));
}
