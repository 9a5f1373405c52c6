/**
 * TCP connection tracking after net/netfilter/nf_conntrack_proto_tcp.c
 * (Linux 6.x): the tcp_conntracks state table, window tracking with the
 * 6.1+ accept / ignore / invalid outcomes, mid-stream pickup
 * (nf_conntrack_tcp_loose), RST validation, retransmission counting and the
 * per-state timeouts. Facts used are listed in KERNEL-FACTS.md.
 */
import type { TcpSegment } from '../packet/packet';
import {
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from '../packet/packet';
import { IPPROTO_TCP } from '../model/protocol-numbers';
import { PORTS, defineL4Tracker } from './l4-tracker';
import type { ConntrackSysctl } from './sysctl';
import type { Conn, TcpSide, TcpTrack, TrackVerdict } from './types';
import { IPS_ASSURED, IPS_SEEN_REPLY, trackVerdict } from './types';

/** TCP conntrack states (`enum tcp_conntrack`). */
export const TCP_NONE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_RECV = 2;
export const TCP_ESTABLISHED = 3;
export const TCP_FIN_WAIT = 4;
export const TCP_CLOSE_WAIT = 5;
export const TCP_LAST_ACK = 6;
export const TCP_TIME_WAIT = 7;
export const TCP_CLOSE = 8;
export const TCP_SYN_SENT2 = 9;
const sIV = 10;
const sIG = 11;

/** Names as `conntrack -L` prints them. */
export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

/** Packet classes indexing the state table (`enum tcp_bit_set`). */
const SYN_SET = 0;
const SYNACK_SET = 1;
const FIN_SET = 2;
const ACK_SET = 3;
const RST_SET = 4;
const NONE_SET = 5;

/** `ip_ct_tcp_state.flags` bits. */
const F_WINDOW_SCALE = 0x01;
const F_SACK_PERM = 0x02;
const F_CLOSE_INIT = 0x04;
const F_BE_LIBERAL = 0x08;
const F_DATA_UNACKNOWLEDGED = 0x10;
const F_MAXACK_SET = 0x20;
const F_EXP_CHALLENGE_ACK = 0x40;
const F_SIMULTANEOUS_OPEN = 0x80;

const sSS = TCP_SYN_SENT;
const sSR = TCP_SYN_RECV;
const sES = TCP_ESTABLISHED;
const sFW = TCP_FIN_WAIT;
const sCW = TCP_CLOSE_WAIT;
const sLA = TCP_LAST_ACK;
const sTW = TCP_TIME_WAIT;
const sCL = TCP_CLOSE;
const sS2 = TCP_SYN_SENT2;

/**
 * tcp_conntracks[dir][packet class][old state] → new state, transcribed from
 * the 6.x table (columns: NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT,
 * CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, SYN_SENT2).
 */
const TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** Flag combinations tcp_error accepts (PSH, ECE and CWR ignored), as a lookup table by flag byte. */
const VALID_FLAGS = new Uint8Array(256);
for (const f of [
  TCP_SYN,
  TCP_SYN | TCP_URG,
  TCP_SYN | TCP_ACK,
  TCP_RST,
  TCP_RST | TCP_ACK,
  TCP_FIN | TCP_ACK,
  TCP_FIN | TCP_ACK | TCP_URG,
  TCP_ACK,
  TCP_ACK | TCP_URG,
]) {
  VALID_FLAGS[f] = 1;
}

const MAXACKWINCONST = 66000;

/** Outcome of tracking one segment (`repeat` and `kill` are TCP's own). */
export type TcpVerdict = TrackVerdict;

const u32 = (x: number) => x >>> 0;
const before = (a: number, b: number) => ((a - b) | 0) < 0;
const after = (a: number, b: number) => before(b, a);

function classify(flags: number): number {
  if (flags & TCP_RST) return RST_SET;
  if (flags & TCP_SYN) return flags & TCP_ACK ? SYNACK_SET : SYN_SET;
  if (flags & TCP_FIN) return FIN_SET;
  if (flags & TCP_ACK) return ACK_SET;
  return NONE_SET;
}

/**
 * One direction's window data. The sequence-space words are stored as
 * signed 32-bit integers (small integers in V8, where a u32 above 2^31 would
 * be a separately allocated double per field) and read back as u32.
 */
class TcpSideState implements TcpSide {
  private endWord = 0;
  private maxendWord = 0;
  private maxwinWord = 0;
  private maxackWord = 0;
  scale = 0;
  flags = 0;

  get end(): number {
    return this.endWord >>> 0;
  }
  set end(v: number) {
    this.endWord = v | 0;
  }
  get maxend(): number {
    return this.maxendWord >>> 0;
  }
  set maxend(v: number) {
    this.maxendWord = v | 0;
  }
  get maxwin(): number {
    return this.maxwinWord >>> 0;
  }
  set maxwin(v: number) {
    this.maxwinWord = v | 0;
  }
  get maxack(): number {
    return this.maxackWord >>> 0;
  }
  set maxack(v: number) {
    this.maxackWord = v | 0;
  }
}

/**
 * `struct ip_ct_tcp` in one object: both directions' window data inline
 * (`end0`… for the original direction, `end1`… for the reply), the u32 words
 * stored as int32 as in `TcpSideState`. The tracker reads a direction
 * through `sideOf`, which returns one of two shared views, so a packet
 * touches one object instead of the track, an array and two sides.
 */
class TcpTrackState implements TcpTrack {
  state = TCP_NONE;
  lastDir = 0;
  lastIndex = NONE_SET;
  end0 = 0;
  maxend0 = 0;
  maxwin0 = 0;
  maxack0 = 0;
  scale0 = 0;
  flags0 = 0;
  end1 = 0;
  maxend1 = 0;
  maxwin1 = 0;
  maxack1 = 0;
  scale1 = 0;
  flags1 = 0;
  private lastSeqWord = 0;
  private lastAckWord = 0;
  private lastEndWord = 0;
  lastWin = 0;
  lastWscale = 0;
  lastFlags = 0;
  retrans = 0;

  /** Both directions as views (valid until `sideOf` is called for another track). */
  get seen(): [TcpSide, TcpSide] {
    return [sideOf(this, 0), sideOf(this, 1)];
  }

  /** Forgets direction `dir`'s window data. */
  resetSide(dir: number): void {
    if (dir === 0)
      this.end0 = this.maxend0 = this.maxwin0 = this.maxack0 = this.scale0 = this.flags0 = 0;
    else this.end1 = this.maxend1 = this.maxwin1 = this.maxack1 = this.scale1 = this.flags1 = 0;
  }

  get lastSeq(): number {
    return this.lastSeqWord >>> 0;
  }
  set lastSeq(v: number) {
    this.lastSeqWord = v | 0;
  }
  get lastAck(): number {
    return this.lastAckWord >>> 0;
  }
  set lastAck(v: number) {
    this.lastAckWord = v | 0;
  }
  get lastEnd(): number {
    return this.lastEndWord >>> 0;
  }
  set lastEnd(v: number) {
    this.lastEndWord = v | 0;
  }
}

/** The original direction's window data of a track, as a `TcpSide`. */
class OriginalSideView implements TcpSide {
  t: TcpTrackState | null = null;
  get end(): number {
    return (this.t as TcpTrackState).end0 >>> 0;
  }
  set end(v: number) {
    (this.t as TcpTrackState).end0 = v | 0;
  }
  get maxend(): number {
    return (this.t as TcpTrackState).maxend0 >>> 0;
  }
  set maxend(v: number) {
    (this.t as TcpTrackState).maxend0 = v | 0;
  }
  get maxwin(): number {
    return (this.t as TcpTrackState).maxwin0 >>> 0;
  }
  set maxwin(v: number) {
    (this.t as TcpTrackState).maxwin0 = v | 0;
  }
  get maxack(): number {
    return (this.t as TcpTrackState).maxack0 >>> 0;
  }
  set maxack(v: number) {
    (this.t as TcpTrackState).maxack0 = v | 0;
  }
  get scale(): number {
    return (this.t as TcpTrackState).scale0;
  }
  set scale(v: number) {
    (this.t as TcpTrackState).scale0 = v;
  }
  get flags(): number {
    return (this.t as TcpTrackState).flags0;
  }
  set flags(v: number) {
    (this.t as TcpTrackState).flags0 = v;
  }
}

/** The reply direction's window data of a track, as a `TcpSide`. */
class ReplySideView implements TcpSide {
  t: TcpTrackState | null = null;
  get end(): number {
    return (this.t as TcpTrackState).end1 >>> 0;
  }
  set end(v: number) {
    (this.t as TcpTrackState).end1 = v | 0;
  }
  get maxend(): number {
    return (this.t as TcpTrackState).maxend1 >>> 0;
  }
  set maxend(v: number) {
    (this.t as TcpTrackState).maxend1 = v | 0;
  }
  get maxwin(): number {
    return (this.t as TcpTrackState).maxwin1 >>> 0;
  }
  set maxwin(v: number) {
    (this.t as TcpTrackState).maxwin1 = v | 0;
  }
  get maxack(): number {
    return (this.t as TcpTrackState).maxack1 >>> 0;
  }
  set maxack(v: number) {
    (this.t as TcpTrackState).maxack1 = v | 0;
  }
  get scale(): number {
    return (this.t as TcpTrackState).scale1;
  }
  set scale(v: number) {
    (this.t as TcpTrackState).scale1 = v;
  }
  get flags(): number {
    return (this.t as TcpTrackState).flags1;
  }
  set flags(v: number) {
    (this.t as TcpTrackState).flags1 = v;
  }
}

const ORIGINAL_VIEW = new OriginalSideView();
const REPLY_VIEW = new ReplySideView();

/** Direction `dir` of track `t` (a shared view: rebound by the next call for the same direction). */
function sideOf(t: TcpTrackState, dir: number): TcpSide {
  if (dir === 0) {
    ORIGINAL_VIEW.t = t;
    return ORIGINAL_VIEW;
  }
  REPLY_VIEW.t = t;
  return REPLY_VIEW;
}

function newSide(): TcpSide {
  return new TcpSideState();
}

function newTrack(): TcpTrackState {
  return new TcpTrackState();
}

/** seq + payload length + SYN + FIN (segment_seq_plus_len). */
function segmentEnd(seg: TcpSegment): number {
  return u32(
    seg.seq + seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0),
  );
}

