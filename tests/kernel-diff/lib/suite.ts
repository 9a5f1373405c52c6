/**
 * The real kernel as the simulator's oracle (issue 5). See ../README.md. `defineKernelDiff`
 * declares the suite for one machine: this host (../kernel-diff.kernel.test.ts) or a guest
 * kernel under qemu (tests/guest-kernel).
 *
 * Scenarios: for every filter case of ./cases.ts, the project's `compile --format script` output
 * is applied in the host namespace of a fresh three-namespace bed; every scenario of
 * ./scenarios.ts is injected frame by frame on the side each frame comes from, and each frame's
 * fate (delivered on the other side or not) is compared with the simulator's verdict for the same
 * frames; then conntrack -L and the per-rule counters.
 *
 * Real applications: ./lib/apps.ts runs real programs through the bridge, captures both bridge
 * ports and feeds the captures to `simulate --from-vm … --to-vm … --json`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRuleset, BackendId } from '../../../src/core/compile';
import {
  describeMissingKernelFeature,
  findMissingKernelFeatures,
  ipsetFamily,
} from '../../../src/core/host';
import type { MissingKernelFeature } from '../../../src/core/host';
import { decodeFrame } from '../../../src/core/packet';
import type { EthernetFrame } from '../../../src/core/packet';
import { quotedPacket } from '../../../src/core/packet';
import { encodeFrame } from '../../../src/core/packet';
import { summarizeFrame } from '../../../src/core/packet';
import { CASES, type KernelCase } from '../cases';
import { APP_CASES, runAppCase } from './apps';
import {
  compareCounters,
  compareExpectations,
  compareScenarioFrames,
  compareTables,
  disagreements,
  formatScenario,
  type ScenarioResult,
} from './compare';
import { Injector } from './frame-io';
import type { Machine } from '../../lib/machine';
import { runCommand } from '../../lib/run-command';
import { buildRunnables, type RuleSwap, type Runnable } from './runnable';
import {
  nftCommandsScript,
  nftDryRunCommands,
  nftLearningSwap,
  nftTearOldRules,
  swapScript,
} from './rule-swap';
import {
  compileLearning,
  compileRuleset,
  REPO_ROOT,
  simulatorMissingReason,
  type SimVerdict,
} from './simulator';
import { ensurePackages, probeBridgeConntrack, sweepStaleNamespaces, Testbed } from './testbed';
import { PEER, VM } from '../scenarios';

const FILTERS_DIR = join(import.meta.dirname, '..', 'filters');
const OUT_DIR = process.env.NWFS_KERNEL_DIFF_OUT;
/** Comma-separated case ids / scenario names to run (default all). */
const ONLY_CASES = process.env.NWFS_KERNEL_DIFF_CASES?.split(',').filter(Boolean);
const ONLY_SCENARIOS = process.env.NWFS_KERNEL_DIFF_SCENARIOS?.split(',').filter(Boolean);
const PARAMS: Record<string, string[]> = { IP: [VM.ip] };
/** The backends whose rule sets run (default both; NWFS_KERNEL_DIFF_BACKENDS=nftables for one). */
const BACKEND_RUNS = (process.env.NWFS_KERNEL_DIFF_BACKENDS ?? 'ebiptables,nftables')
  .split(',')
  .filter((b): b is BackendId => b === 'ebiptables' || b === 'nftables');

function compileArgs(
  filter: string,
  backend: BackendId = 'ebiptables',
  params: Record<string, string[]> = PARAMS,
  format = 'script',
): string[] {
  const args = [
    'compile',
    join(FILTERS_DIR, `${filter}.xml`),
    '--filters',
    FILTERS_DIR,
    '--format',
    format,
    '--iface',
    'vnet0',
    '--mac',
    VM.mac,
    ...(backend === 'ebiptables' ? [] : ['--backend', backend]),
  ];
  for (const [k, vs] of Object.entries(params))
    for (const v of vs) args.push('--param', `${k}=${v}`);
  return args;
}

/** `nwfilter-studio compile … --format script`, the exact text the kernel gets. */
async function compileScript(filter: string, backend: BackendId = 'ebiptables'): Promise<string> {
  return compileCli(compileArgs(filter, backend));
}

