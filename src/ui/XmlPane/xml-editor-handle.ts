/** What the rest of the UI may ask of the XML editor once it is loaded. */
export interface XmlEditorHandle {
  reveal(line: number, column: number): void;
  revealLine(line: number): void;
  focus(): void;
}

let handle: XmlEditorHandle | null = null;

/** Set by the Monaco component on mount (null on unmount). */
export function setXmlEditorHandle(next: XmlEditorHandle | null): void {
  handle = next;
}

/** The loaded editor, or null while Monaco is still loading. */
export function getXmlEditorHandle(): XmlEditorHandle | null {
  return handle;
}
