/**
 * One list of scenarios for the kernel replay: the simulator's own (src/core/sim/scenarios.ts,
 * run by its `runScenario`, `requires` and `unless` honoured on both sides) and this suite's extra ones
 * (../scenarios.ts, every frame sent).
 */
import type { AnyRuleset } from '../../../src/core/compile';
import type { IpsetSpec } from '../../../src/core/host';
import type { PacketTrace } from '../../../src/core/netfilter';
import type { EthernetFrame } from '../../../src/core/packet';
import { runScenario } from '../../../src/core/sim';
import { phaseText } from '../../../src/core/sim';
import type { LearningPhase, LearningRun } from '../../../src/core/sim';
import {
  SCENARIOS,
  type Scenario as SimScenario,
  type ScenarioFrame as SimFrame,
} from '../../../src/core/sim';
import { buildPitfallScenarios, buildScenarios, PEER, VM } from '../scenarios';
import type { SimExpectation } from './compare';
import type { Side } from './frame-io';
import {
  loadBridgeHost,
  simulateFrames,
  type SimConn,
  type SimCounter,
  type SimVerdict,
} from './simulator';

export interface RunnableFrame {
  side: Side;
  frame: EthernetFrame;
  t: number;
  requires?: number[];
  /** Indices of earlier frames whose delivery means this one is not sent. */
  unless?: number[];
  label?: string;
}

export interface SimOutcome {
  /** Verdict by scenario frame index; frames the simulator skipped are absent. */
  verdicts: Map<number, SimVerdict>;
  table: SimConn[] | null;
  expectations: SimExpectation[] | null;
  counters: SimCounter[] | null;
  /**
   * The frames a played (reactive) scenario offered in this run, by index: what the kernel is
   * given instead of `Runnable.frames`.
   */
  frames?: RunnableFrame[];
  /**
   * With a binding that learns its IP: where the rules in force change, in frame order — from
   * scenario frame `at` on, the rules are `rules` (the filter with `IP` = those addresses, or
   * the learning rules again when empty). The first entry (at 0) is the learning rules.
   */
  swaps?: RuleSwap[];
}

/** A change of the rules in force during a run (IP learning), at a scenario frame index. */
export interface RuleSwap {
  at: number;
  /** The addresses the filter is rebuilt with; empty: the learning rules. */
  addresses: string[];
  /** The simulator's phase line, for the report. */
  why: string;
}

export interface Runnable {
  name: string;
  title: string;
  source: 'simulator' | 'kernel-diff';
  frames: RunnableFrame[];
  ftpHelper: boolean;
  sysctl: Record<string, number>;
  /** Sysctl changes during the run (seconds from the start), on both sides. */
  events: { t: number; sysctl: Record<string, number> }[];
  /** How the scenario was adapted for the kernel run (time compression …), for the report. */
  note?: string;
  /** Run only by the cases that name it in `only` (a lint pitfall's scenario). */
  onDemand?: boolean;
  /**
   * `host`: what the case adds to the host (bridge address, ipsets); `learning`: the binding
   * has no IP and libvirt learns it (`ruleset` is then the learning rules), simulator scenarios
   * only.
   */
  simulate(
    ruleset: AnyRuleset,
    host?: CaseHost,
    learning?: LearningRun,
  ): Promise<SimOutcome | null>;
  /** Run only by the learning cases (a scenario whose timeline is kept for its lease). */
  learningOnly?: boolean;
}

/** The host settings a filter case adds to every scenario. */
export interface CaseHost {
  bridgeAddress?: string;
  ipsets?: Record<string, IpsetSpec>;
  /** Whether the kernel has nf_conntrack_bridge (nftables backend). */
  nfConntrackBridge?: boolean;
  /** The kernel's release (`HostProfile.kernel`): the scenarios' TCP timing follows it. */
  kernel?: string;
}

/** A scenario's sysctl changes in the simulator's form. */
function runtimeEvents(events: readonly { t: number; sysctl: Record<string, number> }[]) {
  return events.map((e) => ({ t: e.t, conntrack: e.sysctl, bridge: {} }));
}

/** A trace as the comparison reads it (with the error REJECT sent, if any). */
function verdictOf(i: number, tr: PacketTrace): SimVerdict {
  return {
    i,
    t: tr.t,
    side: tr.side,
    summary: tr.summary,
    ctstate: tr.ctstate,
    verdict: tr.verdict,
    rule: tr.rule,
    error: tr.error,
    ...(tr.reply ? { reply: tr.reply.summary } : {}),
  };
}

