import type {
  AttrValue,
  FilterDoc,
  FilterEntry,
  FilterParameter,
  ProtocolName,
  Rule,
} from './types';

/**
 * An edit of one filter document, as data. The rule table produces these; the
 * store applies them with {@link applyChange}, which keeps undo, autosave and
 * the XML pane on one code path (DESIGN.md invariant 1).
 *
 * Entry indexes are positions in `doc.entries` (document order), never table rows.
 */
export type DocChange =
  | {
      type: 'set-filter-fields';
      name?: string;
      chain?: string;
      chainPriority?: number | null;
      uuid?: string | null;
    }
  /** Insert a rule at `index` (document order); appended when `index` is absent. */
  | { type: 'add-rule'; rule: Rule; index?: number }
  /** Insert a filterref at `index`; appended when absent. */
  | { type: 'add-filterref'; filter: string; params?: FilterParameter[]; index?: number }
  /** Change the rule's own fields (action, direction, priority, statematch). */
  | {
      type: 'update-rule';
      index: number;
      patch: Partial<Pick<Rule, 'action' | 'direction' | 'priority' | 'statematch'>>;
    }
  /**
   * Change the protocol element. Attributes the new element does not know are
   * the caller's business: it passes the attrs to keep (default: all dropped).
   */
  | {
      type: 'set-protocol';
      index: number;
      protocol: ProtocolName | null;
      attrs?: Record<string, AttrValue>;
    }
  /** Set one attribute of the rule's protocol element; `null` removes it. */
  | { type: 'set-attr'; index: number; name: string; value: AttrValue | null }
  /** Replace a filterref's target and parameters. */
  | { type: 'update-filterref'; index: number; filter?: string; params?: FilterParameter[] }
  | { type: 'delete-entry'; index: number }
  /** Copy an entry and insert the copy right after it in the document. */
  | { type: 'duplicate-entry'; index: number }
  /**
   * Move an entry so that libvirt evaluates it at `toPosition` of the evaluation
   * order (see {@link evaluationOrder}) computed without the moved entry.
   * Priorities are rewritten with the fewest changes: at most the moved rule's
   * own priority; other rules keep their priority and relative order.
   */
  | { type: 'move-entry'; index: number; toPosition: number }
  /** Replace the whole document (an XML edit that parsed, an import). */
  | { type: 'replace-doc'; doc: FilterDoc };

/** libvirt's bounds for rule priorities. */
export const RULE_PRIORITY_MIN = -1000;
export const RULE_PRIORITY_MAX = 1000;

/**
 * The entries of `doc` in the order libvirt evaluates them within this filter:
 * by rule priority, ties in document order. A filterref has no priority of its
 * own at this level, so it is kept "in place": anchored after the entry that
 * precedes it in the document (first, when nothing precedes it).
 *
 * @returns indexes into `doc.entries`, in evaluation order.
 */
export function evaluationOrder(doc: FilterDoc): number[] {
  return orderEntries(doc.entries);
}

function orderEntries(entries: readonly FilterEntry[]): number[] {
  let anchor = Number.NEGATIVE_INFINITY;
  const keyed = entries.map((entry, index) => {
    if (entry.kind === 'rule') anchor = entry.rule.priority;
    return { index, key: anchor };
  });
  keyed.sort((a, b) => a.key - b.key || a.index - b.index);
  return keyed.map((k) => k.index);
}

function cloneEntry(entry: FilterEntry): FilterEntry {
  if (entry.kind === 'rule') {
    const attrs: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(entry.rule.attrs)) attrs[k] = { ...v };
    return { kind: 'rule', rule: { ...entry.rule, attrs } };
  }
  return {
    kind: 'filterref',
    ref: { filter: entry.ref.filter, params: entry.ref.params.map((p) => ({ ...p })) },
  };
}

function withEntries(doc: FilterDoc, entries: FilterEntry[]): FilterDoc {
  return { ...doc, entries };
}

function replaceEntry(doc: FilterDoc, index: number, entry: FilterEntry): FilterDoc {
  const entries = doc.entries.slice();
  entries[index] = entry;
  return withEntries(doc, entries);
}

function insertAt<T>(list: readonly T[], index: number | undefined, item: T): T[] {
  const at = index === undefined ? list.length : Math.max(0, Math.min(list.length, index));
  return [...list.slice(0, at), item, ...list.slice(at)];
}

/**
 * Moves entry `index` to evaluation position `toPosition`, choosing, in this
 * order of preference: keep the priority and the document position; keep the
 * priority and move in the document; change only this rule's priority; change
 * its priority and move it. Every other rule keeps its priority, so nothing
 * else is silently reordered.
 */
