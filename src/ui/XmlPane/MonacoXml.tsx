import { useEffect, useRef } from 'react';
// The editor and its stock features, with the XML tokenizer only: not 'monaco-editor' itself,
// which also brings the TypeScript, CSS, JSON and HTML language services (their workers, 9 MB
// to build) and 80 other languages, none of which the XML pane uses.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/register.all';
// What the full editor adds beyond its features' registrations: paste (Ctrl+V goes through
// it), caret moves, the marker status and semantic tokens.
import 'monaco-editor/editor/contrib/dropOrPasteInto/browser/copyPasteContribution';
import 'monaco-editor/editor/contrib/caretOperations/browser/caretOperations';
import 'monaco-editor/editor/contrib/gotoError/browser/markerSelectionStatus';
import 'monaco-editor/editor/contrib/semanticTokens/browser/documentSemanticTokens';
import 'monaco-editor/languages/definitions/xml/register';
import Editor, { loader } from '@monaco-editor/react';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { findEntrySpans } from '../../core/xml';
import {
  selectActiveDoc,
  selectActiveId,
  selectSelectedIndex,
  selectDiagnostics,
  selectIsReadOnly,
  selectXmlText,
  useStudioStore,
} from '../../store';
import type { Diagnostic } from '../../core/model';
import { completeXml, describeXmlWord, findXmlContext } from './xml-assist';
import { setXmlEditorHandle } from './xml-editor-handle';

// Bundled Monaco: no CDN, works offline.
self.MonacoEnvironment = { getWorker: () => new EditorWorker() };
loader.config({ monaco });

let languageRegistered = false;
function registerAssist() {
  if (languageRegistered) return;
  languageRegistered = true;
  // The stock 'vs' colours for XML (pure red attribute names) miss WCAG AA contrast on white.
  monaco.editor.defineTheme('nwfilter-light', {
    base: 'vs',
    inherit: true,
    rules: [
      { token: 'attribute.name', foreground: 'a3151b' },
      { token: 'attribute.value', foreground: '0b3fb3' },
      { token: 'tag', foreground: '7a1f1f' },
      { token: 'delimiter', foreground: '5c5c5c' },
      { token: 'comment', foreground: '3d6b2c' },
      { token: 'metatag', foreground: '5c5c5c' },
    ],
    colors: { 'editorLineNumber.foreground': '#6b7280' },
  });

  monaco.languages.registerCompletionItemProvider('xml', {
    triggerCharacters: ['<', ' ', "'", '"', ','],
    provideCompletionItems(model, position) {
      const before = model.getValueInRange({
        startLineNumber: 1,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: position.column,
      });
      const ctx = findXmlContext(before);
      const word = model.getWordUntilPosition(position);
      const prefixLen = ctx.kind === 'text' ? 0 : ctx.prefix.length;
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn:
          ctx.kind === 'attribute-value'
            ? position.column - (/[^,]*$/.exec(ctx.prefix)?.[0].length ?? 0)
            : Math.min(word.startColumn, position.column - prefixLen),
        endColumn: position.column,
      };
      const kinds = {
        element: monaco.languages.CompletionItemKind.Class,
        attribute: monaco.languages.CompletionItemKind.Property,
        value: monaco.languages.CompletionItemKind.EnumMember,
      };
      return {
        suggestions: completeXml(ctx).map((item) => ({
          label: item.label,
          kind: kinds[item.kind],
          detail: item.detail,
          documentation: item.doc,
          insertText: item.insert,
          insertTextRules: item.snippet
            ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet
            : undefined,
          range,
        })),
      };
    },
  });
  monaco.languages.registerHoverProvider('xml', {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      // Monaco's XML word definition stops at '-'; widen to libvirt names like connlimit-above.
      const line = model.getLineContent(position.lineNumber);
      let start = word.startColumn;
      let end = word.endColumn;
      while (start > 1 && /[\w-]/.test(line[start - 2] ?? '')) start--;
      while (end <= line.length && /[\w-]/.test(line[end - 1] ?? '')) end++;
      const text = line.slice(start - 1, end - 1);
      const before = model.getValueInRange({
        startLineNumber: 1,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: start,
      });
      const doc = describeXmlWord(before, text);
      if (!doc) return null;
      return {
        range: {
          startLineNumber: position.lineNumber,
          endLineNumber: position.lineNumber,
          startColumn: start,
          endColumn: end,
        },
        contents: [{ value: doc }],
      };
    },
  });
}

