/**
 * Ruleset IR — the single representation of what libvirt's ebtables/iptables
 * backend installs for one interface.
 *
 * Printers (`print-args`, `print-script`) print it; the simulator executes it.
 * Everything a rule tests is a structured {@link Match}, so an interpreter can
 * evaluate it without parsing command-line text, and every printed argument is
 * derived from the same fields.
 *
 * Layout (libvirt's, for interface `vnet0`):
 *
 * ```
 * ebtables  nat     PREROUTING  -i vnet0 -j libvirt-I-vnet0          (frames sent BY the VM)
 *                   POSTROUTING -o vnet0 -j libvirt-O-vnet0          (frames sent TO the VM)
 *                   libvirt-I-vnet0 / libvirt-O-vnet0                 root chains (filter chain 'root')
 *                   I-vnet0-<chain> / O-vnet0-<chain>                 sub chains ('ipv4', 'arp-xyz', …),
 *                                                                     entered from the root chain by a
 *                                                                     protocol-selecting jump
 * iptables  filter  FORWARD  -j libvirt-in, -j libvirt-out, -j libvirt-in-post
 * ip6tables filter  INPUT    -j libvirt-host-in
 *                   libvirt-out      -m physdev --physdev-is-bridged --physdev-out vnet0 -g FO-vnet0
 *                   libvirt-in       -m physdev --physdev-in vnet0 -g FI-vnet0
 *                   libvirt-host-in  -m physdev --physdev-in vnet0 -g HI-vnet0
 *                   libvirt-in-post  -m physdev --physdev-in vnet0 -j ACCEPT
 *                   FI-vnet0 (from the VM, forwarded), FO-vnet0 (to the VM), HI-vnet0 (from the VM to the host)
 * ```
 *
 * Chains carry their final name (what stays installed) and libvirt's temporary
 * name (what it creates first, and what its dry-run output and the test corpus
 * show: `libvirt-J-vnet0`, `J-vnet0-ipv4`, `FJ-vnet0`, `FP-vnet0`, `HJ-vnet0`).
 * Jump targets always name the FINAL chain name.
 *
 * @packageDocumentation
 */

import type { Provenance } from '../../instantiate/types';
import type { Target } from '../ir';

export type { Provenance } from '../../instantiate/types';
export type { Target } from '../ir';

/** The three netfilter front ends libvirt drives. */
export type TableFamily = 'ebtables' | 'iptables' | 'ip6tables';

/** A value with libvirt's per-attribute negation (`match='no'`). */
export interface Negatable {
  negated: boolean;
}

// ---------------------------------------------------------------------------
// Matches. Values are already in the exact text form the tool receives
// (`01:02:03:04:05:06`, `10.1.2.3`, ports as decimal numbers), plus numeric
// fields where an interpreter needs them.
// ---------------------------------------------------------------------------

/** An inclusive numeric range (`lo === hi` for a single value). */
export interface NumRange {
  lo: number;
  hi: number;
}

/** ebtables `-i IF` / `-o IF` (only in the PREROUTING/POSTROUTING link rules). */
export interface EbIfaceMatch {
  kind: 'eb-iface';
  dir: 'in' | 'out';
  iface: string;
}

/** ebtables `-s MAC[/MASK]` (`field: 'src'`) or `-d MAC[/MASK]`. `mask` null = exact match. */
export interface EbMacMatch extends Negatable {
  kind: 'eb-mac';
  field: 'src' | 'dst';
  mac: string;
  mask: string | null;
}

/**
 * ebtables `-p PROTO`: the EtherType. `text` is printed verbatim (`ipv4`, `ipv6`, `0x806`, `0x0800`);
 * `ethertype` is its numeric value for interpreters.
 */
export interface EbProtoMatch extends Negatable {
  kind: 'eb-proto';
  ethertype: number;
  text: string;
}

