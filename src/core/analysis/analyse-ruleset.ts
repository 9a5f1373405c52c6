/**
 * The exact fate of every packet: the compiled ruleset walked symbolically, hook by hook, as the
 * simulator's bridge host walks one frame (core/netfilter bridge-host) — ebtables nat
 * PREROUTING, conntrack, iptables/ip6tables filter FORWARD (or INPUT for frames to the host),
 * ebtables nat POSTROUTING — but over regions of the header space instead of one packet. The
 * result partitions the space of each path into disjoint cubes, each with its verdict and the
 * rules that decided it.
 */
import type { HookEntry, HookPoint } from '../compile/backend';
import { backendOf } from '../compile/backends';
import type { AnyRuleset } from '../compile/ir';
import type { HostSettings, RuleRef, Verdict } from '../netfilter/bridge-host';
import type { PreparedChain, PreparedRule, PreparedRuleset } from '../netfilter/prepare-ruleset';
import {
  OP_ACCEPT,
  OP_CONTINUE,
  OP_DROP,
  OP_GOTO,
  OP_RETURN,
  prepareRuleset,
} from '../netfilter/prepare-ruleset';
import { setOf } from './interval-set';
import type { HookContext } from './match-region';
import type { BackendAnalysis, RuleRegion } from './backend-analysis';
import type { Cube, Region } from './space';
import {
  CT_ESTABLISHED,
  CT_NEW,
  CT_NONE,
  CT_RELATED,
  DIR_NONE,
  DIR_ORIGINAL,
  DIR_REPLY,
  ETH_IPV4,
  ETH_FEASIBLE,
  ETH_IPV6,
  ETH_TAGGED,
  cubeOf,
  cubesOverlap,
  intersectCubes,
  subtractCube,
  subtractRegion,
} from './space';

/** The three ways a frame crosses the host: bridged from / to the VM, or from the VM to the host. */
export type AnalysisPath = 'from-vm' | 'to-vm' | 'to-host';
export const ANALYSIS_PATHS: readonly AnalysisPath[] = ['from-vm', 'to-vm', 'to-host'];

/** A hook a region went through, as the simulator's traces name it (`ebtables nat PREROUTING`, `FORWARD`). */
export type AnalysisHook = string;

/** One region of a path with its fate. */
export interface Outcome {
  cube: Cube;
  /** As the simulator's `PacketTrace.verdict` for any packet of the region. */
  verdict: Verdict;
  /** The XML rule the simulator credits (`PacketTrace.rule`). */
  rule: RuleRef | null;
  /** Each hook the region went through and the XML rule that ended its walk there (if any). */
  hooks: { hook: AnalysisHook; verdict: Verdict; rule: RuleRef | null }[];
  /** For `error`: what the simulator cannot interpret. */
  error?: string;
}

/** The analysis of one ruleset on one host. */
export interface RulesetAnalysis {
  paths: Record<AnalysisPath, Outcome[]>;
  /** Which families conntrack tracks (a rule needs it, or the FTP helper is assigned). */
  tracking: { ipv4: boolean; ipv6: boolean };
  /** The frame classes (`eth` values) conntrack sees: tracked families that reach the IP hooks. */
  trackedClasses: bigint[];
  /** Rules the analysis cannot model (their regions end in `error`). */
  unsupported: { rule: RuleRef | null; why: string }[];
}

/** An internal verdict with the prepared rule behind it. */
interface Terminal {
  cube: Cube;
  verdict: Verdict;
  decider: PreparedRule | null;
  error?: string;
}

interface Item {
  cube: Cube;
  last: PreparedRule | null;
}

interface RuleShape {
  /** null when the rule cannot be analysed. */
  region: Region | null;
  why: string | null;
  /** Where the rule's outcome is not a function of the space (answered `error`, with `opaqueWhy`). */
  opaque: Region;
  opaqueWhy: string | null;
  tests: ((c: HookContext) => boolean)[];
}

/** More nested jumps than this is a chain loop (libvirt never builds one). */
const MAX_DEPTH = 64;

const point = (v: bigint) => [v, v] as [bigint, bigint];

