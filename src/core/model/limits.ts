/**
 * The limits that protect the user's machine from hostile or accidental input. Each is checked
 * before the work it bounds (while reading, before expanding, before replaying), so going over
 * one costs no more than reaching it. docs/limits.md lists them with measured costs.
 */
export interface Limits {
  /**
   * Bytes of one XML document. virsh refuses files over 10 MiB (`VSH_MAX_XML_FILE`), so nothing
   * larger can ever be defined in libvirt.
   */
  inputBytes: number;
  /** Bytes of one capture file (pcap or pcapng) read by the browser, which holds it in memory. */
  captureBytes: number;
  /**
   * Rule instances plus filterref visits of one instantiation: every `<filterref>` followed and
   * every rule times every combination of its variables' values. libvirt has no such limit; past
   * it the generated firewall would take minutes to install.
   */
  expansion: number;
  /** Frames of one simulation run (both captures together). */
  frames: number;
}

/** The defaults; the CLI raises them with `--limit NAME=N`. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  inputBytes: 10 * 1024 * 1024,
  captureBytes: 256 * 1024 * 1024,
  expansion: 100_000,
  frames: 1_000_000,
});

/** The `--limit` names of {@link Limits}, as the CLI and error messages spell them. */
export const LIMIT_NAMES: Readonly<Record<keyof Limits, string>> = Object.freeze({
  inputBytes: 'input-bytes',
  captureBytes: 'capture-bytes',
  expansion: 'expansion',
  frames: 'frames',
});

/** `limits` with the defaults filled in. */
export function resolveLimits(limits: Partial<Limits> | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...limits };
}
