/**
 * The path a frame takes through a Linux bridge host with br_netfilter, as
 * libvirt's rules see it:
 *
 *   ebtables nat PREROUTING → conntrack (after the raw table: helper
 *   template) → iptables/ip6tables filter FORWARD (physdev) → ebtables nat
 *   POSTROUTING → conntrack confirmation (helpers run here)
 *
 * or, for frames addressed to the host, PREROUTING → conntrack → INPUT →
 * confirmation. A bridged IPv4 broadcast takes both paths: forwarded, then a
 * copy passed up to the host (confirmed at bridge LOCAL_IN, then INPUT).
 * Conntrack runs only for a family some rule makes it register for. The host executes the Ruleset IR (never the XML) and records
 * a plain-data trace per packet.
 */
import type { Provenance, Ruleset } from '../compile/ir';
import { Conntrack, selectCtHelper } from '../conntrack/conntrack';
import type { ConnView, ExpectationView } from '../conntrack/conntrack';
import type { CtPacket, CtStateName } from '../conntrack/types';
import { IPS_CONFIRMED } from '../conntrack/types';
import type { RuleDirection } from '../model/types';
import type { IpsetSpec, MatchContext } from './match-eval';
import type { EthernetFrame, Ipv4Packet, Ipv6Packet } from './packet';
import { summarizeFrame } from './packet-summary';
import type { PreparedChain, PreparedRule, PreparedRuleset } from './prepare-ruleset';
import { prepareRuleset } from './prepare-ruleset';

export type Side = 'from-vm' | 'to-vm';
export type Verdict = 'accept' | 'drop' | 'reject' | 'error';
export type HookName = 'ebtables nat PREROUTING' | 'conntrack' | 'FORWARD' | 'INPUT' | 'ebtables nat POSTROUTING' | 'confirm';

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
}

/** The XML rule a verdict points at (as in the CLI's JSON output). */
export interface RuleRef {
  filter: string;
  index: number;
  priority: number;
  direction: RuleDirection;
}

export interface RuleVisit {
  table: string;
  chain: string;
  index: number;
  matched: boolean;
  /** The target text (`ACCEPT`, `DROP`, `RETURN`, `-j CHAIN`, `-g CHAIN`). */
  target: string;
  rule: RuleRef | null;
}

export interface HookTrace {
  hook: HookName;
  /** `ebtables/nat`, `iptables/filter` …; null for conntrack steps. */
  table: string | null;
  result: string;
  visits: RuleVisit[];
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
  provenance: Provenance | null;
  notes: string[];
  /** Set when the packet reached a rule the simulator cannot interpret. */
  error: string | null;
  /**
   * The fate of the copy a bridged broadcast/multicast frame also sends up to the host (iptables
   * INPUT); absent when there is none. It does not change `verdict` (the forwarded copy's).
   */
  hostCopy?: { verdict: Verdict; rule: RuleRef | null; error: string | null };
}

export interface StepOptions {
  /** Deliver to the host (INPUT) instead of bridging to the other side. */
  toHost?: boolean;
  /** Build the per-rule visit list and summary (default true; off for benchmarks). */
  detail?: boolean;
}

interface HookResult {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'ERROR';
  decider: PreparedRule | null;
  error: string | null;
  /** The decider's match hot-dropped the packet (no rule matched, no counter moved). */
  hotdrop?: boolean;
}

const MAX_STEPS = 100_000;
const NO_VISITS: RuleVisit[] = [];
/** The conntrack result of a frame conntrack does not see. */
const NO_CT: CtPacket = Object.freeze({ conn: null, ctinfo: -1, state: null, dir: null, created: false, note: null });

function ruleRef(p: Provenance | null): RuleRef | null {
  return p ? { filter: p.filter, index: p.ruleIndex, priority: p.priority, direction: p.direction } : null;
}

function targetText(r: PreparedRule): string {
  const t = r.ir.target;
  return t.kind === 'verdict' ? t.verdict : t.kind === 'jump' ? `-j ${t.chain}` : `-g ${t.chain}`;
}

/** A simulated bridge host running one interface's ruleset. */
export class BridgeHost {
  readonly conntrack: Conntrack;
  readonly prepared: PreparedRuleset;
  readonly iface: string;
  readonly peerPort: string;
  /**
   * Whether conntrack's hooks are registered for IPv4 / IPv6 in the host's
   * namespace. The kernel registers them only when a rule needs conntrack
   * (`-m conntrack`/`-m state`/`-m connlimit`, `-j CT` — each calls
   * nf_ct_netns_get for its family when the rule is added); until then no
   * packet of that family is tracked and `conntrack -L` stays empty.
   */
  readonly tracking: { ipv4: boolean; ipv6: boolean };
  private readonly settings: HostSettings;
  private count = 0;
  /** Reused call stack of the chain walk (one walk at a time): return chains and rule indices. */
  private readonly stackChains: PreparedChain[] = [];
  private readonly stackNext: number[] = [];

