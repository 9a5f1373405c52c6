import type { Family } from './lib/firewall-dump';

/**
 * A difference between real libvirt 9.0 (Debian bookworm, what this suite runs) and the upstream
 * libvirt the project follows (../shared/libvirt-nwfilter: its built-in filters and the newest
 * xml2firewall expectations). Each entry rewrites the *normalised* dumps of one side so that the
 * versions agree; a case whose dumps only agree after rewriting is reported as a known difference
 * naming the entries it needed. Keep entries narrow (anchored, full-line) so they cannot hide a
 * real bug.
 */
export interface KnownDifference {
  id: string;
  /** What differs and why, for the report. */
  summary: string;
  /** Where the two behaviours are documented (files, libvirt source, commits). */
  evidence: string;
  families: readonly Family[];
  /** Whole rule lines (after normalisation) that only libvirt 9.0 installs. */
  libvirtOnlyLines?: readonly RegExp[];
  /** Whole rule lines that only the upstream behaviour installs. */
  projectOnlyLines?: readonly RegExp[];
  /** Text rewrites applied to the project's side, turning upstream's form into 9.0's. */
  projectRewrites?: readonly { from: RegExp; to: string }[];
}

/**
 * None: the project compiles every case for the release the suite runs (`--libvirt 9.0`), so
 * what used to be a known difference is now the project's own model of 9.0 (see
 * {@link TARGETED_DIFFERENCES}). An entry here would hide a real difference; add one only for a
 * 9.0 behaviour the project cannot target.
 */
export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [];

/**
 * Differences between libvirt 9.0 and the newest upstream that `--libvirt 9.0` reproduces, so
 * the cases agree without an entry above (docs/libvirt-versions.md lists them all).
 */
export const TARGETED_DIFFERENCES: readonly { id: string; summary: string; evidence: string }[] = [
  {
    id: 'qemu-announce-self-0x835',
    summary:
      "Debian's libvirt 9.0 ships clean-traffic (and clean-traffic-gateway) referencing qemu-announce-self, which still " +
      'accepts outgoing frames with the bogus protocol id 0x835 old qemu sent; upstream references qemu-announce-self-rarp ' +
      'directly and qemu-announce-self is only a shim. 9.0 installs one extra root-chain rule for it ' +
      "(-A libvirt-I-vnet0 -p 0x835 -j ACCEPT); the project has 9.0's four built-ins (src/core/library/filters-9.0/).",
    evidence:
      '/usr/share/libvirt/nwfilter/{clean-traffic,clean-traffic-gateway,qemu-announce-self,qemu-announce-self-rarp}.xml ' +
      '(libvirt-daemon-config-nwfilter 9.0.0-4+deb12u2) vs ../shared/libvirt-nwfilter/builtin-filters/',
  },
];

/**
 * Where libvirt 9.0 itself is not deterministic, so no fixed expectation exists and the cases
 * avoid the situation (see README.md).
 */
export const LIBVIRT_NONDETERMINISM: readonly { id: string; summary: string }[] = [
  {
    id: 'equal-chain-priority-order',
    summary:
      'Jumps from libvirt-I/O-vnet0 to sub-chains with the same chain priority come in the iteration order of a ' +
      'randomly seeded hash table (then a priority-only sort): both orders were observed across daemon restarts.',
  },
];

/**
 * Differences between libvirt 9.0's *commands* and the upstream corpus that leave no trace in a
 * saved rule set, so the comparison cannot see them and no entry above is needed. Listed so that
 * nobody "fixes" them in the project's output to match this suite.
 */
export const INVISIBLE_DIFFERENCES: readonly { id: string; summary: string }[] = [
  {
    id: 'lock-flags',
    summary:
      '`iptables -w` / `ebtables --concurrent` (libvirt 9.0 passes both, as do the newest corpus files): locking flags, not rule content.',
  },
  {
    id: 'temporary-chains',
    summary:
      'libvirt builds the rules under temporary names (J/P, FJ/FP/HJ) and renames them (-E) in a second batch; a script may ' +
      'create the final names directly. The saved rule set is the same.',
  },
];
