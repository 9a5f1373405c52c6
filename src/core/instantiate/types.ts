import type { Diagnostic, FilterDoc, Rule, RuleAction, RuleDirection } from '../model/types';

/** Where an instantiated (and later compiled) rule came from. */
export interface Provenance {
  /** Name of the filter holding the rule. */
  filter: string;
  /** Index of the rule in that filter's `entries` (rules and filterrefs together, document order). */
  entryIndex: number;
  /** Index among that filter's rules only (0-based, filterrefs not counted). */
  ruleIndex: number;
  /** The rule's priority as written (or libvirt's default 500). */
  priority: number;
  /** The rule's direction attribute. */
  direction: RuleDirection;
  /** The rule's action attribute. */
  action: RuleAction;
  /** Filter names from the root filter down to `filter` (root first). */
  filterPath: string[];
  /** Value chosen for each variable access in this expansion, keyed by the access as written without `$` (`{ A: '1.1.1.1', 'B[@1]': '80' }`); empty when the rule uses none. */
  bindings: Record<string, string>;
  /** 0-based index of this variable combination among the rule's expansions. */
  combination: number;
}

/** Resolves a filter name to its document (user filters first, then the built-in library). */
export type FilterLookup = (name: string) => FilterDoc | undefined;

/** The filters filterrefs can name: a list (searched by name) or a lookup function. */
export type Workspace = readonly FilterDoc[] | FilterLookup;

/** What a binding supplies: the port device, the VM's MAC and the filter parameters. */
export interface InstantiateOptions {
  /** Port device name (`vnet0`). */
  iface: string;
  /** The VM's MAC address; becomes `$MAC` unless `params` sets MAC. */
  mac?: string;
  /** Parameter name → values (several values = a list, `$X[@n]` iterates over it). */
  params?: Record<string, readonly string[]>;
  /**
   * At most this many rule instances plus filterref visits (default
   * `DEFAULT_LIMITS.expansion`); past it the result is an NWF306 error, found before the
   * work is done.
   */
  maxExpansion?: number;
}

/** One rule as libvirt hands it to the firewall backend, with one combination of variable values applied. */
export interface RuleInstance {
  /** The rule with every variable replaced by its value for this combination. */
  rule: Rule;
  /** Attribute names whose value came from a variable: libvirt prints those verbatim, unconverted. */
  fromVariable: readonly string[];
  /** The filter's chain (`root`, `ipv4`, `arp-xyz`, …). */
  chain: string;
  /** The filter's chain priority (explicit, or libvirt's default for the chain's prefix). */
  chainPriority: number;
  /**
   * The priority libvirt uses to interleave sub-chain creation: the rule priority, raised to the
   * chain priority when that is higher and the chain is not `root`.
   */
  effectivePriority: number;
  provenance: Provenance;
}

/** Result of instantiation: the ordered instances, or diagnostics explaining why there are none. */
export interface InstantiateResult {
  rules: RuleInstance[];
  diagnostics: Diagnostic[];
  /**
   * The variable accesses no parameter gives a value (`IP`, `A[@1]`, `B[2]`), as libvirt's
   * `virNWFilterDetermineMissingVarsRec` names them; absent when there are none. A binding whose
   * only missing variable is `IP` is one libvirt instantiates by learning the address.
   */
  unresolved?: string[];
}
