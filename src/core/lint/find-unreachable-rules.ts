import { coverOfMatches, matchesRegion } from '../analysis';
import type { Cube } from '../analysis';
import type {
  IrRule,
  IrTable,
  Match,
  Provenance,
  Ruleset,
  TableFamily,
} from '../compile/ebiptables/ir';
import { matchesContain, singletonKey, viewMatch } from './match-constraints';

/** An XML rule none of whose compiled rules can ever match, with the earlier rules that decide first. */
export interface UnreachableRule {
  /** Provenance of one compiled rule of the unreachable XML rule. */
  rule: Provenance;
  /**
   * The earlier rules that together take every packet first (deduplicated); empty when no
   * packet the host can give the rule's table matches it at all.
   */
  coveredBy: Provenance[];
}

/** A rule that may take a packet before a later one, with the matches a packet meets on the way to it. */
interface Candidate {
  rule: IrRule;
  effective: Match[];
  /** Its region (computed when first needed; null: undecidable, it covers nothing). */
  region?: Cube[] | null;
}

function isVerdict(r: IrRule, verdicts: readonly string[]): boolean {
  return r.target.kind === 'verdict' && verdicts.includes(r.target.verdict);
}

/** A provenance whose bindings hold a placeholder stands for unknown values: it proves nothing. */
function isConcrete(p: Provenance | null): p is Provenance {
  return p !== null && !Object.values(p.bindings).some((v) => v.startsWith('$'));
}

/** Whether `r` ends its chain's evaluation for a packet it matches (a candidate cover). */
function endsChain(r: IrRule): boolean {
  // ACCEPT/DROP/REJECT end the table; RETURN ends this chain: either way no later rule here sees the packet.
  return isVerdict(r, ['ACCEPT', 'DROP', 'REJECT', 'RETURN']) && isConcrete(r.provenance);
}

/** The singleton keys (`field=value`) of a match list's constraints, by field. */
function singletons(matches: readonly Match[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of matches) {
    const v = viewMatch(m);
    if (v.kind !== 'constraint') continue;
    const k = singletonKey(v.c);
    if (k === null) continue;
    const list = out.get(v.c.key);
    if (list) list.push(k);
    else out.set(v.c.key, [k]);
  }
  return out;
}

/**
 * The earlier rules that may cover a later one, filed like the simulator's dispatch index: a
 * candidate allowing exactly one value of the index field (one port, one address) can only cover
 * a rule that also allows only that value, so it sits in that value's bucket; the others are
 * tried for every rule. With the field most candidates pin down, finding the first cover of each
 * rule looks at a few candidates instead of all earlier rules.
 */
class CandidateIndex {
  private readonly buckets = new Map<string, { order: number; c: Candidate }[]>();
  private readonly rest: { order: number; c: Candidate }[] = [];
  private count = 0;

  /** `field`: the constraint key to file candidates by (null: one list). */
  constructor(private readonly field: string | null) {}

  /** The field `candidates` pin to the most distinct single values (the most buckets), or null. */
  static chooseField(candidates: readonly (readonly Match[])[]): string | null {
    const values = new Map<string, Set<string>>();
    for (const effective of candidates) {
      for (const [key, vals] of singletons(effective)) {
        let set = values.get(key);
        if (!set) values.set(key, (set = new Set()));
        set.add(vals[0] as string);
      }
    }
    let best: string | null = null;
    let most = 1;
    for (const [key, set] of values) {
      if (set.size > most) {
        best = key;
        most = set.size;
      }
    }
    return best;
  }

  add(c: Candidate): void {
    const entry = { order: this.count++, c };
    const keys = this.field === null ? undefined : singletons(c.effective).get(this.field);
    const key = keys?.[0];
    if (key === undefined) {
      this.rest.push(entry);
      return;
    }
    const bucket = this.buckets.get(key);
    if (bucket) bucket.push(entry);
    else this.buckets.set(key, [entry]);
  }

  /** The earliest candidate that provably takes every packet of `later`, or null. */
  private findCover(later: readonly Match[]): IrRule | null {
    let best: { order: number; c: Candidate } | null = null;
    const scan = (list: readonly { order: number; c: Candidate }[]) => {
      for (const e of list) {
        if (best && e.order >= best.order) return;
        if (matchesContain(e.c.effective, later)) {
          best = e;
          return;
        }
      }
    };
    scan(this.rest);
    // A candidate pinned to one value contains only rules pinned to that value.
    if (this.field !== null)
      for (const key of singletons(later).get(this.field) ?? []) {
        const bucket = this.buckets.get(key);
        if (bucket) scan(bucket);
      }
    return (best as { order: number; c: Candidate } | null)?.c.rule ?? null;
  }