/** Reads window-scale and SACK-permitted options into `side` (tcp_options). */
function parseOptions(seg: TcpSegment, side: TcpSide): void {
  const o = seg.options;
  if (!o || o.length === 0) return;
  side.scale = 0;
  side.flags &= ~(F_WINDOW_SCALE | F_SACK_PERM);
  let i = 0;
  while (i < o.length) {
    const kind = o[i] as number;
    if (kind === 0) return;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= o.length) return;
    const size = o[i + 1] as number;
    if (size < 2 || i + size > o.length) return;
    if (kind === 4 && size === 2) side.flags |= F_SACK_PERM;
    else if (kind === 3 && size === 3) {
      side.scale = Math.min(o[i + 2] as number, 14);
      side.flags |= F_WINDOW_SCALE;
    }
    i += size;
  }
}

/** Highest right edge of SACK blocks, if any exceeds `ack` (tcp_sack). */
function sackEdge(seg: TcpSegment, ack: number): number {
  const o = seg.options;
  let sack = ack;
  if (!o) return sack;
  let i = 0;
  while (i < o.length) {
    const kind = o[i] as number;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= o.length) break;
    const size = o[i + 1] as number;
    if (size < 2 || i + size > o.length) break;
    if (kind === 5 && size >= 10 && (size - 2) % 8 === 0) {
      for (let j = i + 2; j < i + size; j += 8) {
        const right = u32(
          ((o[j + 4] as number) << 24) |
            ((o[j + 5] as number) << 16) |
            ((o[j + 6] as number) << 8) |
            (o[j + 7] as number),
        );
        if (after(right, sack)) sack = right;
      }
      break;
    }
    i += size;
  }
  return sack;
}

