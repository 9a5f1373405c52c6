/**
 * The registered backends, in one list: a new backend is one entry here (and its folder beside
 * `ebiptables/`). The first is the default.
 */
import type { Backend } from './backend';
import { ebiptablesBackend } from './ebiptables';
import { nftablesBackend } from './nftables/backend';

export const BACKENDS = [ebiptablesBackend, nftablesBackend] as const;

/** The id of a registered backend (`ebiptables`, …). */
export type BackendId = (typeof BACKENDS)[number]['id'];

/** The default backend: libvirt's ebiptables driver. */
export const DEFAULT_BACKEND: BackendId = 'ebiptables';

/** The ids of all registered backends, in registration order. */
export const BACKEND_IDS: readonly BackendId[] = BACKENDS.map((b) => b.id);

/** Whether `id` names a registered backend (for `--backend` and stored settings). */
export function isBackendId(id: string): id is BackendId {
  return BACKENDS.some((b) => b.id === id);
}

/** The registered backend `id`. */
export function getBackend(id: BackendId): Backend {
  const b = BACKENDS.find((x) => x.id === id);
  if (!b) throw new Error(`no backend '${id}'`);
  return b as Backend;
}

/** The backend that compiled `ruleset` (throws for a ruleset of an unregistered backend). */
export function backendOf(ruleset: { backend: string }): Backend {
  if (!isBackendId(ruleset.backend)) throw new Error(`no backend '${ruleset.backend}'`);
  return getBackend(ruleset.backend);
}
