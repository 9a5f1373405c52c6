import { describe, expect, it } from 'vitest';
import { makeFilterXml } from '../../bench/make-filter-xml';
import { EXAMPLES } from '../core/examples';
import { parseFilterXml } from '../core/xml';
import { createWorkerParser } from './create-worker-parser';
import { answerParseRequest } from './parse-worker';
import type { ParseRequest } from './parse-worker';

/** A stand-in for the worker: answers each message on a later task, through a structured clone. */
function fakeWorker() {
  const worker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage(request: ParseRequest) {
      const reply = structuredClone(answerParseRequest(structuredClone(request)));
      setTimeout(() => worker.onmessage?.({ data: reply } as MessageEvent), 0);
    },
  };
  return worker;
}

describe('createWorkerParser', () => {
  it('answers what the core parser answers, documents and diagnostics alike', async () => {
    const parse = createWorkerParser(fakeWorker() as unknown as Worker);
    const texts = [
      ...EXAMPLES.map((e) => e.xml),
      makeFilterXml('w', 200, 1, 500),
      "<filter name='bad'><rule action='accept' direction='in'><tcp dstportstart='99999'/></rule>",
    ];
    for (const text of texts) expect(await parse(text)).toStrictEqual(parseFilterXml(text));
  });

  it('answers only the diagnostics when asked', async () => {
    const parse = createWorkerParser(fakeWorker() as unknown as Worker);
    const text =
      "<filter name='w'><rule action='accept' direction='in'><tcp/><udp/></rule></filter>";
    const full = parseFilterXml(text);
    expect(full.diagnostics.length).toBeGreaterThan(0);
    expect(await parse(text, { diagnosticsOnly: true })).toStrictEqual({
      doc: null,
      diagnostics: full.diagnostics,
    });
  });

  it('pairs concurrent answers with their requests', async () => {
    const parse = createWorkerParser(fakeWorker() as unknown as Worker);
    const [a, b] = await Promise.all([parse(EXAMPLES[0]!.xml), parse(EXAMPLES[1]!.xml)]);
    expect(a.doc?.name).toBe(parseFilterXml(EXAMPLES[0]!.xml).doc?.name);
    expect(b).toStrictEqual(parseFilterXml(EXAMPLES[1]!.xml));
  });
});
