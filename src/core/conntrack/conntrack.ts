/**
 * The connection tracking table with an injected virtual clock: what
 * nf_conntrack_in does at PREROUTING (lookup or create, classify the packet
 * NEW / ESTABLISHED / RELATED / INVALID / UNTRACKED, run the protocol
 * tracker) and what nf_confirm does when the packet leaves (run the helper,
 * confirm a new connection into the table). A connection whose first packet
 * is dropped before confirmation is simply never inserted.
 */
import type { EthernetFrame, IcmpMessage, Ipv4Packet, Ipv6Packet } from '../packet/packet';
import { IPPROTO_TCP, ipLayer, ipLength } from '../packet/packet';
import { countConnlimit } from './connlimit';
import type { ConnlimitOptions, ConncountLists } from './connlimit';
import { ftpHelp } from './ftp-helper';
import { genericProtocolName } from './generic-tracker';
import type { L4Tracker, PortPair } from './l4-tracker';
import { GENERIC_TRACKER, l4TrackerOf } from './l4-trackers';
import type { ConntrackSysctl } from './sysctl';
import { resolveSysctl } from './sysctl';
import { TCP_CLOSE, TCP_TIME_WAIT } from './tcp-tracker';
import type { Tuple } from './tuple';
import { fillPacketTuple, formatTuple, invertTuple, tupleDst, tupleSrc } from './tuple';
import { ConnEntry, ConnTable, hashKey, loadKey, newConnKey } from './conn-table';
import type { ConnKey } from './conn-table';
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

/** FTP expectations live 5 minutes (ftp_exp_policy.timeout) and at most one per master (max_expected). */
const FTP_EXPECT_TIMEOUT = 300;

/** A connection found by one of its tuples, and which one. */
export interface ConnRef {
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
  return ip.kind === 'ipv4' &&
    ip.payload.kind === 'tcp' &&
    ip.protocol === IPPROTO_TCP &&
    ip.payload.dstPort === 21
    ? 'ftp'
    : null;
}

/** The packet's conntrack result, written into `out` when the caller passed one (no allocation), else a new object. */
function result(
  out: CtPacket | null,
  conn: Conn | null,
  ctinfo: number,
  dir: 0 | 1 | null,
  created: boolean,
  note: string | null,
): CtPacket {
  if (out === null) return { conn, ctinfo, state: ctStateOf(ctinfo), dir, created, note };
  out.conn = conn;
  out.ctinfo = ctinfo;
  out.state = ctStateOf(ctinfo);
  out.dir = dir;
  out.created = created;
  out.note = note;
  return out;
}

/** The common confirmation outcome, shared (callers only read it). */
const CONFIRM_ACCEPT: ConfirmResult = Object.freeze({
  verdict: 'accept',
  note: null,
  expectation: null,
});

/**
 * Writes the packet's tuple into `out` with signed address words (no
 * allocation); false when the L4 header is missing.
 */
function fillKey(ip: Ipv4Packet | Ipv6Packet, out: ConnKey): boolean {
  if (!fillPacketTuple(ip, out)) return false;
  loadKey(out, out);
  return true;
}

/** Connection tracking for one host (one network namespace). */
export class Conntrack {
  readonly sysctl: ConntrackSysctl;
  readonly hz: number;
  /** Names in `options.sysctl` that are not conntrack sysctls. */
  readonly unknownSysctls: string[];
  private readonly table = new ConnTable();
  private expects: Expectation[] = [];
  private readonly conncount = new Map<string, ConncountLists>();
  /** The packet's key (filled once per packet). */
  private readonly key: ConnKey = newConnKey();
  /** Keys for lookups by a public tuple (find) and for clash checks. */
  private readonly findKey: ConnKey = newConnKey();
  /** The reply ports of a new connection (read at once). */
  private readonly reply: PortPair = { sport: 0, dport: 0 };
  private nextConnId = 1;
  private nextExpectId = 1;
  /** Connections inserted so far (lets `insert` skip the clash check when nothing was inserted since the lookup). */
  private inserts = 0;
  private liveCount = 0;

  constructor(options: ConntrackOptions = {}) {
    const { sysctl, unknown } = resolveSysctl(options.sysctl);
    this.sysctl = sysctl;
    this.unknownSysctls = unknown;
    this.hz = options.hz ?? 250;
  }

