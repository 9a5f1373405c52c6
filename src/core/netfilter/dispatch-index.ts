/**
 * Per-chain dispatch index for the fast (no-trace) walk: for one frame's header key — the
 * protocol the chain's family tests (ebtables: the EtherType `-p` compares; iptables: the upper
 * protocol `-p` compares; nftables: `ether type`, or in the inet table `meta l4proto`) and the L4
 * source/destination ports (ICMP's type and code under nftables) — the rules of the chain that
 * can still match, in rule order.
 *
 * A rule is left out of a frame's list only when one of its own header predicates (`-p`, a
 * non-negated `--sport`/`--dport` range) is false for the frame, which the linear walk would
 * have found without any side effect (the rule's counter moves only on a match). Rules the index
 * must not skip — a match with side effects (connlimit), a match the simulator cannot interpret —
 * are in every list. So walking the list gives the verdicts, counters and conntrack state of the
 * linear walk, visiting fewer rules; and because every rule in a list is known to pass its
 * indexed predicates, the walk evaluates only the rule's remaining ones (`fastPreds`).
 *
 * Ports are keyed by elementary interval: the sorted starts and ends+1 of every indexed range cut
 * the port space into cells, and a range covers whole cells, so a cell decides every range test.
 */

/** The header constraints of one rule the index may rely on (-1 = none). */
export interface RuleKeyConstraint {
  /** In every list (side effects, unsupported match): never skipped, all predicates evaluated. */
  always: boolean;
  proto: number;
  dportLo: number;
  dportHi: number;
  sportLo: number;
  sportHi: number;
}

/**
 * Above this many cached candidate lists, or rule indices in them, per chain the cache starts
 * over: memory stays bounded (≤ 4 MB of lists per chain) whatever the traffic's port spread.
 */
const MAX_CACHED_LISTS = 4096;
const MAX_CACHED_INDICES = 1 << 20;

/** Number of bounds `<= v` (the cell of `v`); bounds are sorted ascending. */
function cellOf(bounds: Int32Array, v: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The cell of every port 0..65535, so a frame's cell is one load instead of a binary search;
 * null when there is nothing to look up (no bounds) or too many cells for 16 bits.
 */
function cellMapOf(bounds: Int32Array): Uint16Array | null {
  if (bounds.length === 0 || bounds.length >= 0xffff) return null;
  const map = new Uint16Array(0x10000);
  let cell = 0;
  for (let port = 0; port < 0x10000; port++) {
    while (cell < bounds.length && (bounds[cell] as number) <= port) cell++;
    map[port] = cell;
  }
  return map;
}

function boundsOf(ranges: [number, number][]): Int32Array {
  const set = new Set<number>();
  for (const [lo, hi] of ranges) {
    set.add(lo);
    set.add(hi + 1);
  }
  return Int32Array.from([...set].sort((a, b) => a - b));
}

/** Candidate rule lists of one chain, built lazily per header key and cached. */
export class DispatchIndex {
  private readonly rules: readonly RuleKeyConstraint[];
  private readonly dBounds: Int32Array;
  private readonly sBounds: Int32Array;
  /** Port → cell tables, built on the first lookup (traced walks never make one). */
  private dMap: Uint16Array | null = null;
  private sMap: Uint16Array | null = null;
  private mapsBuilt = false;
  /** Cell ranges per rule (-1 when the rule has no such constraint). */
  private readonly dCellLo: Int32Array;
  private readonly dCellHi: Int32Array;
  private readonly sCellLo: Int32Array;
  private readonly sCellHi: Int32Array;
  private readonly cache = new Map<number, Int32Array>();
  private cachedIndices = 0;
  /** The last lookup: consecutive frames of one flow share it, sparing the Map probe. */
  private lastKey = -1;
  private lastList: Int32Array = new Int32Array(0);

  constructor(rules: readonly RuleKeyConstraint[]) {
    this.rules = rules;
    const dRanges: [number, number][] = [];
    const sRanges: [number, number][] = [];
    for (const r of rules) {
      if (r.always) continue;
      if (r.dportLo >= 0) dRanges.push([r.dportLo, r.dportHi]);
      if (r.sportLo >= 0) sRanges.push([r.sportLo, r.sportHi]);
    }
    this.dBounds = boundsOf(dRanges);
    this.sBounds = boundsOf(sRanges);
    const n = rules.length;
    this.dCellLo = new Int32Array(n).fill(-1);
    this.dCellHi = new Int32Array(n).fill(-1);
    this.sCellLo = new Int32Array(n).fill(-1);
    this.sCellHi = new Int32Array(n).fill(-1);
    rules.forEach((r, i) => {
      if (r.always) return;
      if (r.dportLo >= 0) {
        this.dCellLo[i] = cellOf(this.dBounds, r.dportLo);
        this.dCellHi[i] = cellOf(this.dBounds, r.dportHi);
      }
      if (r.sportLo >= 0) {
        this.sCellLo[i] = cellOf(this.sBounds, r.sportLo);
        this.sCellHi[i] = cellOf(this.sBounds, r.sportHi);
      }
    });
  }

  /**
   * Indices (ascending) of the rules a frame with this protocol key and these ports (-1 when the
   * frame has none, as for ICMP or a non-first IPv4 fragment) can match.
   */
  candidates(proto: number, dport: number, sport: number): Int32Array {
    if (!this.mapsBuilt) {
      this.dMap = cellMapOf(this.dBounds);
      this.sMap = cellMapOf(this.sBounds);
      this.mapsBuilt = true;
    }
    const d = dport < 0 ? -1 : this.cell(this.dMap, this.dBounds, dport);
    const s = sport < 0 ? -1 : this.cell(this.sMap, this.sBounds, sport);
    // Unique per (proto, d, s): proto ≥ -1 (EtherType ≤ 0xffff), cells in -1..bounds.length.
    const key =
      ((proto + 1) * (this.dBounds.length + 2) + (d + 1)) * (this.sBounds.length + 2) + (s + 1);
    if (key === this.lastKey) return this.lastList;
    let list = this.cache.get(key);
    if (list === undefined) list = this.build(key, proto, d, s);
    this.lastKey = key;
    this.lastList = list;
    return list;
  }

  private cell(map: Uint16Array | null, bounds: Int32Array, port: number): number {
    if (map !== null && port < 0x10000) return map[port] as number;
    return bounds.length === 0 ? 0 : cellOf(bounds, port);
  }

  private build(key: number, proto: number, d: number, s: number): Int32Array {
    const out: number[] = [];
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as RuleKeyConstraint;
      if (!r.always) {
        if (r.proto >= 0 && r.proto !== proto) continue;
        const dl = this.dCellLo[i] as number;
        if (dl >= 0 && (d < dl || d > (this.dCellHi[i] as number))) continue;
        const sl = this.sCellLo[i] as number;
        if (sl >= 0 && (s < sl || s > (this.sCellHi[i] as number))) continue;
      }
      out.push(i);
    }
    const list = Int32Array.from(out);
    if (
      this.cache.size >= MAX_CACHED_LISTS ||
      this.cachedIndices + list.length > MAX_CACHED_INDICES
    ) {
      this.cache.clear();
      this.cachedIndices = 0;
    }
    this.cache.set(key, list);
    this.cachedIndices += list.length;
    return list;
  }
}
