import { useEffect, useMemo } from 'react';
import { LESSONS, getLesson } from '../../core/lessons';
import type { FilterDoc } from '../../core/model';
import type { Lesson } from '../../core/lessons';
import { parseXml, selectActiveDoc, serializeDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';
import { highlightDecider } from '../SimulatorPanel/SimulatorPanel';
import { SequenceDiagram } from '../SimulatorPanel/SequenceDiagram';
import { StateLegend } from '../SimulatorPanel/StateLegend';
import { TraceExplanation } from '../SimulatorPanel/TraceExplanation';

/** The workspace filter a lesson works on is named after the lesson. */
export function lessonFilterName(lesson: Lesson): string {
  return `lesson-${lesson.id}`;
}

/** The lesson's filter as the lesson starts it: its XML under the lesson's name. */
function lessonStart(lesson: Lesson): { doc: FilterDoc; text: string } | null {
  const name = lessonFilterName(lesson);
  const text = lesson.xml.replace(/(<filter\s+name=)(['"])[^'"]*\2/, `$1$2${name}$2`);
  const parsed = parseXml(text);
  return parsed.doc ? { doc: parsed.doc, text } : null;
}

function lessonFilter(lesson: Lesson) {
  const name = lessonFilterName(lesson);
  return useStudioStore.getState().workspace.filters.find((f) => f.doc.name === name);
}

/**
 * Opens the lesson's own filter (added once, named after the lesson; later visits reuse it
 * with whatever was changed in it) and its scenario.
 */
export function startLesson(lesson: Lesson): void {
  const start = lessonStart(lesson);
  if (!start) return;
  const studio = useStudioStore.getState();
  const own = lessonFilter(lesson);
  if (own) studio.openFilter(own.id);
  else studio.addFilters([start.doc], [start.text]);
  const panels = usePanelsStore.getState();
  const sysctl = { ...panels.settings.sysctl };
  delete sysctl.nf_conntrack_icmp_timeout;
  panels.setSettings({ ftpHelper: lesson.ftpHelper, sysctl, params: { ...lesson.params } });
  panels.setSource({ kind: 'scenario', name: lesson.scenario });
  panels.setLesson({ id: lesson.id, prediction: null, revealed: false });
}

/** Puts the lesson's filter back as the lesson started it (one undoable step). */
function resetLessonFilter(lesson: Lesson): void {
  const start = lessonStart(lesson);
  const own = lessonFilter(lesson);
  if (!start || !own) return;
  const studio = useStudioStore.getState();
  studio.openFilter(own.id);
  studio.setXmlText(start.text);
  useStudioStore.getState().commitXmlDraft();
  useStudioStore.getState().setNotice(`${own.doc.name} is back as the lesson started it.`);
}

/** Whether the lesson's filter was changed since the lesson started it. */
function useLessonFilterChanged(lesson: Lesson): boolean {
  const name = lessonFilterName(lesson);
  const doc = useStudioStore(
    (s) => s.workspace.filters.find((f) => f.doc.name === name)?.doc ?? null,
  );
  const start = useMemo(() => lessonStart(lesson), [lesson]);
  return !!doc && !!start && serializeDoc(doc) !== serializeDoc(start.doc);
}

function LessonView({ lesson }: { lesson: Lesson }) {
  const progress = usePanelsStore((s) => s.lesson);
  const result = usePanelsStore((s) => s.result);
  const running = usePanelsStore((s) => s.running);
  const source = usePanelsStore((s) => s.source);
  const current = usePanelsStore((s) => s.current);
  const doc = useStudioStore(selectActiveDoc);
  const setLesson = usePanelsStore((s) => s.setLesson);
  const ftpHelper = usePanelsStore((s) => s.settings.ftpHelper);
  const changed = useLessonFilterChanged(lesson);
  const onScenario = source.kind === 'scenario' && source.name === lesson.scenario;
  const keyIndex =
    onScenario && result ? result.steps.findIndex((s) => s.label === lesson.keyPacket) : -1;
  const key = keyIndex >= 0 ? result?.steps[keyIndex] : undefined;
  const revealed = progress?.revealed ?? false;
  // Revealed, the deciding rule is selected in the table — also when the run that answers
  // arrives after the click (the lesson's filter just opened: the result shown then was the
  // previous filter's, whose rule is not in this table).
  useEffect(() => {
    if (revealed) highlightDecider(key);
  }, [revealed, key]);
  if (!progress) return null;
  const actual = key?.trace.verdict;
  const correct =
    progress.prediction !== null &&
    actual !== undefined &&
    (progress.prediction === actual || (progress.prediction === 'drop' && actual === 'reject'));
  return (
    <article className="lesson" aria-labelledby="lesson-title">
      <h3 id="lesson-title">{lesson.title}</h3>
      <p>{lesson.intro}</p>
      <p className="muted small">
        Filter <code>{doc?.name}</code> is open in the editor; scenario{' '}
        <code>{lesson.scenario}</code> runs in the Simulator tab; FTP helper{' '}
        {ftpHelper ? 'on' : 'off'}.
        {changed && (
          <>
            {' '}
            You changed <code>{lessonFilterName(lesson)}</code>: the lesson runs on your version.{' '}
            <button type="button" className="link-button" onClick={() => resetLessonFilter(lesson)}>
              Reset the lesson&apos;s filter
            </button>
          </>
        )}
      </p>
      <fieldset className="prediction">
        <legend>{lesson.question}</legend>
        <div className="prediction-choices" role="radiogroup" aria-label="Your prediction">
          {(['accept', 'drop'] as const).map((v) => (
            <label key={v} className={`choice${progress.prediction === v ? ' is-chosen' : ''}`}>
              <input
                type="radio"
                name="prediction"
                value={v}
                checked={progress.prediction === v}
                disabled={progress.revealed}
                onChange={() => setLesson({ ...progress, prediction: v })}
              />{' '}
              {v === 'accept' ? 'Accepted' : 'Dropped'}
            </label>
          ))}
          <button
            type="button"
            disabled={progress.prediction === null || progress.revealed || !key}
            onClick={() => {
              setLesson({ ...progress, revealed: true });
              usePanelsStore.getState().goTo(keyIndex);
              highlightDecider(key);
            }}
          >
            {running && !key ? 'Simulating…' : 'Reveal'}
          </button>
          {progress.revealed && (
            <button
              type="button"
              onClick={() => setLesson({ ...progress, prediction: null, revealed: false })}
            >
              Predict again
            </button>
          )}
        </div>
      </fieldset>
      {onScenario && result && keyIndex >= 0 && (
        <section className="lesson-diagram" aria-label="The conversation">
          <h4>
            {progress.revealed
              ? 'The whole conversation'
              : `The conversation up to packet ${keyIndex + 1} “${lesson.keyPacket}”`}
          </h4>
          <StateLegend />
          <SequenceDiagram
            result={
              progress.revealed ? result : { ...result, steps: result.steps.slice(0, keyIndex) }
            }
            current={current}
            onPick={(i) => {
              usePanelsStore.getState().goTo(i);
              highlightDecider(result.steps[i]);
            }}
          />
        </section>
      )}
      {!key && !running && (
        <p className="sim-problem">
          The key packet “{lesson.keyPacket}” was not sent in this run (an earlier packet was
          dropped).
        </p>
      )}
      {progress.revealed && key && (
        <div className="reveal" role="region" aria-label="Answer">
          <p className={`verdict-line ${correct ? 'is-correct' : 'is-wrong'}`} role="status">
            {correct ? 'Right: ' : 'Not quite: '}packet {keyIndex + 1} “{lesson.keyPacket}” is{' '}
            <strong>
              {actual === 'accept' ? 'accepted' : actual === 'drop' ? 'dropped' : actual}
            </strong>{' '}
            (conntrack state {key.trace.ctstate ?? 'none'}).
          </p>
          <p>{lesson.explanation}</p>
          <p className="try-next">
            <strong>Try next:</strong> {lesson.tryNext}
          </p>
          <TraceExplanation trace={key.trace} label={`${keyIndex + 1}. ${key.label}`} />
        </div>
      )}
    </article>
  );
}

/** Learn mode: lessons built from the libvirt docs' examples, each with a prediction to make. */
export function LearnPanel() {
  const progress = usePanelsStore((s) => s.lesson);
  const lesson = progress ? getLesson(progress.id) : undefined;
  return (
    <div className="learn-panel">
      <nav className="lesson-list" aria-label="Lessons">
        <ol>
          {LESSONS.map((l) => (
            <li key={l.id}>
              <button
                type="button"
                className={`lesson-link${l.id === progress?.id ? ' is-active' : ''}`}
                aria-current={l.id === progress?.id ? 'true' : undefined}
                onClick={() => startLesson(l)}
              >
                {l.title}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <div className="lesson-body">
        {lesson ? (
          <LessonView lesson={lesson} />
        ) : (
          <p className="muted">
            Pick a lesson: it opens its filter and traffic, and asks you to predict what happens.
          </p>
        )}
      </div>
    </div>
  );
}
