import type { Diagnostic, DroppedAttribute, Severity } from '../model/types';

/** A link to an entry of a filter: a rule (ruleIndex set) or a filterref (ruleIndex null). */
export interface LintRef {
  /** Name of the filter holding the entry. */
  filter: string;
  /** Index among the filter's rules (0-based, filterrefs not counted); null for a filterref. */
  ruleIndex: number | null;
  /** Index in the filter's `entries` (rules and filterrefs, document order). */
  entryIndex: number;
}

/** One lint finding. */
export interface LintFinding extends LintRef {
  /** Stable code (`NWF5nn`, see {@link LINT_CODES}). */
  code: string;
  severity: Severity;
  /** What goes wrong and why, in terms of traffic. */
  message: string;
  /** The root filter whose instantiation the finding was made in. */
  root: string;
  /** Other entries involved (the earlier rule that decides first, the accept a limit comes after, …). */
  related?: LintRef[];
}

/** Host settings and binding parameters the checks take into account. */
export interface LintOptions {
  /** Interface name used for compiling (default `vnet0`); it does not change any finding. */
  iface?: string;
  /** The VM's MAC address (`$MAC`). */
  mac?: string;
  /** Filter parameters of the binding (name → values). Unbound variables are treated as unknown. */
  params?: Record<string, readonly string[]>;
  /** Whether the host assigns the FTP conntrack helper (`iptables -t raw … -j CT --helper ftp`). Default false. */
  ftpHelper?: boolean;
  /** Whether the bridge the VM is on has an IP address (then REJECT can send its ICMP error). Default false. */
  bridgeHasAddress?: boolean;
  /** The host's ipsets by name; absent: the host is not described, so sets are not checked. */
  ipsets?: Readonly<Record<string, unknown>>;
  /**
   * The firewall backend (default ebiptables). With `nftables`, NWF521 when the host's kernel
   * lacks a module its rules need.
   */
  backend?: 'ebiptables' | 'nftables';
  /** Whether the host's kernel has nf_conntrack_bridge (default true; see `HostProfile`). */
  nfConntrackBridge?: boolean;
  /** The host's nf_conntrack_icmp_timeout in seconds (kernel default 30). */
  icmpTimeout?: number;
  /** The instantiation limit (`InstantiateOptions.maxExpansion`). */
  maxExpansion?: number;
  /**
   * Match attributes the XML of a filter held that libvirt drops while reading it (filter name →
   * `ParseResult.dropped` of its text); the document no longer has them, so only the caller knows.
   */
  dropped?: Readonly<Record<string, readonly DroppedAttribute[]>>;
}

/** Findings, plus the diagnostics that kept some checks from running (missing filters, …). */
export interface LintResult {
  findings: LintFinding[];
  diagnostics: Diagnostic[];
}
