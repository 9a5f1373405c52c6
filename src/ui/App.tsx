import { useEffect, useRef } from 'react';
import type { FilterDoc, Rule } from '../core/model';
import {
  decodeShare,
  describeShare,
  isShareLink,
  LIBRARY_FILTERS,
  LIBRARY_PREFIX,
  selectActiveDoc,
  selectIsReadOnly,
  selectIsStale,
  selectNotice,
  selectSelectedIndex,
  selectWorkspaceFilters,
  useLayoutStore,
  useStudioStore,
} from '../store';
import { deleteEntry, duplicateEntry } from './actions/entry-actions';
import { runEntryAction } from './actions/run-entry-action';
import { FilterFields } from './FilterFields/FilterFields';
import { importDroppedFile, importXmlText, looksLikeFilterXml } from './import-xml';
import { Panels } from './Panels/Panels';
import { RuleEditor } from './RuleEditor/RuleEditor';
import { focusRuleEditor } from './RuleEditor/focus-rule-editor';
import { SkipLinks } from './StartHere/SkipLinks';
import { StartHere } from './StartHere/StartHere';
import { RuleTable } from './RuleTable/RuleTable';
import { Sidebar } from './Sidebar/Sidebar';
import { Toolbar } from './Toolbar/Toolbar';
import { XmlPane } from './XmlPane/XmlPane';
import { Splitter } from './Splitter/Splitter';

/**
 * What _Add rule_ adds: an incoming TCP service rule still waiting for its port. Port 0 is
 * reserved (no service listens there), so until the port is typed in the form the rule lets
 * nothing through — unlike `accept inout all`, which would let everything through.
 */
const NEW_RULE: Rule = {
  action: 'accept',
  direction: 'in',
  priority: 500,
  statematch: true,
  protocol: 'tcp',
  attrs: { dstportstart: { value: '0', negated: false }, state: { value: 'NEW', negated: false } },
};

function isEditableTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

function openByName(name: string) {
  const state = useStudioStore.getState();
  const own = state.workspace.filters.find((f) => f.doc.name === name);
  if (own) state.openFilter(own.id);
  else if (LIBRARY_FILTERS.some((f) => f.name === name))
    state.openFilter(`${LIBRARY_PREFIX}${name}`);
  else state.setNotice(`No filter named ${name} in the workspace or the library.`);
}

function TableActions() {
  const doc = useStudioStore(selectActiveDoc);
  const readOnly = useStudioStore(selectIsReadOnly);
  const stale = useStudioStore(selectIsStale);
  const selected = useStudioStore(selectSelectedIndex);
  const disabled = readOnly || stale || !doc;
  const store = useStudioStore.getState;
  const addAfterSelection = (kind: 'rule' | 'filterref') => {
    const d = selectActiveDoc(store());
    if (!d) return;
    const index = selected === null ? d.entries.length : selected + 1;
    const base =
      selected !== null && d.entries[selected]?.kind === 'rule' ? d.entries[selected] : null;
    const priority = base?.kind === 'rule' ? base.rule.priority : 500;
    if (kind === 'rule') {
      store().applyDocChange(
        { type: 'add-rule', rule: { ...NEW_RULE, priority }, index },
        { select: index },
      );
      store().setNotice('New rule: it matches nothing until you give its port (selected below).');
      focusRuleEditor('match', { select: true, attribute: 'dstportstart' });
    } else
      store().applyDocChange(
        { type: 'add-filterref', filter: 'clean-traffic', index },
        { select: index },
      );
  };
  return (
    <div className="table-actions" role="toolbar" aria-label="Rules actions">
      <button type="button" disabled={disabled} onClick={() => addAfterSelection('rule')}>
        Add rule
      </button>
      <button type="button" disabled={disabled} onClick={() => addAfterSelection('filterref')}>
        Add filterref
      </button>
      {[duplicateEntry, deleteEntry].map((action) => (
        <button
          key={action.name}
          type="button"
          disabled={disabled || selected === null}
          onClick={() => selected !== null && runEntryAction(action, selected)}
          title={action.shortcut}
        >
          {action.name}
        </button>
      ))}
    </div>
  );
}

function Notice() {
  const notice = useStudioStore(selectNotice);
  useEffect(() => {
    if (!notice) return;
    const id = setTimeout(() => useStudioStore.getState().setNotice(null), 6000);
    return () => clearTimeout(id);
  }, [notice]);
  return (
    <div className="notice" role="status" aria-live="polite">
      {notice}
    </div>
  );
}

/** Global keys: undo/redo outside the XML editor (Monaco binds its own). */
function useGlobalShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      if ((e.target as HTMLElement | null)?.closest?.('.monaco-editor')) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        useStudioStore.getState().undo();
      } else if ((key === 'z' && e.shiftKey) || key === 'y') {
        e.preventDefault();
        useStudioStore.getState().redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** Drop a file anywhere, or paste filter XML outside a text field, to import it. */
function useImportByDropAndPaste() {
  useEffect(() => {
    const onDragOver = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const onDrop = async (e: DragEvent) => {
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (files.length === 0) return;
      e.preventDefault();
      for (const file of files) await importDroppedFile(file);
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isEditableTarget(e.target)) return;
      const text = e.clipboardData?.getData('text/plain') ?? '';
      if (!looksLikeFilterXml(text)) return;
      e.preventDefault();
      importXmlText(text, 'pasted.xml');
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('paste', onPaste);
    };
  }, []);
}

