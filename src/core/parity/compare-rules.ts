/**
 * What the nftables driver installs differently from the ebiptables driver, XML rule by XML rule,
 * derived from the two compiled IRs: every rule either backend installs for an XML rule is placed
 * on the paths it filters (frames from the VM, to the VM, from the VM to the host), its tests
 * read as {@link Atom}s, and the two sides compared path by path.
 */
import type { Target } from '../compile/ir';
import type { IrChain, Ruleset } from '../compile/ebiptables/ir';
import { chainNames } from '../compile/ebiptables/ir';
import { matchArgs } from '../compile/ebiptables/rule-args';
import type { NftChain, NftRule, NftRuleset, NftTarget } from '../compile/nftables/ir';
import type { Provenance, RuleInstance } from '../instantiate/types';
import type { Atom } from './atoms';
import { ebiptablesAtoms, familyAtoms, nftablesAtoms } from './atoms';

/** The paths a bridged VM's frames take past its filter. */
export type ParityPath = 'from-vm' | 'to-vm' | 'to-host';

export const PARITY_PATHS: readonly ParityPath[] = ['from-vm', 'to-vm', 'to-host'];

/** The backends compared. */
export type ParityBackend = 'ebiptables' | 'nftables';

/**
 * One difference for one XML rule:
 * - `verdict`: both install a rule, with another effect (`REJECT` → `drop`);
 * - `dropped` / `added`: a test only the ebiptables / only the nftables rule has;
 * - `changed`: both test `slot`, with another meaning;
 * - `only-ebiptables` / `only-nftables`: a rule on a path the other backend installs nothing for.
 */
export interface RuleChange {
  kind: 'verdict' | 'dropped' | 'added' | 'changed' | 'only-ebiptables' | 'only-nftables';
  /** The field or state tested (`ipset`, `ct direction`, `ether saddr`); null for whole rules and verdicts. */
  slot: string | null;
  /** The paths on which it happens. */
  paths: ParityPath[];
  /** Each backend's text (a test, a target or a whole rule); null when that side has none. */
  ebiptables: string | null;
  nftables: string | null;
  /** What it means for traffic. */
  why: string;
}

/** An XML rule whose installed rules differ between the backends. */
export interface RuleParity {
  /** Where the rule is: its filter, its index in `entries` and among the rules. */
  filter: string;
  entryIndex: number;
  ruleIndex: number;
  action: string;
  direction: string;
  protocol: string;
  /** Variable values of the expansions concerned, when the rule uses variables (`A=1.1.1.1`). */
  bindings: string[];
  changes: RuleChange[];
}

/** One installed rule on the shared footing. */
interface Installed {
  paths: ParityPath[];
  atoms: Atom[];
  /** The effect for the filter: ACCEPT (a root chain's RETURN too), DROP, REJECT, RETURN, … */
  effect: string;
  target: string;
  text: string;
}

/**
 * The effect of a target: leaving an interface's root chain (RETURN) lets the frame go on to the
 * host's policy, accept, in both backends (iptables' FI/HI chains write accept as RETURN).
 */
function effectOf(t: Target | NftTarget, rootChain: boolean): string {
  if (t.kind !== 'verdict') return `${t.kind} ${t.chain}`;
  return t.verdict === 'RETURN' && rootChain ? 'ACCEPT' : t.verdict;
}

function ebPaths(family: string, chain: IrChain, iface: string): ParityPath[] {
  if (family === 'ebtables') return chain.dir === 'in' ? ['from-vm', 'to-host'] : ['to-vm'];
  if (chain.name === chainNames.ipt('FI', iface, false)) return ['from-vm'];
  if (chain.name === chainNames.ipt('HI', iface, false)) return ['to-host'];
  if (chain.name === chainNames.ipt('FO', iface, false)) return ['to-vm'];
  return [];
}

/** Frames from the VM pass the `-out` chains at bridge prerouting, whether bridged or for the host. */
function nftPaths(chain: NftChain): ParityPath[] {
  return chain.dir === 'out' ? ['from-vm', 'to-host'] : chain.dir === 'in' ? ['to-vm'] : [];
}

function nftTargetText(t: NftTarget): string {
  return t.kind === 'jump' ? `jump ${t.chain}` : t.verdict.toLowerCase();
}

function ebTargetText(t: Target): string {
  return t.kind === 'verdict' ? `-j ${t.verdict}` : `${t.kind === 'goto' ? '-g' : '-j'} ${t.chain}`;
}

