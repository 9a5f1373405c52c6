/**
 * The non-TCP trackers: UDP / UDP-Lite (nf_conntrack_proto_udp.c), ICMP and
 * ICMPv6 (nf_conntrack_proto_icmp.c, nf_conntrack_proto_icmpv6.c), generic
 * protocols (nf_conntrack_proto_generic.c) and a simplified SCTP tracker.
 */
import type { L4Packet } from '../packet/packet';
import { IPPROTO_ICMP } from '../packet/packet';
import type { ConntrackSysctl } from './sysctl';
import type { Conn, TrackVerdict } from './types';
import { IPS_ASSURED, IPS_SEEN_REPLY, trackVerdict } from './types';

/** Outcome of a non-TCP tracker (only accept or invalid). */
export type SimpleVerdict = TrackVerdict;

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
): SimpleVerdict {
  if (!confirmed) conn.udpStreamJiffies = jiffies + 2 * hz;
  let timeout = sysctl.nf_conntrack_udp_timeout;
  if (conn.status & IPS_SEEN_REPLY && jiffies > conn.udpStreamJiffies) {
    timeout = sysctl.nf_conntrack_udp_timeout_stream;
    conn.status |= IPS_ASSURED;
  }
  return accept(timeout);
}

/** Shared result object (read by the caller before the next packet is tracked). */
const ACCEPT: SimpleVerdict = trackVerdict('accept', undefined, 0);
function accept(timeout: number): SimpleVerdict {
  ACCEPT.timeout = timeout;
  return ACCEPT;
}

/** ICMP types that may start a connection: echo, timestamp, info request, address mask request. */
const ICMP_VALID_NEW = new Set([8, 13, 15, 17]);
/** ICMPv6 types that may start a connection: echo request, node information query. */
const ICMPV6_VALID_NEW = new Set([128, 139]);

/**
 * ICMP/ICMPv6 query tracking: only a request type may create the
 * connection (an echo reply without request is INVALID); every packet
 * refreshes the 30 s timeout. `origDport` is the original tuple's
 * `type << 8 | code`.
 */
export function trackIcmp(
  proto: number,
  origDport: number,
  sysctl: ConntrackSysctl,
): SimpleVerdict {
  const type = origDport >>> 8;
  const v4 = proto === IPPROTO_ICMP;
  if (!(v4 ? ICMP_VALID_NEW : ICMPV6_VALID_NEW).has(type)) {
    return trackVerdict(
      'invalid',
      `can't create a new ${v4 ? 'ICMP' : 'ICMPv6'} connection with type ${type}`,
    );
  }
  return accept(v4 ? sysctl.nf_conntrack_icmp_timeout : sysctl.nf_conntrack_icmpv6_timeout);
}

/** Generic protocols (IGMP, ESP, AH, …): address-only tuples, one timeout. */
export function trackGeneric(sysctl: ConntrackSysctl): SimpleVerdict {
  return accept(sysctl.nf_conntrack_generic_timeout);
}

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
): SimpleVerdict {
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
