import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Names the lazy XML editor's files (its chunk, the chunks it imports, its CSS) in a `<meta>` of
 * index.html, for src/ui/XmlPane/preload-xml-editor.ts to preload once the app runs. Not a
 * `modulepreload` in index.html: the first paint would then share the network with 1 MB of
 * Monaco (and the initial-JS budget counts what index.html loads).
 */
function xmlEditorFiles(): Plugin {
  return {
    name: 'nwfilter-studio:xml-editor-files',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {});
        const editor = chunks.find(
          (c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/ui/XmlPane/MonacoXml.tsx'),
        );
        if (editor?.type !== 'chunk') return [];
        const files = [
          editor.fileName,
          ...editor.imports,
          ...(editor.viteMetadata?.importedCss ?? []),
        ].map((f) => `./${f}`);
        return [
          {
            tag: 'meta',
            attrs: { name: 'xml-editor-files', content: JSON.stringify(files) },
            injectTo: 'head',
          },
        ];
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), xmlEditorFiles()],
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    chunkSizeWarningLimit: 6000,
  },
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: false },
});
