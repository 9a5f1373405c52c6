/**
 * The connection table's storage: one compact object per connection (the
 * original tuple inline, the reply's ports beside it) and an open-addressing
 * hash index with one slot per direction, so a lookup builds no key and a
 * connection costs one object instead of a dozen (tuples, arrays, bucket
 * refs). Addresses are kept as signed 32-bit words (`| 0`) so they stay
 * small integers in V8 instead of boxed doubles.
 */
import type { Tuple } from './tuple';
import { emptyTuple } from './tuple';
import type { Conn, FtpHelperData, HelperName, TcpTrack } from './types';

/**
 * A lookup key: a tuple whose address words are signed 32-bit (`| 0`, see
 * `loadKey`), so V8 keeps them unboxed. Conntrack fills one scratch key per packet.
 */
export type ConnKey = Tuple;

/** A fresh all-zero key. */
export function newConnKey(): ConnKey {
  return emptyTuple();
}

/** Loads a (public, unsigned-word) tuple into `key`. */
export function loadKey(t: Tuple, key: ConnKey): ConnKey {
  key.family = t.family;
  key.proto = t.proto;
  key.s0 = t.s0 | 0;
  key.s1 = t.s1 | 0;
  key.s2 = t.s2 | 0;
  key.s3 = t.s3 | 0;
  key.d0 = t.d0 | 0;
  key.d1 = t.d1 | 0;
  key.d2 = t.d2 | 0;
  key.d3 = t.d3 | 0;
  key.sport = t.sport;
  key.dport = t.dport;
  return key;
}

/**
 * The 32-bit hash of one direction's tuple (the same function as
 * `hashTuple`; `^` makes signed and unsigned words hash alike).
 */
