/**
 * The path a frame takes through a Linux bridge host with br_netfilter, as
 * libvirt's rules see it (for the ebiptables backend):
 *
 *   ebtables nat PREROUTING → conntrack (after the raw table: helper
 *   template) → iptables/ip6tables filter FORWARD (physdev) → ebtables nat
 *   POSTROUTING → conntrack confirmation (helpers run here)
 *
 * or, for frames addressed to the host, PREROUTING → conntrack → INPUT →
 * confirmation. Which base chains sit at which point is the backend's
 * answer (`BackendSim.hooks`); a point may hold several, run in order. A bridged IPv4 broadcast takes both paths: forwarded, then a
 * copy passed up to the host (confirmed at bridge LOCAL_IN, then INPUT).
 * Conntrack runs only for a family some rule makes it register for. The host executes the Ruleset IR (never the XML) and records
 * a plain-data trace per packet.
 */
import type { FrameKeys, HookEntry, HookPoint } from '../compile/backend';
import type { AnyRuleset, Provenance } from '../compile/ir';
import type { HostRuntimeEvent } from '../host/host-settings';
import { Conntrack, selectCtHelper } from '../conntrack/conntrack';
import type { ConnView, ExpectationView } from '../conntrack/conntrack';
import type { CtPacket, CtStateName } from '../conntrack/types';
import { IPS_CONFIRMED } from '../conntrack/types';
import { ebEthertype, l4Port, upperProtocol } from './match-eval';
import type { IpsetSpec, MatchContext, Predicate } from './match-eval';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet } from '../packet/packet';
import { frameLength } from '../packet/packet';
import { summarizeFrame } from '../packet/packet-summary';
import { rejectReply } from './reject-reply';
import { ipHeaderProblem, refusedByBridgeConntrack } from './ip-header-check';
import { ETH_P_IPV4 } from '../model/protocol-numbers';
import type {
  PreparedChain,
  PreparedRule,
  PreparedRuleset,
  RuleRef,
  RuleSite,
} from './prepare-ruleset';
import {
  OP_ACCEPT,
  OP_CONTINUE,
  OP_DROP,
  OP_GOTO,
  OP_RETURN,
  dispatchKindOf,
  prepareRuleset,
} from './prepare-ruleset';

export type { RuleRef, RuleSite } from './prepare-ruleset';

export type Side = 'from-vm' | 'to-vm';
export type Verdict = 'accept' | 'drop' | 'reject' | 'error';
/**
 * A step of a packet's path in a trace: `conntrack`, `confirm`, or a base chain's hook as its
 * backend labels it (`ebtables nat PREROUTING`, `FORWARD`, `INPUT`, …).
 */
export type HookName = string;

export interface HostSettings {
  /** The VM's bridge port; default the ruleset's interface. */
  iface?: string;
  /** The other bridge port the remote host is behind. Default `eth0`. */
  peerPort?: string;
  /** Models `iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp`. Default off. */
  ftpHelper?: boolean;
  /** Conntrack sysctl overrides. */
  sysctl?: Record<string, number>;
  /** Kernel HZ (default 250). */
  hz?: number;
  /** ipsets for `-m set` matches. */
  ipsets?: Record<string, IpsetSpec>;
  /** bridge-nf-filter-vlan-tagged: pass 802.1Q-tagged IP to the IP hooks (default 0 as in Linux). */
  filterVlanTagged?: boolean;
  /** bridge-nf-call-iptables: bridged IPv4 goes through conntrack and iptables (default 1). */
  callIptables?: boolean;
  /** bridge-nf-call-ip6tables: bridged IPv6 goes through conntrack and ip6tables (default 1). */
  callIp6tables?: boolean;
  /** The bridge's address (`10.99.0.1/24`), or null/absent for none. */
  bridgeAddress?: string | null;
  /** Sysctl changes during the run, in time order, applied before the first frame at or after `t`. */
  events?: readonly HostRuntimeEvent[];
  /**
   * Whether the kernel has `nf_conntrack_bridge` (CONFIG_NF_CONNTRACK_BRIDGE), the bridge family's
   * conntrack that nftables `ct` expressions in a `bridge` table need. Default true, as the usual
   * distribution kernels (Debian, Fedora, RHEL) build it as a module loaded on first use. Without
   * it the kernel refuses such a ruleset (see `findMissingKernelFeatures`).
   */
  nfConntrackBridge?: boolean;
  /**
   * The kernel release (`HostProfile.kernel`): the bridge itself does not read it; a played
   * scenario takes its TCP timing from it (`kernelFacts`).
   */
  kernel?: string;
}

export interface RuleVisit {
  table: string;
  chain: string;
  index: number;
  matched: boolean;
  /** The target text (`ACCEPT`, `DROP`, `RETURN`, `-j CHAIN`, `-g CHAIN`). */
  target: string;
  rule: RuleRef | null;
  /** The rule's kernel handle, for a backend whose rules have one (nftables); absent otherwise. */
  handle?: number;
}

export interface HookTrace {
  hook: HookName;
  /** `ebtables/nat`, `iptables/filter` …; null for conntrack steps. */
  table: string | null;
  result: string;
  visits: RuleVisit[];
}

/**
 * Whether an accepting rule says why a packet passed: one from an XML rule, or one the driver
 * writes itself where its rules have sites (the nftables learning rules); not ebtables' own.
 */
