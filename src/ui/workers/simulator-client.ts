import type { SimReply, SimRequest, SimWireRequest } from './simulator-protocol';
import { EntrySender } from './workspace-transfer';

type Pending = { id: number; resolve(reply: SimReply): void };

/**
 * One worker per kind of request (live runs, compare runs). A newer request of the same kind
 * supersedes the older one: a busy worker is terminated rather than left computing a result
 * nobody will look at (typing into a 2,000-rule filter must not queue up stale runs).
 */
class Slot {
  private worker: Worker | null = null;
  private pending: Pending | null = null;
  /** What the current worker holds of the workspace (reset with the worker). */
  private readonly sender = new EntrySender();

  private start(): Worker {
    const w = new Worker(new URL('./simulator.worker.ts', import.meta.url), {
      type: 'module',
      name: 'simulator',
    });
    w.onmessage = (e: MessageEvent<SimReply>) => {
      const p = this.pending;
      // After an error the worker's copy of the workspace may be partial: start afresh.
      if (e.data.kind === 'error') this.stop();
      if (p && p.id === e.data.id) {
        this.pending = null;
        p.resolve(e.data);
      }
    };
    w.onerror = (e) => {
      e.preventDefault();
      const p = this.pending;
      this.pending = null;
      this.stop();
      p?.resolve({ kind: 'error', id: p.id, message: e.message || 'simulator worker failed' });
    };
    return w;
  }

  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.sender.reset();
  }

  /** The request with its filter sets by difference from what the worker already holds. */
  private encode(request: SimRequest): SimWireRequest {
    if (request.kind === 'run' || request.kind === 'parity') {
      const [set] = this.sender.encode([request.set]);
      if (!set) throw new Error('no filter set');
      return { ...request, set };
    }
    if (request.kind === 'analyse') {
      const [set, before] = this.sender.encode(
        request.before ? [request.set, request.before] : [request.set],
      );
      if (!set) throw new Error('no filter set');
      return { ...request, set, before: before ?? null };
    }
    const [before, after] = this.sender.encode([request.before, request.after]);
    if (!before || !after) throw new Error('no filter set');
    return { ...request, before, after };
  }

  send(request: SimRequest): Promise<SimReply> {
    const old = this.pending;
    if (old) {
      // Still busy with an older request: drop it with its worker.
      this.pending = null;
      this.stop();
      old.resolve({ kind: 'error', id: old.id, message: 'superseded' });
    }
    this.worker ??= this.start();
    const worker = this.worker;
    const wire = this.encode(request);
    return new Promise((resolve) => {
      this.pending = { id: request.id, resolve };
      worker.postMessage(wire);
    });
  }
}

const slots = new Map<string, Slot>();

/**
 * The slot of a request: live runs, compare runs, and each analysis question on its own (the
 * Allowed view re-asked while typing must not supersede a diff the user is waiting for).
 */
function slotOf(request: SimRequest): Slot {
  const key = request.kind === 'analyse' ? `analyse-${request.ask.kind}` : request.kind;
  let slot = slots.get(key);
  if (!slot) slots.set(key, (slot = new Slot()));
  return slot;
}
let nextId = 1;

/** Distributes `Omit<SimRequest, 'id'>` over the union so each variant keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Sends a request to the simulator worker; resolves with its reply (errors included, never
 * rejects). A superseded request resolves with `{ kind: 'error', message: 'superseded' }`.
 */
export function askSimulator(request: WithoutId<SimRequest>): Promise<SimReply> {
  const id = nextId++;
  const full = { ...request, id } as SimRequest;
  return slotOf(full).send(full);
}