function initSender(
  sender: TcpSide,
  receiver: TcpSide,
  seg: TcpSegment,
  end: number,
  win: number,
  dir: number,
): void {
  sender.end = end;
  sender.maxend = end;
  sender.maxwin = win === 0 ? 1 : win;
  parseOptions(seg, sender);
  // RFC 1323: window scaling only when both sides offered it.
  if (dir === 1 && !(sender.flags & F_WINDOW_SCALE && receiver.flags & F_WINDOW_SCALE)) {
    sender.scale = 0;
    receiver.scale = 0;
  }
}

type WindowResult = { r: 'accept' | 'ignore' | 'invalid'; note?: string };

/** Shared result for the common case (no allocation per packet). */
const WINDOW_ACCEPT: WindowResult = Object.freeze({ r: 'accept' as const });

function logInvalid(
  sender: TcpSide,
  sysctl: ConntrackSysctl,
  r: 'ignore' | 'invalid',
  note: string,
): WindowResult {
  // Liberal tracking (sysctl, or a picked-up connection) accepts everything out of window.
  if (sender.flags & F_BE_LIBERAL || sysctl.nf_conntrack_tcp_be_liberal) return WINDOW_ACCEPT;
  return { r, note };
}

/** tcp_in_window: the sequence/ack window checks and updates. */
function inWindow(
  t: TcpTrackState,
  dir: number,
  index: number,
  seg: TcpSegment,
  sysctl: ConntrackSysctl,
): WindowResult {
  const sender = sideOf(t, dir);
  const receiver = sideOf(t, dir ^ 1);
  let seq = seg.seq;
  let ack = seg.ack;
  let sack = ack;
  const winRaw = seg.window;
  let win = winRaw;
  let end = segmentEnd(seg);
  const syn = (seg.flags & TCP_SYN) !== 0;
  const hasAck = (seg.flags & TCP_ACK) !== 0;
  if (receiver.flags & F_SACK_PERM) sack = sackEdge(seg, sack);

  if (sender.maxwin === 0) {
    if (syn) {
      initSender(sender, receiver, seg, end, win, dir);
      if (!hasAck) return WINDOW_ACCEPT; // simultaneous open
    } else {
      // Mid-stream: the history is lost, take what the packet says.
      sender.end = end;
      const swin = u32(win * (1 << sender.scale));
      sender.maxwin = swin === 0 ? 1 : swin;
      sender.maxend = u32(end + sender.maxwin);
      if (receiver.maxwin === 0) {
        receiver.end = sack;
        receiver.maxend = sack;
      } else if (sack === u32(receiver.end + 1)) {
        receiver.end = u32(receiver.end + 1); // reply to a keepalive
      }
    }
  } else if (
    syn &&
    after(end, sender.end) &&
    (t.state === TCP_SYN_SENT || t.state === TCP_SYN_RECV)
  ) {
    // A reinitialised SYN (RFC 793): restart this direction's window data.
    initSender(sender, receiver, seg, end, win, dir);
    if (dir === 1 && !hasAck) return WINDOW_ACCEPT;
  }

  if (!hasAck) {
    ack = receiver.end;
    sack = receiver.end;
  } else if ((seg.flags & (TCP_ACK | TCP_RST)) === (TCP_ACK | TCP_RST) && ack === 0) {
    ack = receiver.end;
    sack = receiver.end;
  }
  if (seg.flags & TCP_RST && seq === 0 && t.state === TCP_SYN_SENT) {
    seq = sender.end;
    end = sender.end;
  }

  const maxAckWindow = sender.maxwin > MAXACKWINCONST ? sender.maxwin : MAXACKWINCONST;
  if (!before(seq, u32(sender.maxend + 1))) {
    const overshot = u32(end - sender.maxend + 1);
    const ackOk = after(sack, u32(receiver.end - maxAckWindow - 1));
    const inRecvWin = receiver.maxwin !== 0 && after(end, u32(sender.end - receiver.maxwin - 1));
    if (inRecvWin && ackOk && overshot <= receiver.maxwin && before(sack, u32(receiver.end + 1))) {
      sender.end = end;
      sender.flags |= F_DATA_UNACKNOWLEDGED;
      return logInvalid(sender, sysctl, 'ignore', `${overshot} bytes more than expected`);
    }
    return logInvalid(
      sender,
      sysctl,
      'invalid',
      `SEQ is over upper bound ${u32(sender.maxend + 1)} (over the window of the receiver)`,
    );
  }
  if (!before(sack, u32(receiver.end + 1))) {
    return logInvalid(
      sender,
      sysctl,
      'invalid',
      `ACK is over upper bound ${u32(receiver.end + 1)} (ACKed data not seen yet)`,
    );
  }
  const inRecvWin = receiver.maxwin === 0 || after(end, u32(sender.end - receiver.maxwin - 1));
  if (!inRecvWin) {
    return logInvalid(
      sender,
      sysctl,
      'ignore',
      `SEQ is under lower bound ${u32(sender.end - receiver.maxwin - 1)} (already ACKed data retransmitted)`,
    );
  }
  if (!after(sack, u32(receiver.end - maxAckWindow - 1))) {
    return logInvalid(
      sender,
      sysctl,
      'ignore',
      `ignored ACK under lower bound ${u32(receiver.end - maxAckWindow - 1)} (possible overly delayed)`,
    );
  }

  // The scale is at most 14 (parseOptions clamps it as tcp_options does), so the shift is exact.
  if (!syn) win = u32(win * (1 << sender.scale));
  const swin = u32(win + u32(sack - ack));
  if (sender.maxwin < swin) sender.maxwin = swin;
  if (after(end, sender.end)) {
    sender.end = end;
    sender.flags |= F_DATA_UNACKNOWLEDGED;
  }
  if (hasAck) {
    if (!(sender.flags & F_MAXACK_SET)) {
      sender.maxack = ack;
      sender.flags |= F_MAXACK_SET;
    } else if (after(ack, sender.maxack)) {
      sender.maxack = ack;
    }
  }
  if (receiver.maxwin !== 0 && after(end, sender.maxend))
    receiver.maxwin = u32(receiver.maxwin + u32(end - sender.maxend));
  if (after(u32(sack + win), u32(receiver.maxend - 1))) {
    receiver.maxend = u32(sack + win);
    if (win === 0) receiver.maxend = u32(receiver.maxend + 1);
  }
  if (ack === receiver.end) receiver.flags &= ~F_DATA_UNACKNOWLEDGED;

  if (index === ACK_SET) {
    if (
      t.lastDir === dir &&
      t.lastSeq === seq &&
      t.lastAck === ack &&
      t.lastEnd === end &&
      t.lastWin === winRaw
    ) {
      t.retrans++;
    } else {
      t.lastDir = dir;
      t.lastSeq = seq;
      t.lastAck = ack;
      t.lastEnd = end;
      t.lastWin = winRaw;
      t.retrans = 0;
    }
  }
  return WINDOW_ACCEPT;
}

