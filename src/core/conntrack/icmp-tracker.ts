/**
 * ICMP and ICMPv6 query tracking (nf_conntrack_proto_icmp.c, nf_conntrack_proto_icmpv6.c): the
 * tuple is the echo id and `type << 8 | code`; only a request type may create a connection, its
 * reply type is the inverse (the invmap tables, written once here); every packet refreshes one
 * timeout. Errors are RELATED to the connection they quote (decided before the lookup, in
 * `Conntrack`); ICMPv6 neighbour discovery and MLD are never tracked.
 */
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../model/protocol-numbers';
import type { L4Packet } from '../packet/packet';
import { defineL4Tracker } from './l4-tracker';
import type { L4Early, L4Tracker, PortPair } from './l4-tracker';
import type { ConntrackSysctl } from './sysctl';
import { IP_CT_NONE, IP_CT_UNTRACKED, trackVerdict } from './types';
import type { TrackVerdict } from './types';

/** ICMP request/reply pairs (type → inverse type), from nf_conntrack_proto_icmp.c's invmap. */
const ICMP_INVERSE: Record<number, number> = {
  8: 0,
  0: 8,
  13: 14,
  14: 13,
  15: 16,
  16: 15,
  17: 18,
  18: 17,
};
/** ICMPv6 pairs: echo 128↔129, node information 139↔140. */
const ICMPV6_INVERSE: Record<number, number> = { 128: 129, 129: 128, 139: 140, 140: 139 };

/** ICMP types that may start a connection: echo, timestamp, info request, address mask request. */
const ICMP_VALID_NEW = new Set([8, 13, 15, 17]);
/** ICMPv6 types that may start a connection: echo request, node information query. */
const ICMPV6_VALID_NEW = new Set([128, 139]);

const INVALID_TYPE: L4Early = { ctinfo: IP_CT_NONE, note: 'invalid icmp type' };
const ND_MLD: L4Early = { ctinfo: IP_CT_UNTRACKED, note: 'ICMPv6 ND/MLD: untracked' };

/** Shared result object (read by the caller before the next packet is tracked). */
const ACCEPT: TrackVerdict = trackVerdict('accept', undefined, 0);

function icmpTracker(
  l4proto: number,
  name: string,
  inverse: Record<number, number>,
  validNew: ReadonlySet<number>,
  timeout: 'nf_conntrack_icmp_timeout' | 'nf_conntrack_icmpv6_timeout',
  early: (l4: L4Packet) => L4Early,
): L4Tracker {
  const label = l4proto === IPPROTO_ICMP ? 'ICMP' : 'ICMPv6';
  return defineL4Tracker({
    l4proto,
    name,
    timeouts: [timeout],
    pickTuple(l4, out) {
      if (l4.kind !== 'icmp' && l4.kind !== 'icmpv6') return false;
      out.sport = l4.rest >>> 16;
      out.dport = (l4.type << 8) | l4.code;
      return true;
    },
    pickQuoted(b, off, out) {
      if (off + 8 > b.length) return false;
      out.sport = ((b[off + 4] as number) << 8) | (b[off + 5] as number);
      out.dport = ((b[off] as number) << 8) | (b[off + 1] as number);
      return true;
    },
    invert(t: PortPair, out: PortPair) {
      const inv = inverse[t.dport >>> 8];
      if (inv === undefined) return false;
      out.sport = t.sport;
      out.dport = (inv << 8) | (t.dport & 0xff);
      return true;
    },
    early,
    // Only a request type may create the connection (an echo reply without request is INVALID);
    // the original tuple's type decides, for both directions.
    track(conn, _l4, _dir, _confirmed, sysctl: ConntrackSysctl) {
      const type = conn.dport >>> 8;
      if (!validNew.has(type))
        return trackVerdict('invalid', `can't create a new ${label} connection with type ${type}`);
      ACCEPT.timeout = sysctl[timeout];
      return ACCEPT;
    },
    formatPorts: (t) => ` type=${t.dport >>> 8} code=${t.dport & 0xff} id=${t.sport}`,
    viewPorts(t, v) {
      v.type = t.dport >>> 8;
      v.code = t.dport & 0xff;
      v.id = t.sport;
    },
  });
}

export const ICMP_TRACKER = icmpTracker(
  IPPROTO_ICMP,
  'icmp',
  ICMP_INVERSE,
  ICMP_VALID_NEW,
  'nf_conntrack_icmp_timeout',
  (l4) => {
    if (l4.kind !== 'icmp') return null;
    if (l4.type > 18) return INVALID_TYPE;
    // Destination unreachable, source quench, redirect, time exceeded, parameter problem.
    return l4.type === 3 || l4.type === 4 || l4.type === 5 || l4.type === 11 || l4.type === 12
      ? 'icmp-error'
      : null;
  },
);

export const ICMPV6_TRACKER = icmpTracker(
  IPPROTO_ICMPV6,
  'icmpv6',
  ICMPV6_INVERSE,
  ICMPV6_VALID_NEW,
  'nf_conntrack_icmpv6_timeout',
  (l4) => {
    if (l4.kind !== 'icmpv6') return null;
    // Neighbour discovery and MLD are never tracked.
    if ((l4.type >= 130 && l4.type <= 136) || l4.type === 143) return ND_MLD;
    return l4.type < 128 ? 'icmp-error' : null;
  },
);