/** Opens a workspace shared through the URL fragment (added, undoable), then clears the fragment. */
function useShareLink() {
  useEffect(() => {
    const open = () => {
      if (!isShareLink(location.hash)) return;
      const shared = decodeShare(location.hash);
      history.replaceState(null, '', `${location.pathname}${location.search}`);
      if (!shared) {
        useStudioStore
          .getState()
          .setNotice(
            'This share link is damaged or too large: nothing was opened, your workspace is unchanged.',
          );
        return;
      }
      const store = useStudioStore.getState();
      const same = (a: FilterDoc, b: FilterDoc) => JSON.stringify(a) === JSON.stringify(b);
      // A filter the workspace already holds as it is shared is opened, not copied again.
      const present = (d: FilterDoc) =>
        store.workspace.filters.find((f) => f.doc.name === d.name && same(f.doc, d));
      const missing = shared.filters.filter((d) => !present(d));
      const before = store.workspace.filters.length;
      store.addFilters(missing);
      const after = useStudioStore.getState().workspace.filters;
      const openDoc = shared.filters.find((d) => d.name === shared.open) as FilterDoc;
      const id =
        present(openDoc)?.id ??
        after[before + missing.findIndex((d) => d.name === shared.open)]?.id;
      if (id) useStudioStore.getState().openFilter(id);
      const openedAs = after.find((f) => f.id === id)?.doc.name ?? shared.open;
      useStudioStore
        .getState()
        .setNotice(
          `Opened the shared link: ${describeShare(openedAs, shared.filters)}` +
            (missing.length < shared.filters.length
              ? ` (${shared.filters.length - missing.length} already in the workspace).`
              : '.'),
        );
    };
    open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, []);
}

/** Drag handle between the editor column and the XML pane; keyboard: ←/→. */
function PaneSplitter({ onResize, value }: { onResize(fraction: number): void; value: number }) {
  return (
    <Splitter
      className="splitter"
      label="Resize XML pane"
      orientation="vertical"
      value={value}
      min={20}
      max={80}
      increaseKey="ArrowRight"
      decreaseKey="ArrowLeft"
      fractionAt={(e) => {
        const main = e.currentTarget.parentElement?.getBoundingClientRect();
        return main ? (e.clientX - main.left) / main.width : null;
      }}
      onResize={onResize}
    />
  );
}

/** The editor screen: sidebar, rule table + form, XML pane. */
export function App() {
  const doc = useStudioStore(selectActiveDoc);
  const readOnly = useStudioStore(selectIsReadOnly);
  const filters = useStudioStore(selectWorkspaceFilters);
  const split = useLayoutStore((s) => s.xmlSplit);
  const setSplit = useLayoutStore((s) => s.setXmlSplit);
  useGlobalShortcuts();
  useImportByDropAndPaste();
  useShareLink();
  const editorRef = useRef<HTMLDivElement>(null);
  const focusEditor = () =>
    editorRef.current?.querySelector<HTMLElement>('input, select, button')?.focus();
  return (
    <div className="app">
      <SkipLinks />
      <header className="app-header">
        <h1>nwfilter-studio</h1>
        <Toolbar />
        <Notice />
      </header>
      <div className="app-body">
        <div className="side-column">
          <StartHere />
          <Sidebar />
        </div>
        <main
          className="app-main"
          style={{ ['--split' as string]: `${Math.round(split * 1000) / 10}%` }}
        >
          <section className="filter-pane" aria-label="Filter">
            {doc ? (
              <>
                <div className="filter-title">
                  <h2 className="filter-name">{doc.name}</h2>
                  {readOnly && (
                    <span className="badge">
                      library · read-only{' '}
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => useStudioStore.getState().copyLibraryFilter(doc.name)}
                      >
                        copy to workspace
                      </button>
                    </span>
                  )}
                </div>
                <FilterFields />
                <TableActions />
                <RuleTable onEdit={focusEditor} onOpenRef={openByName} />
                <div ref={editorRef} className="rule-editor-wrap">
                  <RuleEditor onOpenRef={openByName} />
                </div>
              </>
            ) : (
              <p className="hint">
                {filters.length === 0
                  ? 'The workspace is empty: create a filter from a template.'
                  : 'Open a filter.'}
              </p>
            )}
          </section>
          <PaneSplitter value={split} onResize={setSplit} />
          <XmlPane />
        </main>
      </div>
      <Panels />
      <datalist id="known-filters">
        {LIBRARY_FILTERS.map((f) => (
          <option key={f.name} value={f.name} />
        ))}
        {filters.map((f) => (
          <option key={f.id} value={f.doc.name} />
        ))}
      </datalist>
    </div>
  );
}
