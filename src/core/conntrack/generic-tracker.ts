/**
 * Protocols without a tracker of their own (IGMP, ESP, AH, GRE, …; nf_conntrack_proto_generic.c):
 * address-only tuples, no states, one timeout.
 */
import { IP_PROTOCOL_NAMES } from '../model/attributes';
import { defineL4Tracker } from './l4-tracker';
import { trackVerdict } from './types';
import type { TrackVerdict } from './types';

/** Shared result object (read by the caller before the next packet is tracked). */
const ACCEPT: TrackVerdict = trackVerdict('accept', undefined, 0);

export const GENERIC_TRACKER = defineL4Tracker({
  l4proto: 0,
  name: 'unknown',
  timeouts: ['nf_conntrack_generic_timeout'],
  track(_conn, _l4, _dir, _confirmed, sysctl) {
    ACCEPT.timeout = sysctl.nf_conntrack_generic_timeout;
    return ACCEPT;
  },
});

/**
 * The name `conntrack -L` prints for a protocol tracked generically (`igmp`, `esp`, `ah`; from
 * the protocol names every layer shares), else `unknown`.
 */
export function genericProtocolName(proto: number): string {
  for (const [name, n] of IP_PROTOCOL_NAMES) if (n === proto) return name;
  return 'unknown';
}