function informative(rule: PreparedRule | null): boolean {
  return !!rule && (rule.ir.provenance !== null || rule.site !== null);
}

/** Everything the simulator knows about one packet; plain data. */
export interface PacketTrace {
  i: number;
  t: number;
  side: Side;
  summary: string;
  /** Conntrack state at PREROUTING (null when conntrack does not see the frame). */
  ctstate: CtStateName | null;
  ctdir: 'ORIGINAL' | 'REPLY' | null;
  path: 'forward' | 'local';
  hooks: HookTrace[];
  verdict: Verdict;
  /** The XML rule that decided, or null (default accept, structural rule). */
  rule: RuleRef | null;
  /**
   * Where the compiled rule that decided sits — table, chain and the kernel's handle — for a
   * backend whose rules have handles (nftables); absent otherwise, when a structural rule
   * decided (a jump) and when no rule did. Set without `rule` for a rule the driver writes itself
   * (the nftables learning rules).
   */
  site?: RuleSite;
  provenance: Provenance | null;
  notes: string[];
  /** Set when the packet reached a rule the simulator cannot interpret. */
  error: string | null;
  /**
   * The fate of the copy a bridged broadcast/multicast frame also sends up to the host (iptables
   * INPUT); absent when there is none. It does not change `verdict` (the forwarded copy's).
   */
  hostCopy?: { verdict: Verdict; rule: RuleRef | null; error: string | null };
  /**
   * The ICMP / ICMPv6 error a REJECT sent back towards the packet's source (only with a bridge
   * address; see {@link rejectReply}); absent when the packet was not rejected or nothing was sent.
   */
  reply?: { summary: string; frame: EthernetFrame };
}

/** One rule's counters, as {@link BridgeHost.counters} lists them. */
export interface RuleCounter {
  table: string;
  chain: string;
  index: number;
  packets: number;
  bytes: number;
  rule: RuleRef | null;
  /** The rule's kernel handle (nftables); absent for backends without handles. */
  handle?: number;
}

export interface StepOptions {
  /** Deliver to the host (INPUT) instead of bridging to the other side. */
  toHost?: boolean;
  /**
   * Build the per-rule visit list and summary (default true). Off (benchmarks, bulk runs), the
   * trace has no hooks or summary, rule references are shared between traces, and long chains
   * are walked through their dispatch index — same verdicts, deciders, counters and conntrack
   * state, fewer rule visits.
   */
  detail?: boolean;
}

/** A hook walk's verdict. */
type HookVerdict = 0 | 1 | 2 | 3;
const V_ACCEPT = 0;
const V_DROP = 1;
const V_REJECT = 2;
const V_ERROR = 3;
const VERDICT_TEXT = ['ACCEPT', 'DROP', 'REJECT', 'ERROR'] as const;

/** Where a hook's walk starts. */
interface HookStart {
  tableKey: string;
  /** The base chain's name, for messages. */
  base: string;
  label: HookName;
  /** null when the ruleset has no such chain: the hook accepts. */
  chain: PreparedChain | null;
  /** Counters count the frame after the Ethernet header (else the IP datagram). */
  l2: boolean;
  /** The chains' dispatch index keys by EtherType (else by upper protocol and ports). */
  byEthertype: boolean;
  rejectIsDrop: boolean;
}

/** More jumps/gotos than this in one hook walk is a chain loop. */
const MAX_JUMPS = 100_000;
/** Placeholder `walkError` of a chain loop; {@link BridgeHost.runHook} names the hook. */
const CHAIN_LOOP = 'chain loop';
/** The conntrack result of a frame conntrack does not see. */
const NO_CT: CtPacket = Object.freeze({
  conn: null,
  ctinfo: -1,
  state: null,
  dir: null,
  created: false,
  note: null,
});
/** conntrack's options for a frame the raw-table CT rule does / does not give the FTP helper (read-only, shared). */
/** Shared by every trace of the no-trace mode; frozen so a writer fails loudly instead of leaking. */
const NO_HOOKS: HookTrace[] = Object.freeze([]) as unknown as HookTrace[];
const NO_NOTES: string[] = Object.freeze([]) as unknown as string[];

function ruleRef(p: Provenance | null): RuleRef | null {
  return p
    ? { filter: p.filter, index: p.ruleIndex, priority: p.priority, direction: p.direction }
    : null;
}

/** One rule visit of a trace; the rule reference is the prepared rule's, shared by all its visits (plain data, never mutated). */
function visitOf(
  hook: HookStart,
  chain: PreparedChain,
  rule: PreparedRule,
  matched: boolean,
  target: string,
): RuleVisit {
  const visit: RuleVisit = {
    table: hook.tableKey,
    chain: chain.ir.name,
    index: rule.index,
    matched,
    target,
    rule: rule.ref,
  };
  if (rule.site) visit.handle = rule.site.handle;
  return visit;
}

function addNote(trace: PacketTrace, note: string): void {
  if (trace.notes === NO_NOTES) trace.notes = [note];
  else trace.notes.push(note);
}