function collectEbiptables(ruleset: Ruleset): Map<Provenance, Installed[]> {
  const out = new Map<Provenance, Installed[]>();
  for (const table of ruleset.tables) {
    for (const chain of table.chains) {
      if (chain.kind !== 'iface-root' && chain.kind !== 'iface-sub') continue;
      const paths = ebPaths(table.family, chain, ruleset.iface);
      for (const rule of chain.rules) {
        if (!rule.provenance || paths.length === 0) continue;
        const atoms = [...familyAtoms(table.family), ...rule.matches.flatMap(ebiptablesAtoms)];
        const target = ebTargetText(rule.target);
        const list = out.get(rule.provenance) ?? [];
        list.push({
          paths,
          atoms,
          effect: effectOf(rule.target, chain.kind === 'iface-root'),
          target,
          text: [
            `${table.family} -A ${chain.name}`,
            ...rule.matches.map((m) => matchArgs(m).join(' ')),
            target,
          ]
            .filter((s) => s !== '')
            .join(' '),
        });
        out.set(rule.provenance, list);
      }
    }
  }
  return out;
}

function collectNftables(
  ruleset: NftRuleset,
  protocolOf: (p: Provenance) => string,
): Map<Provenance, Installed[]> {
  const out = new Map<Provenance, Installed[]>();
  for (const table of ruleset.tables) {
    for (const chain of table.chains) {
      if (chain.kind === 'base') continue;
      const paths = nftPaths(chain);
      for (const rule of chain.rules as NftRule[]) {
        if (!rule.provenance || paths.length === 0) continue;
        const target = nftTargetText(rule.target);
        const list = out.get(rule.provenance) ?? [];
        list.push({
          paths,
          atoms: nftablesAtoms(rule.matches, protocolOf(rule.provenance)),
          effect: effectOf(rule.target, chain.kind === 'iface-root'),
          target,
          text: [
            `add rule bridge ${table.name} ${chain.name}`,
            ...rule.matches.map((m) => m.args.join(' ')),
            target,
          ].join(' '),
        });
        out.set(rule.provenance, list);
      }
    }
  }
  return out;
}

const SLOT_WHY: Record<string, string> = {
  ipset:
    'the nftables driver has no ipset support: the rule applies to every address, not only the set',
  connlimit:
    'iptables connlimit counts the connections of each source address; nft ct count counts every connection that passed this rule',
  'ct direction':
    'without a conntrack direction the state test also takes packets of connections opened from the other side',
  'ct state': 'the rule takes packets in other conntrack states',
  'ether saddr':
    'a source MAC test decides which frames the rule takes (in a reply rule it is the peer’s MAC, not the VM’s)',
  tos: 'ebtables --ip-tos compares the whole TOS byte; DSCP compares its upper six bits',
  l4proto:
    'nft ip6 nexthdr reads the IPv6 header’s own next-header field; ebtables and ip6tables skip extension headers, so a packet behind one (hop-by-hop, as every MLD report has; fragment) matches only there',
  'ether type': 'the rule reads other frame types',
  'arp gratuitous': 'the gratuitous-ARP test takes other ARP packets',
  'tcp flags':
    'nft looks the masked flags up in a set: `*` is its catch-all element, which every TCP packet finds, and of several flags any one will do; iptables wants exactly the flags listed',
};

const KIND_WHY: Record<RuleChange['kind'], string> = {
  verdict: 'the same packets meet another verdict',
  dropped: 'the nftables rule lacks this test, so it takes more packets',
  added: 'only the nftables rule has this test, so it takes fewer packets',
  changed: 'the two tests take different packets',
  'only-ebiptables':
    'the nftables driver installs no rule here: these packets go on to later rules',
  'only-nftables':
    'the ebiptables driver installs no rule here: these packets go on to later rules',
};

function verdictWhy(eb: string, nft: string): string {
  if (eb === 'REJECT' && nft === 'DROP')
    return 'REJECT is written as drop: the sender gets no ICMP error or TCP reset and waits for its timeout';
  return KIND_WHY.verdict;
}

/** Groups atoms by slot, each slot's tests as a sorted multiset key. */
function bySlot(atoms: readonly Atom[]): Map<string, Atom[]> {
  const m = new Map<string, Atom[]>();
  for (const a of atoms) m.set(a.slot, [...(m.get(a.slot) ?? []), a]);
  return m;
}

const meaning = (atoms: readonly Atom[]) =>
  atoms
    .map((a) => `${a.negated ? '!' : ''}${a.value}`)
    .sort()
    .join('\u0000');

