import { parseFilterXml } from '../core/xml/parse-filter-xml';

/** A message to the parse worker: the text to parse and an id to answer with. */
export interface ParseRequest {
  id: number;
  text: string;
  /** Answer only the diagnostics (`doc: null`): cloning a 2,000-rule document back costs ~100 ms. */
  diagnosticsOnly?: boolean;
}

// The core is pure, so the same parser runs here, off the main thread.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
  postMessage(message: unknown): void;
};
scope.onmessage = (event: MessageEvent<ParseRequest>) => {
  const { id, text, diagnosticsOnly } = event.data;
  const result = parseFilterXml(text);
  scope.postMessage({
    id,
    result: diagnosticsOnly ? { doc: null, diagnostics: result.diagnostics } : result,
  });
};