/**
 * The conntrack states a packet can have with its direction: NEW only in the original
 * direction, ESTABLISHED / RELATED in both, no connection without a direction. UNTRACKED needs
 * a raw-table NOTRACK rule, which the host never has.
 */
function ctCubes(tracked: boolean): Cube[] {
  if (!tracked) return [cubeOf({ ctState: point(CT_NONE), ctDir: point(DIR_NONE) })];
  return [
    cubeOf({ ctState: point(CT_NEW), ctDir: point(DIR_ORIGINAL) }),
    cubeOf({
      ctState: setOf([point(CT_ESTABLISHED), point(CT_RELATED)]),
      ctDir: setOf([point(DIR_ORIGINAL), point(DIR_REPLY)]),
    }),
    cubeOf({ ctState: point(CT_NONE), ctDir: point(DIR_NONE) }),
  ];
}

/** The frame classes the IP hooks see, per family, on a host with these bridge settings. */
export function ipHookClasses(settings: HostSettings): { v4: bigint[]; v6: bigint[] } {
  const tagged = settings.filterVlanTagged === true;
  const classes = (eth: bigint, on: boolean) =>
    on ? (tagged ? [eth, ETH_TAGGED + eth] : [eth]) : [];
  return {
    v4: classes(ETH_IPV4, settings.callIptables !== false),
    v6: classes(ETH_IPV6, settings.callIp6tables !== false),
  };
}

/**
 * The frame classes conntrack sees: through br_netfilter, the IPv4 / IPv6 classes the IP hooks
 * see; with the bridge family's conntrack (`nf_conntrack_bridge`), every IPv4 / IPv6 frame,
 * 802.1Q-tagged ones included, whatever the bridge-nf switches.
 */
export function conntrackClasses(
  tracking: { ipv4: boolean; ipv6: boolean },
  settings: HostSettings = {},
  bridgeConntrack = false,
): { v4: bigint[]; v6: bigint[] } {
  const { v4, v6 } = bridgeConntrack
    ? { v4: [ETH_IPV4, ETH_TAGGED + ETH_IPV4], v6: [ETH_IPV6, ETH_TAGGED + ETH_IPV6] }
    : ipHookClasses(settings);
  return { v4: tracking.ipv4 ? v4 : [], v6: tracking.ipv6 ? v6 : [] };
}

/** Every packet of a path, with the conntrack states the host can give it. */
export function pathSpace(
  tracking: { ipv4: boolean; ipv6: boolean },
  settings: HostSettings = {},
  bridgeConntrack = false,
): Cube[] {
  const { v4, v6 } = conntrackClasses({ ipv4: true, ipv6: true }, settings, bridgeConntrack);
  const out: Cube[] = [];
  const seen: bigint[] = [];
  for (const [classes, tracked] of [
    [v4, tracking.ipv4],
    [v6, tracking.ipv6],
  ] as const) {
    for (const eth of classes) {
      seen.push(eth);
      for (const c of ctCubes(tracked))
        out.push(intersectCubes(cubeOf({ eth: [eth, eth] }), c) as Cube);
    }
  }
  // Everything else never meets conntrack.
  const rest = intersectCubes(cubeOf({ eth: ETH_FEASIBLE }), ctCubes(false)[0] as Cube) as Cube;
  for (const c of subtractCube(rest, cubeOf({ eth: setOf(seen.map(point)) }))) out.push(c);
  return out;
}

class Analyser {
  private readonly shapes = new Map<PreparedRule, RuleShape>();
  readonly unsupported: { rule: RuleRef | null; why: string }[] = [];

  private readonly analysis: BackendAnalysis<unknown> | undefined;
  private readonly backend: string;

  constructor(
    readonly prepared: PreparedRuleset,
    private readonly settings: HostSettings,
  ) {
    this.backend = prepared.ir.backend;
    this.analysis = backendOf(prepared.ir).analysis;
  }

