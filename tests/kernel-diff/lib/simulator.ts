/**
 * The simulator side: the project's own Ruleset IR (compiled in-process from the same XML the
 * kernel's script came from) run by the simulator's bridge host, frame by frame; or, for real
 * captures, the `simulate --from-vm … --to-vm … --json` command line.
 *
 * The simulator module is loaded by a computed path and used through the small interface below,
 * so this suite keeps compiling while the simulator's API grows; when it is absent the suite
 * still runs the kernel side and says loudly that nothing was compared.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFilter, getBackend } from '../../../src/core/compile';
import type { AnyRuleset, BackendId } from '../../../src/core/compile';
import { getBuiltinFilter } from '../../../src/core/library';
import type { IpsetSpec } from '../../../src/core/host';
import type { FilterDoc } from '../../../src/core/model';
import type { EthernetFrame } from '../../../src/core/packet';
import { parseFilterXml } from '../../../src/core/xml';
import { learningRunOf, splitTime, writePcap } from '../../../src/core/sim';
import type { LearningRun } from '../../../src/core/sim';
import type { Side } from './frame-io';
import { runCommand } from '../../lib/run-command';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'nwfilter-studio.mjs');

/** The XML rule a verdict points at. */
export interface RuleRef {
  filter: string;
  index: number;
  priority: number;
  direction: string;
}

/** One simulated packet, as in `simulate --json`. */
export interface SimVerdict {
  i: number;
  t: number;
  side: Side;
  summary: string;
  ctstate: string | null;
  verdict: 'accept' | 'drop' | 'reject' | 'error';
  rule: RuleRef | null;
  error?: string | null;
  /** The error a REJECT sent back (its summary), when it sent one. */
  reply?: string;
}

export interface SimTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

export interface SimConn {
  proto: string;
  state: string | null;
  original: SimTuple;
  reply: SimTuple;
  assured: boolean;
  unreplied: boolean;
  helper: string | null;
  text: string;
}

export interface SimCounter {
  table: string;
  chain: string;
  index: number;
  packets: number;
  rule: RuleRef | null;
}

export interface SimRun {
  verdicts: SimVerdict[];
  table: SimConn[] | null;
  expectations: { proto: string; tuple: SimTuple; helper: string }[] | null;
  counters: SimCounter[] | null;
}

export interface HostSettings {
  iface?: string;
  peerPort?: string;
  ftpHelper?: boolean;
  sysctl?: Record<string, number>;
  bridgeAddress?: string;
  ipsets?: Record<string, IpsetSpec>;
  events?: { t: number; conntrack: Record<string, number>; bridge: Record<string, boolean> }[];
  /** Whether the kernel has nf_conntrack_bridge (the nftables backend's ct matches). */
  nfConntrackBridge?: boolean;
}

interface BridgeHostLike {
  step(
    frame: EthernetFrame,
    side: Side,
    now: number,
  ): Omit<SimVerdict, 'reply'> & { error: string | null; reply?: { summary: string } };
  table?(now: number): SimConn[];
  expectations?(now: number): { proto: string; tuple: SimTuple; helper: string }[];
  counters?(): SimCounter[];
}

type BridgeHostCtor = new (ruleset: AnyRuleset, settings: HostSettings) => BridgeHostLike;

let hostCtor: BridgeHostCtor | null | undefined;
let whyNoSimulator = '';

/** Loads the simulator's bridge host; null (and a reason from `simulatorMissingReason`) when absent. */
export async function loadBridgeHost(): Promise<BridgeHostCtor | null> {
  if (hostCtor !== undefined) return hostCtor;
  const file = join(REPO_ROOT, 'src', 'core', 'netfilter', 'bridge-host.ts');
  if (!existsSync(file)) {
    whyNoSimulator = 'src/core/netfilter/bridge-host.ts does not exist yet';
    hostCtor = null;
    return null;
  }
  const mod = (await import(/* @vite-ignore */ file)) as { BridgeHost?: BridgeHostCtor };
  hostCtor = mod.BridgeHost ?? null;
  if (!hostCtor) whyNoSimulator = 'bridge-host.ts exports no BridgeHost';
  return hostCtor;
}

export function simulatorMissingReason(): string {
  return whyNoSimulator;
}

/** Whether the CLI has the `simulate` command yet. */
export function simulateCliAvailable(): boolean {
  const index = join(REPO_ROOT, 'src', 'cli', 'commands', 'index.ts');
  return existsSync(index) && /\bsimulate\s*:/.test(readFileSync(index, 'utf8'));
}

/** The filters of DIR and FILE, looked up with the built-in library behind them. */
function filterLookup(file: string, filtersDir: string) {
  const docs = new Map<string, FilterDoc>();
  for (const name of readdirSync(filtersDir).filter((n) => n.endsWith('.xml'))) {
    const r = parseFilterXml(readFileSync(join(filtersDir, name), 'utf8'));
    if (r.doc) docs.set(r.doc.name, r.doc);
  }
  const root = parseFilterXml(readFileSync(file, 'utf8')).doc;
  if (!root) throw new Error(`kernel-diff: ${file} does not parse`);
  docs.set(root.name, root);
  return { root: root.name, lookup: (n: string) => docs.get(n) ?? getBuiltinFilter(n)?.doc };
}

