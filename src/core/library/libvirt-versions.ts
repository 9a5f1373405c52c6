/**
 * The libvirt releases the studio can target. Built-in filters (and so the rules a binding
 * installs) differ between releases; docs/libvirt-versions.md lists every difference found in
 * libvirt's history from 9.0 to the newest release and which ones the studio models.
 */
export type LibvirtVersion = '12.5' | '9.0';

/** One target release. */
export interface LibvirtVersionInfo {
  id: LibvirtVersion;
  /** For selectors and help texts. */
  label: string;
}

/** The newest upstream release the project follows (the reference corpus); the default target. */
export const DEFAULT_LIBVIRT_VERSION: LibvirtVersion = '12.5';

/** The targets, newest first. */
export const LIBVIRT_VERSIONS: readonly LibvirtVersionInfo[] = [
  { id: '12.5', label: '12.5 (newest upstream)' },
  { id: '9.0', label: '9.0 (Debian 12)' },
];

/**
 * Reads a target as a user writes it: `9.0`, `9.0.0`, `12.5`, `12.5.0`, or `latest` /
 * `upstream` for the newest. Null for a release the studio has no profile of.
 */
export function parseLibvirtVersion(text: string): LibvirtVersion | null {
  const t = text.trim().toLowerCase();
  if (t === 'latest' || t === 'upstream') return DEFAULT_LIBVIRT_VERSION;
  const m = /^(\d+)\.(\d+)(?:\.0)?$/.exec(t);
  if (!m) return null;
  const id = `${Number(m[1])}.${Number(m[2])}`;
  return LIBVIRT_VERSIONS.find((v) => v.id === id)?.id ?? null;
}
