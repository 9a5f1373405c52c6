/**
 * The connection record and per-packet conntrack result, mirroring the
 * kernel's `struct nf_conn` and `enum ip_conntrack_info` closely enough that
 * the matches (state, ctstate, ctdir, ctstatus, connlimit, helper) can be
 * evaluated exactly as xt_state/xt_conntrack/xt_connlimit do.
 */
import type { Tuple } from './tuple';

/** `enum ip_conntrack_info` values. */
export const IP_CT_ESTABLISHED = 0;
export const IP_CT_RELATED = 1;
export const IP_CT_NEW = 2;
export const IP_CT_IS_REPLY = 3;
export const IP_CT_ESTABLISHED_REPLY = 3;
export const IP_CT_RELATED_REPLY = 4;
export const IP_CT_UNTRACKED = 7;
/** No conntrack attached (the kernel's "INVALID": skb->_nfct == 0). */
export const IP_CT_NONE = -1;

/** `ct->status` bits. */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;

/** The connection state names iptables' state/conntrack matches use. */
export type CtStateName = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/** TCP per-direction window tracking data (`struct ip_ct_tcp_state`). */
export interface TcpSide {
  end: number;
  maxend: number;
  maxwin: number;
  maxack: number;
  scale: number;
  flags: number;
}

/** TCP tracking data (`struct ip_ct_tcp`). */
export interface TcpTrack {
  state: number;
  seen: [TcpSide, TcpSide];
  lastDir: number;
  lastIndex: number;
  lastSeq: number;
  lastAck: number;
  lastEnd: number;
  lastWin: number;
  lastWscale: number;
  lastFlags: number;
  retrans: number;
}

/** FTP helper per-connection data (`struct nf_ct_ftp_master`): sequence numbers just after a newline, per direction. */
export interface FtpHelperData {
  seqAftNl: [number[], number[]];
}

export type HelperName = 'ftp';

/** One connection (`struct nf_conn`). */
export interface Conn {
  /** Stable id within a table (creation order). */
  readonly id: number;
  /** Address family and L4 protocol of both tuples. */
  readonly family: 4 | 6;
  readonly proto: number;
  /** [original, reply] tuples (built on demand: the table keeps them in compact form). */
  readonly tuple: readonly [Tuple, Tuple];
  status: number;
  /** Expiry as a kernel tick (jiffies of the virtual clock); expired when `timeout <= jiffies(now)`. */
  timeout: number;
  /** Removed from the table (killed, expired, or discarded before confirmation). */
  dead: boolean;
  tcp: TcpTrack | null;
  /** SCTP state (simplified tracker), else 0. */
  sctpState: number;
  /** UDP: jiffies after which a replied flow counts as a stream. */
  udpStreamJiffies: number;
  helper: HelperName | null;
  ftp: FtpHelperData | null;
  master: Conn | null;
  /** Packets and bytes seen per direction. */
  readonly packets: readonly [number, number];
  readonly bytes: readonly [number, number];
  /** Time (s) the connection was created. */
  readonly created: number;
}

/** An expected connection (`struct nf_conntrack_expect`): the tuple with a wildcard source port. */
export interface Expectation {
  id: number;
  master: Conn;
  tuple: Tuple;
  /** The source port is not compared (FTP expectations leave it open). */
  anySourcePort: boolean;
  helper: HelperName;
  /** Expiry as a kernel tick (jiffies). */
  timeout: number;
}

/**
 * What conntrack decided for one packet at PREROUTING: the connection (null
 * when the packet is INVALID or UNTRACKED), the ctinfo and the derived state.
 */
export interface CtPacket {
  conn: Conn | null;
  ctinfo: number;
  /** The ctstate name, or null when conntrack does not see the frame (not IP). */
  state: CtStateName | null;
  /** 0 original, 1 reply; null without a connection. */
  dir: 0 | 1 | null;
  /** True when this packet created the (still unconfirmed) connection. */
  created: boolean;
  /** Why the packet is INVALID / ignored, in the kernel log's words. */
  note: string | null;
}

/**
 * Outcome of a protocol tracker for one packet. accept: state updated;
 * ignore: the packet passes tracked but changes nothing; invalid: it loses
 * its conntrack (INVALID); repeat: the old connection was killed, look the
 * packet up again (a SYN reopening a closed connection). Every verdict has
 * all four fields so the caller's property reads see one object shape.
 */
export interface TrackVerdict {
  result: 'accept' | 'ignore' | 'invalid' | 'repeat';
  /** New timeout (s) to refresh the connection with, when accepted. */
  timeout: number | undefined;
  /** The connection must be killed after this packet (RST with no reply seen). */
  kill: boolean;
  note: string | undefined;
}

/** A tracker verdict (fields in one fixed order). */
export function trackVerdict(
  result: TrackVerdict['result'],
  note?: string,
  timeout?: number,
  kill = false,
): TrackVerdict {
  return { result, timeout, kill, note };
}