/** Compiles FILE (with filters of DIR and the built-in library) to the Ruleset IR, in-process. */
export function compileRuleset(
  file: string,
  filtersDir: string,
  mac: string,
  params: Record<string, string[]>,
  backend: BackendId = 'ebiptables',
): AnyRuleset {
  const { root, lookup } = filterLookup(file, filtersDir);
  const res = compileFilter(lookup, root, { iface: 'vnet0', mac, params }, getBackend(backend));
  if (!res.ruleset)
    throw new Error(
      `kernel-diff: ${file} does not compile: ${res.diagnostics.map((d) => d.message).join('; ')}`,
    );
  return res.ruleset;
}

/**
 * A binding of FILE without IP, as libvirt learns it with `backend`'s driver: the rules in force
 * while it learns and the run that rebuilds them with the learned address (the same compile with
 * `IP`; a rebuild `host`'s kernel refuses fails).
 */
export function compileLearning(
  file: string,
  filtersDir: string,
  mac: string,
  params: Record<string, string[]>,
  backend: BackendId = 'ebiptables',
  host: { nfConntrackBridge?: boolean } = {},
): { ruleset: AnyRuleset; learning: LearningRun } {
  const { root, lookup } = filterLookup(file, filtersDir);
  const compile = (p: Record<string, readonly string[]>) =>
    compileFilter(lookup, root, { iface: 'vnet0', mac, params: p }, getBackend(backend));
  const res = compile(params);
  const learning = learningRunOf(res, (ips) => compile({ ...params, IP: [...ips] }), host);
  if (!res.ruleset || !learning)
    throw new Error(
      `kernel-diff: ${file} without IP does not learn: ${res.diagnostics.map((d) => d.message).join('; ')}`,
    );
  return { ruleset: res.ruleset, learning };
}

/** Runs frames through a fresh simulated host; `tableAt` is the clock for the after-run table. */
export function simulateFrames(
  Host: BridgeHostCtor,
  ruleset: AnyRuleset,
  frames: readonly { side: Side; frame: EthernetFrame; t: number }[],
  settings: HostSettings,
  tableAt: number,
): SimRun {
  const host = new Host(ruleset, { iface: 'vnet0', peerPort: 'eth0', ...settings });
  const verdicts: SimVerdict[] = frames.map((f) => {
    const tr = host.step(f.frame, f.side, f.t);
    return {
      i: tr.i,
      t: tr.t,
      side: tr.side,
      summary: tr.summary,
      ctstate: tr.ctstate,
      verdict: tr.verdict,
      rule: tr.rule,
      error: tr.error,
      ...(tr.reply ? { reply: tr.reply.summary } : {}),
    };
  });
  return {
    verdicts,
    table: typeof host.table === 'function' ? host.table(tableAt) : null,
    expectations: typeof host.expectations === 'function' ? host.expectations(tableAt) : null,
    counters: typeof host.counters === 'function' ? host.counters() : null,
  };
}

/**
 * `nwfilter-studio simulate FILE … --from-vm A.pcap --to-vm B.pcap --json`: one JSON object per
 * packet, frames of both files merged by timestamp.
 */
export async function simulateCli(
  dir: string,
  file: string,
  filtersDir: string,
  mac: string,
  params: Record<string, string[]>,
  frames: readonly { side: Side; bytes: Uint8Array; t: number }[],
  settings: HostSettings,
  backend: BackendId = 'ebiptables',
): Promise<{ verdicts: SimVerdict[]; command: string }> {
  const pcap = (side: Side) =>
    writePcap(
      frames
        .filter((f) => f.side === side)
        .map((f) => ({ ...splitTime(f.t), data: f.bytes, origLen: f.bytes.length })),
    );
  const a = join(dir, 'from-vm.pcap');
  const b = join(dir, 'to-vm.pcap');
  writeFileSync(a, pcap('from-vm'));
  writeFileSync(b, pcap('to-vm'));
  const args = ['simulate', file, '--filters', filtersDir, '--iface', 'vnet0', '--mac', mac];
  for (const [k, vs] of Object.entries(params))
    for (const v of vs) args.push('--param', `${k}=${v}`);
  if (backend !== 'ebiptables') args.push('--backend', backend);
  if (settings.nfConntrackBridge === false) args.push('--nf-conntrack-bridge', 'no');
  if (settings.ftpHelper) args.push('--ftp-helper');
  if (settings.bridgeAddress) args.push('--bridge-address', settings.bridgeAddress);
  for (const [name, set] of Object.entries(settings.ipsets ?? {}))
    args.push('--ipset', `${name}:${set.type}=${set.members.join(',')}`);
  for (const [k, v] of Object.entries(settings.sysctl ?? {})) args.push('--sysctl', `${k}=${v}`);
  args.push('--from-vm', a, '--to-vm', b, '--json');
  const command = `npx nwfilter-studio ${args.join(' ')}`;
  const r = await runCommand(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (r.code !== 0 && !r.stdout.trim()) throw new Error(`${command} exited ${r.code}\n${r.stderr}`);
  const verdicts = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as SimVerdict);
  return { verdicts, command };
}
