/** What the e2e suite and the UI benchmarks share: Debian's Chromium and the preview server. */

/** Launch options for /usr/bin/chromium on a machine without outside network, as root. */
export const CHROMIUM_LAUNCH_OPTIONS = {
  executablePath: '/usr/bin/chromium',
  // The machine has no outside network: without these Chromium keeps trying to reach Google
  // services and fills the log with refused connections. No sandbox as root.
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Builds the app into `outDir` and serves that build on 127.0.0.1:`port`. */
export function previewServerCommand(outDir: string, port: number): string {
  return (
    `node_modules/.bin/vite build --outDir ${outDir} --emptyOutDir --logLevel error && ` +
    `node_modules/.bin/vite preview --outDir ${outDir} --host 127.0.0.1 --port ${port} --strictPort`
  );
}
