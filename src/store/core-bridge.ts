// Direct module imports keep the initial bundle to what the editor uses.
import { parseFilterXml } from '../core/xml/parse-filter-xml';
import { serializeFilterXml } from '../core/xml/serialize-filter-xml';
import type { FilterDoc, ParseResult } from '../core/model/types';
import { BUILTIN_FILTERS, getBuiltinFilter } from '../core/library';
import type { BuiltinFilter, BuiltinFilterSource } from '../core/library';

/** The store's one door to the core's XML layer (libvirt-exact parse and format). */
export function parseXml(text: string): ParseResult {
  return parseFilterXml(text);
}

/** Formats a document exactly as libvirt writes it back. */
export function serializeXml(doc: FilterDoc): string {
  return serializeFilterXml(doc);
}

/** A read-only filter of the built-in library, with its parsed document. */
export type LibraryFilter = BuiltinFilter;

/** The filters libvirt ships, for the library panel (parsed lazily on open). */
export const LIBRARY_FILTERS: readonly BuiltinFilterSource[] = BUILTIN_FILTERS;

export function getLibraryFilter(name: string): LibraryFilter | undefined {
  return getBuiltinFilter(name);
}
