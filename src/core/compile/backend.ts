/**
 * The seam between libvirt's semantics (instantiate) and a firewall backend. A backend turns the
 * instantiated rules into its own ruleset IR (tables ▸ chains ▸ rules with its own match kinds),
 * prints that IR in its export formats with a line map back to the XML rules, tells the
 * simulator how to execute it and the analysis how to read its rules as regions. Backends are registered in one list, `backends.ts`.
 *
 * @packageDocumentation
 */
import type { BackendAnalysis } from '../analysis/backend-analysis';
import type { RuleInstance } from '../instantiate/types';
import type { Diagnostic } from '../model/types';
import type { IpsetSpec, PreparedMatch } from '../netfilter/match-eval';
import type { EthernetFrame } from '../packet/packet';
import type { AnyIrRule, IrRuleOf, IrTableOf, Provenance, RulesetOf } from './ir';
import type { LearningRulesKind } from '../learning/learning-rules';

/**
 * Printed output with a line map: for every line, the IR rule it prints (null for set-up commands
 * and comments) and that rule's XML provenance (null also for structural rules).
 */
export interface PrintedLinesOf<R> {
  lines: string[];
  rules: (R | null)[];
  origins: (Provenance | null)[];
}

/** Printed output of any backend. */
export type PrintedLines = PrintedLinesOf<AnyIrRule>;

/** Options every printer takes. */
export interface PrintOptions {
  /** The root filter's name, for a script's header comment. */
  filterName?: string;
}

/** One printed form of a backend's ruleset: a `compile --format` value and a text of the Export panel. */
export interface ExportFormat {
  /** `args`, `script`, `ebtables`, …: `--format` takes it; unique across all backends' formats of one backend. */
  id: string;
  /** The Export panel's tab title. */
  title: string;
  /** Appended to `<filter>-<iface>` for the download's file name (`.args`, `.sh`, `-ebtables.sh`). */
  fileSuffix: string;
  /**
   * Loading this output gives each rule the handle `BackendSim.ruleHandles` names (the nft script;
   * not libvirt's own command sequence, whose temporary chains number rules otherwise).
   */
  handles?: boolean;
}

/**
 * A point on the bridged path of a frame where base chains are hooked, in the order the kernel
 * visits them: bridge PREROUTING, conntrack, then bridge FORWARD and the IP FORWARD hook (through
 * br_netfilter) for a bridged frame, or bridge LOCAL_IN and the IP INPUT hook for a frame to the
 * host, then bridge POSTROUTING (bridged frames), then conntrack confirmation.
 */
export type HookPoint =
  | 'bridge-prerouting'
  | 'bridge-forward'
  | 'bridge-input'
  | 'ipv4-forward'
  | 'ipv4-input'
  | 'ipv6-forward'
  | 'ipv6-input'
  | 'bridge-postrouting';

/** A base chain at a hook point; several at one point run in the listed (hook priority) order. */
export interface HookEntry {
  point: HookPoint;
  /** The table's key, `family/name` (see `tableKey`). */
  table: string;
  chain: string;
  /** How traces name this hook (`ebtables nat PREROUTING`, `FORWARD`). */
  label: string;
  /**
   * The base chain's netfilter hook priority. At bridge PREROUTING it says which side of
   * br_netfilter (`NF_BR_PRI_BRNF`, 0) the chain runs on: below 0 before br_netfilter checks the
   * IP header, 0 and above after it (br_netfilter registers its hooks when the namespace's first
   * bridge appears, so a chain of equal priority added later runs after it). Default: before.
   */
  priority?: number;
}

/** How a table behaves in the walk. */
export interface TableTraits {
  /**
   * `l2`: the rule counters count the frame after the Ethernet header and the dispatch index keys
   * by EtherType; `l3`: they count the IP datagram and the index keys by upper protocol and ports.
   */
  layer: 'l2' | 'l3';
  /** A REJECT verdict drops (ebtables has no REJECT target). */
  rejectIsDrop: boolean;
  /**
   * What the dispatch index of the table's chains keys by: `ethertype`, or `l4` (upper protocol
   * and ports). Default: `ethertype` for `l2` tables, `l4` for `l3` ones. nftables' inet table
   * counts like an `l2` table but its rules select by `meta l4proto` and ports.
   */
  dispatch?: DispatchKind;
}

/** The header key a table's dispatch index uses (see {@link TableTraits.dispatch}). */
export type DispatchKind = 'ethertype' | 'l4';

/**
 * A frame's dispatch keys as a backend's rules read them (-1: the frame has none): the EtherType,
 * the upper protocol, the L4 ports.
 */
export interface FrameKeys {
  ethertype: number;
  proto: number;
  sport: number;
  dport: number;
}

/**
 * A header test the simulator's dispatch index may decide for a rule instead of its predicate:
 * the EtherType (`ethertype` index) or upper protocol (`l4`) equals `value`, or a port lies in
 * `lo..hi`. A port key with `proto` is a test that also requires that upper protocol (nft's
 * implicit `meta l4proto` dependency of `tcp dport`): the port range is still a necessary
 * condition, but the key stands for the whole match only in a rule whose protocol key is `proto`.
 * An `implied` protocol key is only a necessary condition of its match (`icmp type 8` needs
 * `meta l4proto icmp`): it keys a rule that has no exact one, and its match stays a predicate.
 */