function moveEntry(doc: FilterDoc, index: number, toPosition: number): FilterDoc {
  const moving = doc.entries[index];
  if (!moving) return doc;
  const rest = doc.entries.filter((_, i) => i !== index);
  // The order the user sees, minus the moved entry; entries are compared by identity.
  const restOrder = orderEntries(doc.entries)
    .filter((i) => i !== index)
    .map((i) => doc.entries[i] as FilterEntry);
  const to = Math.max(0, Math.min(restOrder.length, toPosition));
  const wanted: FilterEntry[] = [...restOrder.slice(0, to), moving, ...restOrder.slice(to)];

  const priorities: (number | null)[] = [];
  if (moving.kind === 'rule') {
    const before = restOrder
      .slice(0, to)
      .reverse()
      .find((e) => e.kind === 'rule');
    const after = restOrder.slice(to).find((e) => e.kind === 'rule');
    const pa = before?.kind === 'rule' ? before.rule.priority : null;
    const pb = after?.kind === 'rule' ? after.rule.priority : null;
    priorities.push(null); // keep
    if (pa !== null && pb !== null && pb - pa >= 2) priorities.push(Math.trunc((pa + pb) / 2));
    if (pa !== null) priorities.push(pa);
    if (pb !== null) priorities.push(pb);
    if (pa === null && pb !== null && pb > RULE_PRIORITY_MIN) priorities.push(pb - 1);
    if (pb === null && pa !== null && pa < RULE_PRIORITY_MAX) priorities.push(pa + 1);
  } else {
    priorities.push(null);
  }

  // Document positions to try: where it is, then next to its new neighbours.
  const neighbourPrev = wanted[to - 1];
  const neighbourNext = wanted[to + 1];
  const positions: number[] = [index];
  if (neighbourNext) positions.push(rest.indexOf(neighbourNext));
  if (neighbourPrev) positions.push(rest.indexOf(neighbourPrev) + 1);
  positions.push(0, rest.length);

  for (const priority of priorities) {
    const entry: FilterEntry =
      priority === null || moving.kind !== 'rule'
        ? moving
        : { kind: 'rule', rule: { ...moving.rule, priority } };
    const wantedIds = wanted.map((e) => (e === moving ? entry : e));
    for (const pos of positions) {
      const entries = insertAt(rest, pos, entry);
      const got = orderEntries(entries).map((i) => entries[i]);
      if (got.length === wantedIds.length && got.every((e, i) => e === wantedIds[i])) {
        return withEntries(doc, entries);
      }
    }
  }
  return doc;
}

/**
 * Applies one {@link DocChange} to a document and returns the new document.
 * Pure: the input is never mutated; an out-of-range index returns `doc` itself,
 * so callers can detect a no-op by identity.
 */
export function applyChange(doc: FilterDoc, change: DocChange): FilterDoc {
  switch (change.type) {
    case 'set-filter-fields': {
      const next = { ...doc };
      if (change.name !== undefined) next.name = change.name;
      if (change.chain !== undefined) next.chain = change.chain;
      if (change.chainPriority !== undefined) next.chainPriority = change.chainPriority;
      if (change.uuid !== undefined) next.uuid = change.uuid;
      return next;
    }
    case 'add-rule':
      return withEntries(
        doc,
        insertAt(doc.entries, change.index, cloneEntry({ kind: 'rule', rule: change.rule })),
      );
    case 'add-filterref':
      return withEntries(
        doc,
        insertAt(doc.entries, change.index, {
          kind: 'filterref',
          ref: { filter: change.filter, params: (change.params ?? []).map((p) => ({ ...p })) },
        }),
      );
    case 'update-rule': {
      const entry = doc.entries[change.index];
      if (entry?.kind !== 'rule') return doc;
      return replaceEntry(doc, change.index, {
        kind: 'rule',
        rule: { ...entry.rule, ...change.patch },
      });
    }
    case 'set-protocol': {
      const entry = doc.entries[change.index];
      if (entry?.kind !== 'rule') return doc;
      return replaceEntry(doc, change.index, {
        kind: 'rule',
        rule: { ...entry.rule, protocol: change.protocol, attrs: { ...(change.attrs ?? {}) } },
      });
    }
    case 'set-attr': {
      const entry = doc.entries[change.index];
      if (entry?.kind !== 'rule') return doc;
      const attrs = { ...entry.rule.attrs };
      if (change.value === null) delete attrs[change.name];
      else attrs[change.name] = { ...change.value };
      return replaceEntry(doc, change.index, { kind: 'rule', rule: { ...entry.rule, attrs } });
    }
    case 'update-filterref': {
      const entry = doc.entries[change.index];
      if (entry?.kind !== 'filterref') return doc;
      return replaceEntry(doc, change.index, {
        kind: 'filterref',
        ref: {
          filter: change.filter ?? entry.ref.filter,
          params: (change.params ?? entry.ref.params).map((p) => ({ ...p })),
        },
      });
    }
    case 'delete-entry': {
      if (!doc.entries[change.index]) return doc;
      return withEntries(
        doc,
        doc.entries.filter((_, i) => i !== change.index),
      );
    }
    case 'duplicate-entry': {
      const entry = doc.entries[change.index];
      if (!entry) return doc;
      return withEntries(doc, insertAt(doc.entries, change.index + 1, cloneEntry(entry)));
    }
    case 'move-entry':
      return moveEntry(doc, change.index, change.toPosition);
    case 'replace-doc':
      return change.doc;
  }
}
