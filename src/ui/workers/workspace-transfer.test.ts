import { describe, expect, it } from 'vitest';
import { applyChange } from '../../core/model';
import { EXAMPLES } from '../../core/examples';
import { parseFilterXml } from '../../core/xml';
import { EntryReceiver, EntrySender, sameFilterSet } from './workspace-transfer';
import type { SentFilterSet } from './workspace-transfer';

const docs = EXAMPLES.slice(0, 3).map((e) => parseFilterXml(e.xml).doc!);
const [ftp, second] = docs as [NonNullable<(typeof docs)[0]>, NonNullable<(typeof docs)[1]>];

/** What crosses to the worker: a structured clone, as postMessage makes. */
const send = (
  sender: EntrySender,
  receiver: EntryReceiver,
  sets: Parameters<EntrySender['encode']>[0],
) => {
  const wire = structuredClone(sender.encode(sets));
  return { wire, got: receiver.decode(wire) };
};
/** How many entries travelled as objects. */
const objects = (wire: SentFilterSet[]) =>
  wire.reduce(
    (n, s) =>
      n + s.filters.reduce((m, f) => m + f.entries.filter((e) => typeof e !== 'number').length, 0),
    0,
  );

describe('workspace transfer to the simulator worker', () => {
  it('sends each entry once; an edit sends only the changed entry; the worker rebuilds equal documents', () => {
    const sender = new EntrySender();
    const receiver = new EntryReceiver();
    const set = { filters: [ftp, second], root: ftp.name };
    const first = send(sender, receiver, [set]);
    expect(first.got).toEqual([set]);
    expect(objects(first.wire)).toBe(ftp.entries.length + second.entries.length);

    const edited = applyChange(ftp, { type: 'update-rule', index: 1, patch: { action: 'drop' } });
    const set2 = { filters: [edited, second], root: edited.name };
    const next = send(sender, receiver, [set2]);
    expect(next.got).toEqual([set2]);
    expect(objects(next.wire)).toBe(1);
    // Unchanged entries are the very objects the worker already had: a compile can be reused.
    expect(next.got[0]!.filters[1]!.entries[0]).toBe(first.got[0]!.filters[1]!.entries[0]);
    expect(sameFilterSet(next.got[0]!, first.got[0]!)).toBe(false);
    const again = send(sender, receiver, [set2]);
    expect(objects(again.wire)).toBe(0);
    expect(sameFilterSet(again.got[0]!, next.got[0]!)).toBe(true);
  });

  it('a compare message carries two versions sharing entries; each entry travels once', () => {
    const sender = new EntrySender();
    const receiver = new EntryReceiver();
    const edited = applyChange(ftp, { type: 'delete-entry', index: 0 });
    const before = { filters: [ftp], root: ftp.name };
    const after = { filters: [edited], root: edited.name };
    const { wire, got } = send(sender, receiver, [before, after]);
    expect(got).toEqual([before, after]);
    expect(objects(wire)).toBe(ftp.entries.length);
  });

  it('entries the last message did not use are forgotten on both sides; a reset sends everything again', () => {
    const sender = new EntrySender();
    const receiver = new EntryReceiver();
    send(sender, receiver, [{ filters: [ftp], root: ftp.name }]);
    send(sender, receiver, [{ filters: [second], root: second.name }]);
    const back = send(sender, receiver, [{ filters: [ftp], root: ftp.name }]);
    expect(objects(back.wire)).toBe(ftp.entries.length);

    // A new worker knows nothing: the page must reset, else the worker reports it out of step.
    const fresh = new EntryReceiver();
    expect(() =>
      fresh.decode(structuredClone(sender.encode([{ filters: [ftp], root: ftp.name }]))),
    ).toThrow(/out of step/);
    sender.reset();
    const resent = structuredClone(sender.encode([{ filters: [ftp], root: ftp.name }]));
    expect(objects(resent)).toBe(ftp.entries.length);
    expect(fresh.decode(resent)).toEqual([{ filters: [ftp], root: ftp.name }]);
  });

  it('sameFilterSet compares the document fields too', () => {
    const a = { filters: [ftp], root: ftp.name };
    expect(sameFilterSet(a, { filters: [{ ...ftp }], root: ftp.name })).toBe(true);
    expect(sameFilterSet(a, { filters: [{ ...ftp, chainPriority: 5 }], root: ftp.name })).toBe(
      false,
    );
    expect(sameFilterSet(a, { filters: [ftp], root: 'other' })).toBe(false);
  });
});