  private shapeOf(rule: PreparedRule): RuleShape {
    let s = this.shapes.get(rule);
    if (s) return s;
    const r: RuleRegion = this.analysis
      ? this.analysis.ruleRegion(rule.ir.matches, this.settings.ipsets ?? {})
      : { kind: 'unsupported', why: `the analysis does not model the ${this.backend} backend` };
    // The simulator stops at a rule it cannot prepare; that reason comes first.
    const why = rule.unsupported ?? (r.kind === 'unsupported' ? r.why : null);
    if (why !== null || r.kind === 'unsupported') {
      s = { region: null, why, opaque: [], opaqueWhy: null, tests: [] };
      this.unsupported.push({ rule: rule.ref, why: why ?? '' });
    } else {
      s = { region: r.region, why: null, opaque: r.opaque, opaqueWhy: r.opaqueWhy, tests: r.tests };
      if (r.opaque.length > 0)
        this.unsupported.push({ rule: rule.ref, why: `${r.opaqueWhy ?? ''} (answered as error)` });
    }
    this.shapes.set(rule, s);
    return s;
  }

  /**
   * Walks `items` through `chain` (and what it jumps to): the regions that end in a verdict,
   * and those that fall off or RETURN from it.
   */
  walkChain(
    chain: PreparedChain,
    start: Item[],
    ctx: HookContext,
    rejectIsDrop: boolean,
    depth: number,
    done: Terminal[],
  ): Item[] {
    const returned: Item[] = [];
    if (depth > MAX_DEPTH) {
      for (const it of start)
        done.push({ cube: it.cube, verdict: 'error', decider: null, error: 'chain loop' });
      return returned;
    }
    let items = start;
    for (const rule of chain.rules) {
      if (items.length === 0) break;
      const shape = this.shapeOf(rule);
      if (shape.region === null) {
        // The simulator stops with an error at a rule it cannot interpret, matched or not.
        for (const it of items)
          done.push({
            cube: it.cube,
            verdict: 'error',
            decider: rule,
            error: `unsupported: ${shape.why ?? ''} (${rule.key})`,
          });
        return returned;
      }
      if (!shape.tests.every((t) => t(ctx))) continue;
      if (shape.opaque.length > 0) {
        const known: Item[] = [];
        for (const it of items) {
          for (const o of shape.opaque) {
            const x = intersectCubes(it.cube, o);
            if (x)
              done.push({
                cube: x,
                verdict: 'error',
                decider: rule,
                error: `not modelled: ${shape.opaqueWhy ?? ''} (${rule.key})`,
              });
          }
          for (const c of subtractRegion(it.cube, shape.opaque))
            known.push({ cube: c, last: it.last });
        }
        items = known;
        if (items.length === 0) break;
      }
      const next: Item[] = [];
      const matched: Item[] = [];
      for (const it of items) {
        let rest: Cube[] = [it.cube];
        for (const r of shape.region) {
          if (!cubesOverlap(it.cube, r)) continue;
          const hit = intersectCubes(it.cube, r);
          if (!hit) continue;
          matched.push({ cube: hit, last: it.last });
          const remaining: Cube[] = [];
          for (const piece of rest) for (const q of subtractCube(piece, r)) remaining.push(q);
          rest = remaining;
        }
        for (const cube of rest) next.push({ cube, last: it.last });
      }
      if (matched.length > 0) {
        const op = rule.op;
        if (op === OP_CONTINUE) {
          for (const m of matched) next.push(m);
        } else if (op <= OP_RETURN) {
          for (const m of matched) {
            const last = rule.ref !== null ? rule : m.last;
            if (op === OP_RETURN) returned.push({ cube: m.cube, last });
            else if (op === OP_ACCEPT)
              done.push({ cube: m.cube, verdict: 'accept', decider: last });
            else
              done.push({
                cube: m.cube,
                verdict: op === OP_DROP || rejectIsDrop ? 'drop' : 'reject',
                decider: rule,
              });
          }
        } else if (rule.targetChain === null) {
          for (const m of matched)
            done.push({
              cube: m.cube,
              verdict: 'error',
              decider: rule,
              error: `unsupported: jump to unknown chain (${rule.key})`,
            });
        } else {
          const back = this.walkChain(
            rule.targetChain,
            matched,
            ctx,
            rejectIsDrop,
            depth + 1,
            done,
          );
          // A jump resumes after the rule; a goto's returns go to this chain's caller.
          for (const b of back) (op === OP_GOTO ? returned : next).push(b);
        }
      }
      items = next;
    }
    for (const it of items) returned.push(it);
    return returned;
  }

