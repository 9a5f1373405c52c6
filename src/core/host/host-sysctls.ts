/**
 * Every conntrack and bridge-netfilter sysctl a Linux 6.18 host prints with `sysctl -a`
 * (nf_conntrack_standalone.c, nf_conntrack_proto_*.c, nf_conntrack_reasm.c, br_netfilter_hooks.c,
 * plus nf_flow_table's two when that module is loaded), each with what the simulator makes of it.
 */
import { DEFAULT_SYSCTL } from '../conntrack/sysctl';

/**
 * `modelled`: the simulator applies it. `no-effect`: the kernel has it, but it changes no
 * packet's fate under libvirt's rules. `not-modelled`: it can change a fate in a case the
 * simulator does not represent (the reason says which).
 */
export type SysctlEffect = 'modelled' | 'no-effect' | 'not-modelled';

export interface HostSysctlInfo {
  /** The name as `sysctl -a` prints it. */
  full: string;
  /** The key a host profile stores it under (the name without `net.netfilter.` / `net.bridge.`). */
  key: string;
  /** The value of a fresh network namespace (Linux 6.18). */
  default: number;
  effect: SysctlEffect;
  /** Why it has no effect / is not modelled; what it does when modelled. */
  why: string;
  /** Allowed values (inclusive). */
  min: number;
  max: number;
  /** The kernel refuses writes (mode 0444). */
  readOnly?: true;
}

const INT_MAX = 2147483647;
const NF = 'net.netfilter.';
const BR = 'net.bridge.';

function entry(
  full: string,
  def: number,
  effect: SysctlEffect,
  why: string,
  range: [number, number] = [0, INT_MAX],
  readOnly = false,
): HostSysctlInfo {
  const key = full.startsWith(NF) ? full.slice(NF.length) : full.slice(BR.length);
  return {
    full,
    key,
    default: def,
    effect,
    why,
    min: range[0],
    max: range[1],
    ...(readOnly ? { readOnly: true as const } : {}),
  };
}

const BOOL: [number, number] = [0, 1];

/** The conntrack tunables the tracker reads on every packet (timeouts, TCP window checks). */
const TRACKER_SYSCTLS: HostSysctlInfo[] = Object.entries(DEFAULT_SYSCTL).map(([name, def]) =>
  entry(
    NF + name,
    def,
    'modelled',
    name.includes('timeout')
      ? 'read on every packet: an entry expires this long after its last packet'
      : 'read on every packet by the TCP tracker',
    /loose|liberal|ignore_invalid_rst/.test(name)
      ? BOOL
      : name === 'nf_conntrack_tcp_max_retrans'
        ? [0, 255]
        : [0, INT_MAX],
  ),
);

