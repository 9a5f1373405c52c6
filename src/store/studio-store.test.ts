import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_EXAMPLE } from '../core/examples';
import {
  selectActiveDoc,
  selectDiagnostics,
  selectIsReadOnly,
  selectIsStale,
  selectXmlText,
} from './selectors';
import { serializeDoc } from '../core/xml';
import { createStudioStore, LIBRARY_PREFIX } from './studio-store';
import type { StudioStoreApi } from './studio-store';

/** A fresh store per test: nothing carries over (coalescing window, timers, async parser). */
let useStudioStore: StudioStoreApi;
const store = () => useStudioStore.getState();
const doc = () => {
  const d = selectActiveDoc(store());
  if (!d) throw new Error('no open document');
  return d;
};
const ruleAt = (i: number) => {
  const e = doc().entries[i];
  if (e?.kind !== 'rule') throw new Error(`entry ${i} is not a rule`);
  return e.rule;
};

beforeEach(() => {
  useStudioStore = createStudioStore();
});

describe('studio store', () => {
  it('opens on the docs example, shown as written', () => {
    expect(doc().name).toBe('test-eth0');
    expect(selectXmlText(store())).toBe(DEFAULT_EXAMPLE.xml);
  });

  it('a table edit replaces the text with the serialized document; undo and redo restore', () => {
    const before = doc();
    expect(
      store().applyDocChange({ type: 'update-rule', index: 1, patch: { action: 'drop' } }),
    ).toBe(true);
    expect(ruleAt(1).action).toBe('drop');
    expect(selectXmlText(store())).toBe(serializeDoc(doc()));
    store().undo();
    expect(doc()).toBe(before);
    store().redo();
    expect(ruleAt(1).action).toBe('drop');
  });

  it('edits with the same coalesce key in a burst are one undo step', () => {
    const before = doc();
    for (const port of ['8', '80', '808', '8080']) {
      store().applyDocChange(
        {
          type: 'set-attr',
          index: 4,
          name: 'dstportstart',
          value: { value: port, negated: false },
        },
        { coalesceKey: 'attr:4:dstportstart' },
      );
    }
    expect(ruleAt(4).attrs.dstportstart?.value).toBe('8080');
    expect(useStudioStore.temporal.getState().pastStates).toHaveLength(1);
    store().undo();
    expect(doc()).toBe(before);
  });

  it('invalid XML keeps the document, marks it stale, and parses once fixed', () => {
    const before = doc();
    store().setXmlText("<filter name='x'>\n  <rule action='accept'");
    store().commitXmlDraft();
    expect(doc()).toBe(before);
    expect(selectIsStale(store())).toBe(true);
    const [first] = selectDiagnostics(store());
    expect(first?.code).toMatch(/^NWF\d{3}$/);
    expect(first?.line).toBeGreaterThan(0);

    const fixed =
      "<filter name='x' chain='root'>\n  <rule action='accept' direction='in' priority='500'>\n    <udp dstportstart='53'/>\n  </rule>\n</filter>\n";
    store().setXmlText(fixed);
    store().commitXmlDraft();
    expect(selectIsStale(store())).toBe(false);
    expect(doc().name).toBe('x');
    // The text stays as typed.
    expect(selectXmlText(store())).toBe(fixed);
    store().undo();
    expect(doc()).toBe(before);
  });

  it('typing inside one rule shows at once (no debounce); a burst is one undo step', () => {
    const before = doc();
    const text = DEFAULT_EXAMPLE.xml;
    const at = text.indexOf("dstportstart='80'") + "dstportstart='8".length;
    expect(at).toBeGreaterThan(20);
    const typed: string[] = [];
    // Types "80" into the port 80 a key at a time: 880, then 8800.
    let current = text;
    for (const [i, ch] of ['8', '0'].entries()) {
      current = current.slice(0, at + i) + ch + current.slice(at + i);
      typed.push(current);
      store().setXmlText(current);
      // Applied synchronously: the table's document already has the new port.
      expect(selectIsStale(store())).toBe(false);
      expect(store().drafts[store().activeId!]?.pending).toBe(false);
      expect(selectXmlText(store())).toBe(current);
    }
    const port = doc().entries.find(
      (e) => e.kind === 'rule' && e.rule.attrs.dstportstart?.value.startsWith('88'),
    );
    expect(port?.kind === 'rule' && port.rule.attrs.dstportstart?.value).toBe('8800');
    expect(useStudioStore.temporal.getState().pastStates).toHaveLength(1);
    store().undo();
    expect(doc()).toBe(before);
  });

  it('a keystroke that leaves the rule invalid waits for the full parse; the table keeps the document', () => {
    const before = doc();
    const text = DEFAULT_EXAMPLE.xml.replace("dstportstart='80'", "dstportstart='80x'");
    store().setXmlText(text);
    expect(doc()).toBe(before);
    expect(store().drafts[store().activeId!]?.pending).toBe(true);
    store().commitXmlDraft();
    expect(doc()).toBe(before);
    expect(selectIsStale(store())).toBe(true);
  });

  it('undo first drops an uncommitted or invalid draft', () => {
    const before = doc();
    store().setXmlText('<filter');
    store().undo();
    expect(doc()).toBe(before);
    expect(selectXmlText(store())).toBe(serializeDoc(before));
  });

  it('library filters are read-only; a copy is editable and undoable', () => {
    store().openFilter(`${LIBRARY_PREFIX}clean-traffic`);
    expect(selectIsReadOnly(store())).toBe(true);
    expect(store().applyDocChange({ type: 'delete-entry', index: 0 })).toBe(false);
    store().copyLibraryFilter('clean-traffic');
    expect(selectIsReadOnly(store())).toBe(false);
    expect(doc().name).toBe('clean-traffic');
    expect(store().workspace.filters).toHaveLength(2);
    store().undo();
    expect(store().workspace.filters).toHaveLength(1);
  });

  it('imports never overwrite: a same-named filter gets a new name', () => {
    store().addFilters([{ ...doc() }]);
    expect(store().workspace.filters.map((f) => f.doc.name)).toEqual(['test-eth0', 'test-eth0-2']);
  });
});

