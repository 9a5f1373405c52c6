/**
 * Serialisation with a per-document memo, and the incremental case: a document that differs from
 * an already serialised one in a single entry is serialised by splicing that entry's text into
 * the previous text. Documents are immutable, so identity is the memo's key.
 */
import type { FilterDoc } from '../model/types';
import { findEntrySpans, rememberSpans, scanEntrySpans } from './parse-incrementally';
import { serializeFilterXml } from './serialize-filter-xml';

const serializedCache = new WeakMap<FilterDoc, string>();
/** `serializeFilterXml` with a per-document memo (documents are immutable: identity is enough). */
export function serializeDoc(doc: FilterDoc): string {
  let text = serializedCache.get(doc);
  if (text === undefined) {
    text = serializeFilterXml(doc);
    serializedCache.set(doc, text);
  }
  return text;
}

/**
 * Serializes `next`, an edit of `previous` that replaced one entry, by re-serializing only that
 * entry into `previous`'s cached text (libvirt writes each entry on its own lines, the same
 * wherever it stands): a cell edit in a 2,000-rule filter then does not format 2,000 rules.
 * Does nothing when the edit is of another shape or `previous` was never serialized.
 */
export function serializeEdited(previous: FilterDoc, next: FilterDoc): void {
  if (serializedCache.has(next)) return;
  const before = serializedCache.get(previous);
  if (before === undefined || previous.entries.length !== next.entries.length) return;
  for (const key of Object.keys(next) as (keyof FilterDoc)[])
    if (key !== 'entries' && next[key] !== previous[key]) return;
  let changed = -1;
  for (let i = 0; i < next.entries.length; i++) {
    if (next.entries[i] === previous.entries[i]) continue;
    if (changed >= 0) return;
    changed = i;
  }
  if (changed < 0) {
    serializedCache.set(next, before);
    return;
  }
  const spans = findEntrySpans(before);
  const span = spans?.[changed];
  if (!spans || !span || spans.length !== previous.entries.length) return;
  const alone = serializeFilterXml({ ...next, entries: next.entries.slice(changed, changed + 1) });
  const aloneSpans = scanEntrySpans(alone);
  const entrySpan = aloneSpans?.[0];
  if (!entrySpan || aloneSpans.length !== 1) return;
  const entryText = alone.slice(entrySpan.start, entrySpan.end);
  const text = before.slice(0, span.start) + entryText + before.slice(span.end);
  serializedCache.set(next, text);
  const delta = entryText.length - (span.end - span.start);
  rememberSpans(
    text,
    spans.map((s, i) =>
      i < changed
        ? s
        : i === changed
          ? { start: s.start, end: s.end + delta }
          : { start: s.start + delta, end: s.end + delta },
    ),
  );
}
