/**
 * The Parity tab's data: the open filter bound with the Simulator's settings, both backends
 * compared rule by rule, and every scenario packet and custom packet run through both. Plain,
 * structured-clone friendly data: the simulator worker computes it.
 */
import { simSettingsOf } from '../host';
import { getBuiltinFilter } from '../library';
import type { FilterDoc } from '../model/types';
import type { Diagnostic } from '../model/types';
import { buildCustomFrames, hostProfileOf, hostsFor } from '../sim/run-simulation';
import type {
  BindingFailureView,
  CustomPacket,
  SimFilterSet,
  SimSettings,
} from '../sim/run-simulation';
import type { BehaviourComparison } from './compare-behaviour';
import { compareBehaviour, scenarioRuns } from './compare-behaviour';
import { compareBackends } from './compare-backends';
import type { RegionComparison } from './compare-regions';
import { compareRegions } from './compare-regions';
import type { RuleParity } from './compare-rules';

/**
 * The most regions (per side, all paths) the Parity tab diffs: a 1,000-rule filter (17,000) takes
 * a few seconds in the worker; a larger one is left to the command line.
 */
export const PARITY_VIEW_MAX_REGIONS = 20_000;

/** One backend's binding problems: at a rule (`ruleIndex` set) or filterref, or without a place. */
export interface ParitySideView {
  binds: boolean;
  failures: BindingFailureView[];
  problems: string[];
}

/** Both backends side by side for the open filter. */
export interface ParityView {
  /** The label of the nftables side. */
  label: string;
  /** Instantiation problems (neither backend compiled). */
  problems: string[];
  ebiptables: ParitySideView;
  nftables: ParitySideView;
  rules: RuleParity[];
  packets: BehaviourComparison;
  /** Over all packets: the regions whose verdict differs (ebiptables before, nftables after). */
  regions: RegionComparison;
  /**
   * Set when the binding has no `IP` and libvirt learns it: the rules are compared as they are
   * once it learned `address`, the packets run through each driver's learning phases, and this
   * is what each driver installs while it learns.
   */
  learning?: { mode: 'any' | 'dhcp'; address: string; ebiptables: string; nftables: string };
}

function sideView(ruleset: unknown, errors: readonly Diagnostic[]): ParitySideView {
  const failures: BindingFailureView[] = [];
  const problems: string[] = [];
  for (const d of errors) {
    if (d.entry) failures.push({ code: d.code, message: d.message, ...d.entry });
    else problems.push(`${d.code}: ${d.message}`);
  }
  return { binds: ruleset !== null, failures, problems };
}

/**
 * Compares the backends for `set.root` bound as the Simulator binds it (vnet0, the `IP`/`MAC`
 * parameters, the host profile), running every scenario and, when there are any, the custom
 * packets.
 */
export function compareBackendsForSim(
  set: SimFilterSet,
  settings: SimSettings,
  customPackets: readonly CustomPacket[] = [],
): ParityView {
  const lookup = (name: string): FilterDoc | undefined =>
    set.filters.find((f) => f.name === name) ?? getBuiltinFilter(name, settings.libvirt)?.doc;
  const hosts = hostsFor(settings);
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(settings.params)) if (k !== 'MAC' && v.length) params[k] = v;
  const host = simSettingsOf(hostProfileOf(settings));
  const cmp = compareBackends(
    lookup,
    set.root,
    { iface: 'vnet0', mac: hosts.vm.mac, params },
    { address: hosts.vm.ip, host },
  );
  const problems = cmp.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.code}: ${d.message}`);
  const eb = cmp.ebiptables.ruleset;
  const nft = cmp.nftables.ruleset;
  const unbound = 'a backend cannot bind the filter, so no packet runs through it';
  let packets: BehaviourComparison = { available: false, reason: unbound };
  let regions: RegionComparison = { available: false, reason: unbound };
  if (eb && nft) {
    regions = compareRegions(eb, nft, host, PARITY_VIEW_MAX_REGIONS);
    const runs = scenarioRuns(hosts, host);
    if (customPackets.length > 0)
      runs.push({
        name: 'custom',
        title: 'Custom packets',
        frames: buildCustomFrames([...customPackets], hosts),
        settings: host,
      });
    packets = compareBehaviour(eb, nft, runs, cmp.learning?.runs);
  }
  return {
    label: cmp.nftablesLabel,
    problems,
    ebiptables: sideView(eb, cmp.ebiptables.errors),
    nftables: sideView(nft, cmp.nftables.errors),
    rules: cmp.rules,
    packets,
    regions,
    ...(cmp.learning
      ? {
          learning: {
            mode: cmp.learning.plan.mode,
            address: cmp.learning.address,
            ...cmp.learning.whileLearning,
          },
        }
      : {}),
  };
}