/**
 * Scenarios whose timeline is compressed for the kernel run, with the sysctl that keeps their
 * meaning (both sides get the same compressed scenario): ping-connlimit-timeout waits 33 s for
 * the 30 s ICMP timeout; ×0.1 with a 3 s timeout tells the same story in 3.6 s.
 */
const COMPRESSED: Record<string, { factor: number; sysctl: Record<string, number> }> = {
  'ping-connlimit-timeout': { factor: 0.1, sysctl: { nf_conntrack_icmp_timeout: 3 } },
};

/**
 * Scenarios run a second time, under the learning cases only, on their own timeline (gaps of at
 * least MIN_GAP, none shortened): a DHCP lease's end is their point, and the lease time is in
 * the frames' bytes, which the learner reads.
 */
const REAL_TIME = ['dhcp-lease-expiry'];
const REAL_TIME_SUFFIX = '/real-time';

const HOSTS = { vm: { mac: VM.mac, ip: VM.ip }, remote: { mac: PEER.mac, ip: PEER.ip } };

/** Spacing rules of the kernel run (see ../README.md): ≥ 12 ms (over 2 jiffies at HZ 250). */
const MIN_GAP = 0.012;
/** Longer pauses are shortened to this unless the scenario's point is a timeout. */
const MAX_GAP = 0.05;

/**
 * The scenario's timeline as the kernel run uses it, given to both sides: gaps of at least
 * MIN_GAP, pauses shortened to MAX_GAP (none of them crosses a timeout), or the whole timeline
 * scaled for the scenarios whose point is a timeout. `retimer` maps one time after another, as
 * a played scenario offers its frames; `retime` maps a whole list.
 */
export function retimer(factor: number | null): (t: number) => number {
  let prev: { t: number; out: number } | null = null;
  return (t) => {
    const out =
      prev === null
        ? t * (factor ?? 1)
        : prev.out +
          Math.max(
            MIN_GAP,
            factor === null ? Math.min(MAX_GAP, t - prev.t) : (t - prev.t) * factor,
          );
    prev = { t, out };
    return out;
  };
}

export function retime(times: readonly number[], factor: number | null): number[] {
  return times.map(retimer(factor));
}

function fromSimulator(
  sc: SimScenario,
  ftpHelper: boolean | undefined,
  realTime = false,
): Runnable {
  const squeeze = realTime ? undefined : COMPRESSED[sc.name];
  const play: SimScenario['play'] = (h, wire, kernel) => {
    const at = retimer(realTime ? 1 : squeeze ? squeeze.factor : null);
    const retimed = (f: SimFrame) => ({ ...f, t: at(f.t) });
    sc.play(
      h,
      {
        send: (f, i) => wire.send(retimed(f), i),
        skip: (f, i) => wire.skip?.(retimed(f), i),
      },
      kernel,
    );
  };
  const scenario: SimScenario = {
    ...sc,
    settings: squeeze
      ? { ...sc.settings, sysctl: { ...(sc.settings.sysctl ?? {}), ...squeeze.sysctl } }
      : sc.settings,
    play,
    build: (h) => {
      const frames: SimFrame[] = [];
      play(h, { send: (f) => (frames.push(f), true) });
      return frames;
    },
  };
  const helper = sc.settings.ftpHelper ?? ftpHelper ?? false;
  const runnable = (f: SimFrame): RunnableFrame => ({
    side: f.side,
    frame: f.frame,
    t: f.t,
    label: f.label,
    ...(f.requires ? { requires: f.requires } : {}),
    ...(f.unless ? { unless: f.unless } : {}),
  });
  return {
    name: (ftpHelper ? `${sc.name}+helper` : sc.name) + (realTime ? REAL_TIME_SUFFIX : ''),
    ...(realTime ? { learningOnly: true } : {}),
    title: sc.title + (ftpHelper ? ' (with the CT helper rule)' : ''),
    source: 'simulator',
    frames: scenario.build(HOSTS).map(runnable),
    ftpHelper: helper,
    sysctl: { ...(scenario.settings.sysctl ?? {}) },
    events: [],
    note: realTime
      ? `its own timeline (frames at least ${MIN_GAP * 1000} ms apart) on both sides`
      : squeeze
        ? `timeline ×${squeeze.factor}, ${Object.entries(squeeze.sysctl)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')} on both sides`
        : `frames ${MIN_GAP * 1000}–${MAX_GAP * 1000} ms apart on both sides`,
    simulate: async (ruleset, host = {}, learning) => {
      // The scenario reacts to what the simulator delivered: the kernel is given the frames this
      // run offered (sent or skipped, by index). Where every fate agrees, that is the run the
      // kernel's own fates would have produced; where one differs, the comparison says so.
      const offered: RunnableFrame[] = [];
      const recorded: SimScenario = {
        ...scenario,
        play: (h, wire, kernel) =>
          scenario.play(
            h,
            {
              send: (f, i) => ((offered[i] = runnable(f)), wire.send(f, i)),
              skip: (f, i) => ((offered[i] = runnable(f)), wire.skip?.(f, i)),
            },
            kernel,
          ),
      };
      const run = runScenario(ruleset, recorded, {
        hosts: HOSTS,
        settings: { iface: 'vnet0', peerPort: 'eth0', ftpHelper: helper, ...host },
        ...(learning ? { learning } : {}),
      });
      const verdicts = new Map<number, SimVerdict>();
      for (const st of run.steps) verdicts.set(st.index, verdictOf(st.index, st.trace));
      return {
        verdicts,
        table: run.table,
        expectations: run.expectations,
        counters: run.counters,
        frames: offered,
        ...(run.phases ? { swaps: ruleSwaps(run.phases, run.steps) } : {}),
      };
    },
  };
}