  constructor(ruleset: Ruleset, settings: HostSettings = {}) {
    this.settings = settings;
    this.prepared = prepareRuleset(ruleset, settings.ipsets ?? {});
    this.iface = settings.iface ?? ruleset.iface;
    this.peerPort = settings.peerPort ?? 'eth0';
    this.conntrack = new Conntrack({ sysctl: settings.sysctl ?? {}, hz: settings.hz ?? 250 });
    this.tracking = conntrackUsers(ruleset, settings.ftpHelper === true);
  }

  /** Runs one frame arriving at `now` from the VM's side or towards it. */
  step(frame: EthernetFrame, side: Side, now: number, options: StepOptions = {}): PacketTrace {
    const detail = options.detail !== false;
    const local = options.toHost === true && side === 'from-vm';
    const ingress = side === 'from-vm' ? this.iface : this.peerPort;
    const egress = local ? null : side === 'from-vm' ? this.peerPort : this.iface;
    const hooks: HookTrace[] = [];
    const notes: string[] = [];
    const p = frame.payload;
    const ipVisible = (p.kind === 'ipv4' || p.kind === 'ipv6') && (!frame.vlan || this.settings.filterVlanTagged === true);
    const ip: Ipv4Packet | Ipv6Packet | null = ipVisible ? (p as Ipv4Packet | Ipv6Packet) : null;
    const ctx: MatchContext = {
      frame,
      ip,
      ct: NO_CT,
      conntrack: this.conntrack,
      now,
      inIface: ingress,
      outIface: null,
      physIn: ingress,
      physOut: egress,
      bridged: !local,
      ruleKey: '',
      l2Len: 0,
      l3Len: 0,
      hotdrop: false,
    };
    const fl = frameLength(frame);
    ctx.l2Len = fl - 14 - (frame.vlan ? 4 : 0);
    ctx.l3Len = ctx.l2Len - (frame.trailer?.length ?? 0);
    const trace: PacketTrace = {
      i: this.count++,
      t: now,
      side,
      summary: detail ? summarizeFrame(frame) : '',
      ctstate: null,
      ctdir: null,
      path: local ? 'local' : 'forward',
      hooks,
      verdict: 'accept',
      rule: null,
      provenance: null,
      notes,
      error: null,
    };
    // For an accepted packet the iptables decision is the informative one; ebtables' is the fallback.
    let acceptedEb: PreparedRule | null = null;
    let acceptedIp: PreparedRule | null = null;
    // 1. ebtables nat PREROUTING (before br_netfilter hands the packet to the IP hooks).
    const pre = this.runHook('ebtables/nat', 'PREROUTING', ctx, detail ? hooks : null, 'ebtables nat PREROUTING');
    if (pre.verdict === 'ERROR') return settle(trace, 'error', null, acceptedIp ?? acceptedEb, pre.error);
    if (pre.decider?.ir.provenance) acceptedEb = pre.decider;
    if (pre.verdict !== 'ACCEPT') return settle(trace, 'drop', pre.decider, acceptedIp ?? acceptedEb);

    // 2. conntrack, with the helper the raw-table CT rule would attach.
    let ct = NO_CT;
    const tracked = ip !== null && (ip.kind === 'ipv4' ? this.tracking.ipv4 : this.tracking.ipv6);
    if (ip && !tracked) {
      // ctstate stays null: the packet has no conntrack entry at all (not even the UNTRACKED template).
      notes.push(`conntrack: not active for ${ip.kind === 'ipv4' ? 'IPv4' : 'IPv6'} — no ${ip.kind === 'ipv4' ? 'iptables' : 'ip6tables'} rule uses conntrack, so its hooks are not registered in this namespace and the packet is not tracked`);
      if (detail) hooks.push({ hook: 'conntrack', table: null, result: 'not active', visits: [] });
    } else if (ip) {
      ct = this.conntrack.packetIn(frame, now, { helper: selectCtHelper(frame, this.settings.ftpHelper === true) });
      ctx.ct = ct;
      trace.ctstate = ct.state;
      trace.ctdir = ct.dir === null ? null : ct.dir === 0 ? 'ORIGINAL' : 'REPLY';
      if (ct.note) notes.push(`conntrack: ${ct.note}`);
      if (detail) hooks.push({ hook: 'conntrack', table: null, result: ct.state ?? 'not tracked', visits: [] });
    } else if (p.kind === 'ipv4' || p.kind === 'ipv6') {
      notes.push('802.1Q-tagged IP: not passed to the IP hooks (bridge-nf-filter-vlan-tagged=0)');
    }

    // br_handle_frame_finish: a broadcast (or, without a multicast querier, a multicast) frame is
    // flooded to the other ports AND passed up to the bridge device. Both copies share the conntrack
    // entry, so a dropped forwarded copy must not discard it.
    const upCopy = !local && ip !== null && ip.kind === 'ipv4' && isGroupMac(frame.dst);
    const forwarded = ((): PacketTrace => {
      // 3. iptables / ip6tables filter FORWARD (bridged) or INPUT (to the host).
      if (ip) {
        const table = ip.kind === 'ipv4' ? 'iptables/filter' : 'ip6tables/filter';
        const hook = local ? 'INPUT' : 'FORWARD';
        const r = this.runHook(table, hook, ctx, detail ? hooks : null, hook);
        if (r.verdict === 'ERROR') {
          if (!upCopy) this.conntrack.discard(ct);
          return settle(trace, 'error', null, acceptedIp ?? acceptedEb, r.error);
        }
        if (r.verdict !== 'ACCEPT') {
          if (!upCopy) this.conntrack.discard(ct);
          if (r.verdict === 'REJECT') notes.push('REJECT: the bridged path sends an ICMP error only when the bridge has an IP address');
          if (r.hotdrop) notes.push('connlimit: count 0 (the packet\'s own connection is already closed, so it is not counted) — xt_connlimit hot-drops the packet; no rule counter moves');
          return settle(trace, r.verdict === 'REJECT' ? 'reject' : 'drop', r.decider, null);
        }
        if (r.decider?.ir.provenance) acceptedIp = r.decider;
      }

      // 4. ebtables nat POSTROUTING (bridged frames only).
      if (!local) {
        ctx.outIface = egress;
        const post = this.runHook('ebtables/nat', 'POSTROUTING', ctx, detail ? hooks : null, 'ebtables nat POSTROUTING');
        if (post.verdict === 'ERROR') {
          if (!upCopy) this.conntrack.discard(ct);
          return settle(trace, 'error', null, acceptedIp ?? acceptedEb, post.error);
        }
        if (post.verdict !== 'ACCEPT') {
          if (!upCopy) this.conntrack.discard(ct);
          return settle(trace, 'drop', post.decider, acceptedIp ?? acceptedEb);
        }
        if (post.decider?.ir.provenance) acceptedEb = post.decider;
      }

      // 5. Confirmation (helpers run here).
      if (tracked) {
        const c = this.conntrack.confirm(ct, frame, now);
        if (c.note) notes.push(`helper: ${c.note}`);
        if (c.expectation) notes.push('helper: expectation created');
        if (detail) hooks.push({ hook: 'confirm', table: null, result: c.verdict === 'drop' ? 'DROP (helper)' : ct.created ? 'confirmed' : 'ACCEPT', visits: [] });
        if (c.verdict === 'drop') return settle(trace, 'drop', null, acceptedIp ?? acceptedEb);
      }
      return settle(trace, 'accept', null, acceptedIp ?? acceptedEb);
    })();
    if (upCopy && forwarded.verdict !== 'error') this.passUp(ctx, ct, tracked, now, detail ? hooks : null, trace);
    return forwarded;
  }