/** A simulated bridge host running one interface's ruleset. */
export class BridgeHost {
  readonly conntrack: Conntrack;
  /** The ruleset in force (replaced when libvirt rebuilds the rules, see {@link replaceRuleset}). */
  prepared!: PreparedRuleset;
  readonly iface: string;
  readonly peerPort: string;
  /**
   * Whether conntrack's hooks are registered for IPv4 / IPv6 in the host's
   * namespace. The kernel registers them only when a rule needs conntrack
   * (`-m conntrack`/`-m state`/`-m connlimit`, `-j CT` — each calls
   * nf_ct_netns_get for its family when the rule is added); until then no
   * packet of that family is tracked and `conntrack -L` stays empty.
   */
  tracking!: { ipv4: boolean; ipv6: boolean };
  /**
   * Conntrack is the bridge family's (`nf_conntrack_bridge`, registered by the ruleset's `ct`
   * rules), before the bridge PREROUTING chains.
   */
  bridgeConntrack!: boolean;
  private readonly settings: HostSettings;
  private readonly ftpHelper: boolean;
  /** The bridge-netfilter switches, as events leave them. */
  private filterVlanTagged: boolean;
  private callIptables: boolean;
  private callIp6tables: boolean;
  private readonly bridgeAddress: string | null;
  /** The next of `settings.events` to apply. */
  private nextEvent = 0;
  private count = 0;
  /** Bridge PREROUTING chains before br_netfilter's IP header check (ebtables nat). */
  private bridgePre!: HookStart[];
  /** Bridge PREROUTING chains after it (priority ≥ 0: libvirt's nftables tables). */
  private bridgePreLate!: HookStart[];
  private bridgeForward!: HookStart[];
  private bridgeInput!: HookStart[];
  private bridgePost!: HookStart[];
  private ip4Forward!: HookStart[];
  private ip4Input!: HookStart[];
  private ip6Forward!: HookStart[];
  private ip6Input!: HookStart[];
  /** Reused call stack of the chain walk (one walk at a time): return chains, their candidate lists, next positions. */
  private readonly stackChains: PreparedChain[] = [];
  private readonly stackLists: Int32Array[] = [];
  private readonly stackNext: number[] = [];
  /** The last walk's outcome besides its verdict. */
  private decider: PreparedRule | null = null;
  private walkError: string | null = null;
  private hotdropped = false;
  /** The current frame's dispatch keys (-1 = none): EtherType; upper protocol and ports. */
  private readonly keys: FrameKeys = { ethertype: -1, proto: -1, sport: -1, dport: -1 };
  /** Whether the current step walks with traces (linear, every visit recorded). */
  private detail = true;
  /** The current step's hook traces (detail mode only). */
  private hooks: HookTrace[] | null = null;
  private readonly ctx: MatchContext;
  /** Conntrack's answer for the frame in hand, overwritten by the next one (one frame at a time). */
  private readonly ctOut: CtPacket = {
    conn: null,
    ctinfo: -1,
    state: null,
    dir: null,
    created: false,
    note: null,
  };

  constructor(ruleset: AnyRuleset, settings: HostSettings = {}) {
    this.settings = settings;
    this.ftpHelper = settings.ftpHelper === true;
    this.filterVlanTagged = settings.filterVlanTagged === true;
    this.callIptables = settings.callIptables !== false;
    this.callIp6tables = settings.callIp6tables !== false;
    this.bridgeAddress = settings.bridgeAddress ?? null;
    this.iface = settings.iface ?? ruleset.iface;
    this.peerPort = settings.peerPort ?? 'eth0';
    this.conntrack = new Conntrack({ sysctl: settings.sysctl ?? {}, hz: settings.hz ?? 250 });
    this.load(ruleset);
    this.ctx = {
      frame: null as unknown as EthernetFrame,
      ip: null,
      ct: NO_CT,
      conntrack: this.conntrack,
      now: 0,
      inIface: null,
      outIface: null,
      physIn: null,
      physOut: null,
      bridged: true,
      ruleKey: '',
      l2Len: 0,
      l3Len: 0,
      hotdrop: false,
    };
  }

  /**
   * Puts `ruleset` in force from the next frame on, as libvirt does when it rebuilds a port's
   * rules (after it learned the VM's IP address, or when the last DHCP lease ran out). The
   * connection table stays: the kernel's conntrack entries outlive the rules. Rule counters
   * start again at zero, as the new chains' do.
   */
  replaceRuleset(ruleset: AnyRuleset): void {
    this.load(ruleset);
  }

