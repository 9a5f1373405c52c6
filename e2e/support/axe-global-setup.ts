import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A fresh list of the states the axe watch has found clean in this run, shared by the workers
 * (./axe-watch.ts), so one state is scanned once per run, not once per worker.
 */
export default function axeGlobalSetup() {
  const file = path.resolve('test-results', 'axe-states.txt');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
  process.env.NWFS_AXE_STATES = file;
}