/** ebtables `--vlan-id N` / `--vlan-encap N`. */
export interface EbVlanMatch extends Negatable {
  kind: 'eb-vlan';
  field: 'id' | 'encap';
  value: number;
  /** The printed argument (decimal; a variable's value verbatim). */
  text: string;
}

/** ebtables stp match: `--stp-type`, `--stp-root-pri lo:hi`, `--stp-root-addr mac/mask`, … */
export interface EbStpMatch extends Negatable {
  kind: 'eb-stp';
  /** The ebtables option without `--stp-` (`type`, `flags`, `root-pri`, `root-addr`, `root-cost`, `sender-prio`, `sender-addr`, `port`, `msg-age`, `max-age`, `hello-time`, `forward-delay`). */
  field: string;
  /** Numeric fields: the range (single value → lo === hi; `text` says how it is printed). */
  range: NumRange | null;
  /** MAC fields: address and optional mask. */
  mac: string | null;
  mask: string | null;
  /** The printed argument (`18`, `4660:9029`, `06:05:04:03:02:01/ff:ff:ff:ff:ff:ff`). */
  text: string;
}

/** ebtables arp match: `--arp-htype`, `--arp-opcode`, `--arp-ptype`, `--arp-ip-src/dst`, `--arp-mac-src/dst`, `--arp-gratuitous`. */
export interface EbArpMatch extends Negatable {
  kind: 'eb-arp';
  field: 'htype' | 'opcode' | 'ptype' | 'ip-src' | 'ip-dst' | 'mac-src' | 'mac-dst' | 'gratuitous';
  /** htype/opcode/ptype: the number. */
  value: number | null;
  /** ip-src/ip-dst: address and prefix length. */
  ip: string | null;
  prefix: number | null;
  /** mac-src/mac-dst. */
  mac: string | null;
  /** The printed argument (`1`, `0x22`, `10.0.0.1/32`); empty for `gratuitous`. */
  text: string;
}

/**
 * ebtables IPv4/IPv6 header matches (`--ip-source`, `--ip6-destination-port`, `--ip-tos`,
 * `--ip6-icmp-type`, …). `family` selects `ip` or `ip6`.
 */
export interface EbIpMatch extends Negatable {
  kind: 'eb-ip';
  family: 4 | 6;
  field: 'src' | 'dst' | 'protocol' | 'sport' | 'dport' | 'tos' | 'icmp-type';
  /** src/dst: address and prefix length (null = host, printed without `/`). */
  addr: string | null;
  prefix: number | null;
  /** protocol / tos: the number; sport/dport: the range. */
  value: number | null;
  range: NumRange | null;
  /** icmp-type (IPv6 only): type range and code range. */
  icmpType: NumRange | null;
  icmpCode: NumRange | null;
  /** The printed argument. */
  text: string;
  /**
   * The option as printed when it is not the rule printer's spelling: libvirt's IP-learning rules
   * write `--ip-src`, `--ip-sport`, `--ip-dport` (see `core/learning`).
   */
  opt?: string;
}

/** iptables `-p PROTO` (`tcp`, `udp`, `udplite`, `sctp`, `icmp`, `icmpv6`, `igmp`, `esp`, `ah`, `all`). */
export interface IptProtoMatch {
  kind: 'ipt-proto';
  proto: string;
}

/** iptables `-m mac [!] --mac-source MAC`. */
export interface IptMacMatch extends Negatable {
  kind: 'ipt-mac';
  mac: string;
}

/** iptables `[!] --source ADDR[/PREFIX]` / `--destination`. */
export interface IptAddrMatch extends Negatable {
  kind: 'ipt-addr';
  field: 'src' | 'dst';
  addr: string;
  prefix: number | null;
  /** Printed text: `10.1.2.3/32` or `10.1.2.3`. */
  text: string;
}

/** iptables `-m iprange [!] --src-range A[-B]` / `--dst-range`. */
export interface IptRangeMatch extends Negatable {
  kind: 'ipt-iprange';
  field: 'src' | 'dst';
  from: string;
  to: string | null;
}