  private load(ruleset: AnyRuleset): void {
    this.prepared = prepareRuleset(ruleset, this.settings.ipsets ?? {});
    // Conntrack hooks are registered while some rule needs them (nf_ct_netns_get / _put).
    const users = this.prepared.sim.conntrackUsers(ruleset);
    // Bridge-family conntrack exists only while a rule uses it (nf_ct_netns_get); without one the
    // IP family's conntrack (through br_netfilter) is the only one, registered by the helper rule.
    this.bridgeConntrack =
      this.prepared.sim.conntrackFamily === 'bridge' && (users.ipv4 || users.ipv6);
    // The FTP helper setting is an IPv4 raw-table CT rule: it registers IPv4 conntrack too. With
    // bridge-family conntrack it never sees a bridged frame (the frame already has its entry when
    // the raw table runs, and xt_CT leaves such a packet alone), so it changes nothing there.
    this.tracking = this.bridgeConntrack
      ? users
      : { ipv4: users.ipv4 || this.ftpHelper, ipv6: users.ipv6 };
    const entries = this.prepared.sim.hooks(ruleset);
    const at = (point: HookPoint, late?: boolean): HookStart[] =>
      entries
        .filter(
          (e) =>
            e.point === point &&
            (late === undefined || late === (e.priority !== undefined && e.priority >= 0)),
        )
        .map((e: HookEntry): HookStart => {
          const table = this.prepared.tables.get(e.table);
          return {
            tableKey: e.table,
            base: e.chain,
            label: e.label,
            chain: table?.chains.get(e.chain) ?? null,
            l2: table?.traits.layer === 'l2',
            byEthertype: table ? dispatchKindOf(table.traits) === 'ethertype' : true,
            rejectIsDrop: table?.traits.rejectIsDrop === true,
          };
        });
    this.bridgePre = at('bridge-prerouting', false);
    this.bridgePreLate = at('bridge-prerouting', true);
    this.bridgeForward = at('bridge-forward');
    this.bridgeInput = at('bridge-input');
    this.bridgePost = at('bridge-postrouting');
    this.ip4Forward = at('ipv4-forward');
    this.ip4Input = at('ipv4-input');
    this.ip6Forward = at('ipv6-forward');
    this.ip6Input = at('ipv6-input');
  }

