import { useState } from 'react';
import { LESSONS } from '../../core/lessons';
import { usePanelsStore } from '../../store/panels-store';
import { startLesson } from '../LearnPanel/LearnPanel';

/** localStorage key remembering that the orientation was dismissed. */
export const START_HERE_KEY = 'nwfilter-studio:start-here-dismissed';

function wasDismissed(): boolean {
  try {
    return localStorage.getItem(START_HERE_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * First-visit orientation: what the four areas are and where to begin, until dismissed
 * (remembered in the browser).
 */
export function StartHere() {
  const [open, setOpen] = useState(() => !wasDismissed());
  if (!open) return null;
  const dismiss = () => {
    setOpen(false);
    try {
      localStorage.setItem(START_HERE_KEY, '1');
    } catch {
      // Private mode: it shows again next time.
    }
  };
  const first = LESSONS[0];
  return (
    <section className="start-here" aria-labelledby="start-here-title">
      <h2 id="start-here-title">Start here</h2>
      <ol>
        <li>
          <strong>Rules</strong> (middle) and <strong>XML</strong> (right) are one filter: edit
          either.
        </li>
        <li>
          <strong>Simulator</strong> (below) sends packets through it and shows each verdict.
        </li>
        <li>
          <strong>Learn</strong>: predict what conntrack does, then see why.
        </li>
        <li>
          <strong>Export</strong>: the XML for <code>virsh nwfilter-define</code> and the rules
          libvirt installs.
        </li>
      </ol>
      <div className="start-here-actions">
        {first && (
          <button
            type="button"
            onClick={() => {
              usePanelsStore.getState().setTab('learn');
              startLesson(first);
            }}
          >
            First lesson
          </button>
        )}
        <button type="button" onClick={() => usePanelsStore.getState().setTab('export')}>
          Export
        </button>
        <button type="button" className="link-button" onClick={dismiss}>
          Got it
        </button>
      </div>
    </section>
  );
}