const texts = (atoms: readonly Atom[]) => [...new Set(atoms.map((a) => a.text))].join(' ');

function compareInstalled(eb: Installed, nft: Installed, paths: ParityPath[]): RuleChange[] {
  const out: RuleChange[] = [];
  if (eb.effect !== nft.effect)
    out.push({
      kind: 'verdict',
      slot: null,
      paths,
      ebiptables: eb.target,
      nftables: nft.target,
      why: verdictWhy(eb.effect, nft.effect),
    });
  const e = bySlot(eb.atoms);
  const n = bySlot(nft.atoms);
  for (const slot of new Set([...e.keys(), ...n.keys()])) {
    const ea = e.get(slot) ?? [];
    const na = n.get(slot) ?? [];
    if (meaning(ea) === meaning(na)) continue;
    const kind = na.length === 0 ? 'dropped' : ea.length === 0 ? 'added' : 'changed';
    out.push({
      kind,
      slot,
      paths,
      ebiptables: ea.length ? texts(ea) : null,
      nftables: na.length ? texts(na) : null,
      why: SLOT_WHY[slot] ?? KIND_WHY[kind],
    });
  }
  return out;
}

const changeKey = (c: RuleChange) =>
  [c.kind, c.slot ?? '', c.ebiptables ?? '', c.nftables ?? ''].join('\u0000');

/** Same change on several paths: one entry naming them all, in path order. */
function mergePaths(changes: readonly RuleChange[]): RuleChange[] {
  const out = new Map<string, RuleChange>();
  for (const c of changes) {
    const k = changeKey(c);
    const prev = out.get(k);
    if (!prev) out.set(k, { ...c, paths: [...c.paths] });
    else prev.paths = PARITY_PATHS.filter((p) => prev.paths.includes(p) || c.paths.includes(p));
  }
  return [...out.values()];
}

/** One XML rule instance: its installed rules on each path, side by side. */
function compareInstance(eb: readonly Installed[], nft: readonly Installed[]): RuleChange[] {
  const out: RuleChange[] = [];
  for (const path of PARITY_PATHS) {
    const e = eb.filter((x) => x.paths.includes(path));
    const n = nft.filter((x) => x.paths.includes(path));
    const pairs = Math.min(e.length, n.length);
    for (let i = 0; i < pairs; i++)
      out.push(...compareInstalled(e[i] as Installed, n[i] as Installed, [path]));
    for (const x of e.slice(pairs))
      out.push({
        kind: 'only-ebiptables',
        slot: null,
        paths: [path],
        ebiptables: x.text,
        nftables: null,
        why: KIND_WHY['only-ebiptables'],
      });
    for (const x of n.slice(pairs))
      out.push({
        kind: 'only-nftables',
        slot: null,
        paths: [path],
        ebiptables: null,
        nftables: x.text,
        why: KIND_WHY['only-nftables'],
      });
  }
  return out;
}

/**
 * Compares what the two backends install for every XML rule of a binding: `instances` are the
 * rules both rulesets were compiled from (the same objects, so provenance links them). Returns one
 * entry per XML rule whose installed rules differ, in the instances' (libvirt's) order.
 */
export function compareRuleTranslations(
  instances: readonly RuleInstance[],
  ebiptables: Ruleset,
  nftables: NftRuleset,
): RuleParity[] {
  const protocolOf = new Map(instances.map((i) => [i.provenance, i.rule.protocol ?? '']));
  const eb = collectEbiptables(ebiptables);
  const nft = collectNftables(nftables, (p) => protocolOf.get(p) ?? '');
  const byRule = new Map<string, RuleParity>();
  for (const inst of instances) {
    const p = inst.provenance;
    const changes = compareInstance(eb.get(p) ?? [], nft.get(p) ?? []);
    if (changes.length === 0) continue;
    const key = `${p.filter}\u0000${p.entryIndex}`;
    let entry = byRule.get(key);
    if (!entry) {
      entry = {
        filter: p.filter,
        entryIndex: p.entryIndex,
        ruleIndex: p.ruleIndex,
        action: p.action,
        direction: p.direction,
        protocol: inst.rule.protocol ?? 'none',
        bindings: [],
        changes: [],
      };
      byRule.set(key, entry);
    }
    const binding = Object.entries(p.bindings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    if (binding && !entry.bindings.includes(binding)) entry.bindings.push(binding);
    entry.changes = mergePaths([...entry.changes, ...changes]);
  }
  return [...byRule.values()];
}
