/**
 * connlimit counting as xt_connlimit + nf_conncount do it (Linux 6.18 with
 * the "rework API to use sk_buff directly" backport). Each connlimit rule
 * keeps its own lists of connection tuples, one list per masked address. A
 * connection enters a list only when one of its packets is evaluated by that
 * rule while the connection is still unconfirmed; the kernel does not scan
 * the conntrack table. Entries whose connection is gone, or is a TCP
 * connection in TIME_WAIT/CLOSE, are garbage-collected when an unconfirmed
 * connection is added — at most once per jiffy per list.
 */
import type { EthernetFrame } from '../packet/packet';
import { ipLayer } from '../packet/packet';
import { ipv4PrefixMask, ipv6PrefixMask } from '../packet/addr';
import type { Tuple } from './tuple';
import { invertTuple, packetTuple, tupleEqual } from './tuple';
import type { Conn, CtPacket } from './types';
import { IPS_CONFIRMED } from './types';

export interface ConnlimitOptions {
  /** `--connlimit-daddr`: group by destination instead of source address. */
  daddr: boolean;
  /** `--connlimit-mask`: prefix length (32 / 128 by default). */
  prefix: number;
}

interface CountEntry {
  tuple: Tuple;
  jiffies: number;
}

interface CountList {
  entries: CountEntry[];
  lastGc: number;
  lastGcCount: number;
}

/** Per-rule lists by masked-address key. */
export type ConncountLists = Map<string | number, CountList>;

/** nf_conncount collects at most this many stale entries per pass, and skips a pass within one jiffy unless this many were added. */
const GC_MAX_COLLECT = 64;

/**
 * The connection count for the packet's key after adding its connection,
 * or 0 when the packet has no usable tuple (xt_connlimit then drops it).
 */
export function countConnlimit(
  lists: ConncountLists,
  pkt: CtPacket,
  frame: EthernetFrame,
  options: ConnlimitOptions,
  jiffies: number,
  lookup: (t: Tuple) => Conn | null,
  isClosed: (c: Conn) => boolean,
): number {
  const ip = ipLayer(frame);
  if (!ip) return 0;
  // The key is the packet's own source (or destination) address, masked.
  let key: string | number;
  if (ip.kind === 'ipv4') {
    key = ((options.daddr ? ip.dst : ip.src) & ipv4PrefixMask(options.prefix)) >>> 0;
  } else {
    const a = options.daddr ? ip.dst : ip.src;
    const m = ipv6PrefixMask(options.prefix);
    key = `${(a[0] & m[0]) >>> 0}:${(a[1] & m[1]) >>> 0}:${(a[2] & m[2]) >>> 0}:${(a[3] & m[3]) >>> 0}`;
  }

  // get_ct_or_tuple_from_skb: the packet's connection, else its tuple (and any confirmed connection it belongs to).
  let ct = pkt.conn;
  let tuple: Tuple | null = ct ? ct.tuple[0] : packetTuple(ip);
  if (!tuple) return 0;
  if (!ct) {
    ct = lookup(tuple);
    if (!ct) {
      const inv = invertTuple(tuple);
      const r = inv ? lookup(inv) : null;
      if (r) {
        ct = r;
        tuple = r.tuple[0];
      }
    }
  }
  const confirmed = ct !== null && (ct.status & IPS_CONFIRMED) !== 0 && !ct.dead;

  const list = lists.get(key);
  if (!list) {
    // insert_tree: a new node for the key, holding this connection (confirmed or not).
    lists.set(key, { entries: [{ tuple, jiffies }], lastGc: jiffies, lastGcCount: 1 });
    return 1;
  }
  // The key's node stays in the tree when its list empties (only a tree GC of *other* nodes in
  // its slot frees it). count_tree defers an empty list to insert_tree, which finds the node and
  // tries to add: a confirmed connection is refused (-EEXIST) and insert_tree, unlike count_tree,
  // does not collect and answers the list's count, 0 — a hot drop, for every later packet of a
  // closed connection (the closing ACK's retransmissions) until a new connection is added.
  if (list.entries.length === 0 && confirmed) return 0;
  // A confirmed connection is never added again (-EEXIST): the list is garbage-collected and counted.
  if (confirmed) {
    if (!(jiffies === list.lastGc && list.entries.length - list.lastGcCount < GC_MAX_COLLECT)) {
      list.entries = list.entries.filter((e) => {
        const found = lookup(e.tuple);
        return found !== null && !isClosed(found);
      });
      list.lastGc = jiffies;
      list.lastGcCount = list.entries.length;
    }
    return list.entries.length;
  }

  if (!(jiffies === list.lastGc && list.entries.length - list.lastGcCount < GC_MAX_COLLECT)) {
    let collected = 0;
    const kept: CountEntry[] = [];
    let exists = false;
    for (let i = 0; i < list.entries.length; i++) {
      const e = list.entries[i] as CountEntry;
      if (collected > GC_MAX_COLLECT || exists) {
        kept.push(e);
        continue;
      }
      const found = lookup(e.tuple);
      if (!found) {
        // Gone from the table (expired, or never confirmed): forget it.
        collected++;
        continue;
      }
      if (tupleEqual(e.tuple, tuple)) {
        exists = true;
        kept.push(e);
        continue;
      }
      if (isClosed(found)) {
        collected++;
        continue;
      }
      kept.push(e);
    }
    list.entries = kept;
    if (exists) return list.entries.length;
    list.lastGc = jiffies;
    list.lastGcCount = list.entries.length;
  }
  list.entries.push({ tuple, jiffies });
  return list.entries.length;
}
