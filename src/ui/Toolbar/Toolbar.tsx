import { useRef } from 'react';
import { useStore } from 'zustand';
import { EXAMPLES } from '../../core/examples';
import {
  selectIsPending,
  selectIsStale,
  describeShare,
  encodeShare,
  filtersToShare,
  parseXml,
  selectActiveDoc,
  selectXmlText,
  useStudioStore,
} from '../../store';
import type { StudioState } from '../../store';
import { importXmlText } from '../import-xml';

type Temporal = ReturnType<typeof useStudioStore.temporal.getState>;
const selectCanUndo = (t: Temporal) => t.pastStates.length > 0;
const selectCanRedo = (t: Temporal) => t.futureStates.length > 0;
/** Undo has something to do for a draft that is waiting for its parse or does not parse. */
const selectHasDraft = (s: StudioState) => selectIsPending(s) || selectIsStale(s);

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/xml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name || 'filter'}.xml`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The header's commands: undo/redo, new from template, import, download, share. */
export function Toolbar() {
  const canUndo = useStore(useStudioStore.temporal, selectCanUndo);
  const canRedo = useStore(useStudioStore.temporal, selectCanRedo);
  const hasDraft = useStudioStore(selectHasDraft);
  const doc = useStudioStore(selectActiveDoc);
  const fileRef = useRef<HTMLInputElement>(null);
  const store = useStudioStore.getState;
  return (
    <div className="toolbar" role="toolbar" aria-label="Workspace">
      <button
        type="button"
        onClick={() => store().undo()}
        disabled={!canUndo && !hasDraft}
        title="Undo (Ctrl+Z)"
      >
        Undo
      </button>
      <button
        type="button"
        onClick={() => store().redo()}
        disabled={!canRedo}
        title="Redo (Ctrl+Shift+Z / Ctrl+Y)"
      >
        Redo
      </button>
      <span className="toolbar-sep" />
      <label className="visually-hidden" htmlFor="new-from-template">
        New filter from template
      </label>
      <select
        id="new-from-template"
        value=""
        onChange={(e) => {
          const value = e.target.value;
          e.target.value = '';
          if (value === 'empty') {
            store().addFilters([
              { name: 'new-filter', chain: 'root', chainPriority: null, uuid: null, entries: [] },
            ]);
            return;
          }
          const example = EXAMPLES.find((x) => x.id === value);
          const parsed = example ? parseXml(example.xml) : null;
          if (parsed?.doc && example) store().addFilters([parsed.doc], [example.xml]);
        }}
      >
        <option value="">New filter…</option>
        <option value="empty">Empty filter</option>
        {EXAMPLES.map((x) => (
          <option key={x.id} value={x.id} title={x.description}>
            {x.title}
          </option>
        ))}
      </select>
      <button
        type="button"
        onClick={() => fileRef.current?.click()}
        title="Import a filter's XML file (or drop / paste one)"
      >
        Import…
      </button>
      <input
        ref={fileRef}
        type="file"
        accept=".xml,application/xml,text/xml"
        className="visually-hidden"
        aria-label="Import XML file"
        tabIndex={-1}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) importXmlText(await file.text(), file.name);
        }}
      />
      <button
        type="button"
        disabled={!doc}
        onClick={() => doc && download(doc.name, selectXmlText(store()))}
        title="Download the open filter as XML"
      >
        Download
      </button>
      <button
        type="button"
        onClick={async () => {
          const open = selectActiveDoc(store());
          if (!open) return;
          const filters = filtersToShare(
            open.name,
            store().workspace.filters.map((f) => f.doc),
          );
          // A library filter is not in the workspace: the link carries it as it is shown.
          const shared = filters.length > 0 ? filters : [open];
          const url = `${location.origin}${location.pathname}#${encodeShare(shared, open.name)}`;
          history.replaceState(null, '', url);
          const what = describeShare(open.name, shared);
          try {
            await navigator.clipboard.writeText(url);
            store().setNotice(`Share link copied (also in the address bar): ${what}.`);
          } catch {
            store().setNotice(`Share link in the address bar: ${what}.`);
          }
        }}
        disabled={!doc}
        title="A link that opens the open filter (and the workspace filters it references)"
      >
        Share link
      </button>
    </div>
  );
}
