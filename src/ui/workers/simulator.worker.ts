/// <reference lib="webworker" />
/**
 * The simulator's Web Worker: compiling and running a scenario can take a noticeable time on a
 * big filter, and the page must never freeze while the user types.
 */
import { packSimResult } from './pack-traces';
import { compareVersions, compileFor, runSimulation } from '../../core/sim';
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