function stateTimeout(sysctl: ConntrackSysctl, state: number): number {
  switch (state) {
    case TCP_SYN_SENT:
    case TCP_SYN_SENT2:
    case TCP_NONE:
      return sysctl.nf_conntrack_tcp_timeout_syn_sent;
    case TCP_SYN_RECV:
      return sysctl.nf_conntrack_tcp_timeout_syn_recv;
    case TCP_ESTABLISHED:
      return sysctl.nf_conntrack_tcp_timeout_established;
    case TCP_FIN_WAIT:
      return sysctl.nf_conntrack_tcp_timeout_fin_wait;
    case TCP_CLOSE_WAIT:
      return sysctl.nf_conntrack_tcp_timeout_close_wait;
    case TCP_LAST_ACK:
      return sysctl.nf_conntrack_tcp_timeout_last_ack;
    case TCP_TIME_WAIT:
      return sysctl.nf_conntrack_tcp_timeout_time_wait;
    default:
      return sysctl.nf_conntrack_tcp_timeout_close;
  }
}

/** True in the states the kernel may evict early (tcp_can_early_drop); also used by RST handling. */
function canEarlyDrop(state: number): boolean {
  return (
    state === TCP_FIN_WAIT ||
    state === TCP_LAST_ACK ||
    state === TCP_TIME_WAIT ||
    state === TCP_CLOSE ||
    state === TCP_CLOSE_WAIT
  );
}

