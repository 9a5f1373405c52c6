import type { Severity } from '../model/types';

/** One lint code: stable, never renumbered. */
export interface LintCodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

function entry(code: string, severity: Severity, title: string): LintCodeInfo {
  return { code, severity, title };
}

/**
 * The lint registry (NWF5xx; validate owns NWF0xx, instantiate NWF3xx). A code's severity here is
 * its usual one; a finding may raise it (CTRL_IP_LEARNING='none' without IP is an error).
 */
export const LINT_CODES = {
  UNREACHABLE_RULE: entry(
    'NWF501',
    'warning',
    'Rule can never match: an earlier rule always decides first',
  ),
  RELATED_WITHOUT_HELPER: entry(
    'NWF502',
    'warning',
    'RELATED state used while no conntrack helper is assigned',
  ),
  CONNLIMIT_AFTER_ACCEPT: entry(
    'NWF503',
    'warning',
    'connlimit drop rule comes after the accept it should limit',
  ),
  SSH_WITHOUT_DNS: entry('NWF504', 'warning', 'SSH allowed in, but DNS not allowed out'),
  STATEMATCH_FALSE: entry('NWF505', 'warning', "statematch='false' also opens the other direction"),
  CLEAN_TRAFFIC_NO_IP: entry(
    'NWF506',
    'warning',
    'clean-traffic without IP: libvirt learns the address',
  ),
  CLEAN_TRAFFIC_DHCP: entry(
    'NWF507',
    'warning',
    'DHCP under clean-traffic is blocked or untrusted',
  ),
  CHAIN_NEVER_SEES_PROTOCOL: entry(
    'NWF508',
    'warning',
    'Rule in a protocol chain that never sees its protocol',
  ),
  CHAIN_IGNORED: entry('NWF509', 'warning', 'Chain attribute has no effect on an IP-level rule'),
  REJECT_BRIDGED: entry('NWF510', 'warning', 'REJECT in the bridged path acts as DROP'),
  VLAN_BYPASS: entry('NWF511', 'warning', 'VLAN-tagged frames bypass the protocol rules'),
  IPV6_OPEN: entry('NWF512', 'warning', 'IPv6 left open while IPv4 is filtered'),
  CONNLIMIT_ICMP_TIMEOUT: entry(
    'NWF513',
    'info',
    'connlimit on ICMP counts pings long after they end',
  ),
  FTP_PASSIVE_DROPPED: entry(
    'NWF514',
    'warning',
    'Passive FTP data connections to the VM are dropped',
  ),
  CONNLIMIT_CLOSING: entry(
    'NWF515',
    'info',
    'connlimit drops the packet that closes a counted TCP connection',
  ),
  ATTRIBUTE_DROPPED: entry('NWF516', 'warning', 'libvirt drops or ignores this match attribute'),
  NO_IPTABLES_RULE: entry(
    'NWF517',
    'warning',
    'ICMP rule that never matches the packets it names (no rule installed, or untracked)',
  ),
  INOUT_PORTS: entry(
    'NWF518',
    'warning',
    "direction='inout' mirrors the ports: the VM's own connections are not covered",
  ),
  DSCP_REPLIES: entry('NWF519', 'warning', 'DSCP match also applied to the replies'),
  IPSET_MISSING: entry(
    'NWF520',
    'error',
    'The host has no such ipset: libvirt cannot bind the filter',
  ),
  KERNEL_MODULE_MISSING: entry(
    'NWF521',
    'error',
    "The host's kernel lacks a module the nftables rules need: libvirt cannot apply the filter",
  ),
  BACKEND_PARITY: entry(
    'NWF530',
    'info',
    "Installed differently by libvirt's proposed nftables driver: the rule's meaning changes",
  ),
} as const;

export type LintCodeKey = keyof typeof LINT_CODES;

const BY_CODE: ReadonlyMap<string, LintCodeInfo> = new Map(
  Object.values(LINT_CODES).map((e) => [e.code, e]),
);

/** The registry entry of a lint code such as `NWF501`, or undefined. */
export function getLintCodeInfo(code: string): LintCodeInfo | undefined {
  return BY_CODE.get(code);
}
