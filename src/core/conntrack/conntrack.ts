/**
 * The connection tracking table with an injected virtual clock: what
 * nf_conntrack_in does at PREROUTING (lookup or create, classify the packet
 * NEW / ESTABLISHED / RELATED / INVALID / UNTRACKED, run the protocol
 * tracker) and what nf_confirm does when the packet leaves (run the helper,
 * confirm a new connection into the table). A connection whose first packet
 * is dropped before confirmation is simply never inserted.
 */
import type { EthernetFrame, IcmpMessage, Ipv4Packet, Ipv6Packet } from '../netfilter/packet';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, ipLayer } from '../netfilter/packet';
import { countConnlimit } from './connlimit';
import type { ConnlimitOptions, ConncountLists } from './connlimit';
import { ftpHelp } from './ftp-helper';
import { trackGeneric, trackIcmp, trackSctp, trackUdp, SCTP_STATE_NAMES } from './simple-trackers';
import type { SimpleVerdict } from './simple-trackers';
import type { ConntrackSysctl } from './sysctl';
import { resolveSysctl } from './sysctl';
import { TCP_CLOSE, TCP_TIME_WAIT, tcpStateName, trackTcp } from './tcp-tracker';
import type { TcpVerdict } from './tcp-tracker';
import type { Tuple } from './tuple';
import { copyTuple, fillPacketTuple, formatTuple, hasPorts, hashTuple, invertTuple, tupleDst, tupleEqual, tupleSrc } from './tuple';
import type { Conn, CtPacket, CtStateName, Expectation, HelperName } from './types';
import {
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_IS_REPLY,
  IP_CT_NEW,
  IP_CT_NONE,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  IP_CT_UNTRACKED,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_EXPECTED,
  IPS_SEEN_REPLY,
} from './types';

export interface ConntrackOptions {
  /** sysctl overrides by name (`nf_conntrack_icmp_timeout` or `net.netfilter.…`). */
  sysctl?: Record<string, number>;
  /** Kernel tick rate; connlimit's garbage collection works per jiffy. Default 250 (CONFIG_HZ of the reference host). */
  hz?: number;
}

export interface PacketInOptions {
  /**
   * The helper a raw-table `CT --helper` rule would attach to a connection
   * this packet creates (see `selectCtHelper`).
   */
  helper?: HelperName | null;
  /** The raw table marked the packet NOTRACK / `CT --notrack`. */
  notrack?: boolean;
}

export interface ConfirmResult {
  verdict: 'accept' | 'drop';
  note: string | null;
  /** An expectation the helper created for this packet. */
  expectation: Expectation | null;
}

/** Plain-data view of one connection, for traces, tables and the kernel differential. */
export interface ConnView {
  id: number;
  family: 4 | 6;
  proto: string;
  protoNum: number;
  /** TCP/SCTP state name, else null. */
  state: string | null;
  /** Seconds until expiry (rounded down, as conntrack -L prints). */
  timeout: number;
  original: TupleView;
  reply: TupleView;
  assured: boolean;
  unreplied: boolean;
  helper: HelperName | null;
  /** Id of the master connection (expected connections). */
  master: number | null;
  /** `conntrack -L` style line. */
  text: string;
}

