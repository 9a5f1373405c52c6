import { parseFilterXml, serializeFilterXml } from '../core';
import type { FilterDoc, ParseResult } from '../core';
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
