/**
 * nftables Ruleset IR — what libvirt's *proposed* nftables nwfilter driver (Dion Bosschieter's
 * patch series v5/v6, not in any libvirt release) installs for one interface.
 *
 * Layout (interface `vnet0`), two tables of the `bridge` family:
 *
 * ```
 * table bridge libvirt_nwfilter_ethernet        (ethernet rules: mac, vlan, stp, arp, rarp, ip, ipv6)
 *   set same-ip-set                              (ipv4 . ipv4 pairs, for gratuitous-ARP matching)
 *   map vmap-oif { vnet0 : jump vnet0-in }       (frames sent TO the VM)
 *   map vmap-iif { vnet0 : jump vnet0-out }      (frames sent BY the VM)
 *   chain postrouting  hook postrouting priority 0   oif vmap @vmap-oif
 *   chain prerouting   hook prerouting  priority 0   iif vmap @vmap-iif
 *   chain vnet0-in / vnet0-out                   root chains (filter chain 'root')
 *   chain vnet0-<chain>-in / -out                sub chains, entered by a protocol-selecting jump
 * table bridge libvirt_nwfilter_inet            (tcp, udp, icmp, all, … : every rule in the root chains,
 *   … the same maps and base chains, priority 1  with ct state / ct direction / ct count)
 * ```
 *
 * libvirt first creates every per-interface chain under a temporary name (`n-vnet0-in`,
 * `n-vnet0-ipv4-in`), points the vmaps at them, then renames them (`vnet0-in`). Chains carry both
 * names; jump targets and map elements name the FINAL chain.
 *
 * Every rule test is an nft relational expression ({@link NftMatch}): a selector read from the
 * frame or from conntrack, an optional mask, equal / not equal, and a right-hand value — plus the
 * exact argument vector libvirt hands to `nft`, so the printers never re-derive text.
 *
 * @packageDocumentation
 */

import type { Provenance } from '../../instantiate/types';

/** The two tables the driver creates. */
export const NFT_TABLES = {
  ethernet: 'libvirt_nwfilter_ethernet',
  inet: 'libvirt_nwfilter_inet',
} as const;

export type NftTableName = (typeof NFT_TABLES)[keyof typeof NFT_TABLES];

/** The hook priority of each table's base chains (the driver's `priority 0` / `priority 1`). */
export const NFT_TABLE_PRIORITY: Readonly<Record<NftTableName, number>> = {
  [NFT_TABLES.ethernet]: 0,
  [NFT_TABLES.inet]: 1,
};

/** The comment the driver puts on both tables. */
export const NFT_TABLE_COMMENT =
  'Managed by libvirt for network filters: https://libvirt.org/firewall.html#the-network-filter-driver';

/** The label every nftables output carries: this backend is not in a libvirt release. */
export const NFT_BACKEND_LABEL =
  "libvirt's proposed nftables driver (series v5/v6, not yet in a release)";

/**
 * One relational test of an nft rule: `selector [& mask] (==|!=) value`.
 *
 * - `selector`: what nft reads — `ether saddr`, `ip daddr`, `meta l4proto`, `tcp flags`,
 *   `ct state`, `ct direction`, `ct count`, a raw payload `@nh,OFFSET,LENGTH`, or the gratuitous-ARP
 *   concatenation `arp saddr ip . arp daddr ip`.
 * - `value`: the right-hand side as nft reads it: `10.1.2.3/32`, `20-21`, `syn,ack`,
 *   `new,established`, `@same-ip-set`, `0x0800`. `ct count` matches when the count is over `value`.
 * - `negated`: what the installed rule means (libvirt's stp ranges print `!=` for a plain match:
 *   the meaning follows what nft does with the printed text).
 * - `args`: libvirt's exact argument vector for this test (the `args` printer prints them verbatim).
 */
export interface NftMatch {
  selector: string;
  mask: string | null;
  negated: boolean;
  value: string;
  args: string[];
}

/**
 * What a rule does when all its matches match, in the shape every backend's IR shares: `ACCEPT`,
 * `DROP` (REJECT is already `drop`), `RETURN`, `CONTINUE` (nft `continue`), or `jump CHAIN`.
 */
export type NftTarget =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'CONTINUE' }
  | { kind: 'jump'; chain: string };

