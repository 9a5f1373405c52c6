/**
 * Runs a scenario against a compiled ruleset on a simulated bridge host and
 * returns plain data: one trace per frame sent, the conntrack table and
 * expectations afterwards, and the per-rule counters.
 */
import type { AnyRuleset } from '../compile/ir';
import type { ConnView, ExpectationView } from '../conntrack/conntrack';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace, RuleCounter } from '../netfilter/bridge-host';
import type { Scenario, ScenarioHosts } from './scenarios';
import { DEFAULT_HOSTS } from './scenarios';
import { LearningTimeline } from './learning-timeline';
import { kernelFacts } from '../host/kernel-release';
import type { LearningPhase, LearningRun } from './learning-timeline';

export interface ScenarioRunOptions {
  /** The VM's and the remote host's addresses (VM: from the filter's IP/MAC parameters). */
  hosts?: { vm?: Partial<ScenarioHosts['vm']>; remote?: Partial<ScenarioHosts['remote']> };
  /** Host settings; the scenario's own settings override `ftpHelper` and add sysctls. */
  settings?: HostSettings;
  /** Virtual clock at the scenario's t = 0 (seconds). */
  startTime?: number;
  /**
   * The binding has no `IP` and libvirt learns it: `ruleset` is the rule set in force while it
   * learns, and the rules are rebuilt as the learner finds (or loses) addresses.
   */
  learning?: LearningRun;
}

export interface ScenarioStep {
  /** Index of the frame in the scenario. */
  index: number;
  label: string;
  trace: PacketTrace;
}

/** One rule's counters after a run (with its nft handle under the nftables backend). */
export type CounterView = RuleCounter;

export interface ScenarioRun {
  scenario: string;
  hosts: ScenarioHosts;
  steps: ScenarioStep[];
  /** Frames not sent because a frame they answer was not delivered. */
  skipped: { index: number; label: string }[];
  table: ConnView[];
  expectations: ExpectationView[];
  counters: CounterView[];
  /** The clock after the last frame. */
  endTime: number;
  /** With {@link ScenarioRunOptions.learning}: the learning phases on the timeline. */
  phases?: LearningPhase[];
}

/** The effective host settings for a scenario. */
export function scenarioSettings(scenario: Scenario, settings: HostSettings = {}): HostSettings {
  const out: HostSettings = {
    ...settings,
    sysctl: { ...(settings.sysctl ?? {}), ...(scenario.settings.sysctl ?? {}) },
  };
  if (scenario.settings.ftpHelper !== undefined) out.ftpHelper = scenario.settings.ftpHelper;
  return out;
}

/** Runs `scenario` through `ruleset`. */
export function runScenario(
  ruleset: AnyRuleset,
  scenario: Scenario,
  options: ScenarioRunOptions = {},
): ScenarioRun {
  const hosts: ScenarioHosts = {
    vm: { ...DEFAULT_HOSTS.vm, ...(options.hosts?.vm ?? {}) },
    remote: { ...DEFAULT_HOSTS.remote, ...(options.hosts?.remote ?? {}) },
  };
  const host = new BridgeHost(ruleset, scenarioSettings(scenario, options.settings));
  const learning = options.learning ? new LearningTimeline(options.learning, host) : null;
  const t0 = options.startTime ?? 0;
  const steps: ScenarioStep[] = [];
  const skipped: { index: number; label: string }[] = [];
  let end = t0;
  scenario.play(
    hosts,
    {
      send(f, index) {
        end = t0 + f.t;
        learning?.before(steps.length, end);
        const trace = host.step(f.frame, f.side, end);
        steps.push({ index, label: f.label, trace });
        learning?.after(f.frame, f.side, trace, steps.length - 1, end);
        return trace.verdict === 'accept';
      },
      skip: (f, index) => skipped.push({ index, label: f.label }),
    },
    kernelFacts(options.settings?.kernel),
  );
  return {
    scenario: scenario.name,
    hosts,
    steps,
    skipped,
    table: host.table(end),
    expectations: host.expectations(end),
    counters: host.counters(),
    endTime: end,
    ...(learning ? { phases: learning.phases } : {}),
  };
}
