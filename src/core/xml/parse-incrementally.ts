import type { FilterDoc, FilterEntry, ParseResult } from '../model/types';

/** Character range of one top-level entry (`<rule>` or `<filterref>`) in a filter's text. */
export interface EntrySpan {
  start: number;
  end: number;
}

/**
 * The last texts scanned (or derived by an incremental parse) with their spans: typing asks for
 * the spans of the same 300 kB text several times per keystroke (parse, XML highlight), and the
 * same string object makes the check a pointer comparison. Callers must not mutate the arrays.
 */
const spanCache: { text: string; spans: readonly EntrySpan[] | null }[] = [];
const SPAN_CACHE_SIZE = 3;

/** Records the spans of `text` (computed without scanning it) for later `findEntrySpans` calls. */
export function rememberSpans(text: string, spans: readonly EntrySpan[] | null): void {
  spanCache.unshift({ text, spans });
  if (spanCache.length > SPAN_CACHE_SIZE) spanCache.pop();
}

/**
 * Finds the top-level `<rule>` and `<filterref>` elements of a filter text, in
 * document order, skipping comments. Returns null when the text is not simple
 * enough to be sure (CDATA, processing instructions inside, unclosed tags).
 * The result is shared with later callers for the same text: do not modify it.
 */
export function findEntrySpans(text: string): readonly EntrySpan[] | null {
  for (const c of spanCache) if (c.text === text) return c.spans;
  const spans = scanEntrySpans(text);
  rememberSpans(text, spans);
  return spans;
}

/** `findEntrySpans` without the cache (always scans). */
export function scanEntrySpans(text: string): EntrySpan[] | null {
  const spans: EntrySpan[] = [];
  const open = /<!--|<!\[CDATA\[|<\?|<(rule|filterref)(?=[\s/>])/g;
  let m: RegExpExecArray | null;
  while ((m = open.exec(text))) {
    if (m[0] === '<!--') {
      const close = text.indexOf('-->', m.index + 4);
      if (close < 0) return null;
      open.lastIndex = close + 3;
      continue;
    }
    if (m[0] === '<![CDATA[' || (m[0] === '<?' && m.index > 0)) return null;
    if (m[0] === '<?') {
      const close = text.indexOf('?>', m.index);
      if (close < 0) return null;
      open.lastIndex = close + 2;
      continue;
    }
    const name = m[1] as string;
    const tagEnd = text.indexOf('>', m.index);
    if (tagEnd < 0) return null;
    if (text[tagEnd - 1] === '/') {
      spans.push({ start: m.index, end: tagEnd + 1 });
      open.lastIndex = tagEnd + 1;
      continue;
    }
    const closeTag = `</${name}>`;
    const close = text.indexOf(closeTag, tagEnd);
    if (close < 0) return null;
    const inner = text.slice(tagEnd + 1, close);
    // Nested comments or another entry inside would make the span ambiguous.
    if (inner.includes('<!--') || inner.includes(`<${name}`)) return null;
    spans.push({ start: m.index, end: close + closeTag.length });
    open.lastIndex = close + closeTag.length;
  }
  return spans;
}

/** What may stand between two entries without changing the document: whitespace and comments. */
const BETWEEN_ENTRIES = /^(?:[ \t\r\n]|<!--(?:(?!--)[^])*-->)*$/;

/**
 * Re-parses only the rule or filterref an edit touched, when the edit stays
 * inside one entry: typing in a 2,000-rule filter then costs one rule's parse,
 * not the whole document's. Returns null whenever it cannot be sure the result
 * equals a full parse (edit spans entries, the entry does not parse cleanly,
 * the entry count does not match); the caller then parses everything.
 *
 * @param parse the full parser (the core's `parseFilterXml`)
 * @param before the text `doc` was parsed from
 * @param after the edited text
 */
export function parseIncrementally(
  parse: (text: string) => ParseResult,
  doc: FilterDoc,
  before: string,
  after: string,
): ParseResult | null {
  if (before === after) return { doc, diagnostics: [] };
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  const changeEnd = before.length - suffix;

  const spans = findEntrySpans(before);
  if (!spans || spans.length !== doc.entries.length) return null;
  const delta = after.length - before.length;
  const shifted = (index: number, endDelta: number) =>
    spans.map((s, i) =>
      i < index
        ? s
        : i === index
          ? { start: s.start, end: s.end + endDelta }
          : { start: s.start + delta, end: s.end + delta },
    );
  // Line breaks, indentation and comments typed between two entries change nothing.
  const gap = spans.findIndex((s, i) => {
    const next = spans[i + 1];
    return next !== undefined && prefix >= s.end && changeEnd <= next.start;
  });
  if (gap >= 0) {
    const from = (spans[gap] as EntrySpan).end;
    const to = (spans[gap + 1] as EntrySpan).start + delta;
    if (!BETWEEN_ENTRIES.test(after.slice(from, to))) return null;
    rememberSpans(after, shifted(gap, 0));
    return { doc, diagnostics: [] };
  }
  // Otherwise the edit must lie strictly inside one entry's span (not touching its '<' or final '>').
  const index = spans.findIndex((s) => prefix > s.start && changeEnd < s.end);
  const span = spans[index];
  if (!span) return null;
  const entryText = after.slice(span.start, span.end + delta);
  const result = parse(`<filter name='incremental'>${entryText}</filter>`);
  if (!result.doc || result.diagnostics.length > 0 || result.doc.entries.length !== 1) return null;
  // The edited entry must still be one entry of the same kind, on its own.
  const afterSpans = scanEntrySpans(entryText);
  if (
    !afterSpans ||
    afterSpans.length !== 1 ||
    afterSpans[0]?.start !== 0 ||
    afterSpans[0].end !== entryText.length
  )
    return null;
  const entries = doc.entries.slice();
  entries[index] = result.doc.entries[0] as FilterEntry;
  // The text outside the entry is unchanged, so the new text's spans are the old ones shifted.
  rememberSpans(after, shifted(index, delta));
  return { doc: { ...doc, entries }, diagnostics: [] };
}
