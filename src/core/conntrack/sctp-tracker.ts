/**
 * SCTP, simplified (nf_conntrack_proto_sctp.c): the association's state by chunk type, one
 * timeout per state.
 */
import { IPPROTO_SCTP } from '../model/protocol-numbers';
import type { L4Packet } from '../packet/packet';
import { PORTS, defineL4Tracker } from './l4-tracker';
import type { ConntrackSysctl } from './sysctl';
import type { Conn, TrackVerdict } from './types';
import { IPS_ASSURED, IPS_SEEN_REPLY, trackVerdict } from './types';

/** Simplified SCTP states. */
export const SCTP_STATE_NAMES = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
] as const;
const S_NONE = 0;
const S_CLOSED = 1;
const S_COOKIE_WAIT = 2;
const S_COOKIE_ECHOED = 3;
const S_ESTABLISHED = 4;
const S_SHUTDOWN_SENT = 5;
const S_SHUTDOWN_RECD = 6;
const S_SHUTDOWN_ACK_SENT = 7;

/**
 * SCTP, simplified: a connection starts only with an INIT chunk; the
 * association walks INIT → COOKIE_ECHO → COOKIE_ACK → ESTABLISHED →
 * SHUTDOWN… → CLOSED by chunk type. Verification tags and the full
 * per-direction table of nf_conntrack_proto_sctp.c are not modelled.
 */
export function trackSctp(
  conn: Conn,
  l4: L4Packet,
  dir: 0 | 1,
  confirmed: boolean,
  sysctl: ConntrackSysctl,
): TrackVerdict {
  if (l4.kind !== 'sctp' || l4.chunks.length === 0)
    return trackVerdict('invalid', 'SCTP packet without chunks');
  if (!confirmed) {
    if ((l4.chunks[0] as { type: number }).type !== 1)
      return trackVerdict('invalid', 'SCTP connection must start with INIT');
    conn.sctpState = S_NONE;
  }
  let s = conn.sctpState;
  for (const c of l4.chunks) {
    switch (c.type) {
      case 1: // INIT
        if (s === S_NONE || s === S_CLOSED) s = S_COOKIE_WAIT;
        break;
      case 10: // COOKIE_ECHO
        if (s === S_COOKIE_WAIT) s = S_COOKIE_ECHOED;
        break;
      case 11: // COOKIE_ACK
        if (s === S_COOKIE_ECHOED) s = S_ESTABLISHED;
        break;
      case 7: // SHUTDOWN
        s = dir === 0 ? S_SHUTDOWN_SENT : S_SHUTDOWN_RECD;
        break;
      case 8: // SHUTDOWN_ACK
        s = S_SHUTDOWN_ACK_SENT;
        break;
      case 6: // ABORT
      case 14: // SHUTDOWN_COMPLETE
        s = S_CLOSED;
        break;
    }
  }
  conn.sctpState = s;
  const timeouts = [
    sysctl.nf_conntrack_sctp_timeout_closed,
    sysctl.nf_conntrack_sctp_timeout_closed,
    sysctl.nf_conntrack_sctp_timeout_cookie_wait,
    sysctl.nf_conntrack_sctp_timeout_cookie_echoed,
    sysctl.nf_conntrack_sctp_timeout_established,
    sysctl.nf_conntrack_sctp_timeout_shutdown_sent,
    sysctl.nf_conntrack_sctp_timeout_shutdown_recd,
    sysctl.nf_conntrack_sctp_timeout_shutdown_ack_sent,
    sysctl.nf_conntrack_sctp_timeout_heartbeat_sent,
  ];
  if (s === S_ESTABLISHED && conn.status & IPS_SEEN_REPLY) conn.status |= IPS_ASSURED;
  return trackVerdict('accept', undefined, timeouts[s] as number);
}

export const SCTP_TRACKER = defineL4Tracker({
  l4proto: IPPROTO_SCTP,
  name: 'sctp',
  timeouts: [
    'nf_conntrack_sctp_timeout_closed',
    'nf_conntrack_sctp_timeout_cookie_wait',
    'nf_conntrack_sctp_timeout_cookie_echoed',
    'nf_conntrack_sctp_timeout_established',
    'nf_conntrack_sctp_timeout_shutdown_sent',
    'nf_conntrack_sctp_timeout_shutdown_recd',
    'nf_conntrack_sctp_timeout_shutdown_ack_sent',
    'nf_conntrack_sctp_timeout_heartbeat_sent',
  ],
  ...PORTS,
  track: (conn, l4, dir, confirmed, sysctl) => trackSctp(conn, l4, dir, confirmed, sysctl),
  stateName: (conn) => SCTP_STATE_NAMES[conn.sctpState] ?? null,
});
