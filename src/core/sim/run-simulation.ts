/**
 * The Simulator panel's run: compile the edited filter set for the panel's settings and play a
 * scenario, custom packets or captures through it. Plain functions over the core, so the same code
 * runs in the Web Worker (which only hosts it), in the Export panel and in tests; inputs and outputs
 * are structured-clone friendly.
 */
import { witnessReplay } from '../analysis';
import type { AnalysisPath, Point } from '../analysis';
import { DEFAULT_BACKEND, compileFilter, getBackend } from '../compile';
import type { AnyRuleset, BackendId } from '../compile';
import type { ConnView, ExpectationView } from '../conntrack/conntrack';
import {
  describeMissingIpset,
  describeMissingKernelFeature,
  findMissingIpsets,
  findMissingKernelFeatures,
  kernelFacts,
  simSettingsOf,
  DEFAULT_KERNEL_RELEASE,
} from '../host';
import type { HostEvent, HostProfile, IpsetSpec } from '../host';
import { INSTANTIATE_CODES } from '../instantiate';
import { getBuiltinFilter } from '../library';
import type { LibvirtVersion } from '../library';
import type { FilterDoc } from '../model/types';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace, Side, Verdict } from '../netfilter/bridge-host';
import type { L4Packet } from '../packet/packet';
import { buildEthernet, buildIpv4, buildTcp, buildUdp } from '../packet/packet-build';
import { decodeFrame } from '../packet/packet-decode';
import { ipv4HeaderChecksum } from '../packet/packet-encode';
import { bytesSource, CaptureReader } from './capture-reader';
import { DEFAULT_LIMITS } from '../model/limits';
import { scenarioSettings } from './run-scenario';
import { LearningTimeline, learningRunOf } from './learning-timeline';
import type { LearningPhase, LearningRun } from './learning-timeline';
import type { LearningPlan } from '../learning';
import { DEFAULT_HOSTS, SCENARIOS, getScenario } from './scenarios';
import type { Scenario, ScenarioFrame, ScenarioHosts } from './scenarios';

/** A reason libvirt cannot bind the filter, at its rule (ruleIndex set) or filterref. */
export interface BindingFailureView {
  code: string;
  message: string;
  filter: string;
  entryIndex: number;
  ruleIndex: number | null;
}

/** Host settings the panel edits. */
export interface SimSettings {
  /** Assign the FTP conntrack helper (`-t raw … -j CT --helper ftp`). */
  ftpHelper: boolean;
  /** Conntrack sysctl overrides (name without the /proc path). */
  sysctl: Record<string, number>;
  /** Filter parameters of the binding; `IP` and `MAC` also give the VM's addresses. */
  params: Record<string, string[]>;
  /** The firewall backend that compiles the filter (default ebiptables). */
  backend?: BackendId;
  /** The libvirt release whose built-in filters filterrefs resolve to (default: the newest). */
  libvirt?: LibvirtVersion;
  /** The bridge's address (`10.99.0.1/24`); null or absent: none, so REJECT sends nothing. */
  bridgeAddress?: string | null;
  /** The host's ipsets, for `-m set` rules. */
  ipsets?: Record<string, IpsetSpec>;
  /** Sysctl changes during the run (time on the frames' clock). */
  events?: HostEvent[];
  /** Whether the host's kernel has nf_conntrack_bridge (default true; `HostProfile`). */
  nfConntrackBridge?: boolean;
  /** The host's kernel release (default the reference host's; `HostProfile.kernel`). */
  kernel?: string;
}

/** The host part of the settings as one host profile (what `--host HOST.json` holds). */
export function hostProfileOf(settings: SimSettings): HostProfile {
  const sysctls: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings.sysctl)) sysctls[k] = String(v);
  return {
    ftpHelper: settings.ftpHelper,
    bridgeAddress: settings.bridgeAddress ?? null,
    sysctls,
    ipsets: settings.ipsets ?? {},
    events: settings.events ?? [],
    nfConntrackBridge: settings.nfConntrackBridge !== false,
    kernel: settings.kernel ?? DEFAULT_KERNEL_RELEASE,
  };
}

/** The settings' host part replaced by a (valid) profile. */
export function withHostProfile(settings: SimSettings, profile: HostProfile): SimSettings {
  const sysctl: Record<string, number> = {};
  for (const [k, v] of Object.entries(profile.sysctls)) sysctl[k] = Number(v);
  return {
    ...settings,
    ftpHelper: profile.ftpHelper,
    sysctl,
    bridgeAddress: profile.bridgeAddress,
    ipsets: profile.ipsets,
    events: profile.events,
    nfConntrackBridge: profile.nfConntrackBridge,
    kernel: profile.kernel,
  };
}

