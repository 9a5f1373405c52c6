/**
 * Every L4 tracker, in one list: a new protocol is one file defining its `L4Tracker` (see
 * `l4-tracker.ts`) and one line here. Protocols without an entry get the generic tracker.
 */
import { GENERIC_TRACKER } from './generic-tracker';
import { ICMP_TRACKER, ICMPV6_TRACKER } from './icmp-tracker';
import type { L4Tracker } from './l4-tracker';
import { SCTP_TRACKER } from './sctp-tracker';
import { TCP_TRACKER } from './tcp-tracker';
import { UDP_TRACKER, UDPLITE_TRACKER } from './udp-tracker';

export const L4_TRACKERS: readonly L4Tracker[] = [
  TCP_TRACKER,
  UDP_TRACKER,
  UDPLITE_TRACKER,
  ICMP_TRACKER,
  ICMPV6_TRACKER,
  SCTP_TRACKER,
];

/** Indexed by protocol number (one array load per packet). */
const BY_PROTOCOL: readonly L4Tracker[] = (() => {
  const table = new Array<L4Tracker>(256).fill(GENERIC_TRACKER);
  for (const t of L4_TRACKERS) table[t.l4proto] = t;
  return table;
})();

/** The tracker of IP protocol `proto` (`nf_ct_l4proto_find`): its own, or the generic one. */
export function l4TrackerOf(proto: number): L4Tracker {
  return BY_PROTOCOL[proto & 0xff] as L4Tracker;
}

export { GENERIC_TRACKER };