/**
 * Tracks one TCP segment for `conn` in direction `dir`. `confirmed` is false
 * for the packet that is creating the connection (tcp_new runs first).
 */
export function trackTcp(
  conn: Conn,
  seg: TcpSegment,
  dir: 0 | 1,
  confirmed: boolean,
  sysctl: ConntrackSysctl,
  jiffies: number,
  hz: number,
): TcpVerdict {
  // tcp_error: flag sanity (PSH, ECE, CWR are always fine).
  const checked = seg.flags & ~(TCP_ECE | TCP_CWR | TCP_PSH);
  if ((checked & ~0xff) !== 0 || VALID_FLAGS[checked] !== 1)
    return trackVerdict('invalid', 'invalid tcp flag combination');

  const index = classify(seg.flags);
  if (!confirmed) {
    // tcp_new
    const first = TABLE[0]![index]![TCP_NONE]!;
    if (first === sIV) return trackVerdict('invalid', 'invalid new (no SYN)');
    const t = newTrack();
    const s0 = sideOf(t, 0);
    s0.end = segmentEnd(seg);
    s0.maxwin = seg.window === 0 ? 1 : seg.window;
    if (first === TCP_SYN_SENT) {
      s0.maxend = s0.end;
      parseOptions(seg, s0);
    } else {
      if (!sysctl.nf_conntrack_tcp_loose)
        return trackVerdict('invalid', 'mid-stream pickup disabled (nf_conntrack_tcp_loose=0)');
      s0.maxend = u32(s0.end + s0.maxwin);
      // A picked-up connection assumes SACK and tracks windows liberally.
      t.flags0 = F_SACK_PERM | F_BE_LIBERAL;
      t.flags1 = F_SACK_PERM | F_BE_LIBERAL;
    }
    t.lastIndex = NONE_SET;
    conn.tcp = t;
  }
  const t = conn.tcp as TcpTrackState;
  let oldState = t.state;
  let newState = TABLE[dir]![index]![oldState]!;
  let skipWindow = false;

  switch (newState) {
    case TCP_SYN_SENT: {
      if (oldState < TCP_TIME_WAIT) break;
      // A SYN reopening a closed/aborted connection: kill it and track the SYN anew.
      if ((t.flags0 | t.flags1) & F_CLOSE_INIT || (t.lastDir === dir && t.lastIndex === RST_SET)) {
        return trackVerdict('repeat', 'reopening a closed connection');
      }
      return ignorePacket(t, dir, index, seg, oldState);
    }
    case sIG: {
      if (
        index === SYNACK_SET &&
        t.lastIndex === SYN_SET &&
        t.lastDir !== dir &&
        seg.ack === t.lastEnd
      ) {
        // This SYN/ACK answers a SYN we ignored: the endpoints are in sync, resync from it.
        oldState = TCP_SYN_SENT;
        newState = TCP_SYN_RECV;
        const ld = t.lastDir;
        const side = sideOf(t, ld);
        side.end = t.lastEnd;
        side.maxend = t.lastEnd;
        side.maxwin = t.lastWin === 0 ? 1 : t.lastWin;
        side.scale = t.lastWscale;
        t.lastFlags &= ~F_EXP_CHALLENGE_ACK;
        side.flags = t.lastFlags;
        t.resetSide(dir);
        break;
      }
      return ignorePacket(t, dir, index, seg, oldState);
    }
    case sIV:
      return trackVerdict(
        'invalid',
        `invalid state (${TCP_STATE_NAMES[oldState]} + ${['SYN', 'SYN/ACK', 'FIN', 'ACK', 'RST', 'no flags'][index]} in ${dir ? 'reply' : 'original'} direction)`,
      );
    case TCP_TIME_WAIT:
      if (
        oldState === TCP_LAST_ACK &&
        index === ACK_SET &&
        t.lastDir !== dir &&
        t.lastIndex === SYN_SET &&
        t.lastFlags & F_EXP_CHALLENGE_ACK
      ) {
        t.lastFlags &= ~F_EXP_CHALLENGE_ACK;
        return trackVerdict('ignore', 'challenge-ack ignored');
      }
      break;
    case TCP_SYN_SENT2:
      t.lastFlags |= F_SIMULTANEOUS_OPEN;
      break;
    case TCP_SYN_RECV:
      if (dir === 1 && index === ACK_SET && t.lastFlags & F_SIMULTANEOUS_OPEN)
        newState = TCP_ESTABLISHED;
      break;
    case TCP_CLOSE: {
      if (index !== RST_SET) break;
      if (canEarlyDrop(oldState)) {
        skipWindow = true;
        break;
      }
      const other = sideOf(t, dir ^ 1);
      if (other.flags & F_MAXACK_SET && t.lastIndex !== SYN_SET) {
        const established = oldState === TCP_ESTABLISHED && (conn.status & IPS_ASSURED) !== 0;
        const seq = seg.seq;
        if (seq === 0 && !established) break;
        if (before(seq, other.maxack) && !sysctl.nf_conntrack_tcp_ignore_invalid_rst)
          return trackVerdict('invalid', 'invalid rst');
        if (!established || seq === other.maxack) break;
        if (t.lastIndex === ACK_SET && t.lastDir === dir && seq === t.lastEnd) break;
        // RST sequence not exact: keep the state to allow a challenge ACK.
        newState = oldState;
      }
      if (
        (((conn.status & IPS_SEEN_REPLY) !== 0 && t.lastIndex === SYN_SET) ||
          ((conn.status & IPS_ASSURED) === 0 && t.lastIndex === ACK_SET)) &&
        seg.ack === t.lastEnd
      ) {
        skipWindow = true; // RST to a SYN/ACK we let through: no window check
      }
      break;
    }
  }

  if (!skipWindow) {
    const w = inWindow(t, dir, index, seg, sysctl);
    if (w.r === 'ignore') return trackVerdict('ignore', w.note ?? '');
    if (w.r === 'invalid') {
      handleInvalid(conn, t, dir, index, sysctl, jiffies, hz);
      return trackVerdict('invalid', w.note ?? '');
    }
  }

  t.lastIndex = index;
  t.lastDir = dir;
  t.state = newState;
  if (oldState !== newState && newState === TCP_FIN_WAIT) sideOf(t, dir).flags |= F_CLOSE_INIT;

  const unack = sysctl.nf_conntrack_tcp_timeout_unacknowledged;
  const retransT = sysctl.nf_conntrack_tcp_timeout_max_retrans;
  const st = stateTimeout(sysctl, newState);
  let timeout: number;
  if (t.retrans >= sysctl.nf_conntrack_tcp_max_retrans && st > retransT) timeout = retransT;
  else if (index === RST_SET) timeout = sysctl.nf_conntrack_tcp_timeout_close;
  else if ((t.flags0 | t.flags1) & F_DATA_UNACKNOWLEDGED && st > unack) timeout = unack;
  else if (t.lastWin === 0 && st > retransT) timeout = retransT;
  else timeout = st;

  if (!(conn.status & IPS_SEEN_REPLY)) {
    // Only a RST came back: no connection to keep.
    if (seg.flags & TCP_RST) return trackVerdict('accept', undefined, undefined, true);
    // A picked-up connection gets no 5-day ESTABLISHED timeout before a reply.
    if (newState === TCP_ESTABLISHED && timeout > unack) timeout = unack;
  } else if (
    !(conn.status & IPS_ASSURED) &&
    (oldState === TCP_SYN_RECV || oldState === TCP_ESTABLISHED) &&
    newState === TCP_ESTABLISHED
  ) {
    conn.status |= IPS_ASSURED;
  }
  // One shared result for the common case: callers read it before tracking the next packet.
  TCP_ACCEPT.timeout = timeout;
  return TCP_ACCEPT;
}

