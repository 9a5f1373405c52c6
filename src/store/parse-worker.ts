import type { ParseResult } from '../core/model';
import { parseFilterXml } from '../core/xml';

/** A message to the parse worker: the text to parse and an id to answer with. */
export interface ParseRequest {
  id: number;
  text: string;
  /** Answer only the diagnostics (`doc: null`): the page does not need the document. */
  diagnosticsOnly?: boolean;
}

/**
 * The worker's answer. The result travels as JSON text: the page's `JSON.parse` of a 2,000-rule
 * document costs a fraction of deserializing the same object graph from a structured clone,
 * and the result is plain data (strings, numbers, booleans, null, arrays, objects).
 */
export interface ParseReply {
  id: number;
  json: string;
}

/** Parses a request's text with the core (the same parser the page runs). */
export function answerParseRequest(request: ParseRequest): ParseReply {
  const result = parseFilterXml(request.text);
  const answer: ParseResult = request.diagnosticsOnly
    ? { doc: null, diagnostics: result.diagnostics }
    : result;
  return { id: request.id, json: JSON.stringify(answer) };
}

// The core is pure, so the same parser runs here, off the main thread. (Guarded so tests can
// import `answerParseRequest` outside a worker.)
if ('WorkerGlobalScope' in globalThis) {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
    postMessage(message: ParseReply): void;
  };
  scope.onmessage = (event) => scope.postMessage(answerParseRequest(event.data));
}
