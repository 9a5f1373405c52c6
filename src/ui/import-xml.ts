import { useStudioStore, parseXml } from '../store';

/**
 * Imports one filter's XML as a new workspace filter (undoable; nothing is
 * overwritten). Text that does not parse still arrives, as a draft with its
 * diagnostics, so it can be fixed in the XML pane.
 */
export function importXmlText(text: string, fileName = 'imported'): void {
  const store = useStudioStore.getState();
  const result = parseXml(text);
  if (result.doc && !result.diagnostics.some((d) => d.severity === 'error')) {
    store.addFilters([result.doc], [text]);
    store.setNotice(`Imported ${result.doc.name}.`);
    return;
  }
  const name = fileName.replace(/\.xml$/i, '').replace(/[^A-Za-z0-9_.:-]/g, '-') || 'imported';
  store.addFilters([{ name, chain: 'root', chainPriority: null, uuid: null, entries: [] }]);
  useStudioStore.getState().setXmlText(text);
  useStudioStore.getState().commitXmlDraft();
  store.setNotice(`Imported ${fileName} with errors: fix them in the XML pane.`);
}

/** Whether pasted text looks like a filter document. */
export function looksLikeFilterXml(text: string): boolean {
  return /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<filter[\s>]/.test(text);
}