const TCP_ACCEPT: TcpVerdict = trackVerdict('accept', undefined, 0);

/** Records an ignored packet's data so a later SYN/ACK can resync (the sIG path). */
function ignorePacket(
  t: TcpTrack,
  dir: number,
  index: number,
  seg: TcpSegment,
  oldState: number,
): TcpVerdict {
  t.lastIndex = index;
  t.lastDir = dir;
  t.lastSeq = seg.seq;
  t.lastEnd = segmentEnd(seg);
  t.lastWin = seg.window;
  if (index === SYN_SET && dir === 0) {
    const seen = newSide();
    t.lastFlags = 0;
    t.lastWscale = 0;
    parseOptions(seg, seen);
    if (seen.flags & F_WINDOW_SCALE) {
      t.lastFlags |= F_WINDOW_SCALE;
      t.lastWscale = seen.scale;
    }
    if (seen.flags & F_SACK_PERM) t.lastFlags |= F_SACK_PERM;
    // A SYN in LAST_ACK may draw an RFC 5961 challenge ACK that must not close the connection.
    if (oldState === TCP_LAST_ACK) t.lastFlags |= F_EXP_CHALLENGE_ACK;
  }
  return trackVerdict(
    'ignore',
    `packet (${['SYN', 'SYN/ACK', 'FIN', 'ACK', 'RST', 'none'][index]}) in ${dir ? 'reply' : 'original'} direction ignored, state ${TCP_STATE_NAMES[oldState]}`,
  );
}