/** A packet typed into the custom-packet builder. */
export interface CustomPacket {
  side: Side;
  proto: 'tcp' | 'udp' | 'icmp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** TCP flags as `SYN`, `SYN,ACK`, `ACK` … */
  flags: string;
  icmpType: number;
  icmpCode: number;
  /** Seconds since the first custom packet. */
  t: number;
  /**
   * The IPv4 header's total length when it should not be the packet's own (a damaged header:
   * beyond the frame or below the header, the kernel drops the packet). Absent: the real length.
   */
  ipTotalLength?: number;
  /**
   * The IPv4 header checksum when it should not be the header's own (a damaged header the kernel
   * drops). Absent, or the correct one: the header's own.
   */
  ipChecksum?: number;
}

export type SimSource =
  | { kind: 'scenario'; name: string }
  | { kind: 'custom'; packets: CustomPacket[] }
  | { kind: 'pcap'; name: string; bytes: Uint8Array }
  /** A witness packet of the analysis (a region's first packet), sent on its path. */
  | { kind: 'witness'; label: string; path: AnalysisPath; point: Point };

/** The filter to simulate: the workspace's own filters (the library is always behind them) and the root. */
export interface SimFilterSet {
  filters: FilterDoc[];
  root: string;
}

export interface SimStep {
  /** Index of the frame in its source (scenario frame, custom packet, pcap record). */
  index: number;
  label: string;
  trace: PacketTrace;
  /** Conntrack table and expectations right after this packet. */
  table: ConnView[];
  expectations: ExpectationView[];
}

export interface SimResult {
  title: string;
  explanation: string;
  hosts: ScenarioHosts;
  steps: SimStep[];
  /** Frames not sent because a frame they answer was not delivered. */
  skipped: { index: number; label: string }[];
  /** Compile/instantiate/pcap problems; non-empty with no steps = nothing could run. */
  problems: string[];
  /**
   * Why libvirt would refuse to bind the filter, each at the rule or filterref causing it: no
   * binding means no traffic to simulate.
   */
  failures: BindingFailureView[];
  /** Variables the filter uses that no parameter gives a value (libvirt refuses to bind it). */
  missingParams: string[];
  /** Packets that matched each XML rule, keyed `filter#entryIndex`. */
  hits: Record<string, number>;
  /** The binding has no IP and libvirt learns it: how (mode, DHCP servers); absent otherwise. */
  learning?: LearningPlan;
  /** With `learning`: the rules in force and their changes on the timeline. */
  phases?: LearningPhase[];
}

export interface CompareRow {
  scenario: string;
  title: string;
  index: number;
  label: string;
  before: Verdict | 'not sent';
  after: Verdict | 'not sent';
}

export interface CompareResult {
  rows: CompareRow[];
  scenarios: number;
  packets: number;
  problems: string[];
}

/** Snapshots of the conntrack table are capped so a long capture stays cheap to send. */
const MAX_SNAPSHOTS = 3000;

/** The VM's addresses from the IP/MAC parameters, else the scenarios' defaults. */
export function hostsFor(settings: SimSettings): ScenarioHosts {
  return {
    vm: {
      ip: settings.params.IP?.[0] || DEFAULT_HOSTS.vm.ip,
      mac: settings.params.MAC?.[0] || DEFAULT_HOSTS.vm.mac,
    },
    remote: { ...DEFAULT_HOSTS.remote },
  };
}

function hostSettings(settings: SimSettings): HostSettings {
  return simSettingsOf(hostProfileOf(settings));
}

/** Compiles the root filter for vnet0 with the settings' parameters. */
export function compileFor(
  set: SimFilterSet,
  settings: SimSettings,
): {
  ruleset: AnyRuleset | null;
  problems: string[];
  failures: BindingFailureView[];
  missingParams: string[];
  /** Set when libvirt learns the IP: `ruleset` is then the rule set in force while it learns. */
  learning?: LearningPlan;
} {
  const lookup = (name: string): FilterDoc | undefined =>
    set.filters.find((f) => f.name === name) ?? getBuiltinFilter(name, settings.libvirt)?.doc;
  const hosts = hostsFor(settings);
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(settings.params)) if (k !== 'MAC' && v.length) params[k] = v;
  const res = compileFilter(
    lookup,
    set.root,
    { iface: 'vnet0', mac: hosts.vm.mac, params },
    getBackend(settings.backend ?? DEFAULT_BACKEND),
  );
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  const problems = errors.filter((d) => !d.entry).map((d) => `${d.code}: ${d.message}`);
  const failures: BindingFailureView[] = [];
  for (const d of errors)
    if (d.entry) failures.push({ code: d.code, message: d.message, ...d.entry });
  const missingParams = new Set<string>();
  for (const d of res.diagnostics) {
    const m =
      d.code === INSTANTIATE_CODES.unresolvedVariable ? /variable '([^'[]+)/.exec(d.message) : null;
    if (m?.[1]) missingParams.add(m[1]);
  }
  return {
    ruleset: res.ruleset,
    problems,
    failures,
    missingParams: [...missingParams],
    ...(res.learning ? { learning: res.learning } : {}),
  };
}

