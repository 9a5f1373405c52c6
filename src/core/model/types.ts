/**
 * The canonical document model of one libvirt `<filter>`.
 *
 * This file is the contract between the layers (xml, validate, instantiate,
 * compile, store, ui). Extend it; do not rename without updating every user.
 *
 * Values are kept in libvirt's *canonical text form*: the text libvirt's
 * formatter would write for the value it parsed (e.g. a MAC `1:2:3:4:5:6`
 * is stored as `01:02:03:04:05:06`, an IPv4 mask `255.255.255.255` as `32`,
 * a number written in hex stays hex). A value may also be a variable
 * reference (`$IP`, `$A[@1]`, `$A[@0]`), stored as libvirt prints it.
 */

export type RuleAction = 'drop' | 'reject' | 'accept' | 'return' | 'continue';
export type RuleDirection = 'in' | 'out' | 'inout';

/** Every protocol element libvirt accepts inside `<rule>`. */
export const PROTOCOL_NAMES = [
  'mac',
  'vlan',
  'stp',
  'arp',
  'rarp',
  'ip',
  'ipv6',
  'tcp',
  'udp',
  'udplite',
  'sctp',
  'icmp',
  'igmp',
  'esp',
  'ah',
  'all',
  'tcp-ipv6',
  'udp-ipv6',
  'udplite-ipv6',
  'sctp-ipv6',
  'icmpv6',
  'esp-ipv6',
  'ah-ipv6',
  'all-ipv6',
] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** One attribute of a protocol element: its canonical value and whether `match='no'` negates it. */
export interface AttrValue {
  value: string;
  negated: boolean;
}

export interface Rule {
  action: RuleAction;
  direction: RuleDirection;
  /** -1000..1000; libvirt's default is 500. */
  priority: number;
  /** false when `statematch='false'` (or '0'); libvirt only writes it when false. */
  statematch: boolean;
  /** The protocol element, or null for a rule without one (`<rule .../>`). */
  protocol: ProtocolName | null;
  /** Attribute name → value, for the attributes present. Keys are libvirt attribute names. */
  attrs: Record<string, AttrValue>;
}

export interface FilterParameter {
  name: string;
  value: string;
}

export interface FilterRef {
  filter: string;
  params: FilterParameter[];
}

/** Rules and filterrefs in document order (libvirt keeps them in one list). */
export type FilterEntry = { kind: 'rule'; rule: Rule } | { kind: 'filterref'; ref: FilterRef };

export interface FilterDoc {
  name: string;
  /** As given (`root`, `mac`, `ipv4-xyz`, …); libvirt's default when absent is `root`. */
  chain: string;
  /**
   * Chain priority (-1000..1000) as libvirt stores it: parseFilterXml fills the
   * given value or, without one, the chain type's default (mac -800, vlan -750,
   * ipv4 -700, ipv6 -600, arp -500, rarp -400, root/stp 0). null in a built
   * document means "the default for the chain". libvirt writes it only when
   * it is not 0.
   */
  chainPriority: number | null;
  /** Canonical lowercase uuid; null when the document has none (libvirt would generate one on define; serializeFilterXml then writes none). */
  uuid: string | null;
  entries: FilterEntry[];
}

/** Diagnostic severities; only `error` makes a document invalid. */
export type Severity = 'error' | 'warning' | 'info';

/** A diagnostic with a stable code (`NWF001`…) and a 1-based position. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  line: number;
  column: number;
  /** Optional end of the span, for editors. */
  endLine?: number;
  endColumn?: number;
  /**
   * The workspace entry the diagnostic is about, when it comes from instantiating filters rather
   * than from a source text (line and column are then 1:1): the filter, the entry's index in its
   * `entries`, and its index among the filter's rules (null for a filterref).
   */
  entry?: { filter: string; entryIndex: number; ruleIndex: number | null };
}

/**
 * A match attribute written in the XML that libvirt drops while reading the rule: unknown on its
 * element (`srcipfrom` on `<ip>`), or removed by libvirt's ipset fix-up. The document has no trace
 * of it (libvirt has none either); lint reports it at the rule.
 */
export interface DroppedAttribute {
  /** Index of the rule in the document's `entries`. */
  entryIndex: number;
  /** The protocol element it was written on. */
  element: string;
  attribute: string;
  value: string;
  reason: 'unknown' | 'ipset-fixup';
}

/** What parsing returns: a document when there is no error, always the diagnostics. */
export interface ParseResult {
  doc: FilterDoc | null;
  diagnostics: Diagnostic[];
  /** Match attributes libvirt drops while reading the rules (absent when there are none). */
  dropped?: DroppedAttribute[];
}