export interface TupleView {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

export interface ExpectationView {
  id: number;
  timeout: number;
  proto: string;
  tuple: TupleView;
  master: number;
  helper: HelperName;
  text: string;
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 50: 'esp', 51: 'ah', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

/** FTP expectations live 5 minutes (ftp_exp_policy.timeout) and at most one per master (max_expected). */
const FTP_EXPECT_TIMEOUT = 300;

interface HashRef {
  conn: Conn;
  dir: 0 | 1;
}

/** The state name xt_conntrack/xt_state derive from a ctinfo. */
export function ctStateOf(ctinfo: number): CtStateName {
  if (ctinfo === IP_CT_NONE) return 'INVALID';
  if (ctinfo === IP_CT_UNTRACKED) return 'UNTRACKED';
  const base = ctinfo % IP_CT_IS_REPLY;
  return base === IP_CT_ESTABLISHED ? 'ESTABLISHED' : base === IP_CT_RELATED ? 'RELATED' : 'NEW';
}

/**
 * The helper the host's raw-table rule `iptables -t raw -A PREROUTING -p tcp
 * --dport 21 -j CT --helper ftp` assigns: 'ftp' for IPv4 TCP to port 21 when
 * the host setting is on (it is off by default, as nf_conntrack_helper=0 and
 * libvirt adds no such rule).
 */
export function selectCtHelper(frame: EthernetFrame, ftpHelper: boolean): HelperName | null {
  if (!ftpHelper) return null;
  const ip = frame.payload;
  return ip.kind === 'ipv4' && ip.payload.kind === 'tcp' && ip.protocol === IPPROTO_TCP && ip.payload.dstPort === 21 ? 'ftp' : null;
}

function result(conn: Conn | null, ctinfo: number, dir: 0 | 1 | null, created: boolean, note: string | null): CtPacket {
  return { conn, ctinfo, state: ctStateOf(ctinfo), dir, created, note };
}

/** Connection tracking for one host (one network namespace). */
export class Conntrack {
  readonly sysctl: ConntrackSysctl;
  readonly hz: number;
  /** Names in `options.sysctl` that are not conntrack sysctls. */
  readonly unknownSysctls: string[];
  private readonly buckets = new Map<number, HashRef[]>();
  private expects: Expectation[] = [];
  private readonly conncount = new Map<string, ConncountLists>();
  private readonly scratch: Tuple = { family: 4, proto: 0, s0: 0, s1: 0, s2: 0, s3: 0, d0: 0, d1: 0, d2: 0, d3: 0, sport: 0, dport: 0 };
  private nextConnId = 1;
  private nextExpectId = 1;
  private liveCount = 0;

  constructor(options: ConntrackOptions = {}) {
    const { sysctl, unknown } = resolveSysctl(options.sysctl);
    this.sysctl = sysctl;
    this.unknownSysctls = unknown;
    this.hz = options.hz ?? 250;
  }

  /** The kernel tick at virtual time `now`. */
  jiffies(now: number): number {
    return Math.floor(now * this.hz + 1e-9);
  }

  /** Number of confirmed, unexpired connections (as of the last lookup or `connections`). */
  get size(): number {
    return this.liveCount;
  }