/** `nwfilter-studio ARGS`' standard output (it must succeed). */
async function compileCli(args: readonly string[]): Promise<string> {
  const r = await runCommand(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'nwfilter-studio.mjs'), ...args],
    { cwd: REPO_ROOT, allowFailure: true, timeoutMs: 120_000 },
  );
  if (r.code !== 0)
    throw new Error(`nwfilter-studio ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The learning cases' summary label: `kernel-diff(learning)` for the ebiptables run,
 * `kernel-diff(learning, nftables)` (`…, nftables, guest 6.1.x)`) for the others.
 */
function learningLabel(label: string): string {
  const m = /^(\S+) \((.*)\)$/.exec(label);
  return m ? `${m[1]}(learning, ${m[2]})` : `${label}(learning)`;
}

/** One run of the suite: where its kernel-facing programs run and how it reports. */
export interface KernelDiffOptions {
  /** The machine, once it is up (called in the first hook). */
  machine: () => Machine;
  /** Why the suite cannot run, or null (decided while collecting). */
  unavailable: string | null;
  /** The summary line's label per backend, e.g. `kernel-diff (nftables)`. */
  label: (backend: BackendId) => string;
  /** Namespace (and temporary folder) name prefix. */
  prefix: string;
  /** The backends to run (default $NWFS_KERNEL_DIFF_BACKENDS, else both). */
  backends?: readonly BackendId[];
  /** Remove namespaces earlier runs on this machine left behind (this host only). */
  sweep?: boolean;
  /** The machine's kernel must have nf_conntrack_bridge (a guest booted for it). */
  requireBridgeConntrack?: boolean;
  /**
   * The machine's kernel release, once it is up (default this host's, `os.release()`): the
   * simulator is given it as the host profile's `kernel`, so its scenarios time TCP as that
   * kernel does.
   */
  kernel?: () => string;
}

/** Declares the kernel differential suite (Vitest describe/it) for one machine. */
export function defineKernelDiff(o: KernelDiffOptions): void {
  const PREFIX = o.prefix;
  const unavailable = o.unavailable;
  const backendRuns = o.backends ?? BACKEND_RUNS;
  const onlyCases = ONLY_CASES;
  const onlyScenarios = ONLY_SCENARIOS;
  let machine: Machine;
  const kernelRelease = (): string => (o.kernel ? o.kernel() : release());
  /** A case's test bed on this machine: frames injected between the VM and its peer. */
  const injectBed = (c: KernelCase) =>
    Testbed.create(
      `${PREFIX}${CASES.indexOf(c)}-`,
      {
        mode: 'inject',
        vmMac: VM.mac,
        vmIp: VM.ip,
        peerMac: PEER.mac,
        peerIp: PEER.ip,
        prefixLen: 24,
      },
      machine,
    );
  /** Probes once per run; a kernel booted for nf_conntrack_bridge that lacks it fails the run. */
  const probe = async (): Promise<boolean> => {
    const has = await probeBridgeConntrack(machine);
    if (!has && o.requireBridgeConntrack)
      throw new Error(`${machine.label} has no nf_conntrack_bridge although it was booted for it`);
    return has;
  };

  if (unavailable) {
    const bar = '!'.repeat(78);
    console.warn(`\n${bar}\n!! ${o.label('ebiptables')} SKIPPED: ${unavailable}.\n${bar}\n`);
  }

  const results: ScenarioResult[] = [];
  /** The nftables backend's results (the same comparison, another summary line). */
  const nftResults: ScenarioResult[] = [];
  /** The learning cases' results (rules swapped mid-run; their own summary line). */
  const learnResults: ScenarioResult[] = [];
  /** The same under the nftables backend. */
  const nftLearnResults: ScenarioResult[] = [];
  /** nftables cases the kernel refused to load, as the simulator predicted (no nf_conntrack_bridge). */
  const nftRefused: string[] = [];
  /** Whether this kernel has nf_conntrack_bridge (probed once, before the nftables cases). */
  let bridgeConntrack: boolean | null = null;
  const started = Date.now();
  const timings: string[] = [];
  const skipped: string[] = [];

  function summaryLine(
    list: readonly ScenarioResult[] = results,
    label = o.label('ebiptables'),
  ): string {
    const frames = list.reduce((n, r) => n + r.rows.length, 0);
    const d = list.reduce((n, r) => n + disagreements(r), 0);
    const notCompared = list.filter((r) => !r.compared).length;
    return `${label}: ${list.length} scenarios, ${frames} frames, ${d} disagreements${notCompared ? ` (${notCompared} scenarios NOT compared: ${simulatorMissingReason() || 'simulator unavailable'})` : ''}`;
  }

  /** nft's error line for a refused rule set. */
  function refusalLine(stderr: string): string {
    return (
      stderr
        .split('\n')
        .find((l) => /Error/.test(l))
        ?.replace(/^\/dev\/stdin:/, 'line ')
        .trim() ?? 'Could not process rule: Protocol error'
    );
  }

  /** The first rule the simulator says the kernel refuses. */
  function refusalRule(missing: readonly MissingKernelFeature[]): string {
    const m = missing[0];
    return m
      ? `'${m.expression}' from rule ${m.provenance.ruleIndex + 1} of filter '${m.provenance.filter}'${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}`
      : '';
  }

  function nftSummaryLine(): string {
    const refused = nftRefused.length
      ? `; ${nftRefused.length} rule sets refused by the kernel as the simulator predicts (no nf_conntrack_bridge): ${nftRefused.join(', ')}`
      : '';
    return `${summaryLine(nftResults, o.label('nftables'))}${refused}`;
  }

  beforeAll(async () => {
    if (unavailable) return;
    machine = o.machine();
    await ensurePackages((s) => console.log(s));
    if (o.sweep) await sweepStaleNamespaces((s) => console.log(s));
  });

  afterAll(() => {
    if (unavailable) return;
    if (OUT_DIR) {
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(
        join(OUT_DIR, 'report.txt'),
        [...results, ...learnResults, ...nftResults, ...nftLearnResults]
          .map((r) => formatScenario(r))
          .join('\n\n') + '\n',
      );
    }
    console.log(
      `\n${timings.join('\n')}\n${skipped.join('\n')}${skipped.length ? '\n' : ''}${backendRuns.includes('ebiptables') ? `${summaryLine()}\n${learnResults.length ? `${summaryLine(learnResults, learningLabel(o.label('ebiptables')))}\n` : ''}` : ''}${backendRuns.includes('nftables') ? `${nftSummaryLine()}\n${nftLearnResults.length ? `${summaryLine(nftLearnResults, learningLabel(o.label('nftables')))}\n` : ''}` : ''}in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
  });

  for (const backend of backendRuns) scenarioSuite(backend);

  /** Every filter case × every scenario with the rule set of one backend. */
  function scenarioSuite(backend: BackendId): void {
    const nft = backend === 'nftables';
    const title = nft
      ? 'kernel-diff (nftables): scenarios on a real bridge'
      : 'kernel-diff: scenarios on a real bridge';
    const cases = CASES.filter((c) => (c.backends ?? ['ebiptables', 'nftables']).includes(backend));
    describe.skipIf(unavailable !== null)(title, () => {
      const scripts = new Map<string, Promise<string>>();
      const scenarios = buildRunnables().filter(
        (s) => !onlyScenarios || onlyScenarios.includes(s.name),
      );

      beforeAll(async () => {
        // Compile every filter up front, two at a time.
        if (nft && bridgeConntrack === null) bridgeConntrack = await probe();
        const queue = [...new Set(cases.map((c) => c.filter))];
        await Promise.all(
          [0, 1].map(async () => {
            for (let f = queue.shift(); f; f = queue.shift()) {
              const p = compileScript(f, backend);
              p.catch(() => undefined);
              scripts.set(f, p);
              await p.catch(() => undefined);
            }
          }),
        );
      });

      for (const c of cases) {
        if (onlyCases && !onlyCases.includes(c.id)) continue;
        it.concurrent(
          `${nft ? 'nftables: ' : ''}${c.id} (${c.filter}${c.bridgeAddress ? `, br0 ${c.bridgeAddress}` : ''})`,
          async () => {
            const t0 = Date.now();
            const list = scenarios.filter((s) =>
              c.only
                ? c.only.includes(s.name)
                : !s.onDemand &&
                  !c.skip?.scenarios.includes(s.name) &&
                  (c.learning ? s.source === 'simulator' : !s.learningOnly),
            );
            const tag = nft ? `nftables ${c.id}` : c.id;
            const mine = c.learning
              ? await runLearningCase(c, c.learning, list, backend)
              : await runCase(
                  c,
                  await (scripts.get(c.filter) ?? compileScript(c.filter, backend)),
                  list,
                );
            if (c.skip && !(nft && nftRefused.includes(c.id)))
              skipped.push(`  ${tag}: not run: ${c.skip.scenarios.join(', ')} (${c.skip.why})`);
            timings.push(
              `  ${tag}: ${mine.length} scenarios in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
            );
            const bad = mine.filter((r) => disagreements(r) > 0);
            const report = bad.map((r) => formatScenario(r)).join('\n\n');
            expect(bad.length, `kernel and simulator disagree under ${c.id}:\n${report}`).toBe(0);
            // The lint findings are about the ebiptables backend's rules.
            const refuted = nft ? [] : checkConfirmations(c, mine);
            expect(refuted, `the kernel refutes lint findings under ${c.id}`).toEqual([]);
          },
        );
      }

      async function runCase(
        c: KernelCase,
        script: string,
        list: readonly Runnable[],
      ): Promise<ScenarioResult[]> {
        const ruleset: AnyRuleset = compileRuleset(
          join(FILTERS_DIR, `${c.filter}.xml`),
          FILTERS_DIR,
          VM.mac,
          PARAMS,
          backend,
        );
        const hostHas = { nfConntrackBridge: bridgeConntrack !== false };
        const predictedRefusal = nft ? findMissingKernelFeatures(ruleset, hostHas) : [];
        const bed = await injectBed(c);
        const mine: ScenarioResult[] = [];
        try {
          // iptables refuses a -m set rule naming a set the host lacks: the sets come first.
          const sets = Object.entries(c.ipsets ?? {}).flatMap(([name, set]) => [
            `ipset create ${name} ${set.type}${ipsetFamily(set) === 'ipv6' ? ' family inet6' : ''} || exit 1`,
            ...set.members.map((m) => `ipset add ${name} ${m} || exit 1`),
          ]);
          if (sets.length) await bed.host('sh', ['-c', sets.join('\n')]);
          if (nft) {
            const loaded = await bed.applyNftScript(script);
            if (!loaded.ok) {
              if (predictedRefusal.length === 0)
                throw new Error(
                  `the kernel refused the nftables rule set of ${c.filter}, the simulator expected it to load:\n${loaded.stderr}`,
                );
              // Both refuse: nothing of the filter is installed, no traffic to compare.
              nftRefused.push(c.id);
              skipped.push(
                `  nftables ${c.id}: not run: needs nf_conntrack_bridge (CONFIG_NF_CONNTRACK_BRIDGE), which this kernel lacks; it refuses the rule set (${refusalLine(loaded.stderr)}), as the simulator predicts (NWF521: ${refusalRule(predictedRefusal)})`,
              );
              return mine;
            }
            if (predictedRefusal.length > 0)
              throw new Error(
                `the kernel loaded the nftables rule set of ${c.filter}, the simulator predicted a refusal: ${describeMissingKernelFeature(predictedRefusal[0] as (typeof predictedRefusal)[number])}`,
              );
          } else await bed.applyScript(script);
          if (c.bridgeAddress) {
            await bed.setBridgeAddress(c.bridgeAddress);
            // The host answers with REJECT's errors only if it knows the endpoints' MACs (they have no
            // address to answer ARP with), and every error only without ICMP rate limiting (1 s per
            // destination after a burst of 6), which the simulator does not model.
            await bed.host('sh', [
              '-c',
              `ip neigh replace ${VM.ip} lladdr ${VM.mac} dev br0 nud permanent && ip neigh replace ${PEER.ip} lladdr ${PEER.mac} dev br0 nud permanent && sysctl -qw net.ipv4.icmp_ratemask=0`,
            ]);
          }
          // Every sysctl a scenario sets goes back to the host's value before the next scenario
          // (mid-stream-ack-strict's nf_conntrack_tcp_loose=0 must not reach the scenarios after it).
          const defaults: Record<string, number> = {
            nf_conntrack_icmp_timeout: await bed.readSysctl('nf_conntrack_icmp_timeout'),
          };
          for (const name of new Set(list.flatMap((sc) => Object.keys(sc.sysctl))))
            defaults[name] ??= await bed.readSysctl(name);
          const injector = await Injector.start(bed);
          const hasConnlimit = script.includes('connlimit');
          // nft_connlimit's lists live in the rule: reloading the tables starts them afresh.
          const renewNft = nft && script.includes('ct count');
          for (const listed of list) {
            // A reactive scenario's frames depend on the filter: the simulator's run says which.
            const sim = await listed.simulate(ruleset, {
              kernel: kernelRelease(),
              ...(c.bridgeAddress ? { bridgeAddress: c.bridgeAddress } : {}),
              ...(c.ipsets ? { ipsets: c.ipsets } : {}),
              ...(nft ? hostHas : {}),
            });
            const sc = sim?.frames ? { ...listed, frames: sim.frames } : listed;
            if (renewNft) {
              // One transaction: the old tables go, the same rules come back with empty lists.
              const again = await bed.applyNftScript(`flush ruleset\n${script}`);
              if (!again.ok)
                throw new Error(`reloading the nftables rule set failed: ${again.stderr}`);
            }
            await bed.prepareScenario(sc.ftpHelper, { ...defaults, ...sc.sysctl }, hasConnlimit);
            // libvirt's nft rules carry no counter statement: no counts to read under nftables.
            const before = nft ? [] : await bed.counters();
            const run = await injectWithEvents(bed, injector, sc);
            const [after, table, expectations] = [
              nft ? [] : await bed.counters(),
              await bed.conntrackList(),
              await bed.expectationList(),
            ];
            const summaries = sc.frames.map((f) =>
              f.label ? `${summarizeFrame(f.frame)}  [${f.label}]` : summarizeFrame(f.frame),
            );
            const kernel = new Map<number, boolean>();
            run.fates.forEach((f, k) => kernel.set(run.indices?.[k] ?? k, f.delivered));
            const result: ScenarioResult = {
              caseId: nft ? `nftables ${c.id}` : c.id,
              scenario: sc.name,
              title: sc.title + (sc.note ? ` — ${sc.note}` : ''),
              rows: compareScenarioFrames(sc.frames, summaries, kernel, sim?.verdicts ?? null),
              tableDiff: [
                ...(sim?.table ? compareTables(table, sim.table) : []),
                ...(sim?.expectations ? compareExpectations(expectations, sim.expectations) : []),
              ],
              // libvirt's nft rules carry no counter statement: the kernel has no counts to compare.
              counterDiff:
                sim?.counters && !nft ? compareCounters(before, after, sim.counters) : [],
              otherDiff: [],
              hostFrames: run.hostFrames.map(
                (h) =>
                  `${h.port === 'vm' ? 'to the VM' : 'to the remote host'}: ${summarizeHex(h.hex)}`,
              ),
              compared: sim !== null,
              info: expectations.map((e) => `kernel expectation: ${e.trim()}`),
            };
            const hostDiff = checkHostFrames(c, run.hostFrames, sc.frames, sim?.verdicts ?? null);
            result.otherDiff.push(...hostDiff);
            mine.push(result);
            (nft ? nftResults : results).push(result);
          }
        } finally {
          await bed.destroy();
        }
        return mine;
      }
    });
  }

  /**
   * A learning case: the filter bound without IP, every scenario started on the backend's
   * learning rules, and the rules swapped where the simulator's learning phases change them — the
   * kernel gets the project's `compile` (learning rules) and `compile --learned-ip ADDR` output,
   * put in force as libvirt's driver does it (./lib/rule-swap.ts), between the frames the
   * simulator reports on either side of the change. Conntrack is kept across swaps, as on a host.
   * Under nftables, a kernel that refuses the rebuilt rules (ct without nf_conntrack_bridge) must
   * refuse them as the simulator predicts, and the case is not run.
   */
  async function runLearningCase(
    c: KernelCase,
    params: Record<string, string[]>,
    list: readonly Runnable[],
    backend: BackendId,
  ): Promise<ScenarioResult[]> {
    const nft = backend === 'nftables';
    if (nft && bridgeConntrack === null) bridgeConntrack = await probe();
    const hostHas = { nfConntrackBridge: bridgeConntrack !== false };
    const file = join(FILTERS_DIR, `${c.filter}.xml`);
    const { ruleset, learning } = compileLearning(
      file,
      FILTERS_DIR,
      VM.mac,
      params,
      backend,
      nft ? hostHas : {},
    );
    const argsFor = new Map<string, Promise<string>>();
    const rulesArgs = (addresses: readonly string[]): Promise<string> => {
      if (addresses.length > 1) throw new Error(`one learned address expected: ${addresses}`);
      const key = addresses.join(',');
      let p = argsFor.get(key);
      if (!p) {
        const args = compileArgs(c.filter, backend, params, 'args');
        if (addresses[0]) args.push('--learned-ip', addresses[0]);
        p = compileCli(args);
        argsFor.set(key, p);
      }
      return p;
    };
    const bed = await injectBed(c);
    const mine: ScenarioResult[] = [];
    if (nft) {
      const rebuilt = compileRuleset(
        file,
        FILTERS_DIR,
        VM.mac,
        { ...params, IP: [VM.ip] },
        backend,
      );
      const predicted = findMissingKernelFeatures(rebuilt, hostHas);
      if (predicted.length > 0) {
        // Every scenario reaches a rebuild: the kernel must refuse it as the simulator says.
        const loaded = await bed.applyNftScript(
          await compileCli([...compileArgs(c.filter, backend, params), '--learned-ip', VM.ip]),
        );
        await bed.destroy();
        if (loaded.ok)
          throw new Error(
            `the kernel loaded the rebuilt nftables rules of ${c.filter}, the simulator predicted a refusal`,
          );
        nftRefused.push(c.id);
        skipped.push(
          `  nftables ${c.id}: not run: the rules rebuilt once the address is learned need nf_conntrack_bridge, which this kernel lacks; it refuses them (${refusalLine(loaded.stderr)}), as the simulator predicts (NWF521: ${refusalRule(predicted)})`,
        );
        return mine;
      }
    }
    /** The addresses the rules in force were built with (null: nothing installed yet). */
    let installed: string | null = null;
    const run = async (key: string, script: string) => {
      const r = await bed.host('sh', ['-s'], {
        input: script,
        allowFailure: true,
        timeoutMs: 120_000,
      });
      if (r.code !== 0)
        throw new Error(
          `kernel-diff: swapping to the rules with IP=${key || '(learning)'} failed (exit ${r.code})\n${r.stderr}`,
        );
    };
    const swapTo = async (addresses: readonly string[]) => {
      const key = addresses.join(',');
      if (installed === key) return;
      const args = await rulesArgs(addresses);
      if (!nft) await run(key, swapScript(args, 'vnet0', addresses.length === 0));
      else if (addresses.length === 0)
        await run(key, nftCommandsScript(nftLearningSwap(args, await nftListings(bed), 'vnet0')));
      else {
        const tablesExist = Object.keys(await nftListings(bed)).length > 0;
        await run(key, nftCommandsScript(nftDryRunCommands(args, tablesExist)));
        await run(key, nftCommandsScript(nftTearOldRules(await nftListings(bed), 'vnet0')));
      }
      installed = key;
      const left = nft ? await nftLeftovers(bed) : await leftovers(bed);
      if (left.length)
        throw new Error(
          `kernel-diff: after swapping to the rules with IP=${key || '(learning)'}: ${left.join('; ')}`,
        );
    };
    try {
      const defaults: Record<string, number> = {
        nf_conntrack_icmp_timeout: await bed.readSysctl('nf_conntrack_icmp_timeout'),
      };
      for (const name of new Set(list.flatMap((sc) => Object.keys(sc.sysctl))))
        defaults[name] ??= await bed.readSysctl(name);
      const injector = await Injector.start(bed);
      for (const listed of list) {
        const sim = await listed.simulate(
          ruleset,
          { kernel: kernelRelease(), ...(nft ? hostHas : {}) },
          learning,
        );
        if (!sim?.swaps)
          throw new Error(`${listed.name}: the simulator reported no learning phases`);
        const sc = sim.frames ? { ...listed, frames: sim.frames } : listed;
        if (sc.events.length) throw new Error(`${sc.name}: sysctl events and learning together`);
        // A fresh binding: the learning rules, an empty connection table.
        await swapTo([]);
        await bed.prepareScenario(sc.ftpHelper, { ...defaults, ...sc.sysctl });
        // libvirt's nft rules carry no counter statement: no counts to read under nftables.
        let before = nft ? [] : await bed.counters();
        const kernel = new Map<number, boolean>();
        const hostFrames: { port: 'vm' | 'peer'; hex: string }[] = [];
        const clock = { last: null };
        for (let k = 0; k < sim.swaps.length; k++) {
          const swap = sim.swaps[k] as RuleSwap;
          if (k > 0) {
            await swapTo(swap.addresses);
            before = nft ? [] : await bed.counters();
          }
          const n = sc.frames.length;
          const to = Math.min(sim.swaps[k + 1]?.at ?? n, n);
          const run = await injectSegment(
            injector,
            sc.frames,
            Math.min(swap.at, n),
            to,
            kernel,
            clock,
          );
          hostFrames.push(...run.hostFrames);
        }
        const [after, table, expectations] = [
          nft ? [] : await bed.counters(),
          await bed.conntrackList(),
          await bed.expectationList(),
        ];
        const summaries = sc.frames.map((f) =>
          f.label ? `${summarizeFrame(f.frame)}  [${f.label}]` : summarizeFrame(f.frame),
        );
        const result: ScenarioResult = {
          caseId: nft ? `nftables ${c.id}` : c.id,
          scenario: sc.name,
          title: sc.title + (sc.note ? ` — ${sc.note}` : ''),
          rows: compareScenarioFrames(sc.frames, summaries, kernel, sim.verdicts),
          tableDiff: [
            ...(sim.table ? compareTables(table, sim.table) : []),
            ...(sim.expectations ? compareExpectations(expectations, sim.expectations) : []),
          ],
          // The rules of the last phase: its chains' counters started at zero with them.
          counterDiff: sim.counters && !nft ? compareCounters(before, after, sim.counters) : [],
          otherDiff: hostFrames.length
            ? [`the host sent ${hostFrames.length} frame(s) although br0 has no address`]
            : [],
          hostFrames: hostFrames.map(
            (h) =>
              `${h.port === 'vm' ? 'to the VM' : 'to the remote host'}: ${summarizeHex(h.hex)}`,
          ),
          compared: true,
          info: sim.swaps.map(
            (w) =>
              `rules ${w.at === Infinity ? 'after the last frame' : `from #${w.at}`}: ${w.why}`,
          ),
        };
        mine.push(result);
        (nft ? nftLearnResults : learnResults).push(result);
      }
    } finally {
      await bed.destroy();
    }
    return mine;
  }

  /** The driver's two tables as `nft -a list table` shows them (only those that exist). */
  async function nftListings(bed: Testbed): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const t of ['libvirt_nwfilter_ethernet', 'libvirt_nwfilter_inet']) {
      const r = await bed.host('nft', ['-a', 'list', 'table', 'bridge', t], { allowFailure: true });
      if (r.code === 0) out[t] = r.stdout;
    }
    return out;
  }

  /** What an nftables swap must not leave: chains under their temporary names, temporary jumps. */
  async function nftLeftovers(bed: Testbed): Promise<string[]> {
    const out: string[] = [];
    for (const [t, listing] of Object.entries(await nftListings(bed))) {
      for (const m of listing.matchAll(/^\s*chain (n-\S+)/gm))
        out.push(`nft chain ${t} ${m[1]} left under its temporary name`);
      for (const m of listing.matchAll(/^\s*(\S+ "\S+" jump \S+)/gm))
        out.push(`nft rule '${m[1]}' (a temporary jump) left in ${t}`);
    }
    return out;
  }

  /** How long the injector listens after a segment's last frame (its default). */
  const LINGER_MS = 100;

  /**
   * What a swap must not leave: chains under libvirt's temporary names (a rename that failed) and
   * ebtables sub-chains no root chain jumps to (a removal that failed).
   */
  async function leftovers(bed: Testbed): Promise<string[]> {
    const r = await bed.host('sh', [
      '-c',
      'ebtables --concurrent -t nat -L; echo =====; iptables -w -S; ip6tables -w -S',
    ]);
    const [eb = '', ipt = ''] = r.stdout.split('=====\n');
    const out: string[] = [];
    const chains = [...eb.matchAll(/^Bridge chain: ([^,]+),/gm)].map((m) => m[1] as string);
    for (const ch of chains) {
      if (/^(libvirt-)?[JP]-/.test(ch))
        out.push(`ebtables chain ${ch} left under its temporary name`);
      else if (/^[IO]-/.test(ch) && !new RegExp(`-j ${ch}(\\s|$)`, 'm').test(eb))
        out.push(`ebtables chain ${ch} left without a jump to it`);
    }
    for (const m of ipt.matchAll(/^-N ((?:FJ|FP|HJ)-\S+)/gm))
      out.push(`iptables chain ${m[1]} left under its temporary name`);
    return out;
  }

  /**
   * Injects the frames `from` ≤ index < `to` of a scenario whose earlier frames went before a rule
   * swap: a frame that requires an earlier segment's frame is sent only if the kernel delivered
   * it, one that is `unless` an earlier delivered frame is not; the rest keep their conditions,
   * renumbered. Each fate is recorded in `kernel` by scenario index.
   */
  async function injectSegment(
    injector: Injector,
    frames: Runnable['frames'],
    from: number,
    to: number,
    kernel: Map<number, boolean>,
    clock: { last: { t: number; wall: number } | null },
  ) {
    const local = new Map<number, number>();
    const globalOf: number[] = [];
    const out: Parameters<Injector['run']>[0][number][] = [];
    const gone = new Set<number>();
    for (let g = from; g < to; g++) {
      const f = frames[g] as Runnable['frames'][number];
      const req = f.requires ?? [];
      const unl = f.unless ?? [];
      const lost = (r: number) => (r < from ? kernel.get(r) !== true : gone.has(r));
      if (req.some(lost) || unl.some((r) => r < from && kernel.get(r) === true)) {
        gone.add(g);
        continue;
      }
      const inner = (list: readonly number[]) =>
        list.filter((r) => r >= from && !gone.has(r)).map((r) => local.get(r) as number);
      local.set(g, out.length);
      globalOf.push(g);
      out.push({
        side: f.side,
        bytes: encodeFrame(f.frame),
        at: 0,
        ...(req.length ? { requires: inner(req) } : {}),
        ...(unl.length ? { unless: inner(unl) } : {}),
      });
    }
    const t0 = frames[globalOf[0] ?? from]?.t ?? 0;
    // The gap before the segment's first frame is kept, counted from the previous segment's last
    // send (the swap took part of it): a lease or a conntrack timeout between them must run out.
    const wait = clock.last
      ? Math.max(0, t0 - clock.last.t - (Date.now() - clock.last.wall) / 1000)
      : 0;
    globalOf.forEach((g, i) => ((out[i] as { at: number }).at = wait + (frames[g]?.t ?? t0) - t0));
    if (!out.length) return { hostFrames: [] };
    const run = await injector.run(out, LINGER_MS);
    const lastT = frames[globalOf[globalOf.length - 1] as number]?.t ?? t0;
    clock.last = { t: lastT, wall: Date.now() - LINGER_MS };
    run.fates.forEach((f, k) => {
      const g = globalOf[run.indices?.[k] ?? k] as number;
      kernel.set(g, f.delivered);
    });
    return run;
  }

  /**
   * The kernel fates the case's lint findings predict (cases.ts `confirms`): one line per fate the
   * kernel did not produce. A scenario not run (filtered by NWFS_KERNEL_DIFF_SCENARIOS) is skipped.
   */
  function checkConfirmations(c: KernelCase, mine: readonly ScenarioResult[]): string[] {
    const out: string[] = [];
    for (const k of c.confirms ?? []) {
      const r = mine.find((m) => m.scenario === k.scenario);
      if (!r) continue;
      const row = r.rows[k.frame];
      const fate = row?.kernel ?? 'no such frame';
      const want = k.delivered ? 'delivered' : 'NOT delivered';
      if (fate !== want)
        out.push(
          `${k.code}: ${k.scenario} #${k.frame} ${row?.summary ?? ''}: kernel ${fate}, lint says ${want} (${k.what})`,
        );
    }
    return out;
  }

  /**
   * REJECT's replies: without an address on br0 the host sends nothing at all; with one, every
   * frame the simulator rejects gets exactly the ICMP error the simulator says REJECT sends (same
   * summary: source, destination, type, code and the quoted packet), and no other frame gets one.
   */
  function checkHostFrames(
    c: KernelCase,
    hostFrames: readonly { hex: string }[],
    frames: readonly { frame: EthernetFrame }[],
    sim: ReadonlyMap<number, SimVerdict> | null,
  ): string[] {
    if (!c.bridgeAddress)
      return hostFrames.length
        ? [`the host sent ${hostFrames.length} frame(s) although br0 has no address`]
        : [];
    if (!sim) return [];
    const quoted = new Map<string, string[]>();
    for (const h of hostFrames) {
      const f = decodeFrame(new Uint8Array(Buffer.from(h.hex, 'hex')));
      const p = f?.payload;
      if (!f || p?.kind !== 'ipv4' || p.payload.kind !== 'icmp' || p.payload.type !== 3) continue;
      const q = quotedPacket(p.payload);
      if (q?.kind !== 'ipv4') continue;
      const key = `${q.src}>${q.dst}#${q.id}/${q.protocol}`;
      quoted.set(key, [...(quoted.get(key) ?? []), summarizeFrame(f)]);
    }
    const out: string[] = [];
    frames.forEach((f, i) => {
      const v = sim.get(i);
      const ip = f.frame.payload;
      if (!v || ip.kind !== 'ipv4') return;
      const key = `${ip.src}>${ip.dst}#${ip.id}/${ip.protocol}`;
      const sent = quoted.get(key)?.shift();
      if (v.verdict === 'reject' && v.reply && !sent)
        out.push(`REJECT: the simulator sends ${v.reply} for #${i}; the kernel sent nothing`);
      if (sent && !v.reply)
        out.push(
          `REJECT: the kernel sent ${sent} for #${i}, for which the simulator (${v.verdict}) sends nothing`,
        );
      if (sent && v.reply && sent !== v.reply)
        out.push(`REJECT: for #${i} the kernel sent ${sent}, the simulator ${v.reply}`);
    });
    return out;
  }

  /**
   * Injects a scenario's frames; with sysctl events, in one batch per stretch between events, the
   * host's sysctls written in between (the injector's clock restarts with each batch at the
   * event's time, so later frames keep their distance from the change).
   */
  async function injectWithEvents(bed: Testbed, injector: Injector, sc: Runnable) {
    const out = (f: Runnable['frames'][number], t0: number) => ({
      side: f.side,
      bytes: encodeFrame(f.frame),
      at: f.t - t0,
      ...(f.requires ? { requires: f.requires } : {}),
      ...(f.unless ? { unless: f.unless } : {}),
    });
    if (!sc.events.length) return injector.run(sc.frames.map((f) => out(f, 0)));
    const cuts = [0, ...sc.events.map((e) => e.t)];
    const merged: Awaited<ReturnType<Injector['run']>> = {
      fates: [],
      indices: [],
      skipped: [],
      hostFrames: [],
    };
    for (let k = 0; k < cuts.length; k++) {
      const from = cuts[k] as number;
      const to = cuts[k + 1] ?? Infinity;
      if (k > 0) {
        const e = sc.events[k - 1] as Runnable['events'][number];
        await bed.host('sh', [
          '-c',
          Object.entries(e.sysctl)
            .map(([n, v]) => `sysctl -qw net.netfilter.${n}=${v} || exit 1`)
            .join('\n'),
        ]);
      }
      const first = sc.frames.findIndex((f) => f.t >= from);
      const part = sc.frames.filter((f) => f.t >= from && f.t < to);
      if (part.some((f) => f.requires?.length || f.unless?.length))
        throw new Error(`${sc.name}: frames with requires or unless cannot be split at events`);
      const run = await injector.run(part.map((f) => out(f, from)));
      merged.fates.push(...run.fates);
      merged.indices?.push(...(run.indices ?? part.map((_, i) => i)).map((i) => i + first));
      merged.skipped?.push(...(run.skipped ?? []).map((i) => i + first));
      merged.hostFrames.push(...run.hostFrames);
    }
    return merged;
  }

  // NWFS_KERNEL_DIFF_CASES selects filter cases; the applications run only when it names 'apps'.
  const SKIP_APPS = onlyCases !== undefined && !onlyCases.includes('apps');

  for (const backend of backendRuns) appSuite(backend);

  /** The real applications with the rule set of one backend. */
  function appSuite(backend: BackendId): void {
    const nft = backend === 'nftables';
    describe.skipIf(unavailable !== null || SKIP_APPS)(
      `kernel-diff${nft ? ' (nftables)' : ''}: real applications through the bridge`,
      () => {
        beforeAll(async () => {
          if (nft && bridgeConntrack === null) bridgeConntrack = await probe();
        });
        for (const app of APP_CASES) {
          if (!(app.backends ?? ['ebiptables', 'nftables']).includes(backend)) continue;
          it.concurrent(`${nft ? 'nftables: ' : ''}${app.id}`, async () => {
            const t0 = Date.now();
            const tmp = mkdtempSync(join(machine.sharedTmp, PREFIX));
            try {
              const r = await runAppCase(app, {
                prefix: `${PREFIX}${nft ? 'n' : 'a'}${APP_CASES.indexOf(app)}-`,
                machine,
                tmp,
                filtersDir: FILTERS_DIR,
                params: PARAMS,
                compileScript,
                backend,
                nfConntrackBridge: bridgeConntrack !== false,
                refused: (stderr, missing) => {
                  nftRefused.push(app.id);
                  skipped.push(
                    `  nftables ${app.id}: not run: needs nf_conntrack_bridge (CONFIG_NF_CONNTRACK_BRIDGE), which this kernel lacks; it refuses the rule set (${refusalLine(stderr)}), as the simulator predicts (NWF521: ${refusalRule(missing)})`,
                  );
                },
              });
              (nft ? nftResults : results).push(...r);
              timings.push(
                `  ${nft ? 'nftables ' : ''}app ${app.id}: ${((Date.now() - t0) / 1000).toFixed(1)}s`,
              );
              const bad = r.filter((x) => disagreements(x) > 0);
              expect(
                bad.length,
                `kernel and simulator disagree on real traffic (${app.id}):\n${bad.map((x) => formatScenario(x)).join('\n\n')}`,
              ).toBe(0);
            } finally {
              if (OUT_DIR) {
                const dest = join(OUT_DIR, app.id);
                mkdirSync(dest, { recursive: true });
                for (const f of ['from-vm.pcap', 'to-vm.pcap']) {
                  try {
                    writeFileSync(join(dest, f), readFileSync(join(tmp, f)));
                  } catch {
                    /* not written */
                  }
                }
              }
              rmSync(tmp, { recursive: true, force: true });
            }
          });
        }
      },
    );
  }

  function summarizeHex(hex: string): string {
    const f = decodeFrame(new Uint8Array(Buffer.from(hex, 'hex')));
    return f ? summarizeFrame(f) : `undecodable frame ${hex.slice(0, 40)}…`;
  }
}