  /** Runs one frame arriving at `now` from the VM's side or towards it. */
  step(frame: EthernetFrame, side: Side, now: number, options: StepOptions = {}): PacketTrace {
    const detail = options.detail !== false;
    const events = this.settings.events;
    if (events && this.nextEvent < events.length) this.applyEvents(events, now);
    const local = options.toHost === true && side === 'from-vm';
    const ingress = side === 'from-vm' ? this.iface : this.peerPort;
    const egress = local ? null : side === 'from-vm' ? this.peerPort : this.iface;
    const hooks: HookTrace[] | null = detail ? [] : null;
    this.detail = detail;
    this.hooks = hooks;
    const p = frame.payload;
    const ipVisible =
      (p.kind === 'ipv4' ? this.callIptables : p.kind === 'ipv6' && this.callIp6tables) &&
      (!frame.vlan || this.filterVlanTagged);
    const ip: Ipv4Packet | Ipv6Packet | null = ipVisible ? (p as Ipv4Packet | Ipv6Packet) : null;
    const l2Len = frameLength(frame) - 14 - (frame.vlan ? 4 : 0);
    // One context per host, refilled per frame: predicates never keep it beyond the step.
    const ctx = this.ctx;
    ctx.frame = frame;
    ctx.ip = ip;
    ctx.ct = NO_CT;
    ctx.now = now;
    ctx.inIface = ingress;
    ctx.outIface = null;
    ctx.physIn = ingress;
    ctx.physOut = egress;
    ctx.bridged = !local;
    ctx.ruleKey = '';
    ctx.l2Len = l2Len;
    ctx.l3Len = l2Len - (frame.trailer?.length ?? 0);
    ctx.hotdrop = false;
    if (!detail) {
      const sim = this.prepared.sim;
      if (sim.frameKeys) {
        sim.frameKeys(frame, this.keys);
      } else {
        this.keys.ethertype = ebEthertype(frame);
        this.keys.proto = ip ? upperProtocol(ip) : -1;
        this.keys.sport = ip ? l4Port(ip, 'sport') : -1;
        this.keys.dport = ip ? l4Port(ip, 'dport') : -1;
      }
    }
    const trace: PacketTrace = {
      i: this.count++,
      t: now,
      side,
      summary: detail ? summarizeFrame(frame) : '',
      ctstate: null,
      ctdir: null,
      path: local ? 'local' : 'forward',
      hooks: hooks ?? NO_HOOKS,
      verdict: 'accept',
      rule: null,
      provenance: null,
      notes: detail ? [] : NO_NOTES,
      error: null,
    };
    // For an accepted packet the iptables decision is the informative one; ebtables' is the fallback.
    let acceptedEb: PreparedRule | null = null;
    let ct = NO_CT;
    let tracked = false;
    const bad = ipHeaderProblem(frame);
    if (this.bridgeConntrack) {
      // nf_conntrack_bridge (priority -200) runs before every base chain, on the frame itself. A
      // header its own check refuses (lengths, version; not the checksum) gets no entry at all.
      const ctIp = p.kind === 'ipv4' || p.kind === 'ipv6' ? p : null;
      const active =
        ctIp !== null && (ctIp.kind === 'ipv4' ? this.tracking.ipv4 : this.tracking.ipv6);
      const refused = bad !== null && refusedByBridgeConntrack(bad);
      tracked = active && !refused;
      if (tracked) ct = this.track(trace, ctx, frame, now, false);
      else if (active) {
        addNote(trace, `nf_conntrack_bridge: ${bad?.reason}: not tracked (no conntrack entry)`);
        if (hooks)
          hooks.push({ hook: 'conntrack', table: null, result: 'not tracked', visits: [] });
      } else if (ctIp && hooks)
        hooks.push({ hook: 'conntrack', table: null, result: 'not active', visits: [] });
    }
    /** A PREROUTING stretch's verdict: null to go on, else the settled trace. */
    const settlePre = (v: HookVerdict): PacketTrace | null => {
      if (v !== V_ACCEPT) this.conntrack.discard(ct);
      if (v === V_ERROR) return this.settle(trace, 'error', null, acceptedEb, this.walkError);
      if (informative(this.decider)) acceptedEb = this.decider;
      if (v !== V_ACCEPT) return this.settle(trace, 'drop', this.decider, acceptedEb);
      return null;
    };
    // 1. bridge PREROUTING up to br_netfilter (ebtables nat; before it hands the packet to the
    // IP hooks).
    const early = settlePre(this.runHooks(this.bridgePre, ctx));
    if (early) return early;

    // br_netfilter validates the IP header before conntrack and the IP hooks (br_validate_ipv4/6);
    // without it a bridged frame is forwarded as it is, but the host's own IP stack checks too.
    // Under bridge conntrack the frame's entry, never confirmed, goes with it.
    const v4 = frame.ethertype === ETH_P_IPV4;
    const brNf =
      (v4 ? this.callIptables : this.callIp6tables) && (!frame.vlan || this.filterVlanTagged);
    if (bad && (brNf || local)) {
      const where = brNf
        ? `br_netfilter (${v4 ? 'br_validate_ipv4' : 'br_validate_ipv6'})`
        : v4
          ? 'ip_rcv'
          : 'ipv6_rcv';
      addNote(
        trace,
        `${where}: ${bad.reason}: dropped before ${this.bridgePreLate.length ? 'the bridge chains of priority 0 and above' : 'conntrack'} and every ${v4 ? 'iptables' : 'ip6tables'} rule (${bad.counter})`,
      );
      if (hooks) hooks.push({ hook: where, table: null, result: 'drop', visits: [] });
      this.conntrack.discard(ct);
      return this.settle(trace, 'drop', null, null);
    }
    // 1b. bridge PREROUTING after br_netfilter (libvirt's nftables tables, priority 0 and 1).
    if (this.bridgePreLate.length) {
      const late = settlePre(this.runHooks(this.bridgePreLate, ctx));
      if (late) return late;
    }

    // 2. conntrack, with the helper the raw-table CT rule would attach.
    if (this.bridgeConntrack) {
      // No IP-family conntrack of its own: the frame keeps the bridge family's entry.
    } else if (ip && !(ip.kind === 'ipv4' ? this.tracking.ipv4 : this.tracking.ipv6)) {
      // ctstate stays null: the packet has no conntrack entry at all (not even the UNTRACKED template).
      addNote(
        trace,
        `conntrack: not active for ${ip.kind === 'ipv4' ? 'IPv4' : 'IPv6'} — no ${ip.kind === 'ipv4' ? 'iptables' : 'ip6tables'} rule uses conntrack, so its hooks are not registered in this namespace and the packet is not tracked`,
      );
      if (hooks) hooks.push({ hook: 'conntrack', table: null, result: 'not active', visits: [] });
    } else if (ip) {
      tracked = true;
      ct = this.track(trace, ctx, frame, now, this.ftpHelper);
    } else if (p.kind === 'ipv4' || p.kind === 'ipv6') {
      addNote(
        trace,
        !(p.kind === 'ipv4' ? this.callIptables : this.callIp6tables)
          ? `bridge-nf-call-${p.kind === 'ipv4' ? 'iptables' : 'ip6tables'}=0: bridged ${p.kind === 'ipv4' ? 'IPv4' : 'IPv6'} is not passed to conntrack or the ${p.kind === 'ipv4' ? 'iptables' : 'ip6tables'} rules`
          : '802.1Q-tagged IP: not passed to the IP hooks (bridge-nf-filter-vlan-tagged=0)',
      );
    }

    // br_handle_frame_finish: a broadcast (or, without a multicast querier, a multicast) frame is
    // flooded to the other ports AND passed up to the bridge device. Both copies share the conntrack
    // entry, so a dropped forwarded copy must not discard it.
    // nf_ct_bridge_in resets a passed-up copy's unconfirmed entry (the IP stack tracks it anew) and
    // libvirt's nftables chains have no INPUT hook: only the forwarded copy matters.
    const upCopy =
      !this.bridgeConntrack && !local && ip !== null && ip.kind === 'ipv4' && isGroupMac(frame.dst);
    const forwarded = this.forward(trace, ctx, ct, tracked, upCopy, local, egress, acceptedEb);
    if (upCopy && forwarded.verdict !== 'error') this.passUp(ctx, ct, tracked, now, trace);
    return forwarded;
  }

  /** Runs conntrack on the frame and records its answer in the trace and the match context. */
  private track(
    trace: PacketTrace,
    ctx: MatchContext,
    frame: EthernetFrame,
    now: number,
    ftpHelper: boolean,
  ): CtPacket {
    const ct = this.conntrack.trackPacket(
      frame,
      now,
      selectCtHelper(frame, ftpHelper),
      false,
      this.ctOut,
    );
    ctx.ct = ct;
    trace.ctstate = ct.state;
    trace.ctdir = ct.dir === null ? null : ct.dir === 0 ? 'ORIGINAL' : 'REPLY';
    if (ct.note) addNote(trace, `conntrack: ${ct.note}`);
    if (this.hooks)
      this.hooks.push({
        hook: this.bridgeConntrack ? 'conntrack (bridge)' : 'conntrack',
        table: null,
        result: ct.state ?? 'not tracked',
        visits: [],
      });
    return ct;
  }

