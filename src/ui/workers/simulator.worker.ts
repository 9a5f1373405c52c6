/// <reference lib="webworker" />
/**
 * The simulator's Web Worker: compiling and running a scenario can take a noticeable time on a
 * big filter, and the page must never freeze while the user types.
 */
import { compareVersions, runSimulation } from './run-simulation';
import type { SimReply, SimRequest } from './simulator-protocol';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<SimRequest>) => void) | null;
  postMessage(message: SimReply): void;
};

scope.onmessage = (e) => {
  const req = e.data;
  const start = performance.now();
  try {
    if (req.kind === 'run') {
      const result = runSimulation(req.set, req.settings, req.source);
      scope.postMessage({ kind: 'run', id: req.id, result, ms: performance.now() - start });
    } else {
      const result = compareVersions(req.before, req.after, req.settings);
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