  /**
   * Changes tunables during a run (`echo 3 > /proc/sys/net/netfilter/nf_conntrack_icmp_timeout`).
   * The trackers read them on every packet, as the kernel does: an existing entry keeps the expiry
   * its last packet gave it, and only its next packet is refreshed with the new timeout.
   */
  setSysctl(values: Record<string, number>): void {
    for (const [raw, value] of Object.entries(values)) {
      const name = raw.replace(/^net\.netfilter\./, '');
      if (Object.hasOwn(this.sysctl, name) && Number.isFinite(value))
        (this.sysctl as unknown as Record<string, number>)[name] = value;
    }
  }

  /** The kernel tick at virtual time `now`. */
  jiffies(now: number): number {
    return Math.floor(now * this.hz + 1e-9);
  }

  /**
   * Number of confirmed connections in the table: the unexpired ones plus
   * expired ones not removed yet (a lookup, `connections` and the sweep
   * before the table grows remove them).
   */
  get size(): number {
    return this.liveCount;
  }

  /**
   * nf_conntrack_in: classifies a frame at PREROUTING and updates the
   * tracker state. Frames that are not IP are not seen by conntrack
   * (`state: null`).
   */
  packetIn(frame: EthernetFrame, now: number, options?: PacketInOptions): CtPacket {
    return this.trackPacket(frame, now, options?.helper ?? null, options?.notrack === true);
  }

  /**
   * `packetIn` without an options object: `helper` is what `selectCtHelper`
   * returns for the frame, `notrack` whether the raw table marked it NOTRACK.
   * With `out`, the result is written into that object and returned (no
   * allocation per packet): it stays valid until `out` is passed again, so a
   * caller that handles one frame at a time can keep one `CtPacket` for all
   * of them and hand it to `confirm` / `discard` as usual.
   */
  trackPacket(
    frame: EthernetFrame,
    now: number,
    helper: HelperName | null,
    notrack = false,
    out: CtPacket | null = null,
  ): CtPacket {
    const ip = ipLayer(frame);
    if (!ip) {
      const r = result(out, null, IP_CT_NONE, null, false, 'not IP: conntrack does not see it');
      r.state = null;
      return r;
    }
    if (notrack) return result(out, null, IP_CT_UNTRACKED, null, false, 'raw table: notrack');
    if (ip.kind === 'ipv4' && (ip.fragOffset !== 0 || ip.flags & 1)) {
      return result(out, null, IP_CT_NONE, null, false, 'IP fragment: reassembly is not modelled');
    }
    const l4 = ip.payload;
    const tracker = l4TrackerOf(ip.protocol);
    const early = tracker.early(l4);
    if (early !== null) {
      if (early === 'icmp-error') return this.icmpError(ip, l4 as IcmpMessage, now, out);
      return result(out, null, early.ctinfo, null, false, early.note);
    }
    const key = this.key;
    if (!fillKey(ip, key)) return result(out, null, IP_CT_NONE, null, false, 'truncated L4 header');
    const jiffies = this.jiffies(now);
    const h = hashKey(key);

    for (let attempt = 0; attempt < 2; attempt++) {
      const slot = this.lookupLive(key, h, jiffies);
      let conn: ConnEntry;
      let dir: 0 | 1;
      let ctinfo: number;
      let created = false;
      if (slot < 0) {
        conn = this.newConn(tracker, key, now, jiffies) as ConnEntry;
        if (conn === null)
          return result(
            out,
            null,
            IP_CT_NONE,
            null,
            false,
            "can't invert tuple (ICMP type without a reply)",
          );
        const exp = this.expects.length === 0 ? null : this.takeExpectation(key, jiffies);
        if (exp) {
          conn.status |= IPS_EXPECTED;
          conn.master = exp.master;
        } else if (helper && key.proto === IPPROTO_TCP) {
          conn.helper = helper;
        }
        dir = 0;
        created = true;
        ctinfo = conn.status & IPS_EXPECTED ? IP_CT_RELATED : IP_CT_NEW;
      } else {
        conn = this.table.connAt(slot);
        dir = this.table.dirAt(slot);
        if (dir === 1) ctinfo = IP_CT_ESTABLISHED_REPLY;
        else if (conn.status & IPS_SEEN_REPLY) ctinfo = IP_CT_ESTABLISHED;
        else if (conn.status & IPS_EXPECTED) ctinfo = IP_CT_RELATED;
        else ctinfo = IP_CT_NEW;
      }

      const v = tracker.track(conn, l4, dir, !created, this.sysctl, jiffies, this.hz);
      if (v.result === 'invalid') {
        if (created) conn.dead = true;
        return result(out, null, IP_CT_NONE, null, false, v.note ?? 'invalid');
      }
      if (v.result === 'repeat') {
        this.kill(conn);
        continue;
      }
      if (v.result === 'accept' && v.timeout !== undefined)
        conn.timeout = jiffies + Math.round(v.timeout * this.hz);
      if (dir === 0) {
        conn.packets0++;
        conn.bytes0 += ipLength(ip);
      } else {
        conn.packets1++;
        conn.bytes1 += ipLength(ip);
      }
      if (v.kill) this.kill(conn);
      if (ctinfo === IP_CT_ESTABLISHED_REPLY) conn.status |= IPS_SEEN_REPLY;
      return result(
        out,
        conn,
        ctinfo,
        dir,
        created,
        v.result === 'ignore' ? (v.note ?? 'ignored') : null,
      );
    }
    return result(out, null, IP_CT_NONE, null, false, 'reopen loop');
  }