/** The whole catalogue, in `sysctl -a` order within each group. */
export const HOST_SYSCTLS: readonly HostSysctlInfo[] = Object.freeze([
  entry(
    `${BR}bridge-nf-call-arptables`,
    1,
    'no-effect',
    'libvirt installs no arptables rules (ARP is filtered in ebtables)',
    BOOL,
  ),
  entry(
    `${BR}bridge-nf-call-ip6tables`,
    1,
    'modelled',
    '0: bridged IPv6 bypasses ip6tables and conntrack, so libvirt’s ip6tables rules never see it',
    BOOL,
  ),
  entry(
    `${BR}bridge-nf-call-iptables`,
    1,
    'modelled',
    '0: bridged IPv4 bypasses iptables and conntrack, so libvirt’s iptables rules never see it',
    BOOL,
  ),
  entry(
    `${BR}bridge-nf-filter-pppoe-tagged`,
    0,
    'not-modelled',
    '1 passes IP inside PPPoE session frames to iptables; the simulator does not decode PPPoE',
    BOOL,
  ),
  entry(
    `${BR}bridge-nf-filter-vlan-tagged`,
    0,
    'modelled',
    '1 passes 802.1Q-tagged IP to iptables/ip6tables (0: only ebtables sees it)',
    BOOL,
  ),
  entry(
    `${BR}bridge-nf-pass-vlan-input-dev`,
    0,
    'no-effect',
    'changes the input device iptables sees for VLAN frames; libvirt matches the bridge port (physdev)',
    BOOL,
  ),
  entry(`${NF}nf_conntrack_acct`, 0, 'no-effect', 'byte and packet counters per entry', BOOL),
  entry(`${NF}nf_conntrack_buckets`, 262144, 'no-effect', 'hash table size', [1, INT_MAX]),
  entry(
    `${NF}nf_conntrack_checksum`,
    1,
    'not-modelled',
    '1 makes a packet with a bad TCP/UDP/ICMP checksum INVALID; the simulator takes every checksum as valid',
    BOOL,
  ),
  entry(
    `${NF}nf_conntrack_count`,
    0,
    'no-effect',
    'the number of entries (read-only)',
    [0, INT_MAX],
    true,
  ),
  entry(`${NF}nf_conntrack_events`, 2, 'no-effect', 'event delivery to ctnetlink', [0, 2]),
  entry(
    `${NF}nf_conntrack_expect_max`,
    4096,
    'not-modelled',
    'a helper cannot add an expectation beyond it (the packet is dropped); the simulator has no limit',
    [1, INT_MAX],
  ),
  entry(`${NF}nf_conntrack_frag6_high_thresh`, 4194304, 'no-effect', 'IPv6 reassembly memory'),
  entry(`${NF}nf_conntrack_frag6_low_thresh`, 3145728, 'no-effect', 'IPv6 reassembly memory'),
  entry(
    `${NF}nf_conntrack_frag6_timeout`,
    60,
    'no-effect',
    'IPv6 fragment reassembly; the simulator passes no fragments',
  ),
  entry(
    `${NF}nf_conntrack_gre_timeout`,
    30,
    'not-modelled',
    'GRE is tracked like any other protocol (generic timeout)',
  ),
  entry(
    `${NF}nf_conntrack_gre_timeout_stream`,
    180,
    'not-modelled',
    'GRE is tracked like any other protocol (generic timeout)',
  ),
  entry(`${NF}nf_conntrack_log_invalid`, 0, 'no-effect', 'logging of INVALID packets', [0, 255]),
  entry(
    `${NF}nf_conntrack_max`,
    262144,
    'not-modelled',
    'a new connection is dropped when the table is full; the simulator’s table has no limit',
  ),
  entry(`${NF}nf_conntrack_timestamp`, 0, 'no-effect', 'start/stop timestamps per entry', BOOL),
  entry(
    `${NF}nf_flowtable_tcp_timeout`,
    30,
    'no-effect',
    'flow offload; libvirt adds no flowtable',
  ),
  entry(
    `${NF}nf_flowtable_udp_timeout`,
    30,
    'no-effect',
    'flow offload; libvirt adds no flowtable',
  ),
  entry(`${NF}nf_hooks_lwtunnel`, 0, 'no-effect', 'netfilter hooks for lightweight tunnels', BOOL),
  ...TRACKER_SYSCTLS,
]);

const BY_KEY = new Map(HOST_SYSCTLS.map((s) => [s.key, s]));

/**
 * The catalogue entry for a sysctl name as a user writes it: `nf_conntrack_icmp_timeout`,
 * `net.netfilter.nf_conntrack_icmp_timeout`, `bridge-nf-call-iptables` or
 * `net.bridge.bridge-nf-call-iptables` (also with `/` for `.`, as under /proc/sys).
 */
export function lookupHostSysctl(name: string): HostSysctlInfo | null {
  const n = name
    .trim()
    .replace(/^\/?proc\/sys\//, '')
    .replace(/\//g, '.');
  const key = n.startsWith(NF) ? n.slice(NF.length) : n.startsWith(BR) ? n.slice(BR.length) : n;
  return BY_KEY.get(key) ?? null;
}

/**
 * Checks one sysctl assignment as the kernel's handler would take it; returns the catalogue entry
 * and the value, or a message saying what is wrong.
 */
export function checkHostSysctl(
  name: string,
  value: string | number,
): { info: HostSysctlInfo; value: number } | { error: string; at: 'name' | 'value' } {
  const info = lookupHostSysctl(name);
  if (!info) {
    return {
      at: 'name',
      error: `unknown sysctl '${name}': not a conntrack (net.netfilter.nf_conntrack_*) or bridge-netfilter (net.bridge.bridge-nf-*) sysctl of Linux`,
    };
  }
  if (info.readOnly) return { at: 'name', error: `${info.full} is read-only` };
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^-?\d+$/.test(text))
    return { at: 'value', error: `${info.full} takes an integer, got '${value}'` };
  const n = Number(text);
  if (n < info.min || n > info.max) {
    return { at: 'value', error: `${info.full} takes ${info.min}–${info.max}, got ${n}` };
  }
  return { info, value: n };
}