  /** Applies the sysctl changes due at `now` (the kernel reads each on the next packet that uses it). */
  private applyEvents(events: readonly HostRuntimeEvent[], now: number): void {
    while (
      this.nextEvent < events.length &&
      (events[this.nextEvent] as HostRuntimeEvent).t <= now
    ) {
      const e = events[this.nextEvent++] as HostRuntimeEvent;
      this.conntrack.setSysctl(e.conntrack);
      if (e.bridge.callIptables !== undefined) this.callIptables = e.bridge.callIptables;
      if (e.bridge.callIp6tables !== undefined) this.callIp6tables = e.bridge.callIp6tables;
      if (e.bridge.filterVlanTagged !== undefined)
        this.filterVlanTagged = e.bridge.filterVlanTagged;
    }
  }

  /** Steps 3-5 of {@link step}: the IP hook, ebtables POSTROUTING, confirmation. */
  private forward(
    trace: PacketTrace,
    ctx: MatchContext,
    ct: CtPacket,
    tracked: boolean,
    upCopy: boolean,
    local: boolean,
    egress: string | null,
    acceptedEbIn: PreparedRule | null,
  ): PacketTrace {
    let acceptedEb = acceptedEbIn;
    let acceptedIp: PreparedRule | null = null;
    const ip = ctx.ip;
    // 3a. bridge FORWARD (bridged) or LOCAL_IN (to the host), before br_netfilter's IP hook.
    const l2Hooks = local ? this.bridgeInput : this.bridgeForward;
    if (l2Hooks.length > 0) {
      const r = this.runHooks(l2Hooks, ctx);
      if (r === V_ERROR) {
        if (!upCopy) this.conntrack.discard(ct);
        return this.settle(trace, 'error', null, acceptedEb, this.walkError);
      }
      if (r !== V_ACCEPT) {
        if (!upCopy) this.conntrack.discard(ct);
        return this.settle(trace, r === V_REJECT ? 'reject' : 'drop', this.decider, null);
      }
      if (informative(this.decider)) acceptedEb = this.decider;
    }
    // 3b. the IP FORWARD (bridged) or INPUT (to the host) hook.
    if (ip) {
      const v4 = ip.kind === 'ipv4';
      const start = local
        ? v4
          ? this.ip4Input
          : this.ip6Input
        : v4
          ? this.ip4Forward
          : this.ip6Forward;
      const r = this.runHooks(start, ctx);
      if (r === V_ERROR) {
        if (!upCopy) this.conntrack.discard(ct);
        return this.settle(trace, 'error', null, acceptedIp ?? acceptedEb, this.walkError);
      }
      if (r !== V_ACCEPT) {
        if (!upCopy) this.conntrack.discard(ct);
        if (r === V_REJECT) {
          const reply = rejectReply(ctx.frame, ip, this.bridgeAddress);
          if (reply.frame) {
            trace.reply = { summary: reply.summary, frame: reply.frame };
            addNote(trace, `REJECT: sends ${reply.summary} back to the source`);
          } else addNote(trace, `REJECT: ${reply.summary}`);
        }
        if (this.hotdropped)
          addNote(
            trace,
            "connlimit: count 0 (the packet's own connection is already closed, so it is not counted) — xt_connlimit hot-drops the packet; no rule counter moves",
          );
        return this.settle(trace, r === V_REJECT ? 'reject' : 'drop', this.decider, null);
      }
      if (informative(this.decider)) acceptedIp = this.decider;
    }

    // 4. bridge POSTROUTING (bridged frames only).
    if (!local) {
      ctx.outIface = egress;
      const post = this.runHooks(this.bridgePost, ctx);
      if (post === V_ERROR) {
        if (!upCopy) this.conntrack.discard(ct);
        return this.settle(trace, 'error', null, acceptedIp ?? acceptedEb, this.walkError);
      }
      if (post !== V_ACCEPT) {
        if (!upCopy) this.conntrack.discard(ct);
        return this.settle(trace, 'drop', this.decider, acceptedIp ?? acceptedEb);
      }
      if (informative(this.decider)) acceptedEb = this.decider;
    }

    // 5. Confirmation (helpers run here).
    if (tracked) {
      const c = this.conntrack.confirm(ct, ctx.frame, ctx.now);
      if (c.note) addNote(trace, `helper: ${c.note}`);
      if (c.expectation) addNote(trace, 'helper: expectation created');
      if (this.hooks)
        this.hooks.push({
          hook: 'confirm',
          table: null,
          result: c.verdict === 'drop' ? 'DROP (helper)' : ct.created ? 'confirmed' : 'ACCEPT',
          visits: [],
        });
      if (c.verdict === 'drop') return this.settle(trace, 'drop', null, acceptedIp ?? acceptedEb);
    }
    return this.settle(trace, 'accept', null, acceptedIp ?? acceptedEb);
  }

