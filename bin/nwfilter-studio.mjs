#!/usr/bin/env node
// The CLI runs the TypeScript sources directly (no build step): register tsx's ESM loader,
// then load the entry point. Paths resolve from this file's real location, so it works through
// the node_modules/.bin symlink and from any working directory.
import { register } from 'tsx/esm/api';

register();
try {
  const { runCli } = await import('../src/cli/main.ts');
  const { exitQuietlyOnBrokenPipe } = await import('../src/cli/cli-io.ts');
  exitQuietlyOnBrokenPipe(process.stdout);
  process.exitCode = await runCli(process.argv.slice(2));
} catch (e) {
  // runCli never throws; this catches a failure to load it (a broken install).
  process.stderr.write(`nwfilter-studio: cannot start: ${e instanceof Error ? e.message : e}\n`);
  process.exitCode = 1;
}
