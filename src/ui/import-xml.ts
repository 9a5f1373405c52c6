import { DEFAULT_LIMITS } from '../core/model';
import { useStudioStore, parseXml } from '../store';
import { usePanelsStore } from '../store/panels-store';

/** The root element's name, after an optional BOM, XML declaration, comments and DOCTYPE. */
function rootElement(text: string): string | null {
  const m =
    /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([A-Za-z_][\w.:-]*)/.exec(
      text,
    );
  return m ? (m[1] as string) : null;
}

/**
 * Why `text` cannot be a filter's XML (null when it can): binary data, text that is not
 * XML, or another libvirt document. A filter with errors is still one: it is imported as a
 * draft to fix.
 */
export function whyNotFilterXml(text: string): string | null {
  // NUL bytes or U+FFFD (bytes that are not UTF-8): an image, an archive, …
  const head = text.slice(0, 4096);
  if (head.includes('\u0000') || head.includes('\uFFFD')) return 'is not text (binary data)';
  if (text.trim() === '') return 'is empty';
  const root = rootElement(text);
  if (root === null) return 'is not XML (it does not start with an element)';
  if (root !== 'filter') return `is a <${root}> document, not a <filter>`;
  return null;
}

/**
 * Imports one filter's XML as a new workspace filter (undoable; nothing is
 * overwritten). Text that does not parse still arrives, as a draft with its
 * diagnostics, so it can be fixed in the XML pane; what is not a filter's XML at all
 * (an image, a text file, a domain) is refused with a notice saying why.
 */
export function importXmlText(text: string, fileName = 'imported'): void {
  const store = useStudioStore.getState();
  const refusal = whyNotFilterXml(text);
  if (refusal) {
    store.setNotice(`Not imported: ${fileName} ${refusal}. Import a filter's XML (<filter …>).`);
    return;
  }
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

/** The first four bytes of pcap (both byte orders, µs and ns) and pcapng files. */
const CAPTURE_MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * A file dropped on the page: a capture (pcap or pcapng, told by its first bytes) becomes the
 * simulator's traffic; anything else is imported as filter XML. A file over the limits is refused
 * before it is read, so a huge drop costs nothing and changes nothing.
 */
export async function importDroppedFile(file: File): Promise<void> {
  const store = useStudioStore.getState();
  const head = new DataView(await file.slice(0, 4).arrayBuffer());
  const magic = head.byteLength === 4 ? head.getUint32(0, false) : -1;
  if (CAPTURE_MAGICS.includes(magic)) {
    if (file.size > DEFAULT_LIMITS.captureBytes) {
      store.setNotice(
        `${file.name} is ${mib(file.size)}: captures over ${mib(DEFAULT_LIMITS.captureBytes)} are not opened in the browser (use nwfilter-studio simulate, which streams them).`,
      );
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const panels = usePanelsStore.getState();
    panels.setSource({ kind: 'pcap', name: file.name, bytes });
    panels.setTab('simulator');
    store.setNotice(`Opened the capture ${file.name} in the simulator.`);
    return;
  }
  if (file.size > DEFAULT_LIMITS.inputBytes) {
    store.setNotice(
      `${file.name} is ${mib(file.size)}: a filter over ${mib(DEFAULT_LIMITS.inputBytes)} cannot be defined in libvirt (virsh refuses it) and is not imported.`,
    );
    return;
  }
  importXmlText(await file.text(), file.name);
}