/** nf_tcp_handle_invalid: an out-of-window FIN/RST answering the peer's FIN/RST shortens an assured connection's timeout. */
function handleInvalid(
  conn: Conn,
  t: TcpTrack,
  dir: number,
  index: number,
  sysctl: ConntrackSysctl,
  jiffies: number,
  hz: number,
): void {
  if (!(conn.status & IPS_ASSURED)) return;
  if (index !== RST_SET && index !== FIN_SET) return;
  if (t.lastDir !== dir && (t.lastIndex === FIN_SET || t.lastIndex === RST_SET)) {
    const expires = conn.timeout - jiffies;
    if (expires < 120 * hz) return;
    const unack = sysctl.nf_conntrack_tcp_timeout_unacknowledged;
    if (expires > unack * hz) conn.timeout = jiffies + unack * hz;
  } else {
    t.lastIndex = index;
    t.lastDir = dir;
  }
}

/** The TCP state name of a connection (for tables). */
export function tcpStateName(conn: Conn): string | null {
  return conn.tcp ? (TCP_STATE_NAMES[conn.tcp.state] ?? null) : null;
}

export const TCP_TRACKER = defineL4Tracker({
  l4proto: IPPROTO_TCP,
  name: 'tcp',
  timeouts: [
    'nf_conntrack_tcp_timeout_syn_sent',
    'nf_conntrack_tcp_timeout_syn_recv',
    'nf_conntrack_tcp_timeout_established',
    'nf_conntrack_tcp_timeout_fin_wait',
    'nf_conntrack_tcp_timeout_close_wait',
    'nf_conntrack_tcp_timeout_last_ack',
    'nf_conntrack_tcp_timeout_time_wait',
    'nf_conntrack_tcp_timeout_close',
    'nf_conntrack_tcp_timeout_max_retrans',
    'nf_conntrack_tcp_timeout_unacknowledged',
  ],
  ...PORTS,
  track: (conn, l4, dir, confirmed, sysctl, jiffies, hz) =>
    l4.kind === 'tcp'
      ? trackTcp(conn, l4, dir, confirmed, sysctl, jiffies, hz)
      : trackVerdict('invalid', 'truncated TCP header'),
  stateName: tcpStateName,
});