  /**
   * The local copy of a bridged IPv4 broadcast/multicast frame (br_pass_frame_up), after the
   * forwarded copy: bridge LOCAL_IN, where br_netfilter confirms the shared, still unconfirmed
   * conntrack entry (so it survives a drop of either copy), then the IP stack's INPUT chain when
   * the host's IP layer accepts the destination (the limited broadcast, or the all-hosts group
   * every IPv4 device joins). The frame's verdict stays the forwarded copy's.
   */
  private passUp(ctx: MatchContext, ct: CtPacket, tracked: boolean, now: number, hooks: HookTrace[] | null, trace: PacketTrace): void {
    ctx.bridged = false;
    ctx.physOut = null;
    ctx.outIface = null;
    ctx.hotdrop = false;
    const conn = ct.conn;
    if (tracked && conn && !conn.dead && (conn.status & IPS_CONFIRMED) === 0) {
      this.conntrack.confirm(ct, ctx.frame, now);
      if (hooks) hooks.push({ hook: 'confirm', table: null, result: 'confirmed (bridge LOCAL_IN, copy passed up to the host)', visits: [] });
    }
    const dst = (ctx.ip as Ipv4Packet).dst >>> 0;
    if (dst !== IPV4_LIMITED_BROADCAST && dst !== IPV4_ALL_HOSTS) {
      trace.notes.push('host copy: passed up to the bridge device, but its IP stack has not joined this group, so INPUT never sees it');
      return;
    }
    const r = this.runHook('iptables/filter', 'INPUT', ctx, hooks, 'INPUT');
    const verdict: Verdict = r.verdict === 'ERROR' ? 'error' : r.verdict === 'ACCEPT' ? 'accept' : r.verdict === 'REJECT' ? 'reject' : 'drop';
    const rule = ruleRef(r.decider?.ir.provenance ?? null);
    trace.hostCopy = { verdict, rule, error: r.error };
    const by = rule ? ` by ${rule.filter} rule ${rule.index} (priority ${rule.priority}, ${rule.direction})` : '';
    trace.notes.push(`host copy: ${dst === IPV4_LIMITED_BROADCAST ? 'broadcast' : 'all-hosts multicast'} also goes up to the host (iptables INPUT): ${verdict}${by}; the frame's verdict is the forwarded copy's`);
  }

