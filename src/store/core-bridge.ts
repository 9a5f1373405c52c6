// Direct module imports keep the initial bundle to what the editor uses.
import { parseFilterXml } from '../core/xml';
import { serializeFilterXml } from '../core/xml';
import type { FilterDoc, ParseResult } from '../core/model';
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

/**
 * A document from outside the page (a share link, a saved workspace) made safe to use: written as
 * XML and read back, so what reaches the store is exactly what the parser produces. Null when it
 * is not a filter document (whatever its shape: it may be hostile) or does not read back cleanly.
 */
export function reparseDoc(value: unknown): FilterDoc | null {
  if (typeof value !== 'object' || value === null) return null;
  const d = value as Partial<FilterDoc>;
  if (typeof d.name !== 'string' || typeof d.chain !== 'string' || !Array.isArray(d.entries))
    return null;
  try {
    const res = parseFilterXml(serializeFilterXml(d as FilterDoc));
    return res.doc && !res.diagnostics.some((x) => x.severity === 'error') ? res.doc : null;
  } catch {
    return null;
  }
}

/** A read-only filter of the built-in library, with its parsed document. */
export type LibraryFilter = BuiltinFilter;

/** The filters libvirt ships, for the library panel (parsed lazily on open). */
export const LIBRARY_FILTERS: readonly BuiltinFilterSource[] = BUILTIN_FILTERS;

export function getLibraryFilter(name: string): LibraryFilter | undefined {
  return getBuiltinFilter(name);
}
