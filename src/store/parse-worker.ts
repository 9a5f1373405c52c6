import { parseFilterXml } from '../core/xml/parse-filter-xml';

/** A message to the parse worker: the text to parse and an id to answer with. */
export interface ParseRequest {
  id: number;
  text: string;
}

// The core is pure, so the same parser runs here, off the main thread.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
  postMessage(message: unknown): void;
};
scope.onmessage = (event: MessageEvent<ParseRequest>) => {
  const { id, text } = event.data;
  scope.postMessage({ id, result: parseFilterXml(text) });
};