  /**
   * The local copy of a bridged IPv4 broadcast/multicast frame (br_pass_frame_up), after the
   * forwarded copy: bridge LOCAL_IN, where br_netfilter confirms the shared, still unconfirmed
   * conntrack entry (so it survives a drop of either copy), then the IP stack's INPUT chain when
   * the host's IP layer accepts the destination (the limited broadcast, or the all-hosts group
   * every IPv4 device joins). The frame's verdict stays the forwarded copy's.
   */
  private passUp(
    ctx: MatchContext,
    ct: CtPacket,
    tracked: boolean,
    now: number,
    trace: PacketTrace,
  ): void {
    ctx.bridged = false;
    ctx.physOut = null;
    ctx.outIface = null;
    ctx.hotdrop = false;
    const conn = ct.conn;
    if (tracked && conn && !conn.dead && (conn.status & IPS_CONFIRMED) === 0) {
      this.conntrack.confirm(ct, ctx.frame, now);
      if (this.hooks)
        this.hooks.push({
          hook: 'confirm',
          table: null,
          result: 'confirmed (bridge LOCAL_IN, copy passed up to the host)',
          visits: [],
        });
    }
    const dst = (ctx.ip as Ipv4Packet).dst >>> 0;
    if (dst !== IPV4_LIMITED_BROADCAST && dst !== IPV4_ALL_HOSTS) {
      addNote(
        trace,
        'host copy: passed up to the bridge device, but its IP stack has not joined this group, so INPUT never sees it',
      );
      return;
    }
    let r = this.bridgeInput.length > 0 ? this.runHooks(this.bridgeInput, ctx) : V_ACCEPT;
    if (r === V_ACCEPT) r = this.runHooks(this.ip4Input, ctx);
    const verdict: Verdict =
      r === V_ERROR ? 'error' : r === V_ACCEPT ? 'accept' : r === V_REJECT ? 'reject' : 'drop';
    const rule = this.refOf(this.decider);
    trace.hostCopy = { verdict, rule, error: r === V_ERROR ? this.walkError : null };
    const by = rule
      ? ` by ${rule.filter} rule ${rule.index} (priority ${rule.priority}, ${rule.direction})`
      : '';
    addNote(
      trace,
      `host copy: ${dst === IPV4_LIMITED_BROADCAST ? 'broadcast' : 'all-hosts multicast'} also goes up to the host (iptables INPUT): ${verdict}${by}; the frame's verdict is the forwarded copy's`,
    );
  }

  /** The rule reference of a trace: fresh objects with traces, the prepared rule's shared one without. */
  private refOf(rule: PreparedRule | null): RuleRef | null {
    if (!rule) return null;
    return this.detail ? ruleRef(rule.ir.provenance) : rule.ref;
  }

  private settle(
    trace: PacketTrace,
    verdict: Verdict,
    decider: PreparedRule | null,
    accepted: PreparedRule | null,
    error: string | null = null,
  ): PacketTrace {
    trace.verdict = verdict;
    const d = verdict === 'accept' ? accepted : decider;
    trace.provenance = d?.ir.provenance ?? null;
    trace.rule = trace.provenance ? this.refOf(d) : null;
    // A rule the driver writes itself (no XML rule: the learning rules) is named by its site.
    if (d?.site && (trace.rule || !trace.provenance)) trace.site = d.site;
    trace.error = error;
    return trace;
  }

  /** The conntrack table now, like `conntrack -L`. */
  table(now: number): ConnView[] {
    return this.conntrack.snapshot(now);
  }

  /** Pending expectations, like `conntrack -L expect`. */
  expectations(now: number): ExpectationView[] {
    return this.conntrack.snapshotExpectations(now);
  }

  /**
   * Per-rule counters (every rule of every table), in table/chain/rule order; `handle` is the
   * rule's kernel handle where the backend has them (nftables).
   */
  counters(): RuleCounter[] {
    const out: RuleCounter[] = [];
    for (const [name, t] of this.prepared.tables) {
      for (const c of t.chains.values())
        for (const r of c.rules) {
          const counter: RuleCounter = {
            table: name,
            chain: c.ir.name,
            index: r.index,
            packets: r.packets,
            bytes: r.bytes,
            rule: ruleRef(r.ir.provenance),
          };
          if (r.site) counter.handle = r.site.handle;
          out.push(counter);
        }
    }
    return out;
  }

  /**
   * Runs the base chains of one hook point in order until one does not accept. An accepted
   * packet is credited to the last of them with a deciding rule.
   */
  private runHooks(starts: readonly HookStart[], ctx: MatchContext): HookVerdict {
    if (starts.length === 1) return this.runHook(starts[0] as HookStart, ctx);
    let decider: PreparedRule | null = null;
    for (const start of starts) {
      const v = this.runHook(start, ctx);
      if (v !== V_ACCEPT) return v;
      decider = this.decider ?? decider;
    }
    this.decider = decider;
    return V_ACCEPT;
  }

  /**
   * Runs one base chain of a table: user chains by jump (return to the next
   * rule) or goto (return to the jumper's caller); falling off a user chain
   * returns; a base chain ends in the host's policy, ACCEPT. Sets `decider`,
   * `walkError` and `hotdropped`; with traces, records the hook and its visits.
   */
  private runHook(start: HookStart, ctx: MatchContext): HookVerdict {
    this.decider = null;
    this.walkError = null;
    this.hotdropped = false;
    const hooks = this.hooks;
    const visits: RuleVisit[] | null = hooks ? [] : null;
    let v: HookVerdict = V_ACCEPT;
    if (start.chain) v = this.walk(start.chain, start, ctx, visits);
    if (this.walkError === CHAIN_LOOP)
      this.walkError = `chain loop in ${start.tableKey} ${start.base}`;
    if (hooks && visits)
      hooks.push({
        hook: start.label,
        table: start.tableKey,
        result: this.hotdropped ? 'DROP (hotdrop)' : VERDICT_TEXT[v],
        visits,
      });
    return v;
  }

