/**
 * The per-protocol part of connection tracking, as the kernel's `struct nf_conntrack_l4proto`:
 * what identifies a connection of the protocol (its tuple's "ports"), the reply tuple, what is
 * decided before the table lookup (ICMP errors, untracked types), the state machine and its
 * timeouts. `conntrack.ts` dispatches through `l4TrackerOf` (`l4-trackers.ts`, the one list);
 * a protocol without an entry is tracked by the generic tracker.
 */
import type { L4Packet } from '../packet/packet';
import type { ConnEntry } from './conn-table';
import type { ConntrackSysctl } from './sysctl';
import type { Conn, TrackVerdict } from './types';

/** The two protocol-specific tuple words: ports, or ICMP's echo id and `type << 8 | code`. */
export interface PortPair {
  sport: number;
  dport: number;
}

/** The tuple fields a view shows, by protocol (`conntrack -L`). */
export interface PortsView {
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

/**
 * What the tracker decides before the lookup (the kernel's `error` step): `'icmp-error'` for an
 * ICMP error (RELATED to the connection it quotes, or INVALID), or a packet that gets no entry
 * (`ctinfo` IP_CT_NONE: INVALID, IP_CT_UNTRACKED) and why. Null: look the packet up and track it.
 */
export type L4Early = 'icmp-error' | { readonly ctinfo: number; readonly note: string } | null;

/** One protocol's tracker (`nf_conntrack_l4proto`). */
export interface L4Tracker {
  /** The IP protocol number it tracks. */
  readonly l4proto: number;
  /** Its name in `conntrack -L` and the kernel's file (`nf_conntrack_proto_NAME.c`). */
  readonly name: string;
  /** The sysctls holding its timeouts (each timeout sysctl belongs to one tracker). */
  readonly timeouts: readonly (keyof ConntrackSysctl)[];
  /** `pkt_to_tuple`: writes the packet's ports into `out`; false when the L4 header is missing. */
  pickTuple(l4: L4Packet, out: PortPair): boolean;
  /**
   * The same from the first bytes of a quoted L4 header (in an ICMP error) at `off` of `b`;
   * false when they are cut off.
   */
  pickQuoted(b: Uint8Array, off: number, out: PortPair): boolean;
  /** `invert_tuple`: the reply tuple's ports into `out`; false when there is no reply (C7). */
  invert(t: PortPair, out: PortPair): boolean;
  /** The `error` step before the lookup (see {@link L4Early}). */
  early(l4: L4Packet): L4Early;
  /**
   * `packet`: runs the state machine for one packet of `conn` in direction `dir` (`confirmed`
   * false for the packet creating it) and returns the verdict with the timeout to refresh with.
   */
  track(
    conn: ConnEntry,
    l4: L4Packet,
    dir: 0 | 1,
    confirmed: boolean,
    sysctl: ConntrackSysctl,
    jiffies: number,
    hz: number,
  ): TrackVerdict;
  /** The state name `conntrack -L` prints (TCP, SCTP), else null. */
  stateName(conn: Conn): string | null;
  /** `print_tuple`: the protocol part of a tuple's text (` sport=… dport=…`), or ''. */
  formatPorts(t: PortPair): string;
  /** The protocol part of a tuple's plain-data view. */
  viewPorts(t: PortPair, view: PortsView): void;
}

/** The parts a tracker without ports, early step or state names leaves out. */
type Optional =
  'pickTuple' | 'pickQuoted' | 'invert' | 'early' | 'stateName' | 'formatPorts' | 'viewPorts';

/** A tuple without ports (generic protocols): both words 0. */
const NO_PORTS: Pick<L4Tracker, Optional> = {
  pickTuple(_l4, out) {
    out.sport = 0;
    out.dport = 0;
    return true;
  },
  pickQuoted(_b, _off, out) {
    out.sport = 0;
    out.dport = 0;
    return true;
  },
  invert(_t, out) {
    out.sport = 0;
    out.dport = 0;
    return true;
  },
  early: () => null,
  stateName: () => null,
  formatPorts: () => '',
  viewPorts() {},
};

/**
 * A tracker from its required parts; the rest default to a tuple without ports, no early step
 * and no state name. Every tracker gets the same property order, so the dispatch sees one shape.
 */
export function defineL4Tracker(
  t: Omit<L4Tracker, Optional> & Partial<Pick<L4Tracker, Optional>>,
): L4Tracker {
  return {
    l4proto: t.l4proto,
    name: t.name,
    timeouts: t.timeouts,
    pickTuple: t.pickTuple ?? NO_PORTS.pickTuple,
    pickQuoted: t.pickQuoted ?? NO_PORTS.pickQuoted,
    invert: t.invert ?? NO_PORTS.invert,
    early: t.early ?? NO_PORTS.early,
    track: t.track,
    stateName: t.stateName ?? NO_PORTS.stateName,
    formatPorts: t.formatPorts ?? NO_PORTS.formatPorts,
    viewPorts: t.viewPorts ?? NO_PORTS.viewPorts,
  };
}

/** The tuple parts of the protocols with source and destination ports (TCP, UDP, UDP-Lite, SCTP). */
export const PORTS: Pick<
  L4Tracker,
  'pickTuple' | 'pickQuoted' | 'invert' | 'formatPorts' | 'viewPorts'
> = {
  pickTuple(l4, out) {
    if (l4.kind !== 'tcp' && l4.kind !== 'udp' && l4.kind !== 'udplite' && l4.kind !== 'sctp')
      return false;
    out.sport = l4.srcPort;
    out.dport = l4.dstPort;
    return true;
  },
  pickQuoted(b, off, out) {
    if (off + 4 > b.length) return false;
    out.sport = ((b[off] as number) << 8) | (b[off + 1] as number);
    out.dport = ((b[off + 2] as number) << 8) | (b[off + 3] as number);
    return true;
  },
  invert(t, out) {
    const s = t.sport;
    out.sport = t.dport;
    out.dport = s;
    return true;
  },
  formatPorts: (t) => ` sport=${t.sport} dport=${t.dport}`,
  viewPorts(t, v) {
    v.sport = t.sport;
    v.dport = t.dport;
  },
};