  /**
   * nf_confirm: the packet passed every hook and leaves. Runs the
   * connection's helper (which may create an expectation, or drop the packet)
   * and confirms a connection this packet created. The result is shared
   * between calls when there is nothing to report: read it, don't keep it.
   */
  confirm(pkt: CtPacket, frame: EthernetFrame, now: number): ConfirmResult {
    const conn = pkt.conn as ConnEntry | null;
    if (!conn || conn.dead) return CONFIRM_ACCEPT;
    let expectation: Expectation | null = null;
    let note: string | null = null;
    if (conn.helper === 'ftp' && pkt.ctinfo !== IP_CT_RELATED_REPLY) {
      const ip = ipLayer(frame);
      if (ip && ip.payload.kind === 'tcp') {
        const h = ftpHelp(conn, pkt.ctinfo, ip.payload);
        note = h.note;
        if (h.verdict === 'drop') {
          if (pkt.created) conn.dead = true;
          return { verdict: 'drop', note: h.note, expectation: null };
        }
        if (h.expect) expectation = this.addExpectation(conn, h.expect.tuple, now);
      }
    }
    if (pkt.created) this.insert(conn, now);
    return note === null && expectation === null
      ? CONFIRM_ACCEPT
      : { verdict: 'accept', note, expectation };
  }

  /** The packet was dropped before leaving: a connection it created is never confirmed. */
  discard(pkt: CtPacket): void {
    if (pkt.created && pkt.conn) pkt.conn.dead = true;
  }

  /** Finds a confirmed, unexpired connection by either of its tuples (expired ones are removed). */
  find(tuple: Tuple, now: number): ConnRef | null {
    const key = loadKey(tuple, this.findKey);
    const slot = this.lookupLive(key, hashKey(key), this.jiffies(now));
    return slot < 0 ? null : { conn: this.table.connAt(slot), dir: this.table.dirAt(slot) };
  }

  /**
   * xt_connlimit: counts the connections of the packet's masked source (or
   * destination) address in the list kept by one connlimit rule (`ruleKey`),
   * adding this packet's connection. See connlimit.ts for the semantics.
   */
  connlimitCount(
    ruleKey: string,
    pkt: CtPacket,
    frame: EthernetFrame,
    options: ConnlimitOptions,
    now: number,
  ): number {
    let lists = this.conncount.get(ruleKey);
    if (!lists) {
      lists = new Map();
      this.conncount.set(ruleKey, lists);
    }
    return countConnlimit(
      lists,
      pkt,
      frame,
      options,
      this.jiffies(now),
      (t) => this.find(t, now)?.conn ?? null,
      isClosedTcp,
    );
  }

  /** Removes expired connections and expectations. */
  expire(now: number): void {
    const j = this.jiffies(now);
    for (const c of this.table.entries()) if (c.timeout <= j) this.kill(c);
    this.expects = this.expects.filter((e) => e.timeout > j && !e.master.dead);
  }