  /** The buckets whose candidates may share a packet with `later` (all when it pins no value). */
  private bucketsOf(later: readonly Match[]): { order: number; c: Candidate }[][] {
    if (this.field === null) return [];
    const keys = singletons(later).get(this.field);
    if (!keys) return [...this.buckets.values()];
    const out: { order: number; c: Candidate }[][] = [];
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (bucket) out.push(bucket);
    }
    return out;
  }

  /**
   * The earlier candidates that together take every packet of `later`, or null when some packet
   * gets past them (or `later`'s region cannot be decided; `family` null: do not try). One candidate that contains it is
   * the common case and is found without regions; otherwise the regions decide, the later
   * rule's region minus each earlier candidate's in order.
   */
  findCovers(later: readonly Match[], family: TableFamily | null): IrRule[] | null {
    const single = this.findCover(later);
    if (single) return [single];
    if (family === null) return null;
    const entries = [...this.rest, ...this.bucketsOf(later).flat()].sort(
      (a, b) => a.order - b.order,
    );
    const used = coverOfMatches(later, family, entries.length, (i) => {
      const c = (entries[i] as { c: Candidate }).c;
      if (c.region === undefined) c.region = matchesRegion(c.effective, family);
      return c.region;
    });
    return used && used.map((i) => (entries[i] as { c: Candidate }).c.rule);
  }
}

/** Walks `rules` in order: each rule's cover among `before` and the chain's earlier rules. */
function coversAlongChain(
  family: TableFamily,
  rules: readonly IrRule[],
  prefix: readonly Match[],
  before: readonly Candidate[],
  out: { rule: IrRule; covers: IrRule[] | null }[],
): void {
  const chainCands = rules.filter(endsChain).map((r) => [...prefix, ...r.matches]);
  const index = new CandidateIndex(
    CandidateIndex.chooseField([...before.map((b) => b.effective), ...chainCands]),
  );
  for (const b of before) index.add(b);
  for (const rule of rules) {
    if (rule.provenance) {
      const later = prefix.length > 0 ? [...prefix, ...rule.matches] : rule.matches;
      // A rule with a stand-in for an unbound variable has no known region: only a cover that
      // contains it whatever the value (one rule, field by field) can prove it dead.
      out.push({
        rule,
        covers: index.findCovers(later, isConcrete(rule.provenance) ? family : null),
      });
    }
    if (endsChain(rule)) index.add({ rule, effective: [...prefix, ...rule.matches] });
  }
}

/** Per compiled rule with provenance: the earlier rules that take all its packets, or null. */
function coverOfEachRule(table: IrTable): { rule: IrRule; covers: IrRule[] | null }[] {
  const out: { rule: IrRule; covers: IrRule[] | null }[] = [];
  if (table.family !== 'ebtables') {
    for (const chain of table.chains) {
      if (chain.kind !== 'iface-root') continue;
      coversAlongChain(table.family, chain.rules, [], [], out);
    }
    return out;
  }
  const byName = new Map(table.chains.map((c) => [c.name, c]));
  for (const root of table.chains.filter((c) => c.kind === 'iface-root')) {
    coversAlongChain(table.family, root.rules, [], [], out);
    // Sub chains are entered by a protocol-selecting jump from the root chain.
    const jumps = root.rules
      .map((r, index) => ({ r, index }))
      .filter(({ r }) => r.target.kind === 'jump' && r.provenance === null);
    // Root-chain candidates before each jump, gathered once along the chain.
    const rootBefore: Candidate[][] = [];
    {
      const acc: Candidate[] = [];
      let j = 0;
      for (const { index } of jumps) {
        for (; j < index; j++) {
          const r = root.rules[j] as IrRule;
          if (endsChain(r)) acc.push({ rule: r, effective: r.matches });
        }
        rootBefore.push([...acc]);
      }
    }
    // A terminal rule of an earlier sub chain decides for packets that reach it: only when no
    // RETURN before it in that chain can hand them back to the root chain.
    const fromEarlierSubs: Candidate[] = [];
    jumps.forEach(({ r: jump }, n) => {
      if (jump.target.kind !== 'jump') return;
      const sub = byName.get(jump.target.chain);
      if (sub) {
        coversAlongChain(
          table.family,
          sub.rules,
          jump.matches,
          [...(rootBefore[n] as Candidate[]), ...fromEarlierSubs],
          out,
        );
        for (const r of sub.rules) {
          if (isVerdict(r, ['RETURN'])) break;
          if (isVerdict(r, ['ACCEPT', 'DROP', 'REJECT']) && isConcrete(r.provenance)) {
            fromEarlierSubs.push({ rule: r, effective: [...jump.matches, ...r.matches] });
          }
        }
      }
    });
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
    for (const { rule, covers } of coverOfEachRule(table)) {
      const p = rule.provenance as Provenance;
      const k = provKey(p);
      const e = byRule.get(k) ?? { first: p, covers: [], dead: true };
      if (!covers) e.dead = false;
      else
        for (const cover of covers) {
          const c = cover.provenance as Provenance;
          if (!e.covers.some((x) => provKey(x) === provKey(c))) e.covers.push(c);
        }
      byRule.set(k, e);
    }
  }
  return [...byRule.values()]
    .filter((e) => e.dead)
    .map((e) => ({ rule: e.first, coveredBy: e.covers }));
}