  /** One base chain's walk; falling off it is the policy, ACCEPT. */
  runEntry(entry: HookEntry, items: Item[], ctx: HookContext): Terminal[] {
    const table = this.prepared.tables.get(entry.table);
    const chain = table?.chains.get(entry.chain);
    if (!chain) return items.map((it) => ({ cube: it.cube, verdict: 'accept', decider: it.last }));
    const done: Terminal[] = [];
    // `last` starts empty in each base chain: the carried decider is kept aside.
    const back = this.walkChain(
      chain,
      items.map((it) => ({ cube: it.cube, last: null })),
      ctx,
      table?.traits.rejectIsDrop === true,
      0,
      done,
    );
    for (const b of back) done.push({ cube: b.cube, verdict: 'accept', decider: b.last });
    return done;
  }

  /**
   * The base chains of one hook point in order (as the simulator's runHooks): a region goes on
   * to the next chain when accepted; an accepted region's decider is the last chain's that had one.
   */
  runPoint(entries: readonly HookEntry[], cubes: Cube[], ctx: HookContext): Terminal[] {
    if (entries.length === 0)
      return cubes.map((cube) => ({ cube, verdict: 'accept', decider: null }));
    let items: Item[] = cubes.map((cube) => ({ cube, last: null }));
    const out: Terminal[] = [];
    entries.forEach((entry, i) => {
      const next: Item[] = [];
      for (const it of items)
        for (const t of this.runEntry(entry, [it], ctx)) {
          // The simulator keeps the earlier chain's decider when a later one has none.
          const decider = t.verdict === 'accept' ? (t.decider ?? it.last) : t.decider;
          if (t.verdict !== 'accept' || i === entries.length - 1) out.push({ ...t, decider });
          else next.push({ cube: t.cube, last: decider });
        }
      items = next;
    });
    return out;
  }
}

const refOf = (r: PreparedRule | null): RuleRef | null =>
  r !== null && r.ir.provenance !== null ? r.ref : null;

/**
 * Analyses `ruleset` on a host with `settings` (the simulator's: interface, peer port, FTP
 * helper, ipsets, bridge-netfilter switches): for each path, the disjoint regions of the header
 * space and their fate.
 */