  /** Live connections in creation order (expired ones are removed first). */
  connections(now: number): Conn[] {
    this.expire(now);
    return this.table.entries().sort((a, b) => a.id - b.id);
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
      return {
        id: e.id,
        timeout,
        proto: 'tcp',
        tuple,
        master: e.master.id,
        helper: e.helper,
        text: `${timeout} proto=6 ${formatTuple(e.tuple).replace(/sport=0 /, '')}`,
      };
    });
  }

  /** The slot of the confirmed connection with tuple `key`, or -1; an expired one is killed (and not returned). */
  private lookupLive(key: ConnKey, h: number, jiffies: number): number {
    const slot = this.table.lookup(key, h);
    if (slot < 0) return -1;
    const conn = this.table.connAt(slot);
    if (conn.timeout <= jiffies) {
      this.kill(conn);
      return -1;
    }
    return slot;
  }

  /** A new, unconfirmed connection for the packet tuple `key`, or null when it has no reply tuple. */
  private newConn(
    tracker: L4Tracker,
    key: ConnKey,
    now: number,
    jiffies: number,
  ): ConnEntry | null {
    if (!tracker.invert(key, this.reply)) return null;
    const conn = new ConnEntry(
      this.nextConnId++,
      key,
      this.reply.sport,
      this.reply.dport,
      jiffies,
      now,
    );
    conn.insertStamp = this.inserts;
    return conn;
  }

  /** nf_conntrack_inet_error: an ICMP error is RELATED to the connection it quotes, else INVALID. */
  private icmpError(
    ip: Ipv4Packet | Ipv6Packet,
    msg: IcmpMessage,
    now: number,
    out: CtPacket | null,
  ): CtPacket {
    const inner = quotedTuple(msg);
    if (!inner)
      return result(
        out,
        null,
        IP_CT_NONE,
        null,
        false,
        'ICMP error without a usable quoted packet',
      );
    // The quote is a packet we forwarded earlier, so its tuple is the inverse of the error's direction.
    const lookup = invertTuple(inner);
    if (!lookup)
      return result(out, null, IP_CT_NONE, null, false, 'ICMP error quoting an untrackable packet');
    const ref = this.find(lookup, now);
    if (!ref)
      return result(out, null, IP_CT_NONE, null, false, 'ICMP error for no known connection');
    const t = (ref.conn as ConnEntry).tupleOf(ref.dir);
    const outerDst = ip.kind === 'ipv4' ? [ip.dst, 0, 0, 0] : ip.dst;
    if (
      outerDst[0] !== t.d0 ||
      outerDst[1] !== t.d1 ||
      outerDst[2] !== t.d2 ||
      outerDst[3] !== t.d3
    ) {
      return result(out, null, IP_CT_NONE, null, false, `outer daddr != inner ${tupleDst(t)}`);
    }
    return result(
      out,
      ref.conn,
      ref.dir === 1 ? IP_CT_RELATED_REPLY : IP_CT_RELATED,
      ref.dir,
      false,
      null,
    );
  }

  private insert(conn: ConnEntry, now: number): void {
    // Another packet may have confirmed the same tuple meanwhile (a clash): keep the first. If
    // nothing was inserted since this connection's lookup found its tuple absent, neither tuple
    // can be there (an entry holding the reply tuple also holds its inverse, the original).
    if (conn.insertStamp !== this.inserts && (this.holds(conn, 0) || this.holds(conn, 1))) {
      conn.dead = true;
      return;
    }
    if (this.table.full) {
      // Before growing, sweep out expired connections (the kernel's gc worker does this in the
      // background): amortised over the insertions that filled the table, and it keeps the
      // table near the live set. Only if that leaves too little room does the table grow.
      this.sweep(this.jiffies(now));
      if (this.table.crowded) this.table.grow();
    }
    conn.status |= IPS_CONFIRMED;
    this.table.add(conn);
    this.inserts++;
    this.liveCount++;
  }

  /**
   * Removes expired connections, except masters of pending expectations:
   * those stay until a lookup or `expire` removes them, exactly as without
   * the sweep (an expectation stays usable while its master is in the table).
   * Every other expired entry is invisible to lookups already, so removing
   * it early changes no result.
   */
  private sweep(jiffies: number): void {
    for (const c of this.table.entries()) {
      if (c.timeout > jiffies) continue;
      if (this.expects.length > 0 && this.expects.some((e) => e.master === c)) continue;
      this.kill(c);
    }
  }

  /** True when the table holds an entry (expired or not) with `conn`'s tuple in direction `dir`. */
  private holds(conn: ConnEntry, dir: 0 | 1): boolean {
    const k = this.findKey;
    k.family = conn.family;
    k.proto = conn.proto;
    if (dir === 0) {
      k.s0 = conn.s0;
      k.s1 = conn.s1;
      k.s2 = conn.s2;
      k.s3 = conn.s3;
      k.d0 = conn.d0;
      k.d1 = conn.d1;
      k.d2 = conn.d2;
      k.d3 = conn.d3;
      k.sport = conn.sport;
      k.dport = conn.dport;
    } else {
      k.s0 = conn.d0;
      k.s1 = conn.d1;
      k.s2 = conn.d2;
      k.s3 = conn.d3;
      k.d0 = conn.s0;
      k.d1 = conn.s1;
      k.d2 = conn.s2;
      k.d3 = conn.s3;
      k.sport = conn.rsport;
      k.dport = conn.rdport;
    }
    return this.table.lookup(k, conn.hash(dir)) >= 0;
  }

  private kill(conn: Conn): void {
    if (conn.dead) return;
    conn.dead = true;
    if (!(conn.status & IPS_CONFIRMED)) return;
    this.table.remove(conn as ConnEntry);
    this.liveCount--;
    if (this.expects.some((e) => e.master === conn))
      this.expects = this.expects.filter((e) => e.master !== conn);
  }

  private addExpectation(master: Conn, tuple: Tuple, now: number): Expectation {
    // max_expected = 1: a new expectation evicts the master's previous one.
    this.expects = this.expects.filter((e) => e.master !== master);
    const e: Expectation = {
      id: this.nextExpectId++,
      master,
      tuple,
      anySourcePort: true,
      helper: 'ftp',
      timeout: this.jiffies(now) + FTP_EXPECT_TIMEOUT * this.hz,
    };
    this.expects.push(e);
    return e;
  }

  /** nf_ct_find_expectation: a matching expectation of a confirmed master is consumed by the new connection. */
  private takeExpectation(t: ConnKey, jiffies: number): Expectation | null {
    for (let i = 0; i < this.expects.length; i++) {
      const e = this.expects[i] as Expectation;
      if (e.timeout <= jiffies || e.master.dead || !(e.master.status & IPS_CONFIRMED)) continue;
      const x = e.tuple;
      if (
        x.family !== t.family ||
        x.proto !== t.proto ||
        x.dport !== t.dport ||
        (!e.anySourcePort && x.sport !== t.sport)
      )
        continue;
      if (
        (x.s0 | 0) !== t.s0 ||
        (x.s1 | 0) !== t.s1 ||
        (x.s2 | 0) !== t.s2 ||
        (x.s3 | 0) !== t.s3 ||
        (x.d0 | 0) !== t.d0 ||
        (x.d1 | 0) !== t.d1 ||
        (x.d2 | 0) !== t.d2 ||
        (x.d3 | 0) !== t.d3
      )
        continue;
      this.expects.splice(i, 1);
      return e;
    }
    return null;
  }
}