function toMarker(model: monaco.editor.ITextModel, d: Diagnostic): monaco.editor.IMarkerData {
  const line = Math.max(1, Math.min(model.getLineCount(), d.line));
  const column = Math.max(1, d.column);
  let endLine = d.endLine ?? line;
  let endColumn = d.endColumn ?? column;
  if (endLine === line && endColumn <= column) {
    const word = model.getWordAtPosition({ lineNumber: line, column });
    endColumn = word ? Math.max(word.endColumn, column + 1) : column + 1;
    endLine = line;
  }
  return {
    severity:
      d.severity === 'error'
        ? monaco.MarkerSeverity.Error
        : d.severity === 'warning'
          ? monaco.MarkerSeverity.Warning
          : monaco.MarkerSeverity.Info,
    message: d.message,
    code: d.code,
    source: 'nwfilter',
    startLineNumber: line,
    startColumn: column,
    endLineNumber: endLine,
    endColumn,
  };
}

/** Above this many changed characters the model's text is replaced rather than edited. */
const WHOLE_TEXT_EDIT_CHARS = 100_000;

/**
 * Replaces only the changed middle of the text, so cursor and scroll stay where they are.
 * Returns true when it replaced the whole buffer instead (the model's decorations are gone).
 */
function applyMinimalEdit(
  editor: monaco.editor.IStandaloneCodeEditor,
  model: monaco.editor.ITextModel,
  current: string,
  next: string,
): boolean {
  if (current === next) return false;
  let start = 0;
  const max = Math.min(current.length, next.length);
  while (start < max && current.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endCur = current.length;
  let endNext = next.length;
  while (
    endCur > start &&
    endNext > start &&
    current.charCodeAt(endCur - 1) === next.charCodeAt(endNext - 1)
  ) {
    endCur--;
    endNext--;
  }
  if (endCur - start > WHOLE_TEXT_EDIT_CHARS) {
    // Reformatting a big pasted or imported text: replacing the model's buffer is cheaper than
    // one huge edit (no inverse edit, no per-line change events), and the view state keeps the
    // cursor and scroll. The model's decorations go with the buffer: the caller re-sets them.
    const view = editor.saveViewState();
    model.setValue(next);
    if (view) editor.restoreViewState(view);
    return true;
  }
  const from = model.getPositionAt(start);
  const to = model.getPositionAt(endCur);
  editor.executeEdits('nwfilter-studio', [
    {
      range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column),
      text: next.slice(start, endNext),
      forceMoveMarkers: false,
    },
  ]);
  return false;
}

/**
 * Above this many lines the folding regions are not kept: Monaco recomputes all of them (one per
 * rule) after every edit, ~14 ms per keystroke at 2,000 rules.
 */
const FOLDING_MAX_LINES = 3000;