function hashWords(
  family: number,
  proto: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  sport: number,
  dport: number,
): number {
  let h = Math.imul(family * 256 + proto, 0x9e3779b1);
  h = Math.imul(h ^ s0, 0x85ebca6b);
  h = Math.imul(h ^ d0, 0xc2b2ae35);
  h = Math.imul(h ^ ((sport << 16) | dport), 0x27d4eb2f);
  if (family === 6) {
    h = Math.imul(h ^ s1 ^ (s2 << 1) ^ (s3 << 2), 0x165667b1);
    h = Math.imul(h ^ d1 ^ (d2 << 1) ^ (d3 << 2), 0x9e3779b1);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/** Hash of a lookup key. */
export function hashKey(k: ConnKey): number {
  return hashWords(
    k.family,
    k.proto,
    k.s0,
    k.s1,
    k.s2,
    k.s3,
    k.d0,
    k.d1,
    k.d2,
    k.d3,
    k.sport,
    k.dport,
  );
}

/** Address words 1-3 of an IPv6 connection's original tuple (signed). */
class Ipv6Words {
  readonly s1: number;
  readonly s2: number;
  readonly s3: number;
  readonly d1: number;
  readonly d2: number;
  readonly d3: number;

  constructor(k: ConnKey) {
    this.s1 = k.s1;
    this.s2 = k.s2;
    this.s3 = k.s3;
    this.d1 = k.d1;
    this.d2 = k.d2;
    this.d3 = k.d3;
  }
}

/** Jiffies are split into two small integers (hi * 2^24 + lo) so they are not boxed doubles. */
const TICK_SPLIT = 16777216;

/**
 * One connection (`struct nf_conn`), stored compactly; see `Conn` for the
 * fields' meaning. Fields are declared hottest first (V8 lays them out in
 * this order): the lookup reads the IPv4 tuple words and ports, the tracker
 * the status, timeout and protocol state.
 */
export class ConnEntry implements Conn {
  readonly family: 4 | 6;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  /** Original tuple, address words signed (IPv4 uses s0/d0 only). */
  readonly s0: number;
  readonly d0: number;
  /** The reply tuple's ports (its addresses are the original's swapped). */
  readonly rsport: number;
  readonly rdport: number;
  status = 0;
  dead = false;
  private timeoutHi: number;
  private timeoutLo: number;
  tcp: TcpTrack | null = null;
  helper: HelperName | null = null;
  packets0 = 0;
  bytes0 = 0;
  packets1 = 0;
  bytes1 = 0;
  private udpStreamHi = 0;
  private udpStreamLo = 0;
  sctpState = 0;
  ftp: FtpHelperData | null = null;
  master: Conn | null = null;
  /** The table's insertion count when this connection's packet looked its tuple up (see `Conntrack.insert`). */
  insertStamp = 0;
  /** The other IPv6 address words (null for IPv4, whose connections do not carry them). */
  private readonly v6: Ipv6Words | null;
  readonly id: number;
  readonly created: number;

  constructor(
    id: number,
    k: ConnKey,
    rsport: number,
    rdport: number,
    timeout: number,
    created: number,
  ) {
    this.family = k.family;
    this.proto = k.proto;
    this.sport = k.sport;
    this.dport = k.dport;
    this.s0 = k.s0;
    this.d0 = k.d0;
    this.rsport = rsport;
    this.rdport = rdport;
    this.timeoutHi = Math.floor(timeout / TICK_SPLIT);
    this.timeoutLo = timeout - this.timeoutHi * TICK_SPLIT;
    this.v6 = k.family === 6 ? new Ipv6Words(k) : null;
    this.id = id;
    this.created = created;
  }

  get s1(): number {
    return this.v6 === null ? 0 : this.v6.s1;
  }
  get s2(): number {
    return this.v6 === null ? 0 : this.v6.s2;
  }
  get s3(): number {
    return this.v6 === null ? 0 : this.v6.s3;
  }
  get d1(): number {
    return this.v6 === null ? 0 : this.v6.d1;
  }
  get d2(): number {
    return this.v6 === null ? 0 : this.v6.d2;
  }
  get d3(): number {
    return this.v6 === null ? 0 : this.v6.d3;
  }

  get timeout(): number {
    return this.timeoutHi * TICK_SPLIT + this.timeoutLo;
  }
  set timeout(v: number) {
    const hi = Math.floor(v / TICK_SPLIT);
    this.timeoutHi = hi;
    this.timeoutLo = v - hi * TICK_SPLIT;
  }

  get udpStreamJiffies(): number {
    return this.udpStreamHi * TICK_SPLIT + this.udpStreamLo;
  }
  set udpStreamJiffies(v: number) {
    const hi = Math.floor(v / TICK_SPLIT);
    this.udpStreamHi = hi;
    this.udpStreamLo = v - hi * TICK_SPLIT;
  }

  /** [original, reply] as public tuples (unsigned address words); a new pair on every read. */
  get tuple(): readonly [Tuple, Tuple] {
    return [this.tupleOf(0), this.tupleOf(1)];
  }

  /** One direction's tuple as a public tuple. */
  tupleOf(dir: 0 | 1): Tuple {
    const f = this.family;
    const p = this.proto;
    if (dir === 0)
      return {
        family: f,
        proto: p,
        s0: this.s0 >>> 0,
        s1: this.s1 >>> 0,
        s2: this.s2 >>> 0,
        s3: this.s3 >>> 0,
        d0: this.d0 >>> 0,
        d1: this.d1 >>> 0,
        d2: this.d2 >>> 0,
        d3: this.d3 >>> 0,
        sport: this.sport,
        dport: this.dport,
      };
    return {
      family: f,
      proto: p,
      s0: this.d0 >>> 0,
      s1: this.d1 >>> 0,
      s2: this.d2 >>> 0,
      s3: this.d3 >>> 0,
      d0: this.s0 >>> 0,
      d1: this.s1 >>> 0,
      d2: this.s2 >>> 0,
      d3: this.s3 >>> 0,
      sport: this.rsport,
      dport: this.rdport,
    };
  }

  get packets(): readonly [number, number] {
    return [this.packets0, this.packets1];
  }

  get bytes(): readonly [number, number] {
    return [this.bytes0, this.bytes1];
  }

  /** True when direction `dir`'s tuple equals `k`. */
  matches(k: ConnKey, dir: number): boolean {
    if (this.proto !== k.proto || this.family !== k.family) return false;
    if (dir === 0) {
      if (this.sport !== k.sport || this.dport !== k.dport || this.s0 !== k.s0 || this.d0 !== k.d0)
        return false;
      return (
        this.family === 4 ||
        (this.s1 === k.s1 &&
          this.s2 === k.s2 &&
          this.s3 === k.s3 &&
          this.d1 === k.d1 &&
          this.d2 === k.d2 &&
          this.d3 === k.d3)
      );
    }
    if (this.rsport !== k.sport || this.rdport !== k.dport || this.d0 !== k.s0 || this.s0 !== k.d0)
      return false;
    return (
      this.family === 4 ||
      (this.d1 === k.s1 &&
        this.d2 === k.s2 &&
        this.d3 === k.s3 &&
        this.s1 === k.d1 &&
        this.s2 === k.d2 &&
        this.s3 === k.d3)
    );
  }

  /** Hash of direction `dir`'s tuple. */
  hash(dir: number): number {
    return dir === 0
      ? hashWords(
          this.family,
          this.proto,
          this.s0,
          this.s1,
          this.s2,
          this.s3,
          this.d0,
          this.d1,
          this.d2,
          this.d3,
          this.sport,
          this.dport,
        )
      : hashWords(
          this.family,
          this.proto,
          this.d0,
          this.d1,
          this.d2,
          this.d3,
          this.s0,
          this.s1,
          this.s2,
          this.s3,
          this.rsport,
          this.rdport,
        );
  }
}

const MIN_CAPACITY = 256;

/**
 * Open-addressing (linear probing) index of confirmed connections, one slot
 * per direction. Slot i is `slots[2i]` (the connection) and `slots[2i+1]`
 * (its tag, `(hash >>> 2) << 1 | dir`), side by side so a probe touches one
 * cache line. Deletion shifts the following run back: no tombstones.
 */
export class ConnTable {
  private slots: (ConnEntry | number | null)[];
  private mask: number;
  private used = 0;

  constructor() {
    this.slots = ConnTable.emptySlots(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
  }

  private static emptySlots(capacity: number): (ConnEntry | number | null)[] {
    const a = new Array<ConnEntry | number | null>(capacity * 2);
    for (let i = 0; i < a.length; i += 2) {
      a[i] = null;
      a[i + 1] = 0;
    }
    return a;
  }

  /** The slot of the entry whose tuple (in its direction) equals `k`, or -1. */
  lookup(k: ConnKey, h: number): number {
    const tag = (h >>> 2) << 1;
    const slots = this.slots;
    const mask = this.mask;
    for (let i = (h >>> 2) & mask; ; i = (i + 1) & mask) {
      const c = slots[2 * i] as ConnEntry | null;
      if (c === null) return -1;
      const t = slots[2 * i + 1] as number;
      if ((t & ~1) === tag && c.matches(k, t & 1)) return i;
    }
  }

  /** The connection in slot `i`. */
  connAt(i: number): ConnEntry {
    return this.slots[2 * i] as ConnEntry;
  }

  /** The direction of slot `i`. */
  dirAt(i: number): 0 | 1 {
    return ((this.slots[2 * i + 1] as number) & 1) as 0 | 1;
  }

  /** Number of connections in the table. */
  get count(): number {
    return this.used >> 1;
  }

  /** True when adding a connection would take the load over one half (the table grows then). */
  get full(): boolean {
    return (this.used + 2) * 2 > this.mask + 1;
  }

  /**
   * True when the load would be over 1/4 after adding one: too little
   * headroom to skip growing (a sweep then runs at most once per
   * capacity/8 insertions, so its cost per insertion stays small).
   */
  get crowded(): boolean {
    return (this.used + 2) * 4 > this.mask + 1;
  }

  /** Adds both directions of `c` (growing the table when it is full). */
  add(c: ConnEntry): void {
    if (this.full) this.grow();
    this.place(c, ((c.hash(0) >>> 2) << 1) | 0);
    this.place(c, ((c.hash(1) >>> 2) << 1) | 1);
    this.used += 2;
  }

  /** Removes both directions of `c` (which must be in the table). */
  remove(c: ConnEntry): void {
    const slots = this.slots;
    const mask = this.mask;
    for (let dir = 0; dir < 2; dir++) {
      for (let i = (c.hash(dir) >>> 2) & mask; ; i = (i + 1) & mask) {
        const x = slots[2 * i];
        if (x === null) break;
        if (x === c && ((slots[2 * i + 1] as number) & 1) === dir) {
          this.clearSlot(i);
          this.used--;
          break;
        }
      }
    }
  }

  /** Every connection once (by its original-direction slot), in slot order. */
  entries(): ConnEntry[] {
    const out: ConnEntry[] = [];
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) {
      const c = slots[i] as ConnEntry | null;
      if (c !== null && ((slots[i + 1] as number) & 1) === 0) out.push(c);
    }
    return out;
  }

  private place(c: ConnEntry, tag: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = (tag >>> 1) & mask;
    while (slots[2 * i] !== null) i = (i + 1) & mask;
    slots[2 * i] = c;
    slots[2 * i + 1] = tag;
  }

  private clearSlot(hole: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hole;
    for (let j = (i + 1) & mask; slots[2 * j] !== null; j = (j + 1) & mask) {
      const tag = slots[2 * j + 1] as number;
      const home = (tag >>> 1) & mask;
      // Move j back into the hole unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        slots[2 * i] = slots[2 * j] as ConnEntry;
        slots[2 * i + 1] = tag;
        i = j;
      }
    }
    slots[2 * i] = null;
    slots[2 * i + 1] = 0;
  }

  /** Doubles the capacity. */
  grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = ConnTable.emptySlots(cap);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) {
      const c = old[i] as ConnEntry | null;
      if (c !== null) this.place(c, old[i + 1] as number);
    }
  }
}
