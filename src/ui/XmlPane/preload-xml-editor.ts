/** The `<meta>` the build writes into index.html (vite.config.ts, `xmlEditorFiles`). */
export const XML_EDITOR_FILES_META = 'xml-editor-files';

/**
 * Starts fetching and compiling the XML editor (Monaco, a lazy chunk of about 1 MB gzip) while
 * the page renders the rule table, without running it: a `modulepreload` puts the compiled module
 * in the page's module map, so the XML pane's `import()` after the first paint only has to run
 * it. Its stylesheet is fetched too. The files are named by a `<meta>` tag rather than preloaded
 * by index.html itself: the first paint must not wait for them, and they are requested only once
 * the app's own bundle is running. Nothing happens under the dev server (no such tag).
 */
export function preloadXmlEditor(doc: Document = document): void {
  const content = doc.querySelector<HTMLMetaElement>(
    `meta[name="${XML_EDITOR_FILES_META}"]`,
  )?.content;
  if (!content) return;
  let files: unknown;
  try {
    files = JSON.parse(content);
  } catch {
    return;
  }
  if (!Array.isArray(files)) return;
  for (const file of files) {
    if (typeof file !== 'string') continue;
    const link = doc.createElement('link');
    if (file.endsWith('.css')) {
      link.rel = 'preload';
      link.as = 'style';
    } else {
      link.rel = 'modulepreload';
      // As Vite's own preloads: the module is then the one `import()` asks for.
      link.crossOrigin = '';
    }
    link.href = file;
    doc.head.append(link);
  }
}