/** Something the nftables driver does differently from the ebiptables driver for this rule. */
export type NftChange =
  { kind: 'reject-as-drop' } | { kind: 'ipset-ignored'; set: string } | { kind: 'connlimit-count' };

/** One rule of a chain. */
export interface NftRule {
  matches: NftMatch[];
  target: NftTarget;
  /**
   * Base chains: the rule is the verdict-map dispatch `oif vmap @vmap-oif` — one IR rule per map
   * element (`oif == vnet0` → `jump vnet0-in`), printed as the single map lookup.
   */
  viaMap: 'vmap-oif' | 'vmap-iif' | null;
  /** The rule comment (`usercomment=…`, double quotes already replaced by libvirt); null when none. */
  comment: string | null;
  /** The XML rule it came from; null for the driver's structural rules (dispatch, sub-chain jumps). */
  provenance: Provenance | null;
  /** Differences from the ebiptables driver, for the parity view and lint. */
  changes: NftChange[];
  /** Position in libvirt's command sequence (shared by chains and rules, ascending). */
  seq: number;
}

/**
 * Chain roles: `base` (prerouting/postrouting, hooked, shared by all interfaces), `iface-root`
 * (`vnet0-in`/`vnet0-out`), `iface-sub` (`vnet0-ipv4-in`, …; ethernet table only).
 */
export type NftChainKind = 'base' | 'iface-root' | 'iface-sub';

export interface NftChain {
  /** Final name (`vnet0-in`, `vnet0-arp-in`, `postrouting`). */
  name: string;
  /** Name while libvirt builds it (`n-vnet0-in`); equals `name` for base chains. */
  tempName: string;
  kind: NftChainKind;
  /** Base chains: the bridge hook and priority (policy accept). */
  hook: 'prerouting' | 'postrouting' | null;
  priority: number | null;
  /** `in` = frames to the VM (oif, postrouting), `out` = frames from the VM (iif, prerouting). */
  dir: 'in' | 'out' | null;
  /** Sub chains: the filter chain name (`ipv4`, `arp-xyz`) and its chain priority. */
  suffix: string | null;
  chainPriority: number | null;
  /** Position in libvirt's command sequence (-1 for the shared base chains). */
  seq: number;
  rules: NftRule[];
}

/** A verdict map: interface → `jump` to its chain. */
export interface NftVmap {
  name: 'vmap-oif' | 'vmap-iif';
  elements: { iface: string; chain: string }[];
}

export interface NftTable {
  family: 'bridge';
  name: NftTableName;
  /** The ethernet table holds `same-ip-set` (gratuitous ARP). */
  hasSameIpSet: boolean;
  maps: NftVmap[];
  /** Base chains first, then the interface chains in creation order. */
  chains: NftChain[];
}

/** The complete nftables ruleset libvirt's proposed driver installs for one interface. */
export interface NftRuleset {
  backend: 'nftables';
  iface: string;
  /** Always both tables (ethernet, inet), as the driver creates them. */
  tables: NftTable[];
}

/** Chain names of the driver for one interface. */
export const nftChainNames = {
  /** `vnet0-in` / `n-vnet0-in`. */
  root(dir: 'in' | 'out', iface: string, temp: boolean): string {
    return `${temp ? 'n-' : ''}${iface}-${dir}`;
  },
  /** `vnet0-ipv4-in` / `n-vnet0-ipv4-in`. */
  sub(dir: 'in' | 'out', iface: string, suffix: string, temp: boolean): string {
    return `${temp ? 'n-' : ''}${iface}-${suffix}-${dir}`;
  },
};

/**
 * The port's root chain `dir` (`vnet0-in`), built under the temporary name (`n-vnet0-in`) when
 * `renamed` (a filter's rules) or under its final name (the learning rules).
 */
export function nftRootChainSpec(
  dir: 'in' | 'out',
  iface: string,
  renamed: boolean,
): Omit<NftChain, 'seq' | 'rules'> {
  return {
    name: nftChainNames.root(dir, iface, false),
    tempName: nftChainNames.root(dir, iface, renamed),
    kind: 'iface-root',
    hook: null,
    priority: null,
    dir,
    suffix: null,
    chainPriority: null,
  };
}

/** Find a chain of a table by its final name. */
export function findNftChain(table: NftTable, name: string): NftChain | undefined {
  return table.chains.find((c) => c.name === name);
}
