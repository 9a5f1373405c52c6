/**
 * From the host profile (what the user describes) to what the simulated host runs with: sysctls as
 * numbers split by who reads them (conntrack, bridge netfilter), events in time order.
 */
import { DEFAULT_SYSCTL } from '../conntrack/sysctl';
import type { IpsetSpec, IpsetType } from './host-ipsets';
import { checkIpset, isIpsetType, IPSET_TYPES, splitIpsetMembers } from './host-ipsets';
import type { HostProfile } from './host-profile';
import { checkBridgeAddress, checkKernelRelease } from './host-profile';
import { checkHostSysctl } from './host-sysctls';
import { DEFAULT_KERNEL_RELEASE } from './kernel-release';

/** The bridge-netfilter switches that decide which frames reach iptables/ip6tables. */
export interface BridgeNfSettings {
  /** bridge-nf-call-iptables (default 1). */
  callIptables: boolean;
  /** bridge-nf-call-ip6tables (default 1). */
  callIp6tables: boolean;
  /** bridge-nf-filter-vlan-tagged (default 0). */
  filterVlanTagged: boolean;
}

/** A sysctl change as the simulator applies it: at `t`, these conntrack / bridge values. */
export interface HostRuntimeEvent {
  t: number;
  conntrack: Record<string, number>;
  bridge: Partial<BridgeNfSettings>;
}

/** What the simulated host needs from a profile. */
export interface HostRuntime {
  ftpHelper: boolean;
  bridgeAddress: string | null;
  /** Conntrack tunables by bare name (only those the tracker reads). */
  sysctl: Record<string, number>;
  bridgeNf: BridgeNfSettings;
  ipsets: Record<string, IpsetSpec>;
  events: HostRuntimeEvent[];
}

const BRIDGE_KEYS: Record<string, keyof BridgeNfSettings> = {
  'bridge-nf-call-iptables': 'callIptables',
  'bridge-nf-call-ip6tables': 'callIp6tables',
  'bridge-nf-filter-vlan-tagged': 'filterVlanTagged',
};

function split(sysctls: Record<string, string>): {
  conntrack: Record<string, number>;
  bridge: Partial<BridgeNfSettings>;
} {
  const conntrack: Record<string, number> = {};
  const bridge: Partial<BridgeNfSettings> = {};
  for (const [key, value] of Object.entries(sysctls)) {
    const n = Number(value);
    if (Object.hasOwn(DEFAULT_SYSCTL, key)) conntrack[key] = n;
    const b = BRIDGE_KEYS[key];
    if (b) bridge[b] = n !== 0;
  }
  return { conntrack, bridge };
}

/** The runtime form of a (valid) host profile. */
export function hostRuntimeOf(profile: HostProfile): HostRuntime {
  const { conntrack, bridge } = split(profile.sysctls);
  return {
    ftpHelper: profile.ftpHelper,
    bridgeAddress: profile.bridgeAddress,
    sysctl: conntrack,
    bridgeNf: { callIptables: true, callIp6tables: true, filterVlanTagged: false, ...bridge },
    ipsets: profile.ipsets,
    events: profile.events.map((e) => ({ t: e.t, ...split(e.sysctls) })),
  };
}

/** Command-line overrides of a profile (`--bridge-address`, `--ipset`, `--sysctl`, `--ftp-helper`). */
export interface HostOverrides {
  ftpHelper?: boolean;
  /** A CIDR, or `none` for no address. */
  bridgeAddress?: string;
  /** `NAME=VALUE` each. */
  sysctls?: readonly string[];
  /** `NAME[:TYPE]=MEMBER[,MEMBER…]` each (TYPE default hash:ip). */
  ipsets?: readonly string[];
  /** `--nf-conntrack-bridge yes|no`. */
  nfConntrackBridge?: string;
  /** `--kernel RELEASE`. */
  kernel?: string;
}

/**
 * Applies command-line overrides over a profile (flags win over the file). Returns the new
 * profile or the first problem, worded for the command line.
 */
export function applyHostOverrides(
  profile: HostProfile,
  o: HostOverrides,
): { profile: HostProfile } | { error: string } {
  const out: HostProfile = {
    ...profile,
    sysctls: { ...profile.sysctls },
    ipsets: { ...profile.ipsets },
  };
  if (o.ftpHelper) out.ftpHelper = true;
  if (o.nfConntrackBridge !== undefined) {
    if (o.nfConntrackBridge !== 'yes' && o.nfConntrackBridge !== 'no')
      return { error: `--nf-conntrack-bridge takes yes or no, not '${o.nfConntrackBridge}'` };
    out.nfConntrackBridge = o.nfConntrackBridge === 'yes';
  }
  if (o.kernel !== undefined) {
    const k = checkKernelRelease(o.kernel);
    if ('error' in k) return { error: `--kernel: ${k.error}` };
    out.kernel = k.release;
  }
  if (o.bridgeAddress !== undefined) {
    if (o.bridgeAddress === 'none') out.bridgeAddress = null;
    else {
      const bad = checkBridgeAddress(o.bridgeAddress);
      if (bad) return { error: `--bridge-address: ${bad.error} (or none)` };
      out.bridgeAddress = o.bridgeAddress.trim();
    }
  }
  for (const use of o.sysctls ?? []) {
    const eq = use.indexOf('=');
    if (eq <= 0) return { error: `--sysctl needs NAME=VALUE, got '${use}'` };
    const checked = checkHostSysctl(use.slice(0, eq), use.slice(eq + 1));
    if ('error' in checked) return { error: `--sysctl: ${checked.error}` };
    out.sysctls[checked.info.key] = String(checked.value);
  }
  for (const use of o.ipsets ?? []) {
    const m = /^([^:=\s]+)(?::([^=]+))?=(.*)$/.exec(use);
    if (!m) return { error: `--ipset needs NAME[:TYPE]=MEMBER[,MEMBER…], got '${use}'` };
    const [, name = '', typeText = 'hash:ip', list = ''] = m;
    if (!isIpsetType(typeText))
      return { error: `--ipset ${name}: type must be one of ${IPSET_TYPES.join(', ')}` };
    const type: IpsetType = typeText;
    const spec: IpsetSpec = { type, members: splitIpsetMembers(type, list) };
    const errors = checkIpset(spec);
    if (errors.length > 0) return { error: `--ipset ${name}: ${errors[0]}` };
    out.ipsets[name] = spec;
  }
  return { profile: out };
}

/**
 * The profile in the form the simulated bridge host takes (`new BridgeHost(ruleset, settings)`,
 * `runScenario`, `runCaptures`): structurally a `HostSettings` without the port names.
 */
export function simSettingsOf(profile: HostProfile): {
  ftpHelper: boolean;
  sysctl: Record<string, number>;
  ipsets: Record<string, IpsetSpec>;
  filterVlanTagged: boolean;
  callIptables: boolean;
  callIp6tables: boolean;
  bridgeAddress: string | null;
  events: HostRuntimeEvent[];
  nfConntrackBridge: boolean;
  kernel: string;
} {
  const r = hostRuntimeOf(profile);
  return {
    nfConntrackBridge: profile.nfConntrackBridge !== false,
    kernel: profile.kernel ?? DEFAULT_KERNEL_RELEASE,
    ftpHelper: r.ftpHelper,
    sysctl: r.sysctl,
    ipsets: r.ipsets,
    ...r.bridgeNf,
    bridgeAddress: r.bridgeAddress,
    events: r.events,
  };
}