/** The run of a binding that learns its IP: rebuilding compiles the set again with the address as IP. */
function learningFor(
  set: SimFilterSet,
  settings: SimSettings,
  compiled: { learning?: LearningPlan | undefined; ruleset: AnyRuleset | null },
): LearningRun | undefined {
  return learningRunOf(
    compiled,
    (ips) => {
      const r = compileFor(set, { ...settings, params: { ...settings.params, IP: [...ips] } });
      const why = [...r.problems, ...r.failures.map((f) => `${f.code}: ${f.message}`)];
      return {
        ruleset: r.ruleset,
        diagnostics: why.map((message) => ({ severity: 'error', message })),
      };
    },
    settings,
  );
}

/** Maps `filter#ruleIndex` (a trace's rule ref) to the entry index in that filter's document. */
function entryIndexer(
  set: SimFilterSet,
  libvirt: LibvirtVersion | undefined,
): (filter: string, ruleIndex: number) => number | null {
  const cache = new Map<string, number[]>();
  return (filter, ruleIndex) => {
    let map = cache.get(filter);
    if (!map) {
      const doc =
        set.filters.find((f) => f.name === filter) ?? getBuiltinFilter(filter, libvirt)?.doc;
      map = [];
      doc?.entries.forEach((e, i) => {
        if (e.kind === 'rule') map?.push(i);
      });
      cache.set(filter, map);
    }
    return map[ruleIndex] ?? null;
  };
}

function countHits(
  steps: SimStep[],
  set: SimFilterSet,
  libvirt: LibvirtVersion | undefined,
): Record<string, number> {
  const toEntry = entryIndexer(set, libvirt);
  const hits: Record<string, number> = {};
  for (const s of steps) {
    const seen = new Set<string>();
    for (const h of s.trace.hooks)
      for (const v of h.visits) {
        if (!v.matched || !v.rule) continue;
        const entry = toEntry(v.rule.filter, v.rule.index);
        if (entry === null) continue;
        seen.add(`${v.rule.filter}#${entry}`);
      }
    for (const k of seen) hits[k] = (hits[k] ?? 0) + 1;
  }
  return hits;
}

type Frame = ScenarioFrame;

/** Builds the frames of the custom packets (IPv4; addresses default to the VM and the remote host). */
export function buildCustomFrames(packets: CustomPacket[], hosts: ScenarioHosts): Frame[] {
  return packets.map((p, i) => {
    const fromVm = p.side === 'from-vm';
    const src = p.src || (fromVm ? hosts.vm.ip : hosts.remote.ip);
    const dst = p.dst || (fromVm ? hosts.remote.ip : hosts.vm.ip);
    let l4: L4Packet;
    let label: string;
    if (p.proto === 'tcp') {
      l4 = buildTcp({
        sport: p.sport,
        dport: p.dport,
        flags: p.flags || 'SYN',
        seq: 1000 + i * 100,
        ack: p.flags.includes('ACK') ? 5000 : 0,
      });
      label = `tcp ${p.sport}→${p.dport} ${p.flags || 'SYN'}`;
    } else if (p.proto === 'udp') {
      l4 = buildUdp({ sport: p.sport, dport: p.dport, payload: 'custom' });
      label = `udp ${p.sport}→${p.dport}`;
    } else {
      const echo = p.icmpType === 8 || p.icmpType === 0;
      l4 = {
        kind: 'icmp',
        type: p.icmpType,
        code: p.icmpCode,
        rest: echo ? 0x12340001 : 0,
        payload: new Uint8Array(echo ? 32 : 28),
      };
      label = `icmp type ${p.icmpType}/${p.icmpCode}`;
    }
    const macs = fromVm
      ? { src: hosts.vm.mac, dst: hosts.remote.mac }
      : { src: hosts.remote.mac, dst: hosts.vm.mac };
    const ip = buildIpv4({ src, dst }, l4);
    if (p.ipTotalLength !== undefined) {
      ip.totalLength = p.ipTotalLength;
      label += ` (IPv4 total length ${p.ipTotalLength})`;
    }
    if (p.ipChecksum !== undefined && p.ipChecksum !== ipv4HeaderChecksum(ip)) {
      ip.badChecksum = p.ipChecksum;
      label += ` (IPv4 header checksum 0x${p.ipChecksum.toString(16).padStart(4, '0')})`;
    }
    return { t: p.t, side: p.side, frame: buildEthernet(macs, ip), label };
  });
}