function isClosedTcp(c: Conn): boolean {
  return c.tcp !== null && (c.tcp.state === TCP_TIME_WAIT || c.tcp.state === TCP_CLOSE);
}

/** The tuple of the packet quoted in an ICMP/ICMPv6 error (only the first 8 L4 bytes are needed). */
export function quotedTuple(msg: IcmpMessage): Tuple | null {
  const b = msg.payload;
  let proto: number;
  let off: number;
  let s: number[];
  let d: number[];
  const w = (o: number) =>
    (((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)) >>>
    0;
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
  const ports: PortPair = { sport: 0, dport: 0 };
  if (!l4TrackerOf(proto).pickQuoted(b, off, ports)) return null;
  return {
    family: msg.kind === 'icmp' ? 4 : 6,
    proto,
    s0: s[0] as number,
    s1: s[1] as number,
    s2: s[2] as number,
    s3: s[3] as number,
    d0: d[0] as number,
    d1: d[1] as number,
    d2: d[2] as number,
    d3: d[3] as number,
    sport: ports.sport,
    dport: ports.dport,
  };
}

function viewTuple(t: Tuple): TupleView {
  const v: TupleView = { src: tupleSrc(t), dst: tupleDst(t) };
  l4TrackerOf(t.proto).viewPorts(t, v);
  return v;
}

/** A plain-data view of one connection at kernel tick `jiffies`. */
export function viewConn(c: Conn, jiffies: number, hz: number): ConnView {
  const proto = c.proto;
  const [orig, reply] = c.tuple;
  const tracker = l4TrackerOf(proto);
  const name = tracker === GENERIC_TRACKER ? genericProtocolName(proto) : tracker.name;
  const state = tracker.stateName(c);
  const timeout = Math.max(0, Math.floor((c.timeout - jiffies) / hz));
  const unreplied = (c.status & IPS_SEEN_REPLY) === 0;
  const assured = (c.status & IPS_ASSURED) !== 0;
  const text =
    `${name.padEnd(8)} ${proto} ${timeout} ${state ? `${state} ` : ''}${formatTuple(orig)} ` +
    `${unreplied ? '[UNREPLIED] ' : ''}${formatTuple(reply)} ${assured ? '[ASSURED] ' : ''}mark=0 ${c.helper ? `helper=${c.helper} ` : ''}use=1`;
  return {
    id: c.id,
    family: c.family,
    proto: name,
    protoNum: proto,
    state,
    timeout,
    original: viewTuple(orig),
    reply: viewTuple(reply),
    assured,
    unreplied,
    helper: c.helper,
    master: c.master ? c.master.id : null,
    text,
  };
}