/** The Monaco editor bound to the store (loaded lazily by XmlPane). */
export default function MonacoXml() {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const applyingRef = useRef(false);
  const readOnly = useStudioStore(selectIsReadOnly);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, domReadOnly: readOnly });
  }, [readOnly]);

  useEffect(
    () => () => {
      setXmlEditorHandle(null);
    },
    [],
  );

  const onMount = (editor: monaco.editor.IStandaloneCodeEditor) => {
    editorRef.current = editor;
    registerAssist();
    const model = editor.getModel();
    if (!model) return;
    model.updateOptions({
      tabSize: 2,
      insertSpaces: true,
      // The editor option alone does not reach the model in the standalone editor: without this
      // the colouriser still parses the whole text for brackets (75 ms on a 2,000-rule filter).
      bracketColorizationOptions: { enabled: false, independentColorPoolPerBracketType: false },
    });
    editor.updateOptions({ readOnly: selectIsReadOnly(useStudioStore.getState()) });

    let folding = true;
    const updateFolding = () => {
      const wanted = model.getLineCount() <= FOLDING_MAX_LINES;
      if (wanted !== folding) {
        folding = wanted;
        editor.updateOptions({ folding });
      }
    };

    // Undo belongs to the workspace history (DESIGN.md): Monaco's own stack is bypassed.
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyZ, () =>
      useStudioStore.getState().undo(),
    );
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyMod.Shift | monaco.KeyCode.KeyZ, () =>
      useStudioStore.getState().redo(),
    );
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyY, () =>
      useStudioStore.getState().redo(),
    );

    // The model's text as one string we hold: comparing it with the store's text is then
    // mostly a reference check, which matters for a 200 kB filter on every keystroke.
    let modelText = '';
    editor.onDidChangeModelContent(() => {
      if (applyingRef.current) return;
      modelText = model.getValue();
      updateFolding();
      useStudioStore.getState().setXmlText(modelText);
    });
    editor.onDidBlurEditorText(() => useStudioStore.getState().commitXmlDraft());

    // The selected table row is highlighted in the XML (and the XML cursor selects its row).
    const highlight = editor.createDecorationsCollection();
    let lastSelected: number | null = null;
    let lastHighlightText = '';
    let spansText: string | null = null;
    let spans: ReturnType<typeof findEntrySpans> = null;
    const entrySpans = () => {
      const doc = selectActiveDoc(useStudioStore.getState());
      if (spansText !== modelText) {
        spansText = modelText;
        spans = findEntrySpans(modelText);
      }
      return doc && spans && spans.length === doc.entries.length ? spans : null;
    };
    const updateHighlight = (reveal: boolean) => {
      const index = selectSelectedIndex(useStudioStore.getState());
      const span = index === null ? undefined : entrySpans()?.[index];
      if (!span) {
        highlight.clear();
        return;
      }
      const start = model.getPositionAt(span.start).lineNumber;
      const end = model.getPositionAt(span.end).lineNumber;
      highlight.set([
        {
          range: new monaco.Range(start, 1, end, 1),
          options: {
            isWholeLine: true,
            className: 'xml-selected-entry',
            linesDecorationsClassName: 'xml-selected-gutter',
          },
        },
      ]);
      if (reveal) editor.revealLinesInCenterIfOutsideViewport(start, end);
    };
    let cursorTimer: ReturnType<typeof setTimeout> | undefined;
    editor.onDidChangeCursorPosition((e) => {
      if (e.source !== 'mouse' && e.source !== 'keyboard') return;
      clearTimeout(cursorTimer);
      cursorTimer = setTimeout(() => {
        const offset = model.getOffsetAt(e.position);
        const index = entrySpans()?.findIndex((sp) => offset >= sp.start && offset <= sp.end) ?? -1;
        const state = useStudioStore.getState();
        if (index >= 0 && index !== state.selectedIndex) state.selectEntry(index);
      }, 120);
    });

    let lastActive = selectActiveId(useStudioStore.getState());
    let lastText = selectXmlText(useStudioStore.getState());
    let lastDiagnostics: Diagnostic[] | null = null;
    const sync = () => {
      const state = useStudioStore.getState();
      const text = selectXmlText(state);
      const active = selectActiveId(state);
      if (active !== lastActive) {
        lastActive = active;
        lastText = text;
        applyingRef.current = true;
        model.setValue(text);
        modelText = text;
        applyingRef.current = false;
        updateFolding();
        editor.setScrollTop(0);
      } else if (text !== lastText) {
        lastText = text;
        if (text !== modelText) {
          applyingRef.current = true;
          // The markers went with the old buffer: set them again below.
          if (applyMinimalEdit(editor, model, modelText, text)) lastDiagnostics = null;
          modelText = text;
          applyingRef.current = false;
          updateFolding();
        }
      }
      const selected = selectSelectedIndex(state);
      if (selected !== lastSelected || text !== lastHighlightText) {
        const moved = selected !== lastSelected;
        lastSelected = selected;
        lastHighlightText = text;
        // Reveal only when the selection changed, so typing never scrolls the pane.
        updateHighlight(moved && !editor.hasTextFocus());
      }
      const diagnostics = selectDiagnostics(state);
      if (diagnostics !== lastDiagnostics) {
        lastDiagnostics = diagnostics;
        monaco.editor.setModelMarkers(
          model,
          'nwfilter',
          diagnostics.map((d) => toMarker(model, d)),
        );
      }
    };
    applyingRef.current = true;
    model.setValue(lastText);
    modelText = lastText;
    applyingRef.current = false;
    updateFolding();
    sync();
    const unsubscribe = useStudioStore.subscribe(sync);
    editor.onDidDispose(unsubscribe);

    setXmlEditorHandle({
      reveal(line, column) {
        editor.revealPositionInCenter({ lineNumber: line, column });
        editor.setPosition({ lineNumber: line, column });
        editor.focus();
      },
      revealLine(line) {
        editor.revealLineInCenterIfOutsideViewport(line);
      },
      focus() {
        editor.focus();
      },
    });
  };

  return (
    <Editor
      defaultLanguage="xml"
      theme="nwfilter-light"
      defaultValue=""
      path="inmemory://nwfilter/filter.xml"
      beforeMount={registerAssist}
      onMount={onMount}
      loading={null}
      options={{
        minimap: { enabled: false },
        fontSize: 13,
        scrollBeyondLastLine: false,
        automaticLayout: true,
        // Long rules (comments, address lists) wrap: no sideways scrolling to read a rule.
        wordWrap: 'on',
        wrappingIndent: 'indent',
        renderWhitespace: 'none',
        tabSize: 2,
        ariaLabel: 'Filter XML',
        fixedOverflowWidgets: true,
        // '<' auto-closing fights the element completions, which insert the whole tag.
        autoClosingBrackets: 'never',
        // Suggestions come from the attribute table, not from words in the buffer.
        wordBasedSuggestions: 'off',
        // Bracket-pair colours parse the whole model and redo it on every edit; in XML the
        // tags already show the structure, and a 2,000-rule filter pays several ms per key.
        bracketPairColorization: { enabled: false },
        guides: { bracketPairs: false },
      }}
    />
  );
}