  /**
   * ACCEPT, DROP or REJECT ends the walk: an ACCEPT is credited to the last rule with an XML
   * origin or a site (`lastDecider`), a DROP or REJECT to the rule itself; a table without REJECT (ebtables) drops.
   */
  private terminal(
    op: number,
    rule: PreparedRule,
    lastDecider: PreparedRule | null,
    rejectIsDrop: boolean,
  ): HookVerdict {
    if (op === OP_ACCEPT) {
      this.decider = lastDecider;
      return V_ACCEPT;
    }
    this.decider = rule;
    return op === OP_DROP || rejectIsDrop ? V_DROP : V_REJECT;
  }

  /** The rules of `chain` the current frame can match (dispatch index), or all of them in order. */
  private candidatesOf(chain: PreparedChain, byEthertype: boolean): Int32Array {
    const index = chain.index;
    if (index === null) return chain.all;
    const k = this.keys;
    return byEthertype
      ? index.candidates(k.ethertype, -1, -1)
      : index.candidates(k.proto, k.dport, k.sport);
  }

  /**
   * The chain interpreter, for both walks. Without traces (`visits` null) it takes each chain's
   * candidate list from its dispatch index (all rules of an unindexed chain) and evaluates only
   * the predicates the index has not decided: the rules it skips are exactly those whose indexed
   * header test fails, which the linear walk passes over without effect. With traces it visits
   * every rule in order and records each visit. Same outcome, counters and side effects either way.
   */
  private walk(
    start: PreparedChain,
    hook: HookStart,
    ctx: MatchContext,
    visits: RuleVisit[] | null,
  ): HookVerdict {
    const traced = visits !== null;
    const l2 = hook.l2;
    const byEthertype = hook.byEthertype;
    const stackChains = this.stackChains;
    const stackLists = this.stackLists;
    const stackNext = this.stackNext;
    let depth = 0;
    let chain = start;
    let list = traced ? chain.all : this.candidatesOf(chain, byEthertype);
    let rules = chain.rules;
    let n = list.length;
    let pos = 0;
    let jumps = 0;
    let lastDecider: PreparedRule | null = null;
    const len = l2 ? ctx.l2Len : ctx.l3Len;
    for (;;) {
      if (pos >= n) {
        if (depth === 0) {
          this.decider = lastDecider;
          return V_ACCEPT;
        }
        depth--;
        chain = stackChains[depth] as PreparedChain;
        list = stackLists[depth] as Int32Array;
        pos = stackNext[depth] as number;
        rules = chain.rules;
        n = list.length;
        continue;
      }
      const rule = rules[list[pos] as number] as PreparedRule;
      if (rule.unsupported !== null) {
        if (traced) visits.push(visitOf(hook, chain, rule, false, 'unsupported'));
        this.decider = rule;
        this.walkError = `unsupported: ${rule.unsupported} (${rule.key})`;
        return V_ERROR;
      }
      const connlimit = rule.connlimit;
      if (connlimit) ctx.ruleKey = rule.key;
      const preds = traced ? rule.preds : rule.fastPreds;
      let matched = true;
      for (let k = 0; k < preds.length; k++) {
        if (!(preds[k] as Predicate)(ctx)) {
          matched = false;
          break;
        }
      }
      const hotdrop = connlimit && ctx.hotdrop;
      if (traced)
        visits.push(visitOf(hook, chain, rule, matched, hotdrop ? 'hotdrop' : rule.targetText));
      if (hotdrop) {
        // ipt_do_table stops at once and returns NF_DROP; the rule's counter is not touched.
        ctx.hotdrop = false;
        this.decider = rule;
        this.hotdropped = true;
        return V_DROP;
      }
      if (!matched) {
        pos++;
        continue;
      }
      rule.packets++;
      rule.bytes += len;
      const op = rule.op;
      if (op === OP_CONTINUE) {
        pos++;
        continue;
      }
      if (op <= OP_RETURN) {
        // Credited: an XML rule's, or one the driver writes itself with a site (nft learning rules).
        if (rule.ref !== null || rule.site !== null) lastDecider = rule;
        if (op !== OP_RETURN) return this.terminal(op, rule, lastDecider, hook.rejectIsDrop);
        // RETURN: as if the chain ended here.
        pos = n;
        continue;
      }
      const target = rule.targetChain;
      if (target === null) {
        this.decider = rule;
        this.walkError = `unsupported: jump to unknown chain ${(rule.ir.target as { chain: string }).chain} (${rule.key})`;
        return V_ERROR;
      }
      if (++jumps > MAX_JUMPS) {
        this.walkError = CHAIN_LOOP;
        return V_ERROR;
      }
      if (op !== OP_GOTO) {
        stackChains[depth] = chain;
        stackLists[depth] = list;
        stackNext[depth] = pos + 1;
        depth++;
      }
      chain = target;
      list = traced ? chain.all : this.candidatesOf(chain, byEthertype);
      rules = chain.rules;
      n = list.length;
      pos = 0;
    }
  }
}

const IPV4_LIMITED_BROADCAST = 0xffffffff;
const IPV4_ALL_HOSTS = 0xe0000001;

/** Group (multicast or broadcast) MAC: the I/G bit of the first byte. */
function isGroupMac(mac: number): boolean {
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}
