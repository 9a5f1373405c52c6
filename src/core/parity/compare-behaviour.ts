/**
 * What behaves differently: the same packets run through the ebiptables and the nftables rule
 * sets on the simulated bridge host, packet by packet, and every packet whose verdict or
 * conntrack state differs reported with the XML rule that decided on each side.
 */
import type { AnyRuleset } from '../compile/ir';
import {
  describeMissingIpset,
  describeMissingKernelFeature,
  findMissingIpsets,
  findMissingKernelFeatures,
} from '../host/host-binding';
import type { Ruleset } from '../compile/ebiptables/ir';
import type { NftRuleset } from '../compile/nftables/ir';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace, RuleRef, Side, Verdict } from '../netfilter/bridge-host';
import { LearningTimeline } from '../sim/learning-timeline';
import type { LearningRun } from '../sim/learning-timeline';
import { scenarioSettings } from '../sim/run-scenario';
import type { ScenarioFrame, ScenarioHosts } from '../sim/scenarios';
import { SCENARIOS } from '../sim/scenarios';

/** A sequence of packets to run through both rule sets (a scenario, the custom packets). */
export interface BehaviourRun {
  /** `ftp-active`, `custom`. */
  name: string;
  title: string;
  frames: readonly ScenarioFrame[];
  settings: HostSettings;
}

/** One side's fate of a packet; null when the packet was not sent (what it answers was not delivered). */
export interface PacketFate {
  verdict: Verdict;
  ctstate: string | null;
  /** The XML rule that decided, or null (no filter rule decided). */
  rule: RuleRef | null;
  /** The simulator's error for a packet it could not interpret. */
  error: string | null;
}

/** A packet whose fate differs between the backends. */
export interface PacketParity {
  run: string;
  title: string;
  /** Index of the frame in its run (what the simulator shows as packet index + 1). */
  index: number;
  label: string;
  side: Side;
  summary: string;
  ebiptables: PacketFate | null;
  nftables: PacketFate | null;
}

/** The behaviour comparison, or why it cannot be made (a backend cannot bind the filter). */
export type BehaviourComparison =
  | { available: false; reason: string }
  | { available: true; runs: number; packets: number; differences: PacketParity[] };

function fateOf(t: PacketTrace): PacketFate {
  return { verdict: t.verdict, ctstate: t.ctstate, rule: t.rule, error: t.error };
}

/**
 * Runs `frames` through one rule set, as the Simulator does (a frame answering an undelivered one
 * is not sent); with `learning`, from the driver's learning rules through its phases.
 */
function runOne(
  ruleset: AnyRuleset,
  run: BehaviourRun,
  learning?: LearningRun,
): Map<number, { trace: PacketTrace }> {
  const host = new BridgeHost(ruleset, run.settings);
  const timeline = learning ? new LearningTimeline(learning, host) : null;
  const delivered = new Set<number>();
  const out = new Map<number, { trace: PacketTrace }>();
  let step = 0;
  run.frames.forEach((f, index) => {
    if (f.requires && !f.requires.every((r) => delivered.has(r))) return;
    timeline?.before(step, f.t);
    const trace = host.step(f.frame, f.side, f.t);
    timeline?.after(f.frame, f.side, trace, step++, f.t);
    if (trace.verdict === 'accept') delivered.add(index);
    out.set(index, { trace });
  });
  return out;
}

/** Both drivers' learning rules and learners, for a binding that learns its address. */
export interface BehaviourLearning {
  ebiptables: { ruleset: Ruleset; learning: LearningRun };
  nftables: { ruleset: NftRuleset; learning: LearningRun };
}

/**
 * Why the host cannot install one side's rules (an ipset it lacks, a kernel without
 * nf_conntrack_bridge), so that no traffic goes through that side to compare; null when it can.
 */
export function hostCannotInstall(
  ebiptables: AnyRuleset,
  nftables: AnyRuleset,
  host: HostSettings,
): string | null {
  const cannot = [
    ...findMissingIpsets(ebiptables, host.ipsets ?? {}).map(
      (m) => `ebiptables: ${describeMissingIpset(m)}`,
    ),
    ...findMissingKernelFeatures(nftables, host).map(
      (m) => `nftables: ${describeMissingKernelFeature(m)}`,
    ),
  ];
  return cannot.length > 0 ? `the host cannot install the rules — ${cannot.join(' ')}` : null;
}

/**
 * Runs every run through both rule sets and lists the packets whose verdict or conntrack state
 * differs (a packet sent on one side only counts as differing). With `learning` (a binding
 * without IP) each run starts on that driver's learning rules and goes through its learning
 * phases; `ebiptables` and `nftables` are then the rules after learning.
 */
export function compareBehaviour(
  ebiptables: Ruleset,
  nftables: NftRuleset,
  runs: readonly BehaviourRun[],
  learning?: BehaviourLearning,
): BehaviourComparison {
  const cannot = hostCannotInstall(ebiptables, nftables, runs[0]?.settings ?? {});
  if (cannot !== null) return { available: false, reason: cannot };
  const differences: PacketParity[] = [];
  let packets = 0;
  for (const run of runs) {
    const a = learning
      ? runOne(learning.ebiptables.ruleset, run, learning.ebiptables.learning)
      : runOne(ebiptables, run);
    const b = learning
      ? runOne(learning.nftables.ruleset, run, learning.nftables.learning)
      : runOne(nftables, run);
    run.frames.forEach((f, index) => {
      const x = a.get(index)?.trace;
      const y = b.get(index)?.trace;
      if (!x && !y) return;
      packets++;
      const ex = x ? fateOf(x) : null;
      const ny = y ? fateOf(y) : null;
      if (ex && ny && ex.verdict === ny.verdict && ex.ctstate === ny.ctstate) return;
      differences.push({
        run: run.name,
        title: run.title,
        index,
        label: f.label,
        side: f.side,
        summary: (x ?? y)?.summary ?? f.label,
        ebiptables: ex,
        nftables: ny,
      });
    });
  }
  return { available: true, runs: runs.length, packets, differences };
}

/** Every scenario of the simulator as a run, with the VM's addresses and the host's settings. */
export function scenarioRuns(hosts: ScenarioHosts, settings: HostSettings): BehaviourRun[] {
  return SCENARIOS.map((sc) => ({
    name: sc.name,
    title: sc.title,
    frames: sc.build(hosts),
    settings: scenarioSettings(sc, settings),
  }));
}