  /**
   * nf_conntrack_in: classifies a frame at PREROUTING and updates the
   * tracker state. Frames that are not IP are not seen by conntrack
   * (`state: null`).
   */
  packetIn(frame: EthernetFrame, now: number, options: PacketInOptions = {}): CtPacket {
    const ip = ipLayer(frame);
    if (!ip) return { conn: null, ctinfo: IP_CT_NONE, state: null, dir: null, created: false, note: 'not IP: conntrack does not see it' };
    if (options.notrack) return result(null, IP_CT_UNTRACKED, null, false, 'raw table: notrack');
    if (ip.kind === 'ipv4' && (ip.fragOffset !== 0 || ip.flags & 1)) {
      return result(null, IP_CT_NONE, null, false, 'IP fragment: reassembly is not modelled');
    }
    const l4 = ip.payload;
    if (ip.protocol === IPPROTO_ICMP && l4.kind === 'icmp') {
      if (l4.type > 18) return result(null, IP_CT_NONE, null, false, 'invalid icmp type');
      if (l4.type === 3 || l4.type === 4 || l4.type === 5 || l4.type === 11 || l4.type === 12) return this.icmpError(ip, l4, now);
    } else if (ip.protocol === IPPROTO_ICMPV6 && l4.kind === 'icmpv6') {
      // Neighbour discovery and MLD are never tracked.
      if ((l4.type >= 130 && l4.type <= 136) || l4.type === 143) return result(null, IP_CT_UNTRACKED, null, false, 'ICMPv6 ND/MLD: untracked');
      if (l4.type < 128) return this.icmpError(ip, l4, now);
    }
    // Lookups use a scratch tuple; only a new connection keeps its own copy.
    const tuple = this.scratch;
    if (!fillPacketTuple(ip, tuple)) return result(null, IP_CT_NONE, null, false, 'truncated L4 header');

    for (let attempt = 0; attempt < 2; attempt++) {
      const ref = this.find(tuple, now);
      let conn: Conn;
      let dir: 0 | 1;
      let ctinfo: number;
      let created = false;
      if (!ref) {
        const reply = invertTuple(tuple);
        if (!reply) return result(null, IP_CT_NONE, null, false, "can't invert tuple (ICMP type without a reply)");
        const orig = copyTuple(tuple);
        conn = this.newConn(orig, reply, now);
        const exp = this.takeExpectation(orig, now);
        if (exp) {
          conn.status |= IPS_EXPECTED;
          conn.master = exp.master;
        } else if (options.helper && orig.proto === IPPROTO_TCP) {
          conn.helper = options.helper;
        }
        dir = 0;
        created = true;
        ctinfo = conn.status & IPS_EXPECTED ? IP_CT_RELATED : IP_CT_NEW;
      } else {
        conn = ref.conn;
        dir = ref.dir;
        if (dir === 1) ctinfo = IP_CT_ESTABLISHED_REPLY;
        else if (conn.status & IPS_SEEN_REPLY) ctinfo = IP_CT_ESTABLISHED;
        else if (conn.status & IPS_EXPECTED) ctinfo = IP_CT_RELATED;
        else ctinfo = IP_CT_NEW;
      }

      const v = this.track(conn, ip, dir, !created, now);
      if (v.result === 'invalid') {
        if (created) conn.dead = true;
        return result(null, IP_CT_NONE, null, false, v.note ?? 'invalid');
      }
      if (v.result === 'repeat') {
        this.kill(conn);
        continue;
      }
      if (v.result === 'accept' && v.timeout !== undefined) conn.timeout = this.jiffies(now) + Math.round(v.timeout * this.hz);
      conn.packets[dir]++;
      conn.bytes[dir] += ipLength(ip);
      if ('kill' in v && v.kill) this.kill(conn);
      if (ctinfo === IP_CT_ESTABLISHED_REPLY) conn.status |= IPS_SEEN_REPLY;
      return result(conn, ctinfo, dir, created, v.result === 'ignore' ? (v.note ?? 'ignored') : null);
    }
    return result(null, IP_CT_NONE, null, false, 'reopen loop');
  }

  /**
   * nf_confirm: the packet passed every hook and leaves. Runs the
   * connection's helper (which may create an expectation, or drop the packet)
   * and confirms a connection this packet created.
   */
  confirm(pkt: CtPacket, frame: EthernetFrame, now: number): ConfirmResult {
    const conn = pkt.conn;
    if (!conn || conn.dead) return { verdict: 'accept', note: null, expectation: null };
    let expectation: Expectation | null = null;
    let note: string | null = null;
    const ip = ipLayer(frame);
    if (conn.helper === 'ftp' && pkt.ctinfo !== IP_CT_RELATED_REPLY && ip && ip.payload.kind === 'tcp') {
      const h = ftpHelp(conn, pkt.ctinfo, ip.payload);
      note = h.note;
      if (h.verdict === 'drop') {
        if (pkt.created) conn.dead = true;
        return { verdict: 'drop', note: h.note, expectation: null };
      }
      if (h.expect) expectation = this.addExpectation(conn, h.expect.tuple, now);
    }
    if (pkt.created) this.insert(conn);
    return { verdict: 'accept', note, expectation };
  }

  /** The packet was dropped before leaving: a connection it created is never confirmed. */
  discard(pkt: CtPacket): void {
    if (pkt.created && pkt.conn) pkt.conn.dead = true;
  }

  /** Finds a confirmed, unexpired connection by either of its tuples (expired ones are removed). */
  find(tuple: Tuple, now: number): HashRef | null {
    const list = this.buckets.get(hashTuple(tuple));
    if (!list) return null;
    for (const ref of list) {
      if (!tupleEqual(ref.conn.tuple[ref.dir], tuple)) continue;
      if (ref.conn.timeout <= this.jiffies(now)) {
        this.kill(ref.conn);
        return null;
      }
      return ref;
    }
    return null;
  }

