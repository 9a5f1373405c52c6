import { useEffect, useState } from 'react';
import type { AnalysisAnswer, AnalysisAsk } from '../../core/analysis';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import type { SimFilterSet } from '../../core/sim';
import { askSimulator } from '../workers/simulator-client';

/** Delay between the last edit and the re-analysis: typing a port number is one walk, not five. */
const DEBOUNCE_MS = 200;

export interface AnswerState {
  answer: AnalysisAnswer | null;
  /** Asked and not answered yet: what is shown is for an older version. */
  running: boolean;
  /** Milliseconds the worker took for the shown answer. */
  ms: number | null;
  /** The worker failed (not a problem of the filter: those are in `answer.problems`). */
  error: string | null;
}

const IDLE: AnswerState = { answer: null, running: false, ms: null, error: null };

/**
 * Asks the analysis (in the simulator's worker, never on the page's thread) about the open
 * filter with the simulator's parameters and host, again after every edit; `ask` null asks
 * nothing. `ask` and `before` are compared by identity: memoize them.
 */
export function useAnalysisAnswer(
  ask: AnalysisAsk | null,
  before: SimFilterSet | null,
): AnswerState {
  const filters = useStudioStore((s) => s.workspace.filters);
  const doc = useStudioStore(selectActiveDoc);
  const settings = usePanelsStore((s) => s.settings);
  const [state, setState] = useState<AnswerState>(IDLE);
  useEffect(() => {
    if (!doc || !ask) {
      setState(IDLE);
      return;
    }
    let live = true;
    setState((s) => (s.running ? s : { ...s, running: true }));
    const timer = setTimeout(() => {
      void askSimulator({
        kind: 'analyse',
        ask,
        set: { filters: filters.map((f) => f.doc), root: doc.name },
        before,
        settings,
      }).then((reply) => {
        if (!live) return;
        if (reply.kind === 'analyse')
          setState({ answer: reply.answer, running: false, ms: reply.ms, error: null });
        else if (reply.kind === 'error' && reply.message !== 'superseded')
          setState({ answer: null, running: false, ms: null, error: reply.message });
      });
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [filters, doc, settings, ask, before]);
  return state;
}