export function analyseRuleset(ruleset: AnyRuleset, settings: HostSettings = {}): RulesetAnalysis {
  const prepared = prepareRuleset(ruleset, settings.ipsets ?? {});
  const users = prepared.sim.conntrackUsers(ruleset);
  // As the bridge host decides: the bridge family's conntrack while a rule uses it, else the IP
  // family's through br_netfilter, which the FTP helper setting (an IPv4 raw-table CT rule)
  // registers for IPv4 too.
  const bridgeConntrack = prepared.sim.conntrackFamily === 'bridge' && (users.ipv4 || users.ipv6);
  const tracking = bridgeConntrack
    ? users
    : { ipv4: users.ipv4 || settings.ftpHelper === true, ipv6: users.ipv6 };
  const entries = prepared.sim.hooks(ruleset);
  const at = (point: HookPoint) => entries.filter((e) => e.point === point);
  const a = new Analyser(prepared, settings);
  const iface = settings.iface ?? ruleset.iface;
  const peer = settings.peerPort ?? 'eth0';
  const space = pathSpace(tracking, settings, bridgeConntrack);
  const classes = ipHookClasses(settings);
  const hookFrames = cubeOf({ eth: setOf([...classes.v4, ...classes.v6].map(point)) });
  const label = (list: HookEntry[]) => list.map((e) => e.label).join(', ');
  const paths = {} as Record<AnalysisPath, Outcome[]>;
  for (const path of ANALYSIS_PATHS) {
    const local = path === 'to-host';
    const ingress = path === 'to-vm' ? peer : iface;
    const egress = local ? null : path === 'to-vm' ? iface : peer;
    const ctx: HookContext = {
      inIface: ingress,
      outIface: null,
      physIn: ingress,
      physOut: egress,
      bridged: !local,
    };
    const out: Outcome[] = [];
    const hookOf = (list: HookEntry[], t: Terminal) => ({
      hook: label(list),
      verdict: t.verdict,
      rule: refOf(t.decider),
    });
    const pre = at('bridge-prerouting');
    const l2 = at(local ? 'bridge-input' : 'bridge-forward');
    const post = at('bridge-postrouting');
    for (const p of a.runPoint(pre, space, ctx)) {
      const hooks0 = [hookOf(pre, p)];
      if (p.verdict === 'error') {
        out.push(settle(p, hooks0, null));
        continue;
      }
      // Bridge PREROUTING and POSTROUTING end in DROP whatever stopped them.
      if (p.verdict !== 'accept') {
        out.push(settle({ ...p, verdict: 'drop' }, hooks0, refOf(p.decider)));
        continue;
      }
      const acceptedPre = refOf(p.decider);
      const afterL2: { t: Terminal; hooks: Outcome['hooks']; eb: RuleRef | null }[] = [];
      if (l2.length === 0) afterL2.push({ t: p, hooks: hooks0, eb: acceptedPre });
      else
        for (const t of a.runPoint(l2, [p.cube], ctx)) {
          const hooks = [...hooks0, hookOf(l2, t)];
          if (t.verdict === 'error') out.push(settle(t, hooks, null));
          else if (t.verdict !== 'accept') out.push(settle(t, hooks, refOf(t.decider)));
          else afterL2.push({ t, hooks, eb: refOf(t.decider) ?? acceptedPre });
        }
      for (const { t: q, hooks: hooks1, eb } of afterL2) {
        // The IP hook sees the IPv4 / IPv6 frames br_netfilter passes; everything else goes on.
        const pieces: { cube: Cube; list: HookEntry[] | null }[] = [];
        for (const [list, point4or6] of [
          [classes.v4, local ? 'ipv4-input' : 'ipv4-forward'],
          [classes.v6, local ? 'ipv6-input' : 'ipv6-forward'],
        ] as const) {
          if (list.length === 0) continue;
          const x = intersectCubes(q.cube, cubeOf({ eth: setOf(list.map(point)) }));
          if (x) pieces.push({ cube: x, list: at(point4or6) });
        }
        for (const rest of subtractCube(q.cube, hookFrames))
          pieces.push({ cube: rest, list: null });
        for (const piece of pieces) {
          const ipResults: Terminal[] =
            piece.list === null
              ? [{ cube: piece.cube, verdict: 'accept', decider: null }]
              : a.runPoint(piece.list, [piece.cube], ctx);
          for (const r of ipResults) {
            const hooks = piece.list === null ? hooks1 : [...hooks1, hookOf(piece.list, r)];
            if (r.verdict === 'error') {
              out.push(settle(r, hooks, null));
              continue;
            }
            if (r.verdict !== 'accept') {
              out.push(settle(r, hooks, refOf(r.decider)));
              continue;
            }
            const acceptedIp = refOf(r.decider);
            if (local) {
              out.push(settle(r, hooks, acceptedIp ?? eb));
              continue;
            }
            for (const z of a.runPoint(post, [r.cube], { ...ctx, outIface: egress })) {
              const all = [...hooks, hookOf(post, z)];
              if (z.verdict === 'error') out.push(settle(z, all, null));
              else if (z.verdict !== 'accept')
                out.push(settle({ ...z, verdict: 'drop' }, all, refOf(z.decider)));
              else out.push(settle(z, all, acceptedIp ?? refOf(z.decider) ?? eb));
            }
          }
        }
      }
    }
    paths[path] = out;
  }
  const ct = conntrackClasses(tracking, settings, bridgeConntrack);
  const trackedClasses = [...ct.v4, ...ct.v6];
  return { paths, tracking, trackedClasses, unsupported: a.unsupported };
}

function settle(t: Terminal, hooks: Outcome['hooks'], rule: RuleRef | null): Outcome {
  const o: Outcome = { cube: t.cube, verdict: t.verdict, rule, hooks };
  if (t.error !== undefined) o.error = t.error;
  return o;
}