  /**
   * xt_connlimit: counts the connections of the packet's masked source (or
   * destination) address in the list kept by one connlimit rule (`ruleKey`),
   * adding this packet's connection. See connlimit.ts for the semantics.
   */
  connlimitCount(ruleKey: string, pkt: CtPacket, frame: EthernetFrame, options: ConnlimitOptions, now: number): number {
    let lists = this.conncount.get(ruleKey);
    if (!lists) {
      lists = new Map();
      this.conncount.set(ruleKey, lists);
    }
    return countConnlimit(lists, pkt, frame, options, this.jiffies(now), (t) => this.find(t, now)?.conn ?? null, isClosedTcp);
  }

  /** Removes expired connections and expectations. */
  expire(now: number): void {
    const j = this.jiffies(now);
    for (const list of [...this.buckets.values()]) {
      for (const ref of [...list]) if (ref.dir === 0 && ref.conn.timeout <= j) this.kill(ref.conn);
    }
    this.expects = this.expects.filter((e) => e.timeout > j && !e.master.dead);
  }

  /** Live connections in creation order (expired ones are removed first). */
  connections(now: number): Conn[] {
    this.expire(now);
    const out: Conn[] = [];
    for (const list of this.buckets.values()) for (const ref of list) if (ref.dir === 0) out.push(ref.conn);
    return out.sort((a, b) => a.id - b.id);
  }

  /** Pending expectations in creation order. */
  expectations(now: number): Expectation[] {
    this.expire(now);
    return [...this.expects];
  }

  /** Plain-data views of the table, like `conntrack -L`. */
  snapshot(now: number): ConnView[] {
    return this.connections(now).map((c) => viewConn(c, this.jiffies(now), this.hz));
  }

  /** Plain-data views of the expectations, like `conntrack -L expect`. */
  snapshotExpectations(now: number): ExpectationView[] {
    return this.expectations(now).map((e) => {
      const tuple = viewTuple(e.tuple);
      const timeout = Math.max(0, Math.floor((e.timeout - this.jiffies(now)) / this.hz));
      return { id: e.id, timeout, proto: 'tcp', tuple, master: e.master.id, helper: e.helper, text: `${timeout} proto=6 ${formatTuple(e.tuple).replace(/sport=0 /, '')}` };
    });
  }

  private newConn(orig: Tuple, reply: Tuple, now: number): Conn {
    return {
      id: this.nextConnId++,
      tuple: [orig, reply],
      status: 0,
      timeout: this.jiffies(now),
      dead: false,
      tcp: null,
      sctpState: 0,
      udpStreamJiffies: 0,
      helper: null,
      ftp: null,
      master: null,
      packets: [0, 0],
      bytes: [0, 0],
      created: now,
    };
  }

  private track(conn: Conn, ip: Ipv4Packet | Ipv6Packet, dir: 0 | 1, confirmed: boolean, now: number): TcpVerdict | SimpleVerdict {
    const l4 = ip.payload;
    switch (conn.tuple[0].proto) {
      case IPPROTO_TCP:
        return l4.kind === 'tcp' ? trackTcp(conn, l4, dir, confirmed, this.sysctl, this.jiffies(now), this.hz) : { result: 'invalid', note: 'truncated TCP header' };
      case IPPROTO_UDP:
      case IPPROTO_UDPLITE:
        return trackUdp(conn, confirmed, this.sysctl, this.jiffies(now), this.hz);
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6:
        return trackIcmp(conn, this.sysctl);
      case IPPROTO_SCTP:
        return trackSctp(conn, l4, dir, confirmed, this.sysctl);
      default:
        return trackGeneric(this.sysctl);
    }
  }

