import type { ParseResult } from '../core/model';
import type { ParseReply, ParseRequest } from './parse-worker';
import type { AsyncParser } from './studio-store';

/**
 * Wraps a parse worker (see parse-worker.ts) as an {@link AsyncParser}.
 * The worker is created by the caller (`new Worker(...)` / Vite's `?worker`).
 */
export function createWorkerParser(
  worker: Pick<Worker, 'postMessage' | 'onmessage' | 'onerror'>,
): AsyncParser {
  let nextId = 0;
  const waiting = new Map<number, { resolve(r: ParseResult): void; reject(e: unknown): void }>();
  worker.onmessage = (event: MessageEvent<ParseReply>) => {
    const entry = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    entry?.resolve(JSON.parse(event.data.json) as ParseResult);
  };
  worker.onerror = (event) => {
    for (const entry of waiting.values()) entry.reject(event);
    waiting.clear();
  };
  return (text, options) =>
    new Promise<ParseResult>((resolve, reject) => {
      nextId += 1;
      waiting.set(nextId, { resolve, reject });
      const request: ParseRequest = { id: nextId, text };
      if (options?.diagnosticsOnly) request.diagnosticsOnly = true;
      worker.postMessage(request);
    });
}