/** iptables `-m dscp [!] --dscp N`. */
export interface IptDscpMatch extends Negatable {
  kind: 'ipt-dscp';
  dscp: number;
  text: string;
}

/** iptables `[!] --tcp-flags MASK COMP` (flag lists as printed: `SYN,ACK`, `ALL`, `NONE`). */
export interface IptTcpFlagsMatch extends Negatable {
  kind: 'ipt-tcp-flags';
  mask: string[];
  comp: string[];
  maskText: string;
  compText: string;
}

/** iptables `[!] --sport lo[:hi]` / `--dport`. */
export interface IptPortMatch extends Negatable {
  kind: 'ipt-port';
  field: 'sport' | 'dport';
  range: NumRange;
  text: string;
}

/** iptables `[!] --tcp-option N`. */
export interface IptTcpOptionMatch extends Negatable {
  kind: 'ipt-tcp-option';
  option: number;
  text: string;
}

/** iptables `[!] --icmp-type T[/C]` (`family` 6 prints `--icmpv6-type`). */
export interface IptIcmpMatch extends Negatable {
  kind: 'ipt-icmp';
  family: 4 | 6;
  type: number;
  code: number | null;
  text: string;
}

/** Conntrack states, in libvirt's printing order. */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';

/** iptables `-m conntrack --ctstate A,B`. */
export interface IptCtStateMatch {
  kind: 'ipt-ctstate';
  states: CtState[];
}

/** iptables `-m conntrack --ctdir Original|Reply`. */
export interface IptCtDirMatch {
  kind: 'ipt-ctdir';
  dir: 'Original' | 'Reply';
}

/** iptables `-m set --match-set NAME src,dst` (flags already swapped for the chain's direction). */
export interface IptSetMatch {
  kind: 'ipt-set';
  set: string;
  flags: ('src' | 'dst')[];
}

/** iptables `-m connlimit [!] --connlimit-above N`. */
export interface IptConnlimitMatch extends Negatable {
  kind: 'ipt-connlimit';
  above: number;
  text: string;
}

/** iptables `-m comment --comment TEXT` (never affects evaluation). */
export interface IptCommentMatch {
  kind: 'ipt-comment';
  comment: string;
}

/** iptables `-m physdev [--physdev-is-bridged] --physdev-in|--physdev-out IF` (root chain links). */
export interface IptPhysdevMatch {
  kind: 'ipt-physdev';
  dir: 'in' | 'out';
  iface: string;
  isBridged: boolean;
}

/** Every match an IR rule can hold. A rule matches when all its matches match. */
export type Match =
  | EbIfaceMatch
  | EbMacMatch
  | EbProtoMatch
  | EbVlanMatch
  | EbStpMatch
  | EbArpMatch
  | EbIpMatch
  | IptProtoMatch
  | IptMacMatch
  | IptAddrMatch
  | IptRangeMatch
  | IptDscpMatch
  | IptTcpFlagsMatch
  | IptPortMatch
  | IptTcpOptionMatch
  | IptIcmpMatch
  | IptCtStateMatch
  | IptCtDirMatch
  | IptSetMatch
  | IptConnlimitMatch
  | IptCommentMatch
  | IptPhysdevMatch;

/** One rule of a chain. */
export interface IrRule {
  /** All must match, in order (the order is also the printed argument order). */
  matches: Match[];
  target: Target;
  /** The XML rule it came from; null for libvirt's structural rules (links, sub-chain jumps). */
  provenance: Provenance | null;
  /**
   * Position in libvirt's emission order within the table (unique per table, ascending).
   * libvirt appends rules to several chains in an interleaved order; `seq` preserves it so the
   * `args` printer reproduces libvirt's command sequence exactly.
   */
  seq: number;
}