  /** nf_conntrack_inet_error: an ICMP error is RELATED to the connection it quotes, else INVALID. */
  private icmpError(ip: Ipv4Packet | Ipv6Packet, msg: IcmpMessage, now: number): CtPacket {
    const inner = quotedTuple(msg);
    if (!inner) return result(null, IP_CT_NONE, null, false, 'ICMP error without a usable quoted packet');
    // The quote is a packet we forwarded earlier, so its tuple is the inverse of the error's direction.
    const lookup = invertTuple(inner);
    if (!lookup) return result(null, IP_CT_NONE, null, false, 'ICMP error quoting an untrackable packet');
    const ref = this.find(lookup, now);
    if (!ref) return result(null, IP_CT_NONE, null, false, 'ICMP error for no known connection');
    const t = ref.conn.tuple[ref.dir];
    const outerDst = ip.kind === 'ipv4' ? [ip.dst, 0, 0, 0] : ip.dst;
    if (outerDst[0] !== t.d0 || outerDst[1] !== t.d1 || outerDst[2] !== t.d2 || outerDst[3] !== t.d3) {
      return result(null, IP_CT_NONE, null, false, `outer daddr != inner ${tupleDst(t)}`);
    }
    return result(ref.conn, ref.dir === 1 ? IP_CT_RELATED_REPLY : IP_CT_RELATED, ref.dir, false, null);
  }

  private insert(conn: Conn): void {
    // Another packet may have confirmed the same tuple meanwhile (a clash): keep the first.
    if (this.holds(conn.tuple[0]) || this.holds(conn.tuple[1])) {
      conn.dead = true;
      return;
    }
    conn.status |= IPS_CONFIRMED;
    for (const dir of [0, 1] as const) {
      const h = hashTuple(conn.tuple[dir]);
      let list = this.buckets.get(h);
      if (!list) {
        list = [];
        this.buckets.set(h, list);
      }
      list.push({ conn, dir });
    }
    this.liveCount++;
  }

  private holds(tuple: Tuple): boolean {
    const list = this.buckets.get(hashTuple(tuple));
    return list !== undefined && list.some((r) => tupleEqual(r.conn.tuple[r.dir], tuple));
  }

