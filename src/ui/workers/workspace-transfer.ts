/**
 * Sending the workspace to the simulator worker by difference. Every live re-run needs the
 * whole workspace, but an edit changes one rule of one filter: cloning 2,000 rules into the
 * worker again costs the page ~5 ms per run. Documents are immutable, so each entry object gets
 * a number once; the page sends the numbers of entries the worker already holds and the objects
 * only of new ones. Both sides keep exactly the entries of the last message, so they stay in step
 * as long as the worker handles messages in order and the page forgets everything whenever the
 * worker is replaced.
 */
import type { FilterDoc, FilterEntry } from '../../core/model';
import type { SimFilterSet } from '../../core/sim';

/** An entry as sent: its number alone when the worker has it, else the number and the entry. */
export type SentEntry = number | [number, FilterEntry];

/** A document as sent: its own fields, its entries by number. */
export type SentDoc = Omit<FilterDoc, 'entries'> & { entries: SentEntry[] };

export interface SentFilterSet {
  filters: SentDoc[];
  root: string;
}

let nextKey = 1;
const keys = new WeakMap<FilterEntry, number>();

function keyOf(entry: FilterEntry): number {
  let key = keys.get(entry);
  if (key === undefined) {
    key = nextKey++;
    keys.set(entry, key);
  }
  return key;
}

/** The page's side: what the worker holds after the last message sent to it. */
export class EntrySender {
  private held = new Set<number>();

  /** The worker was replaced (or failed): it holds nothing. */
  reset(): void {
    this.held = new Set();
  }

  /**
   * Encodes the sets of one message (a run has one, a compare two). After this call the worker
   * is assumed to hold exactly these sets' entries.
   */
  encode(sets: readonly SimFilterSet[]): SentFilterSet[] {
    const next = new Set<number>();
    const out = sets.map((set) => ({
      root: set.root,
      filters: set.filters.map((doc) => {
        const { entries, ...fields } = doc;
        return {
          ...fields,
          entries: entries.map((entry): SentEntry => {
            const key = keyOf(entry);
            const known = this.held.has(key) || next.has(key);
            next.add(key);
            return known ? key : [key, entry];
          }),
        };
      }),
    }));
    this.held = next;
    return out;
  }
}

/** The worker's side: rebuilds the documents and keeps the entries of the last message. */
export class EntryReceiver {
  private held = new Map<number, FilterEntry>();

  /** Decodes the sets of one message; throws when an entry number is unknown (out of step). */
  decode(sets: readonly SentFilterSet[]): SimFilterSet[] {
    const next = new Map<number, FilterEntry>();
    const out = sets.map((set) => ({
      root: set.root,
      filters: set.filters.map((sent): FilterDoc => {
        const { entries, ...fields } = sent;
        return {
          ...fields,
          entries: entries.map((e) => {
            if (typeof e !== 'number') {
              next.set(e[0], e[1]);
              return e[1];
            }
            const entry = next.get(e) ?? this.held.get(e);
            if (!entry) throw new Error(`simulator worker out of step: no entry ${e}`);
            next.set(e, entry);
            return entry;
          }),
        };
      }),
    }));
    this.held = next;
    return out;
  }
}

/**
 * Whether two filter sets are the same documents, entry by entry (by identity: the receiver
 * hands out the same object for an entry it already held), so a compiled ruleset can be reused.
 */
export function sameFilterSet(a: SimFilterSet, b: SimFilterSet): boolean {
  if (a.root !== b.root || a.filters.length !== b.filters.length) return false;
  return a.filters.every((fa, i) => {
    const fb = b.filters[i];
    if (!fb || fa.entries.length !== fb.entries.length) return false;
    // The document's own fields are plain values (name, chain, priority, uuid).
    const fields = new Set([...Object.keys(fa), ...Object.keys(fb)]);
    for (const k of fields) {
      if (k !== 'entries' && fa[k as keyof FilterDoc] !== fb[k as keyof FilterDoc]) return false;
    }
    return fa.entries.every((e, j) => e === fb.entries[j]);
  });
}
