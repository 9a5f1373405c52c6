/**
 * UDP and UDP-Lite (nf_conntrack_proto_udp.c): ports, no states; a flow that saw a reply and
 * lasted 2 s becomes a stream with the longer timeout.
 */
import { IPPROTO_UDP, IPPROTO_UDPLITE } from '../model/protocol-numbers';
import { PORTS, defineL4Tracker } from './l4-tracker';
import type { L4Tracker } from './l4-tracker';
import type { ConntrackSysctl } from './sysctl';
import type { Conn, TrackVerdict } from './types';
import { IPS_ASSURED, IPS_SEEN_REPLY, trackVerdict } from './types';

/** Shared result object (read by the caller before the next packet is tracked). */
const ACCEPT: TrackVerdict = trackVerdict('accept', undefined, 0);

/**
 * UDP: 30 s until a reply has been seen (nf_conntrack_udp_timeout); once
 * replied and older than 2 s, a stream: 120 s and ASSURED
 * (nf_conntrack_udp_timeout_stream). SEEN_REPLY is set only after the first
 * reply has been tracked, so that reply itself still refreshes with 30 s.
 */
export function trackUdp(
  conn: Conn,
  confirmed: boolean,
  sysctl: ConntrackSysctl,
  jiffies: number,
  hz: number,
): TrackVerdict {
  if (!confirmed) conn.udpStreamJiffies = jiffies + 2 * hz;
  let timeout = sysctl.nf_conntrack_udp_timeout;
  if (conn.status & IPS_SEEN_REPLY && jiffies > conn.udpStreamJiffies) {
    timeout = sysctl.nf_conntrack_udp_timeout_stream;
    conn.status |= IPS_ASSURED;
  }
  ACCEPT.timeout = timeout;
  return ACCEPT;
}

function udpTracker(l4proto: number, name: string, timeouts: L4Tracker['timeouts']): L4Tracker {
  return defineL4Tracker({
    l4proto,
    name,
    timeouts,
    ...PORTS,
    track: (conn, _l4, _dir, confirmed, sysctl, jiffies, hz) =>
      trackUdp(conn, confirmed, sysctl, jiffies, hz),
  });
}

export const UDP_TRACKER = udpTracker(IPPROTO_UDP, 'udp', [
  'nf_conntrack_udp_timeout',
  'nf_conntrack_udp_timeout_stream',
]);

/** UDP-Lite: UDP's tracker and timeouts (nf_conntrack_proto_udp.c, `nf_conntrack_l4proto_udplite`). */
export const UDPLITE_TRACKER = udpTracker(IPPROTO_UDPLITE, 'udplite', []);
