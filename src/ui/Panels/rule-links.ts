import type { FilterDoc } from '../../core/model';
import { getLibraryFilter, LIBRARY_PREFIX, selectActiveDoc, useStudioStore } from '../../store';
import type { EntryRef } from '../../store/panels-store';
import { summarizeMatch } from '../RuleTable/summarize-match';

/** The document a rule reference points into: the user's filter of that name, else the library's. */
export function findFilterDoc(name: string): FilterDoc | null {
  const state = useStudioStore.getState();
  return (
    state.workspace.filters.find((f) => f.doc.name === name)?.doc ??
    getLibraryFilter(name)?.doc ??
    null
  );
}

/**
 * Per document: the entry index of each rule (traces count rules only, the table counts entries)
 * and each entry's 1-based rule number. Documents are immutable, so identity is the cache key;
 * a trace table with thousands of rows then costs one pass over the filter, not one per row.
 */
interface RuleIndex {
  entryOfRule: Int32Array;
  numberOfEntry: Int32Array;
}
const ruleIndexes = new WeakMap<FilterDoc, RuleIndex>();

function indexRules(doc: FilterDoc): RuleIndex {
  let index = ruleIndexes.get(doc);
  if (index) return index;
  const numberOfEntry = new Int32Array(doc.entries.length);
  const rules: number[] = [];
  doc.entries.forEach((e, i) => {
    if (e.kind === 'rule') rules.push(i);
    numberOfEntry[i] = rules.length;
  });
  index = { entryOfRule: Int32Array.from(rules), numberOfEntry };
  ruleIndexes.set(doc, index);
  return index;
}

/** Entry index of the `ruleIndex`-th rule of a filter (traces count rules only, the table counts entries). */
export function entryOfRule(filter: string, ruleIndex: number): number | null {
  const doc = findFilterDoc(filter);
  if (!doc || ruleIndex < 0) return null;
  return indexRules(doc).entryOfRule[ruleIndex] ?? null;
}

/** Selects a rule in the rule table and the XML pane, opening its filter first when needed. */
export function selectRule(ref: EntryRef): void {
  const state = useStudioStore.getState();
  if (selectActiveDoc(state)?.name !== ref.filter) {
    const own = state.workspace.filters.find((f) => f.doc.name === ref.filter);
    if (own) state.openFilter(own.id);
    else if (getLibraryFilter(ref.filter)) state.openFilter(`${LIBRARY_PREFIX}${ref.filter}`);
    else return;
  }
  useStudioStore.getState().selectEntry(ref.entryIndex);
}

/** `accept in tcp dst 21–22 · state NEW (priority 500)`, for trace rows, findings and exported lines. */
export function describeEntry(ref: EntryRef): string {
  const entry = findFilterDoc(ref.filter)?.entries[ref.entryIndex];
  if (!entry) return `${ref.filter} entry ${ref.entryIndex + 1}`;
  if (entry.kind === 'filterref') return `filterref ${entry.ref.filter}`;
  const r = entry.rule;
  const match = summarizeMatch(r);
  const proto = r.protocol ?? 'all';
  const what = match.startsWith(proto) ? match : `${proto} ${match}`.trim();
  return `${r.action} ${r.direction} ${what} (priority ${r.priority})`;
}

/**
 * The 1-based number of the rule at `entryIndex` among the filter's `<rule>`s: the numbering lint
 * messages, the CLI and traces use (filterrefs are not counted).
 */
export function ruleNumber(doc: FilterDoc, entryIndex: number): number {
  if (entryIndex < 0 || doc.entries.length === 0) return 0;
  const numbers = indexRules(doc).numberOfEntry;
  return numbers[Math.min(entryIndex, numbers.length - 1)] ?? 0;
}

/** `test-eth0 · rule 3` or `test-eth0 · filterref clean-traffic`: the label of a link to an entry. */
export function ruleLabel(ref: EntryRef): string {
  const doc = findFilterDoc(ref.filter);
  const entry = doc?.entries[ref.entryIndex];
  if (!doc || !entry) return `${ref.filter} · entry ${ref.entryIndex + 1}`;
  if (entry.kind === 'filterref') return `${ref.filter} · filterref ${entry.ref.filter}`;
  return `${ref.filter} · rule ${ruleNumber(doc, ref.entryIndex)}`;
}