describe('createStudioStore', () => {
  it('makes independent stores: documents, undo history and async parser are per store', async () => {
    const other = createStudioStore();
    store().applyDocChange({ type: 'update-rule', index: 1, patch: { action: 'drop' } });
    expect(ruleAt(1).action).toBe('drop');
    const otherDoc = selectActiveDoc(other.getState());
    expect(otherDoc?.entries[1]?.kind === 'rule' && otherDoc.entries[1].rule.action).not.toBe(
      'drop',
    );
    expect(other.temporal.getState().pastStates).toHaveLength(0);

    const { parseFilterXml } = await import('../core/xml');
    const { ASYNC_PARSE_MIN_CHARS } = await import('./studio-store');
    const calls: string[] = [];
    other.setAsyncParser(async (text) => {
      calls.push(text);
      return parseFilterXml(text);
    });
    const big = `<!-- ${'x'.repeat(ASYNC_PARSE_MIN_CHARS)} -->\n<filter name='big' chain='root'/>\n`;
    store().setXmlText(big);
    store().commitXmlDraft();
    expect(calls).toEqual([]);
    expect(doc().name).toBe('big');
  });
});

describe('off-thread parsing of big texts', () => {
  it('applies a worker parse only if the draft has not changed meanwhile', async () => {
    const { parseFilterXml } = await import('../core/xml');
    const { ASYNC_PARSE_MIN_CHARS } = await import('./studio-store');
    const { setAsyncParser } = useStudioStore;
    const calls: string[] = [];
    setAsyncParser(async (text) => {
      calls.push(text);
      return parseFilterXml(text);
    });
    try {
      const padding = `<!-- ${'x'.repeat(ASYNC_PARSE_MIN_CHARS)} -->\n`;
      const big = `${padding}<filter name='big' chain='root'>\n  <rule action='accept' direction='in' priority='500'>\n    <all/>\n  </rule>\n</filter>\n`;
      store().setXmlText(big);
      store().commitXmlDraft();
      expect(calls).toHaveLength(1);
      expect(doc().name).toBe('test-eth0'); // not yet
      await Promise.resolve();
      await new Promise((r) => setTimeout(r, 0));
      expect(doc().name).toBe('big');

      // A result for a text that was edited meanwhile is dropped; the newer text is parsed next.
      store().setXmlText(big.replace("name='big'", "name='big2'"));
      store().commitXmlDraft();
      store().setXmlText(big.replace("name='big'", "name='big3'"));
      await new Promise((r) => setTimeout(r, 0));
      store().commitXmlDraft();
      await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => setTimeout(r, 0));
      expect(doc().name).toBe('big3');
    } finally {
      setAsyncParser(null);
    }
  });

  it('an imported text checked clean off the main thread is then edited incrementally', async () => {
    const { parseFilterXml } = await import('../core/xml');
    const { setAsyncParser } = useStudioStore;
    const asked: { text: string; diagnosticsOnly: boolean }[] = [];
    setAsyncParser(async (text, options) => {
      asked.push({ text, diagnosticsOnly: options?.diagnosticsOnly ?? false });
      const r = parseFilterXml(text);
      return options?.diagnosticsOnly ? { doc: null, diagnostics: r.diagnostics } : r;
    });
    try {
      // As written (comments, other quoting): not libvirt's formatting.
      const text = `<!-- imported -->\n<filter name="imp" chain="root">\n  <rule action="accept" direction="in" priority="500">\n    <tcp dstportstart="22"/>\n  </rule>\n</filter>\n`;
      const imported = parseFilterXml(text).doc!;
      store().addFilters([imported], [text]);
      const id = store().activeId!;
      expect(store().drafts[id]?.cleanText).toBeNull();
      await new Promise((r) => setTimeout(r, 0));
      expect(asked).toEqual([{ text, diagnosticsOnly: true }]);
      expect(store().drafts[id]?.cleanText).toBe(text);
      // The first keystroke is now applied at once.
      store().setXmlText(text.replace('"22"', '"220"'));
      expect(store().drafts[id]?.pending).toBe(false);
      expect(ruleAt(0).attrs.dstportstart?.value).toBe('220');

      // A text with a warning (or any diagnostic) is not marked clean.
      const warned = text
        .replace('name="imp"', 'name="imp-warned"')
        .replace('<tcp dstportstart="22"/>', '<tcp dstportstart="22"/><udp/>');
      const warnedDoc = parseFilterXml(warned);
      expect(warnedDoc.diagnostics.map((d) => d.severity)).toEqual(['warning']);
      store().addFilters([warnedDoc.doc!], [warned]);
      await new Promise((r) => setTimeout(r, 0));
      expect(asked).toHaveLength(2);
      expect(store().drafts[store().activeId!]?.text).toBe(warned);
      expect(store().drafts[store().activeId!]?.cleanText).toBeNull();
    } finally {
      setAsyncParser(null);
    }
  });
});