/**
 * Chain roles:
 * - `builtin`: PREROUTING/POSTROUTING (ebtables nat), FORWARD/INPUT (ip[6]tables filter); only the
 *   rules libvirt adds are listed.
 * - `libvirt-root`: libvirt-in / libvirt-out / libvirt-in-post / libvirt-host-in (shared by all interfaces).
 * - `iface-root`: per-interface root chains (libvirt-I-vnet0, libvirt-O-vnet0, FI-/FO-/HI-vnet0).
 * - `iface-sub`: ebtables per-interface sub chains (I-vnet0-ipv4 …).
 */
export type ChainKind = 'builtin' | 'libvirt-root' | 'iface-root' | 'iface-sub';

/**
 * A chain. Falling off the end of a user chain returns to the caller (ebtables creates user chains
 * with policy RETURN; iptables user chains return implicitly); a `goto` entry returns to the caller
 * of the chain that did the goto. Built-in chains end in the host's policy (ACCEPT on a host
 * without other rules), which is not part of the IR.
 */
export interface IrChain {
  /** Final name, as left installed (`libvirt-I-vnet0`, `I-vnet0-ipv4`, `FI-vnet0`, `libvirt-in`, `FORWARD`). */
  name: string;
  /** libvirt's temporary name during apply (`libvirt-J-vnet0`, `J-vnet0-ipv4`, `FJ-vnet0`); equals `name` when none. */
  tempName: string;
  kind: ChainKind;
  /**
   * For ebtables chains of the interface: `in` = traffic sent by the VM (I/J chains),
   * `out` = traffic to the VM (O/P chains). For iptables: FI/HI = `in`, FO = `out`.
   */
  dir: 'in' | 'out' | null;
  /** For `iface-sub` chains: the filter chain name (`ipv4`, `arp-xyz`) and its chain priority. */
  suffix: string | null;
  priority: number | null;
  rules: IrRule[];
}

/** One table of one front end (`ebtables -t nat`, `iptables -t filter`, `ip6tables -t filter`). */
export interface IrTable {
  family: TableFamily;
  name: 'nat' | 'filter';
  /** Chains in creation order (builtin chains first). */
  chains: IrChain[];
}

/** The complete ruleset libvirt installs for one interface. */
export interface Ruleset {
  backend: 'ebiptables';
  iface: string;
  /** Only the tables libvirt touches for this filter (ip6tables only when there are IPv6 rules, …). */
  tables: IrTable[];
}

/** Chain name helpers, shared by compiler and printers. */
export const chainNames = {
  /** ebtables root chain: `libvirt-I-vnet0` (final) / `libvirt-J-vnet0` (temp). */
  ebRoot(dir: 'in' | 'out', iface: string, temp: boolean): string {
    const p = dir === 'in' ? (temp ? 'J' : 'I') : temp ? 'P' : 'O';
    return `libvirt-${p}-${iface}`;
  },
  /** ebtables sub chain: `I-vnet0-ipv4` (final) / `J-vnet0-ipv4` (temp). */
  ebSub(dir: 'in' | 'out', iface: string, suffix: string, temp: boolean): string {
    const p = dir === 'in' ? (temp ? 'J' : 'I') : temp ? 'P' : 'O';
    return `${p}-${iface}-${suffix}`;
  },
  /** iptables interface chain: `FI-vnet0`, `FO-vnet0`, `HI-vnet0` (final) / `FJ`, `FP`, `HJ` (temp). */
  ipt(which: 'FI' | 'FO' | 'HI', iface: string, temp: boolean): string {
    if (!temp) return `${which}-${iface}`;
    const t = which === 'FI' ? 'FJ' : which === 'FO' ? 'FP' : 'HJ';
    return `${t}-${iface}`;
  },
};

/** Find a chain by final name in a table. */
export function findChain(table: IrTable, name: string): IrChain | undefined {
  return table.chains.find((c) => c.name === name);
}
