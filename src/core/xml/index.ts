/** The XML layer: libvirt's reader (with positions) and writer, incremental parse and serialisation. */
export { parseFilterXml, MAX_INPUT_LENGTH } from './parse-filter-xml';
export { serializeFilterXml } from './serialize-filter-xml';
export { serializeDoc, serializeEdited } from './serialize-edited';
export {
  findEntrySpans,
  scanEntrySpans,
  rememberSpans,
  parseIncrementally,
} from './parse-incrementally';
export type { EntrySpan } from './parse-incrementally';
export { findInvalidUtf8 } from './check-utf8';
