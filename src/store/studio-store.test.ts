import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_EXAMPLE } from '../core/examples';
import {
  selectActiveDoc,
  selectDiagnostics,
  selectIsReadOnly,
  selectIsStale,
  selectXmlText,
} from './selectors';
import { createInitialState, LIBRARY_PREFIX, serializeDoc, useStudioStore } from './studio-store';

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
  useStudioStore.setState(createInitialState());
  useStudioStore.temporal.getState().clear();
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

describe('off-thread parsing of big texts', () => {
  it('applies a worker parse only if the draft has not changed meanwhile', async () => {
    const { parseFilterXml } = await import('../core/xml/parse-filter-xml');
    const { setAsyncParser, ASYNC_PARSE_MIN_CHARS } = await import('./studio-store');
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
});
