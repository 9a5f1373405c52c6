import type { FilterDoc, FilterEntry } from '../../core/model/types';

/** One row of the rule table: an entry and its index in the document. */
export interface RuleRow {
  entry: FilterEntry;
  /** Index into `doc.entries`; what DocChanges address. */
  index: number;
}

/**
 * Entries in the order libvirt evaluates them within the filter: by rule
 * priority, ties in document order. A filterref has no priority of its own
 * here, so it stays anchored after the entry that precedes it in the document
 * ("in place"); its own rules are ordered when the filter is instantiated.
 */
export function orderRows(doc: FilterDoc): RuleRow[] {
  let anchor = Number.NEGATIVE_INFINITY;
  const keyed = doc.entries.map((entry, index) => {
    if (entry.kind === 'rule') anchor = entry.rule.priority;
    return { entry, index, key: anchor };
  });
  keyed.sort((a, b) => a.key - b.key || a.index - b.index);
  return keyed.map(({ entry, index }) => ({ entry, index }));
}