function pcapFrames(bytes: Uint8Array, hosts: ScenarioHosts, problems: string[]): Frame[] {
  // pcap or pcapng; records of a non-Ethernet link type are refused by the reader, not decoded.
  const reader = new CaptureReader(bytesSource(bytes));
  const vmMac = parseInt(hosts.vm.mac.replace(/:/g, ''), 16);
  const frames: Frame[] = [];
  let t0: number | null = null;
  for (let r = reader.next(); r; r = reader.next()) {
    if (frames.length >= DEFAULT_LIMITS.frames) {
      problems.push(
        `FRAME_LIMIT: the capture holds more than ${DEFAULT_LIMITS.frames} frames; the first ${DEFAULT_LIMITS.frames} are replayed`,
      );
      break;
    }
    const frame = decodeFrame(r.data);
    if (!frame) {
      problems.push(`record ${r.index}: ${r.data.length} bytes is not an Ethernet frame`);
      continue;
    }
    t0 ??= r.sec;
    const t = r.sec - t0 + r.nsec / 1e9;
    // One capture holds both directions: what the VM's MAC sent comes from the VM.
    frames.push({
      t,
      side: frame.src === vmMac ? 'from-vm' : 'to-vm',
      frame,
      label: `record ${r.index + 1}`,
    });
  }
  for (const d of reader.diagnostics) problems.push(`${d.code}: ${d.message}`);
  return frames;
}

/** A fixed list of frames as a scenario's play: each sent unless what it answers was lost. */
function playList(frames: Frame[]): Scenario['play'] {
  return (_hosts, wire) => {
    const delivered = new Set<number>();
    frames.forEach((f, index) => {
      if (
        (f.requires && !f.requires.every((r) => delivered.has(r))) ||
        (f.unless && f.unless.some((r) => delivered.has(r)))
      )
        wire.skip?.(f, index);
      else if (wire.send(f, index)) delivered.add(index);
    });
  };
}

function runFrames(
  ruleset: AnyRuleset,
  play: Scenario['play'],
  hosts: ScenarioHosts,
  settings: HostSettings,
  snapshots: boolean,
  learningRun?: LearningRun,
): Pick<SimResult, 'steps' | 'skipped' | 'phases'> {
  const host = new BridgeHost(ruleset, settings);
  const learning = learningRun ? new LearningTimeline(learningRun, host) : null;
  const steps: SimStep[] = [];
  const skipped: { index: number; label: string }[] = [];
  const empty: ConnView[] = [];
  const noExp: ExpectationView[] = [];
  play(
    hosts,
    {
      send(f, index) {
        learning?.before(steps.length, f.t);
        const trace = host.step(f.frame, f.side, f.t, f.toHost ? { toHost: true } : undefined);
        learning?.after(f.frame, f.side, trace, steps.length, f.t);
        const snap = snapshots && steps.length < MAX_SNAPSHOTS;
        steps.push({
          index,
          label: f.label,
          trace,
          table: snap ? host.table(f.t) : empty,
          expectations: snap ? host.expectations(f.t) : noExp,
        });
        return trace.verdict === 'accept';
      },
      skip: (f, index) => skipped.push({ index, label: f.label }),
    },
    kernelFacts(settings.kernel),
  );
  return { steps, skipped, ...(learning ? { phases: learning.phases } : {}) };
}