/**
 * The changes of the rules in force the simulator's learning phases make, at the scenario index
 * of the first frame that meets them (Infinity: after the last frame). `failed` (the rebuild refused, libvirt's drop-all rules) is not expected here.
 */
function ruleSwaps(
  phases: readonly LearningPhase[],
  steps: readonly { index: number }[],
): RuleSwap[] {
  const out: RuleSwap[] = [];
  for (const p of phases) {
    if (p.kind !== 'learning' && p.kind !== 'rebuilt' && p.kind !== 'failed') continue;
    if (p.kind === 'failed') throw new Error(`the simulator's rebuild failed: ${p.template}`);
    // A change after the last frame still leaves its rules (and counters) for the comparison.
    const at = p.step === 0 ? 0 : (steps[p.step]?.index ?? Infinity);
    const why = phaseText(p, 0);
    const last = out[out.length - 1];
    if (last && last.at === at) out[out.length - 1] = { at, addresses: p.addresses, why };
    else out.push({ at, addresses: [...p.addresses], why });
  }
  return out;
}

/** Every scenario of both sources; FTP scenarios of the simulator run with and without the helper. */
export function buildRunnables(): Runnable[] {
  const out: Runnable[] = [];
  for (const sc of SCENARIOS) {
    out.push(fromSimulator(sc, undefined));
    if (sc.name.startsWith('ftp-') && sc.settings.ftpHelper === undefined)
      out.push(fromSimulator(sc, true));
    if (REAL_TIME.includes(sc.name)) out.push(fromSimulator(sc, undefined, true));
  }
  const pitfalls = buildPitfallScenarios();
  for (const sc of [...buildScenarios(), ...pitfalls]) {
    out.push({
      ...(pitfalls.includes(sc) ? { onDemand: true } : {}),
      name: sc.name,
      title: sc.title,
      source: 'kernel-diff',
      frames: sc.frames,
      ftpHelper: sc.ftpHelper === true,
      sysctl: sc.sysctl ?? {},
      events: sc.events ?? [],
      simulate: async (ruleset, host = {}) => {
        const Host = await loadBridgeHost();
        if (!Host) return null;
        const last = sc.frames.length ? (sc.frames[sc.frames.length - 1]?.t ?? 0) : 0;
        const r = simulateFrames(
          Host,
          ruleset,
          sc.frames,
          {
            ftpHelper: sc.ftpHelper === true,
            sysctl: sc.sysctl ?? {},
            events: runtimeEvents(sc.events ?? []),
            ...host,
          },
          last,
        );
        return {
          verdicts: new Map(r.verdicts.map((v, i) => [i, v])),
          table: r.table,
          expectations: r.expectations,
          counters: r.counters,
        };
      },
    });
  }
  return out;
}
