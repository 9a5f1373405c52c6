import { selectActiveDoc, useStudioStore } from '../../store';
import type { EntryAction } from './entry-actions';

/**
 * Performs `action` on entry `selected` of the open filter through the store (one undo step)
 * and selects what it says. Returns the entry selected after it, or undefined when it did not apply.
 */
export function runEntryAction(action: EntryAction, selected: number): number | null | undefined {
  const store = useStudioStore.getState();
  const doc = selectActiveDoc(store);
  const result = doc ? action.perform(doc, selected) : null;
  if (!result || !store.applyDocChange(result.change)) return undefined;
  const after = selectActiveDoc(useStudioStore.getState());
  const next = after ? result.selectAfter(after) : null;
  useStudioStore.getState().selectEntry(next);
  return next;
}