/** Runs one source (scenario, custom packets or pcap) through the root filter. */
export function runSimulation(
  set: SimFilterSet,
  settings: SimSettings,
  source: SimSource,
  compile: typeof compileFor = compileFor,
): SimResult {
  const hosts = hostsFor(settings);
  const base: SimResult = {
    title: '',
    explanation: '',
    hosts,
    steps: [],
    skipped: [],
    problems: [],
    failures: [],
    missingParams: [],
    hits: {},
  };
  const compiled = compile(set, settings);
  const { problems, failures, missingParams } = compiled;
  let { ruleset, learning } = compiled;
  if (learning && source.kind === 'witness') {
    // A witness is the analysis' packet, and the analysis is of the rules after learning: it
    // is replayed through those, with the address the scenarios give the VM.
    ruleset = compile(set, {
      ...settings,
      params: { ...settings.params, IP: [hosts.vm.ip] },
    }).ruleset;
    learning = undefined;
  }
  if (learning) base.learning = learning;
  base.problems.push(...problems);
  base.failures = failures;
  base.missingParams = missingParams;
  let play: Scenario['play'];
  let hs = hostSettings(settings);
  if (source.kind === 'scenario') {
    const sc = getScenario(source.name);
    if (!sc) return { ...base, problems: [...base.problems, `unknown scenario ${source.name}`] };
    base.title = sc.title;
    base.explanation = sc.explanation;
    play = sc.play;
    hs = scenarioSettings(sc, hs);
  } else if (source.kind === 'custom') {
    base.title = 'Custom packets';
    play = playList(buildCustomFrames(source.packets, hosts));
  } else if (source.kind === 'witness') {
    base.title = `Witness: ${source.label}`;
    base.explanation =
      'A packet the exact analysis picked from a region: the simulator shows what the rules do with it.';
    const w = witnessReplay(source.path, source.point);
    if (typeof w === 'string') return { ...base, problems: [...base.problems, w] };
    play = playList([
      { t: 0, side: w.side, frame: w.frame, label: source.label, toHost: w.toHost },
    ]);
  } else {
    base.title = `Capture ${source.name}`;
    base.explanation =
      'Frames whose source MAC is the VM’s (parameter MAC) come from the VM; the others go towards it.';
    play = playList(pcapFrames(source.bytes, hosts, base.problems));
  }
  if (!ruleset) return base;
  const missing = findMissingIpsets(ruleset, settings.ipsets ?? {});
  const noModule = findMissingKernelFeatures(ruleset, settings);
  if (missing.length > 0 || noModule.length > 0)
    return {
      ...base,
      problems: [
        ...base.problems,
        ...missing.map(
          (m) => `Not simulated, the binding cannot exist: ${describeMissingIpset(m)}`,
        ),
        ...noModule.map(
          (m) => `Not simulated, the filter cannot be applied: ${describeMissingKernelFeature(m)}`,
        ),
      ],
    };
  const run = runFrames(
    ruleset,
    play,
    hosts,
    hs,
    true,
    learningFor(set, settings, { learning, ruleset }),
  );
  return { ...base, ...run, hits: countHits(run.steps, set, settings.libvirt) };
}

/** Runs every scenario against two versions of the filter and lists the packets whose verdict changes. */
export function compareVersions(
  before: SimFilterSet,
  after: SimFilterSet,
  settings: SimSettings,
): CompareResult {
  const a = compileFor(before, settings);
  const b = compileFor(after, settings);
  const problems = [
    ...a.problems.map((p) => `before: ${p}`),
    ...b.problems.map((p) => `after: ${p}`),
  ];
  const rows: CompareRow[] = [];
  let packets = 0;
  if (!a.ruleset || !b.ruleset) return { rows, scenarios: 0, packets, problems };
  const hosts = hostsFor(settings);
  for (const sc of SCENARIOS) {
    const hs = scenarioSettings(sc, hostSettings(settings));
    // A scenario reacts to what was delivered, so two versions may send different frames: a frame
    // is known by its label and how many frames of that label came before it.
    const verdicts = (rs: AnyRuleset, run: LearningRun | undefined) => {
      const m = new Map<string, { index: number; label: string; verdict: Verdict | 'not sent' }>();
      const seen = new Map<string, number>();
      const { steps, skipped } = runFrames(rs, sc.play, hosts, hs, false, run);
      const offered = [
        ...steps.map((s) => ({ index: s.index, label: s.label, verdict: s.trace.verdict })),
        ...skipped.map((s) => ({ ...s, verdict: 'not sent' as const })),
      ].sort((x, y) => x.index - y.index);
      for (const o of offered) {
        const n = seen.get(o.label) ?? 0;
        seen.set(o.label, n + 1);
        m.set(`${o.label}#${n}`, o);
      }
      return m;
    };
    const va = verdicts(a.ruleset, learningFor(before, settings, a));
    const vb = verdicts(b.ruleset, learningFor(after, settings, b));
    const keys = [...new Set([...va.keys(), ...vb.keys()])];
    for (const key of keys) {
      const x = va.get(key);
      const y = vb.get(key);
      const was = x?.verdict ?? 'not sent';
      const now = y?.verdict ?? 'not sent';
      if (was !== 'not sent' || now !== 'not sent') packets++;
      if (was !== now)
        rows.push({
          scenario: sc.name,
          title: sc.title,
          index: (y ?? x)!.index,
          label: (y ?? x)!.label,
          before: was,
          after: now,
        });
    }
  }
  return { rows, scenarios: SCENARIOS.length, packets, problems };
}