  /** The conntrack table now, like `conntrack -L`. */
  table(now: number): ConnView[] {
    return this.conntrack.snapshot(now);
  }

  /** Pending expectations, like `conntrack -L expect`. */
  expectations(now: number): ExpectationView[] {
    return this.conntrack.snapshotExpectations(now);
  }

  /** Per-rule counters (every rule of every table), in table/chain/rule order. */
  counters(): { table: string; chain: string; index: number; packets: number; bytes: number; rule: RuleRef | null }[] {
    const out: { table: string; chain: string; index: number; packets: number; bytes: number; rule: RuleRef | null }[] = [];
    for (const [name, t] of this.prepared.tables) {
      for (const c of t.chains.values()) for (const r of c.rules) out.push({ table: name, chain: c.ir.name, index: r.index, packets: r.packets, bytes: r.bytes, rule: ruleRef(r.ir.provenance) });
    }
    return out;
  }

  /**
   * Runs one base chain of a table: user chains by jump (return to the next
   * rule) or goto (return to the jumper's caller); falling off a user chain
   * returns; a base chain ends in the host's policy, ACCEPT.
   */
  private runHook(tableKey: string, base: string, ctx: MatchContext, hooks: HookTrace[] | null, hook: HookName): HookResult {
    const table = this.prepared.tables.get(tableKey);
    const visits: RuleVisit[] = hooks ? [] : NO_VISITS;
    const start = table?.chains.get(base);
    if (!table || !start) return record(hooks, hook, tableKey, visits, { verdict: 'ACCEPT', decider: null, error: null });
    const ebtables = table.ir.family === 'ebtables';
    const stackChains = this.stackChains;
    const stackNext = this.stackNext;
    stackChains.length = 0;
    stackNext.length = 0;
    let chain = start;
    let i = 0;
    let lastDecider: PreparedRule | null = null;
    const len = ebtables ? ctx.l2Len : ctx.l3Len;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      if (i >= chain.rules.length) {
        const back = stackChains.pop();
        if (!back) return record(hooks, hook, tableKey, visits, { verdict: 'ACCEPT', decider: lastDecider, error: null });
        chain = back;
        i = stackNext.pop() as number;
        continue;
      }
      const rule = chain.rules[i] as PreparedRule;
      if (rule.unsupported) {
        if (hooks) visits.push({ table: tableKey, chain: chain.ir.name, index: i, matched: false, target: 'unsupported', rule: ruleRef(rule.ir.provenance) });
        return record(hooks, hook, tableKey, visits, { verdict: 'ERROR', decider: rule, error: `unsupported: ${rule.unsupported} (${rule.key})` });
      }
      ctx.ruleKey = rule.key;
      let matched = true;
      for (const pred of rule.preds) {
        if (!pred(ctx)) {
          matched = false;
          break;
        }
      }
      if (hooks) visits.push({ table: tableKey, chain: chain.ir.name, index: i, matched, target: ctx.hotdrop ? 'hotdrop' : targetText(rule), rule: ruleRef(rule.ir.provenance) });
      if (ctx.hotdrop) {
        // ipt_do_table stops at once and returns NF_DROP; the rule's counter is not touched.
        ctx.hotdrop = false;
        if (hooks) hooks.push({ hook, table: tableKey, result: 'DROP (hotdrop)', visits });
        return { verdict: 'DROP', decider: rule, error: null, hotdrop: true };
      }
      if (!matched) {
        i++;
        continue;
      }
      rule.packets++;
      rule.bytes += len;
      const t = rule.ir.target;
      if (t.kind === 'verdict') {
        if (rule.ir.provenance && t.verdict !== 'CONTINUE') lastDecider = rule;
        switch (t.verdict) {
          case 'ACCEPT':
            return record(hooks, hook, tableKey, visits, { verdict: 'ACCEPT', decider: lastDecider, error: null });
          case 'DROP':
            return record(hooks, hook, tableKey, visits, { verdict: 'DROP', decider: rule, error: null });
          case 'REJECT':
            return record(hooks, hook, tableKey, visits, { verdict: ebtables ? 'DROP' : 'REJECT', decider: rule, error: null });
          case 'CONTINUE':
            i++;
            continue;
          case 'RETURN': {
            const back = stackChains.pop();
            if (!back) return record(hooks, hook, tableKey, visits, { verdict: 'ACCEPT', decider: lastDecider, error: null });
            chain = back;
            i = stackNext.pop() as number;
            continue;
          }
        }
      }
      const target = table.chains.get(t.chain);
      if (!target) return record(hooks, hook, tableKey, visits, { verdict: 'ERROR', decider: rule, error: `unsupported: jump to unknown chain ${t.chain} (${rule.key})` });
      if (t.kind === 'jump') {
        stackChains.push(chain);
        stackNext.push(i + 1);
      }
      chain = target;
      i = 0;
    }
    return record(hooks, hook, tableKey, visits, { verdict: 'ERROR', decider: null, error: `chain loop in ${tableKey} ${base}` });
  }
}