export type DispatchKey =
  | { field: 'proto'; value: number; implied?: boolean }
  | { field: 'dport' | 'sport'; lo: number; hi: number; proto?: number };

/** What the simulator needs to execute a backend's ruleset. */
export interface BackendSim<M> {
  /** The ruleset's base chains on the bridged path (a point without entries accepts). */
  hooks(ruleset: RulesetOf<M>): HookEntry[];
  tableTraits(table: IrTableOf<M>): TableTraits;
  /** A match as a predicate over the packet in hand (or why it cannot be interpreted). */
  prepareMatch(match: M, ipsets: Record<string, IpsetSpec>): PreparedMatch;
  /**
   * The match as an exact dispatch key for a table indexed by `kind`, or null. Only a match that is
   * true exactly when the key holds may return one (never a negated or side-effecting match).
   */
  dispatchKey(match: M, kind: DispatchKind): DispatchKey | null;
  /**
   * The frame's dispatch keys read as this backend's rules read them (nft: its own view of the
   * frame's headers). Absent: the EtherType ebtables' `-p` compares and the upper protocol and
   * ports of the IP packet the IP hooks see.
   */
  frameKeys?(frame: EthernetFrame, out: FrameKeys): void;
  /**
   * Whether evaluating the match has effects beyond the rule's counter (connlimit counts per
   * rule and may hot-drop): such a rule is never skipped, and its predicates see its key.
   */
  hasSideEffects(match: M): boolean;
  /**
   * Whether conntrack's hooks are registered for IPv4 / IPv6: the kernel registers them only when
   * a rule of that family needs conntrack.
   */
  conntrackUsers(ruleset: RulesetOf<M>): { ipv4: boolean; ipv6: boolean };
  /**
   * Whose conntrack sees the frame. `ip` (default): br_netfilter hands IPv4 / IPv6 to the IP
   * family's conntrack after the bridge PREROUTING chains (when bridge-nf-call-iptables /
   * -ip6tables is on). `bridge`: `nf_conntrack_bridge`, registered by the ruleset's own `ct`
   * expressions, tracks every IPv4 / IPv6 frame at bridge PREROUTING priority -200, before any
   * base chain, whatever the bridge-nf switches, and confirms at bridge POSTROUTING; a broadcast's
   * copy passed up to the host is left unconfirmed. The host must have the module
   * (`HostSettings.nfConntrackBridge`) or the kernel refuses the ruleset.
   */
  readonly conntrackFamily?: 'ip' | 'bridge';
  /** The target as traces show it (`ACCEPT`, `-j CHAIN`, `jump CHAIN`). */
  targetText(rule: IrRuleOf<M>): string;
  /**
   * The number the kernel gives each rule once the exported rules are loaded (nftables: the rule
   * handle `nft -a list ruleset` shows), for traces and counters; absent when the backend's rules
   * have none (iptables and ebtables number rules by position only).
   */
  ruleHandles?(ruleset: RulesetOf<M>): ReadonlyMap<unknown, number>;
}

/**
 * A firewall backend: `M` is its match type, `R` its ruleset IR. Methods (not function-valued
 * properties) so that every backend is assignable to `Backend` of unknown matches.
 */
export interface Backend<M = unknown, R extends RulesetOf<unknown> = RulesetOf<M>> {
  /** `ebiptables`, `nftables`: the `--backend` value and {@link RulesetOf.backend}. */
  readonly id: string;
  /** Human name (`ebtables + iptables`). */
  readonly label: string;
  /** Instantiated rules (in libvirt's order) → this backend's ruleset for `iface`. */
  compile(
    instances: readonly RuleInstance[],
    iface: string,
  ): { ruleset: R; diagnostics: Diagnostic[] };
  /** Export formats, the default (libvirt's own dry-run form) first. */
  readonly formats: readonly ExportFormat[];
  /** Prints one of {@link formats}; an unknown id throws (callers pick from the list). */
  print(ruleset: R, format: string, options?: PrintOptions): PrintedLinesOf<IrRuleOf<M>>;
  readonly sim: BackendSim<M>;
  /**
   * How the exact analysis (`core/analysis`) reads this backend's rules as regions of the header
   * space; the walk itself follows {@link sim}. Absent: the analysis answers `error` for it.
   */
  readonly analysis?: BackendAnalysis<M>;
  /** The rules the driver installs while libvirt learns the VM's address (below). */
  readonly learning: BackendLearning<R>;
}

/**
 * A driver's learning callbacks (applyBasicRules, applyDHCPOnlyRules, applyDropAllRules): what the
 * gentech driver installs while it learns a binding's `IP` (core/learning).
 */
export interface BackendLearning<R> {
  /** The rule set `kind` for the port `iface`, the VM's `mac` and the `DHCPSERVER` values. */
  rules(kind: LearningRulesKind, iface: string, mac: string, dhcpServers: readonly string[]): R;
  /** The commands that put `ruleset` (of {@link rules}) in force, in libvirt's dry-run form. */
  printArgs(ruleset: R): string[];
  /** What `basic` (CTRL_IP_LEARNING=any) lets pass, for the timeline: `from the VM only …`. */
  describeBasic(mac: string): string;
}

/** Printed lines as one text, each line newline-terminated (as libvirt's dry-run buffer holds it). */
export function printedText(printed: { lines: readonly string[] }): string {
  return printed.lines.map((l) => `${l}\n`).join('');
}
