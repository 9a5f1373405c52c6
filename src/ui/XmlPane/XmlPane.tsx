import { lazy, Suspense, useEffect, useState } from 'react';
import {
  selectDiagnostics,
  selectIsPending,
  selectIsReadOnly,
  selectIsStale,
  selectXmlText,
  useStudioStore,
} from '../../store';
import { getXmlEditorHandle } from './xml-editor-handle';

const MonacoXml = lazy(() => import('./MonacoXml'));

/** Plain text shown until Monaco has loaded (and the region's content for a first paint). */
function PlainXml() {
  const text = useStudioStore(selectXmlText);
  return (
    // Focusable: it scrolls, and the keyboard must be able to scroll it until Monaco is there.
    <pre className="xml-fallback" aria-busy="true" tabIndex={0}>
      {text}
    </pre>
  );
}

function Problems() {
  const diagnostics = useStudioStore(selectDiagnostics);
  if (diagnostics.length === 0) return null;
  return (
    <div className="problems" role="region" aria-label="Problems">
      <h3>Problems ({diagnostics.length})</h3>
      <ul>
        {diagnostics.map((d, i) => (
          <li key={i} className={`problem sev-${d.severity}`}>
            <button
              type="button"
              className="link-button"
              onClick={() => getXmlEditorHandle()?.reveal(d.line, d.column)}
            >
              <span className="problem-pos">
                {d.line}:{d.column}
              </span>{' '}
              <span className="problem-code">{d.code}</span> {d.message}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Status() {
  const stale = useStudioStore(selectIsStale);
  const pending = useStudioStore(selectIsPending);
  const readOnly = useStudioStore(selectIsReadOnly);
  const diagnostics = useStudioStore(selectDiagnostics);
  let text = 'in sync';
  let cls = 'ok';
  if (pending) {
    text = 'parsing…';
    cls = 'pending';
  } else if (stale) {
    text = `${diagnostics.filter((d) => d.severity === 'error').length} error(s) — table out of date`;
    cls = 'error';
  }
  return (
    <span className={`xml-status status-${cls}`} role="status" aria-live="polite">
      {readOnly ? 'read-only · ' : ''}
      {text}
      {stale && (
        <button
          type="button"
          className="link-button"
          onClick={() => useStudioStore.getState().revertXmlDraft()}
        >
          Revert
        </button>
      )}
    </span>
  );
}

/**
 * The XML pane: Monaco (loaded after first paint) over the open filter, its
 * sync status and the problems list.
 */
export function XmlPane() {
  // Run Monaco only once the table is on screen: a task queued from the frame's animation
  // callback runs after that frame is painted. Its code is fetched and compiled meanwhile
  // (preloadXmlEditor, from main.tsx), so without this wait running it would hold the page's
  // first paint back by the whole of Monaco's start-up.
  const [load, setLoad] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const id = requestAnimationFrame(() => {
      timer = setTimeout(() => setLoad(true), 0);
    });
    return () => {
      cancelAnimationFrame(id);
      clearTimeout(timer);
    };
  }, []);
  return (
    <section className="xml-pane" aria-label="XML" id="xml" tabIndex={-1}>
      <div className="pane-header">
        <h2>XML</h2>
        <Status />
      </div>
      <div className="xml-editor">
        {load ? (
          <Suspense fallback={<PlainXml />}>
            <MonacoXml />
          </Suspense>
        ) : (
          <PlainXml />
        )}
      </div>
      <Problems />
    </section>
  );
}
