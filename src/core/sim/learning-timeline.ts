/**
 * IP address learning during a run: the learner reads the frames the port sees, and the rules
 * in force change as libvirt changes them — the learning rules first, the filter rebuilt with
 * the learned address, the learning rules again when the last DHCP lease ends. Each change is a
 * phase on the timeline, placed before the first packet that meets the new rules.
 */
import type { BackendLearning } from '../compile/backend';
import { backendOf, getBackend } from '../compile/backends';
import type { AnyRuleset } from '../compile/ir';
import { describeMissingKernelFeature, findMissingKernelFeatures } from '../host/host-binding';
import { IpLearner } from '../learning/ip-learner';
import type { LearningEvent } from '../learning/ip-learner';
import type { LearningPlan } from '../learning/learning-plan';
import { DHCP_BURST_INTERVAL_S, DHCP_PKT_BURST, DHCP_PKT_RATE } from '../learning/snoop-rate-limit';
import type { BridgeHost, PacketTrace, Side } from '../netfilter/bridge-host';
import type { EthernetFrame } from '../packet';

/** What a run needs to learn: the plan and how the rules are rebuilt for a set of addresses. */
export interface LearningRun {
  plan: LearningPlan;
  /** The backend's learning rules (its driver's applyDHCPOnlyRules / applyDropAllRules, …). */
  rules: BackendLearning<AnyRuleset>;
  /** The filter instantiated with `IP` = `addresses`, or why libvirt cannot instantiate it. */
  rebuild(addresses: readonly string[]): { ruleset: AnyRuleset } | { error: string };
}

/** One change of the rules in force (or of the learner's state) on the run's timeline. */
export interface LearningPhase {
  kind:
    | 'learning'
    | 'learned'
    | 'rebuilt'
    | 'renewed'
    | 'expired'
    | 'released'
    | 'failed'
    /** A DHCP packet the snooper threw away (its rate limit). */
    | 'ignored';
  /** Index of the first step that meets the rules from here on (= the number of steps before it). */
  step: number;
  /** Virtual time of the change. */
  t: number;
  /** The addresses the rules are built with from here on (empty: learning rules). */
  addresses: string[];
  /** The step whose frame caused it. */
  packet?: number;
  /**
   * What happened, with `{packet}` where the causing packet's number goes (each front end numbers
   * packets its own way): `learned 10.99.0.2 from packet {packet} (DHCPACK, lease 3600 s)`.
   */
  template: string;
}

/** The phase's line for the timeline, numbering packets from `first` (the CLI's table: 0, the UI: 1). */
export function phaseText(p: LearningPhase, first = 1): string {
  return p.template.replace('{packet}', String((p.packet ?? 0) + first));
}

/**
 * A one-line description of the rules in force while learning, for the timeline (`rules`: the
 * backend's learning rules; default ebiptables').
 */
export function describeLearningRules(
  plan: LearningPlan,
  again = false,
  rules: BackendLearning<AnyRuleset> = getBackend('ebiptables').learning,
): string {
  const head = `${again ? 'learning again' : 'learning'} (CTRL_IP_LEARNING=${plan.mode}; rules in force: `;
  if (plan.mode === 'any') return `${head}${rules.describeBasic(plan.mac)})`;
  const from =
    plan.dhcpServers.length > 0 ? ` from ${plan.dhcpServers.join(', ')}` : ' from any server';
  return `${head}only DHCP — requests from the VM (UDP 68 → 67) and replies${from} (UDP 67 → 68) — everything else dropped)`;
}

function lease(until: number | null | undefined, t: number): string {
  if (until === undefined) return '';
  return until === null ? ', infinite lease' : `, lease ${+(until - t).toFixed(3)} s`;
}

/** Drives an {@link IpLearner} beside a {@link BridgeHost} and records the phases. */
export class LearningTimeline {
  readonly phases: LearningPhase[] = [];
  private readonly learner: IpLearner;
  private current: string[] = [];
  /** Per capture, the last whole second a rate-limited packet was shown for (one line a second). */
  private readonly limitedShown = { 'from-vm': -Infinity, 'to-vm': -Infinity };

  constructor(
    private readonly run: LearningRun,
    private readonly host: BridgeHost,
  ) {
    this.learner = new IpLearner(run.plan);
    this.phases.push({
      kind: 'learning',
      step: 0,
      t: 0,
      template: describeLearningRules(run.plan, false, run.rules),
      addresses: [],
    });
  }

  /** Before step `step` at `now`: the leases that ran out meanwhile. */
  before(step: number, now: number): void {
    if (this.run.plan.mode !== 'dhcp') return;
    const events = this.learner.expire(now);
    if (events.length) this.apply(events, step);
  }

  /** After step `step`: what the learner read in its frame. */
  after(frame: EthernetFrame, side: Side, trace: PacketTrace, step: number, now: number): void {
    if (!this.learner.listening) return;
    const events = this.learner.observe(
      frame,
      { side, delivered: trace.verdict === 'accept' },
      step,
      now,
    );
    if (events.length) this.apply(events, step + 1);
  }

