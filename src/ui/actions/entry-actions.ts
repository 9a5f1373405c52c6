/**
 * Commands on the selected entry of the open filter, written once and used by the toolbar
 * buttons, the rule table's keys and anything else that offers them: each is a pure
 * `perform` (document and selection in, the change and the entry to select after it out) and the
 * key that triggers it.
 */
import { evaluationOrder } from '../../core/model';
import type { DocChange } from '../../core/model';
import type { FilterDoc } from '../../core/model';

/** The keys of a keyboard event that a `keyTest` reads. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** What an action does to the document. */
export interface EntryActionResult {
  change: DocChange;
  /** The entry to select once `change` is applied, from the document after it. */
  selectAfter(after: FilterDoc): number | null;
}

export interface EntryAction {
  readonly name: string;
  /** The shortcut as shown in a button's title. */
  readonly shortcut: string;
  /** The change for entry `selected` of `doc`, or null when the action does not apply. */
  perform(doc: FilterDoc, selected: number): EntryActionResult | null;
  keyTest(e: KeyLike): boolean;
}

/** Ctrl+D: a copy of the entry right after it, selected. */
export const duplicateEntry: EntryAction = {
  name: 'Duplicate',
  shortcut: 'Ctrl+D',
  perform(doc, selected) {
    if (!doc.entries[selected]) return null;
    return {
      change: { type: 'duplicate-entry', index: selected },
      selectAfter: () => selected + 1,
    };
  },
  keyTest: (e) => (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'd',
};

/**
 * Delete: removes the entry and selects the one that takes its place in evaluation order (the
 * new last one when it was last, none when the filter is empty).
 */
export const deleteEntry: EntryAction = {
  name: 'Delete',
  shortcut: 'Delete',
  perform(doc, selected) {
    if (!doc.entries[selected]) return null;
    const pos = evaluationOrder(doc).indexOf(selected);
    return {
      change: { type: 'delete-entry', index: selected },
      selectAfter(after) {
        const order = evaluationOrder(after);
        return pos < 0 ? null : (order[Math.min(pos, order.length - 1)] ?? null);
      },
    };
  },
  keyTest: (e) => e.key === 'Delete' && !e.ctrlKey && !e.metaKey,
};

/** The entry actions the rule table's keyboard offers, in the order they are tested. */
export const ENTRY_ACTIONS: readonly EntryAction[] = [duplicateEntry, deleteEntry];