/** Which families have a rule that needs conntrack (the FTP helper setting is an IPv4 raw-table CT rule). */
function conntrackUsers(ruleset: Ruleset, ftpHelper: boolean): { ipv4: boolean; ipv6: boolean } {
  const out = { ipv4: ftpHelper, ipv6: false };
  for (const t of ruleset.tables) {
    if (t.family === 'ebtables') continue;
    const uses = t.chains.some((c) => c.rules.some((r) => r.matches.some((m) => m.kind === 'ipt-ctstate' || m.kind === 'ipt-ctdir' || m.kind === 'ipt-connlimit')));
    if (uses && t.family === 'iptables') out.ipv4 = true;
    if (uses && t.family === 'ip6tables') out.ipv6 = true;
  }
  return out;
}

const IPV4_LIMITED_BROADCAST = 0xffffffff;
const IPV4_ALL_HOSTS = 0xe0000001;

/** Group (multicast or broadcast) MAC: the I/G bit of the first byte. */
function isGroupMac(mac: number): boolean {
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}

function settle(trace: PacketTrace, verdict: Verdict, decider: PreparedRule | null, accepted: PreparedRule | null, error: string | null = null): PacketTrace {
  trace.verdict = verdict;
  const d = verdict === 'accept' ? accepted : decider;
  trace.provenance = d?.ir.provenance ?? null;
  trace.rule = ruleRef(trace.provenance);
  trace.error = error;
  return trace;
}

function record(hooks: HookTrace[] | null, hook: HookName, table: string, visits: RuleVisit[], r: HookResult): HookResult {
  if (hooks) hooks.push({ hook, table, result: r.verdict, visits });
  return r;
}

function frameLength(f: EthernetFrame): number {
  // Cheap length without encoding: header sizes plus payload sizes.
  const p = f.payload;
  let n = 14 + (f.vlan ? 4 : 0) + (f.trailer?.length ?? 0);
  switch (p.kind) {
    case 'arp':
      return n + 28;
    case 'stp':
      return n + (p.bpduType === 0x80 ? 7 : 38);
    case 'raw':
      return n + p.data.length;
    default:
      break;
  }
  n += p.kind === 'ipv4' ? 20 + (p.options ? (p.options.length + 3) & ~3 : 0) : 40 + (p.extHeaders ?? []).reduce((s, e) => s + e.data.length, 0);
  const l4 = p.payload;
  switch (l4.kind) {
    case 'tcp':
      return n + 20 + (l4.options ? (l4.options.length + 3) & ~3 : 0) + l4.payload.length;
    case 'udp':
    case 'udplite':
      return n + 8 + l4.payload.length;
    case 'icmp':
    case 'icmpv6':
      return n + 8 + l4.payload.length;
    case 'igmp':
      return n + 8 + l4.extra.length;
    case 'esp':
      return n + 8 + l4.data.length;
    case 'ah':
      return n + 12 + ((l4.icv.length + 3) & ~3) + l4.data.length;
    case 'sctp':
      return n + 12 + l4.chunks.reduce((s, c) => s + ((4 + c.value.length + 3) & ~3), 0);
    case 'raw':
      return n + l4.data.length;
  }
}
