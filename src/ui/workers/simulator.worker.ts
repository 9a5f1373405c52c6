/// <reference lib="webworker" />
/**
 * The simulator's Web Worker: compiling and running a scenario can take a noticeable time on a
 * big filter, and the page must never freeze while the user types.
 */
import { answerAnalysis } from '../../core/analysis';
import type { AnalysisSubject } from '../../core/analysis';
import { simSettingsOf } from '../../core/host';
import { packSimResult } from './pack-traces';
import { compareBackendsForSim } from '../../core/parity';
import {
  compareVersions,
  compileFor,
  hostProfileOf,
  hostsFor,
  runSimulation,
} from '../../core/sim';
import type { SimFilterSet, SimSettings } from '../../core/sim';
import type { SimReply, SimWireRequest } from './simulator-protocol';
import { EntryReceiver, sameFilterSet } from './workspace-transfer';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<SimWireRequest>) => void) | null;
  postMessage(message: SimReply, transfer?: Transferable[]): void;
};

const received = new EntryReceiver();

/**
 * The last compilation: choosing another scenario or stepping through settings that do not reach
 * the compiler re-runs against the same filters, and compiling 2,000 rules is a third of a run.
 */
let lastCompile: {
  set: SimFilterSet;
  settings: string;
  result: ReturnType<typeof compileFor>;
} | null = null;

function compileCached(set: SimFilterSet, settings: SimSettings): ReturnType<typeof compileFor> {
  const key = JSON.stringify(settings);
  if (lastCompile && lastCompile.settings === key && sameFilterSet(lastCompile.set, set))
    return lastCompile.result;
  const result = compileFor(set, settings);
  lastCompile = { set, settings: key, result };
  return result;
}

/** A version to analyse: compiled as the simulator compiles it, on the simulator's host. */
function subjectOf(set: SimFilterSet, settings: SimSettings): AnalysisSubject {
  let c = compileCached(set, settings);
  // A binding that learns its IP is analysed as it is once learned (the filter's own rules),
  // with the address the scenarios give the VM, as the Export panel shows it.
  if (c.learning)
    c = compileFor(set, {
      ...settings,
      params: { ...settings.params, IP: [hostsFor(settings).vm.ip] },
    });
  return {
    ruleset: c.ruleset,
    settings: simSettingsOf(hostProfileOf(settings)),
    problems: [
      ...c.problems,
      ...c.failures.map((f) => `libvirt cannot bind the filter: ${f.code}: ${f.message}`),
    ],
  };
}

scope.onmessage = (e) => {
  const req = e.data;
  const start = performance.now();
  try {
    if (req.kind === 'run') {
      const [set] = received.decode([req.set]) as [SimFilterSet];
      // Visit lists travel packed: the page unpacks only the packet it explains.
      const { result, transfer } = packSimResult(
        runSimulation(set, req.settings, req.source, compileCached),
      );
      scope.postMessage(
        { kind: 'run', id: req.id, result, ms: performance.now() - start },
        transfer,
      );
    } else if (req.kind === 'parity') {
      const [set] = received.decode([req.set]) as [SimFilterSet];
      const result = compareBackendsForSim(set, req.settings, req.customPackets);
      scope.postMessage({ kind: 'parity', id: req.id, result, ms: performance.now() - start });
    } else if (req.kind === 'analyse') {
      const [set, before] = received.decode(req.before ? [req.set, req.before] : [req.set]) as [
        SimFilterSet,
        SimFilterSet | undefined,
      ];
      const answer = answerAnalysis(
        req.ask,
        subjectOf(set, req.settings),
        before ? subjectOf(before, req.settings) : null,
      );
      scope.postMessage({ kind: 'analyse', id: req.id, answer, ms: performance.now() - start });
    } else {
      const [before, after] = received.decode([req.before, req.after]) as [
        SimFilterSet,
        SimFilterSet,
      ];
      const result = compareVersions(before, after, req.settings);
      scope.postMessage({ kind: 'compare', id: req.id, result, ms: performance.now() - start });
    }
  } catch (err) {
    scope.postMessage({
      kind: 'error',
      id: req.id,
      message: err instanceof Error ? err.message : String(err),
    });
  }
};
