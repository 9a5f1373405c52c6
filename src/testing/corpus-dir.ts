/**
 * Where tests find libvirt's reference corpus: `$NWFILTER_CORPUS`, else `../shared/libvirt-nwfilter`
 * beside the repository (as on CI). `npm test` sets the variable for a clone made elsewhere.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The libvirt-nwfilter corpus folder; throws a message saying how to point at it when absent. */
export function corpusDir(): string {
  const candidates = [
    process.env.NWFILTER_CORPUS,
    path.resolve(REPO_ROOT, '../shared/libvirt-nwfilter'),
  ].filter((x): x is string => !!x);
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new Error(
      `libvirt corpus not found (tried ${candidates.join(', ')}); set NWFILTER_CORPUS`,
    );
  return found;
}