  private kill(conn: Conn): void {
    if (conn.dead) return;
    conn.dead = true;
    if (!(conn.status & IPS_CONFIRMED)) return;
    for (const dir of [0, 1] as const) {
      const h = hashTuple(conn.tuple[dir]);
      const list = this.buckets.get(h);
      if (!list) continue;
      const i = list.findIndex((r) => r.conn === conn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.buckets.delete(h);
    }
    this.liveCount--;
    this.expects = this.expects.filter((e) => e.master !== conn);
  }

  private addExpectation(master: Conn, tuple: Tuple, now: number): Expectation {
    // max_expected = 1: a new expectation evicts the master's previous one.
    this.expects = this.expects.filter((e) => e.master !== master);
    const e: Expectation = { id: this.nextExpectId++, master, tuple, anySourcePort: true, helper: 'ftp', timeout: this.jiffies(now) + FTP_EXPECT_TIMEOUT * this.hz };
    this.expects.push(e);
    return e;
  }

  /** nf_ct_find_expectation: a matching expectation of a confirmed master is consumed by the new connection. */
  private takeExpectation(t: Tuple, now: number): Expectation | null {
    for (let i = 0; i < this.expects.length; i++) {
      const e = this.expects[i] as Expectation;
      if (e.timeout <= this.jiffies(now) || e.master.dead || !(e.master.status & IPS_CONFIRMED)) continue;
      const x = e.tuple;
      if (x.family !== t.family || x.proto !== t.proto || x.dport !== t.dport || (!e.anySourcePort && x.sport !== t.sport)) continue;
      if (x.s0 !== t.s0 || x.s1 !== t.s1 || x.s2 !== t.s2 || x.s3 !== t.s3 || x.d0 !== t.d0 || x.d1 !== t.d1 || x.d2 !== t.d2 || x.d3 !== t.d3) continue;
      this.expects.splice(i, 1);
      return e;
    }
    return null;
  }
}

function isClosedTcp(c: Conn): boolean {
  return c.tcp !== null && (c.tcp.state === TCP_TIME_WAIT || c.tcp.state === TCP_CLOSE);
}

function ipLength(ip: Ipv4Packet | Ipv6Packet): number {
  const l4 = ip.payload;
  let n = ip.kind === 'ipv4' ? 20 + (ip.options?.length ?? 0) : 40;
  switch (l4.kind) {
    case 'tcp':
      n += 20 + (l4.options ? (l4.options.length + 3) & ~3 : 0) + l4.payload.length;
      break;
    case 'udp':
    case 'udplite':
      n += 8 + l4.payload.length;
      break;
    case 'icmp':
    case 'icmpv6':
      n += 8 + l4.payload.length;
      break;
    default:
      break;
  }
  return n;
}

/** The tuple of the packet quoted in an ICMP/ICMPv6 error (only the first 8 L4 bytes are needed). */
export function quotedTuple(msg: IcmpMessage): Tuple | null {
  const b = msg.payload;
  let proto: number;
  let off: number;
  let s: number[];
  let d: number[];
  const w = (o: number) => (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
  if (msg.kind === 'icmp') {
    if (b.length < 20 || (b[0] as number) >> 4 !== 4) return null;
    off = ((b[0] as number) & 15) * 4;
    proto = b[9] as number;
    s = [w(12), 0, 0, 0];
    d = [w(16), 0, 0, 0];
  } else {
    if (b.length < 40 || (b[0] as number) >> 4 !== 6) return null;
    proto = b[6] as number;
    off = 40;
    while ((proto === 0 || proto === 43 || proto === 60) && off + 8 <= b.length) {
      proto = b[off] as number;
      off += ((b[off + 1] as number) + 1) * 8;
    }
    s = [w(8), w(12), w(16), w(20)];
    d = [w(24), w(28), w(32), w(36)];
  }
  let sport = 0;
  let dport = 0;
  if (hasPorts(proto)) {
    if (off + 4 > b.length) return null;
    sport = ((b[off] as number) << 8) | (b[off + 1] as number);
    dport = ((b[off + 2] as number) << 8) | (b[off + 3] as number);
  } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    if (off + 8 > b.length) return null;
    sport = ((b[off + 4] as number) << 8) | (b[off + 5] as number);
    dport = ((b[off] as number) << 8) | (b[off + 1] as number);
  }
  return { family: msg.kind === 'icmp' ? 4 : 6, proto, s0: s[0] as number, s1: s[1] as number, s2: s[2] as number, s3: s[3] as number, d0: d[0] as number, d1: d[1] as number, d2: d[2] as number, d3: d[3] as number, sport, dport };
}

function viewTuple(t: Tuple): TupleView {
  const v: TupleView = { src: tupleSrc(t), dst: tupleDst(t) };
  if (t.proto === IPPROTO_ICMP || t.proto === IPPROTO_ICMPV6) {
    v.type = t.dport >>> 8;
    v.code = t.dport & 0xff;
    v.id = t.sport;
  } else if (hasPorts(t.proto)) {
    v.sport = t.sport;
    v.dport = t.dport;
  }
  return v;
}

/** A plain-data view of one connection at kernel tick `jiffies`. */
export function viewConn(c: Conn, jiffies: number, hz: number): ConnView {
  const proto = c.tuple[0].proto;
  const name = PROTO_NAMES[proto] ?? 'unknown';
  const state = c.tcp ? tcpStateName(c) : proto === IPPROTO_SCTP ? (SCTP_STATE_NAMES[c.sctpState] ?? null) : null;
  const timeout = Math.max(0, Math.floor((c.timeout - jiffies) / hz));
  const unreplied = (c.status & IPS_SEEN_REPLY) === 0;
  const assured = (c.status & IPS_ASSURED) !== 0;
  const text =
    `${name.padEnd(8)} ${proto} ${timeout} ${state ? `${state} ` : ''}${formatTuple(c.tuple[0])} ` +
    `${unreplied ? '[UNREPLIED] ' : ''}${formatTuple(c.tuple[1])} ${assured ? '[ASSURED] ' : ''}mark=0 ${c.helper ? `helper=${c.helper} ` : ''}use=1`;
  return {
    id: c.id,
    family: c.tuple[0].family,
    proto: name,
    protoNum: proto,
    state,
    timeout,
    original: viewTuple(c.tuple[0]),
    reply: viewTuple(c.tuple[1]),
    assured,
    unreplied,
    helper: c.helper,
    master: c.master ? c.master.id : null,
    text,
  };
}