  private apply(events: LearningEvent[], step: number): void {
    for (const e of events) {
      const at = { step, t: e.t, addresses: this.learner.addresses() };
      switch (e.kind) {
        case 'learned':
          this.phases.push({
            ...at,
            kind: 'learned',
            packet: e.packet,
            template: `learned ${e.ip} from packet {packet} (${e.what}${lease(e.until, e.t)})${
              at.addresses.length > 0 && at.addresses[0] !== e.ip
                ? `; libvirt keeps building the rules with the first address, IP=${at.addresses[0]}`
                : ''
            }`,
          });
          break;
        case 'renewed':
          this.phases.push({
            ...at,
            kind: 'renewed',
            packet: e.packet,
            template: `lease of ${e.ip} renewed by packet {packet} (${e.until === null ? 'infinite' : `until t=${+e.until.toFixed(3)} s`}); rules unchanged`,
          });
          break;
        case 'expired':
          this.phases.push({ ...at, kind: 'expired', template: `lease of ${e.ip} expired` });
          break;
        case 'rate-limited': {
          const second = Math.floor(e.t);
          if (this.limitedShown[e.side] === second) break;
          this.limitedShown[e.side] = second;
          this.phases.push({
            ...at,
            kind: 'ignored',
            packet: e.packet,
            template: `packet {packet} not read by libvirt's DHCP snooper: ${e.over} DHCP packet${e.over === 1 ? '' : 's'} ${e.side === 'from-vm' ? 'from' : 'to'} the VM over its rate limit (${DHCP_PKT_RATE} a second; a burst of ${DHCP_PKT_BURST} over two seconds at most every ${DHCP_BURST_INTERVAL_S} s); the rest of this second's excess is dropped too`,
          });
          break;
        }
        case 'released':
          this.phases.push({
            ...at,
            kind: 'released',
            packet: e.packet,
            template: `lease of ${e.ip} ended by packet {packet} (${e.how === 'release' ? 'DHCPRELEASE from the VM' : 'DHCPDECLINE'})`,
          });
          break;
      }
    }
    const next = this.learner.addresses();
    if (next.join(',') === this.current.join(',')) return;
    this.current = next;
    const last = events[events.length - 1] as LearningEvent;
    const plan = this.run.plan;
    if (next.length === 0) {
      this.host.replaceRuleset(
        this.run.rules.rules('dhcp-only', plan.iface, plan.mac, plan.dhcpServers),
      );
      this.phases.push({
        kind: 'learning',
        step,
        t: last.t,
        template: describeLearningRules(plan, true, this.run.rules),
        addresses: [],
      });
      return;
    }
    const rebuilt = this.run.rebuild(next);
    if ('error' in rebuilt) {
      // virNWFilterInstantiateFilterLate: on failure libvirt sets the interface down.
      this.host.replaceRuleset(this.run.rules.rules('drop-all', plan.iface, plan.mac, []));
      this.phases.push({
        kind: 'failed',
        step,
        t: last.t,
        template: `rules not rebuilt: ${rebuilt.error}; libvirt takes the interface down (nothing passes)`,
        addresses: next,
      });
      return;
    }
    this.host.replaceRuleset(rebuilt.ruleset);
    this.phases.push({
      kind: 'rebuilt',
      step,
      t: last.t,
      template: `rules rebuilt with IP=${next.join(',')}: the filter's own rules from here on`,
      addresses: next,
    });
  }
}

/**
 * The {@link LearningRun} of a compiled binding that learns its address (`compiled.learning`,
 * `compiled.ruleset` its backend's learning rules): rebuilding compiles the same filter with `IP`
 * set to the learned addresses, as virNWFilterInstantiateFilterLate does; undefined when the
 * binding does not learn.
 */
export function learningRunOf(
  compiled: { learning?: LearningPlan | undefined; ruleset?: AnyRuleset | null | undefined },
  compileWithIp: (addresses: readonly string[]) => {
    ruleset: AnyRuleset | null;
    diagnostics: readonly { severity: string; message: string }[];
  },
  host: { nfConntrackBridge?: boolean } = {},
): LearningRun | undefined {
  const plan = compiled.learning;
  if (!plan) return undefined;
  const backend = compiled.ruleset ? backendOf(compiled.ruleset) : getBackend('ebiptables');
  return {
    plan,
    rules: backend.learning as BackendLearning<AnyRuleset>,
    rebuild(addresses) {
      const r = compileWithIp(addresses);
      // Rules the kernel refuses (a ct match without nf_conntrack_bridge) fail the rebuild as
      // they fail libvirt's apply.
      const refused = r.ruleset ? findMissingKernelFeatures(r.ruleset, host)[0] : undefined;
      if (refused) return { error: describeMissingKernelFeature(refused) };
      if (r.ruleset) return { ruleset: r.ruleset };
      const err = r.diagnostics.find((d) => d.severity === 'error');
      return { error: err?.message ?? 'libvirt cannot instantiate the filter' };
    },
  };
}
