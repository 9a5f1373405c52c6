import { useEffect, useRef } from 'react';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { askSimulator } from '../workers/simulator-client';

/** Delay between the last edit and the re-run: typing a port number is one run, not five. */
const LIVE_DEBOUNCE_MS = 200;
let latest = 0;

/**
 * Re-runs the simulation in the worker whenever the open filter, the workspace, the host settings
 * or the source change. Edits wait for a pause; choosing other traffic runs at once. Only the
 * newest reply is applied.
 */
export function useLiveSimulation(): void {
  const filters = useStudioStore((s) => s.workspace.filters);
  const doc = useStudioStore(selectActiveDoc);
  const settings = usePanelsStore((s) => s.settings);
  const source = usePanelsStore((s) => s.source);
  const previous = useRef<{ filters: unknown; doc: unknown; settings: unknown } | null>(null);
  useEffect(() => {
    if (!doc) {
      // Nothing to run: a run marked due for the previous filter is not coming.
      if (usePanelsStore.getState().running) usePanelsStore.setState({ running: false });
      return;
    }
    const last = previous.current;
    previous.current = { filters, doc, settings };
    // Only the traffic changed (a click, not typing): nothing to wait for.
    const onlySource =
      last !== null && last.filters === filters && last.doc === doc && last.settings === settings;
    const id = ++latest;
    // Running from now on, not from the end of the debounce: until the reply the panel and the
    // table's hit counts show an older version, and the status has to say so (a test waiting
    // for the result of an edit would otherwise take the previous result for it).
    if (!usePanelsStore.getState().running) usePanelsStore.getState().setRunning();
    const timer = setTimeout(
      () => {
        void askSimulator({
          kind: 'run',
          set: { filters: filters.map((f) => f.doc), root: doc.name },
          settings,
          source,
        }).then((reply) => {
          if (id !== latest) return;
          const store = usePanelsStore.getState();
          if (reply.kind === 'run') store.setResult(reply.result, reply.ms);
          else if (reply.kind === 'error') store.setError(reply.message);
        });
      },
      onlySource ? 0 : LIVE_DEBOUNCE_MS,
    );
    return () => clearTimeout(timer);
  }, [filters, doc, settings, source]);
}
