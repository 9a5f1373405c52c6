import type { SimReply, SimRequest } from './simulator-protocol';

type Pending = (reply: SimReply) => void;

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./simulator.worker.ts', import.meta.url), {
      type: 'module',
      name: 'simulator',
    });
    worker.onmessage = (e: MessageEvent<SimReply>) => {
      const done = pending.get(e.data.id);
      pending.delete(e.data.id);
      done?.(e.data);
    };
    worker.onerror = (e) => {
      for (const [id, done] of pending)
        done({ kind: 'error', id, message: e.message || 'simulator worker failed' });
      pending.clear();
      worker?.terminate();
      worker = null;
    };
  }
  return worker;
}

/** Distributes `Omit<SimRequest, 'id'>` over the union so each variant keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Sends a request to the simulator worker; resolves with its reply (errors included, never rejects). */
export function askSimulator(request: WithoutId<SimRequest>): Promise<SimReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    getWorker().postMessage({ ...request, id } as SimRequest);
  });
}
