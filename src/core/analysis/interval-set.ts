/**
 * Sets of integers as sorted, disjoint, non-adjacent inclusive intervals, flattened as
 * `[lo0, hi0, lo1, hi1, …]`. BigInt bounds, because one dimension (IPv6 addresses) is 128 bits
 * wide; every other field fits too, so all dimensions share one representation.
 */

/** A set of integers; never mutated once built. */
export type IntervalSet = readonly bigint[];

export const EMPTY_SET: IntervalSet = Object.freeze([]) as IntervalSet;

/** `{lo..hi}` (empty when lo > hi). */
export function rangeSet(lo: bigint, hi: bigint): IntervalSet {
  return lo > hi ? EMPTY_SET : [lo, hi];
}

/** Normalizes arbitrary intervals (any order, overlapping or adjacent) into a set. */
export function setOf(intervals: readonly (readonly [bigint, bigint])[]): IntervalSet {
  const sorted = intervals.filter(([lo, hi]) => lo <= hi).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const out: bigint[] = [];
  for (const [lo, hi] of sorted) {
    const n = out.length;
    if (n > 0 && lo <= (out[n - 1] as bigint) + 1n) {
      if (hi > (out[n - 1] as bigint)) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

export function isEmptySet(a: IntervalSet): boolean {
  return a.length === 0;
}

export function setContains(a: IntervalSet, v: bigint): boolean {
  // Binary search over the interval starts.
  let lo = 0;
  let hi = a.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (v < (a[2 * mid] as bigint)) hi = mid - 1;
    else if (v > (a[2 * mid + 1] as bigint)) lo = mid + 1;
    else return true;
  }
  return false;
}

export function intersectSets(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: bigint[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = (a[i] as bigint) > (b[j] as bigint) ? (a[i] as bigint) : (b[j] as bigint);
    const ahi = a[i + 1] as bigint;
    const bhi = b[j + 1] as bigint;
    const hi = ahi < bhi ? ahi : bhi;
    if (lo <= hi) out.push(lo, hi);
    if (ahi < bhi) i += 2;
    else j += 2;
  }
  return out;
}

/** Whether the two sets share a value (no allocation). */
export function setsOverlap(a: IntervalSet, b: IntervalSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ahi = a[i + 1] as bigint;
    const bhi = b[j + 1] as bigint;
    if ((a[i] as bigint) <= bhi && (b[j] as bigint) <= ahi) return true;
    if (ahi < bhi) i += 2;
    else j += 2;
  }
  return false;
}

/** `a \ b`. */
export function subtractSets(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: bigint[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i] as bigint;
    const hi = a[i + 1] as bigint;
    while (j < b.length && (b[j + 1] as bigint) < lo) j += 2;
    let k = j;
    while (k < b.length && (b[k] as bigint) <= hi) {
      const blo = b[k] as bigint;
      const bhi = b[k + 1] as bigint;
      if (blo > lo) out.push(lo, blo - 1n);
      if (bhi >= hi) {
        lo = hi + 1n;
        break;
      }
      lo = bhi + 1n;
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

export function unionSets(a: IntervalSet, b: IntervalSet): IntervalSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const pairs: [bigint, bigint][] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i] as bigint, a[i + 1] as bigint]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i] as bigint, b[i + 1] as bigint]);
  return setOf(pairs);
}

export function setsEqual(a: IntervalSet, b: IntervalSet): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `a ⊆ b`. */
export function setIsSubset(a: IntervalSet, b: IntervalSet): boolean {
  return subtractSets(a, b).length === 0;
}

/** The number of values in the set. */
export function setSize(a: IntervalSet): bigint {
  let n = 0n;
  for (let i = 0; i < a.length; i += 2) n += (a[i + 1] as bigint) - (a[i] as bigint) + 1n;
  return n;
}

/**
 * `{x : x & mask == value & mask}` over `bits`-bit values, or null when that takes more than
 * `limit` intervals (a mask with many zero bits above its lowest one bit).
 */
export function maskedSet(
  value: bigint,
  mask: bigint,
  bits: number,
  limit = 4096,
): IntervalSet | null {
  const full = (1n << BigInt(bits)) - 1n;
  const m = mask & full;
  if (m === 0n) return [0n, full];
  let low = 0;
  while (((m >> BigInt(low)) & 1n) === 0n) low++;
  // The bits below the lowest mask bit are free inside each interval; the zero bits of the mask
  // above it are enumerated.
  const free: number[] = [];
  for (let b = low; b < bits; b++) if (((m >> BigInt(b)) & 1n) === 0n) free.push(b);
  if (2 ** free.length > limit) return null;
  const base = value & m;
  const span = (1n << BigInt(low)) - 1n;
  const pairs: [bigint, bigint][] = [];
  for (let k = 0; k < 2 ** free.length; k++) {
    let v = base;
    free.forEach((b, idx) => {
      if ((k >> idx) & 1) v |= 1n << BigInt(b);
    });
    pairs.push([v, v + span]);
  }
  return setOf(pairs);
}

/** The prefix `addr/len` of a `bits`-bit address space. */
export function prefixSet(addr: bigint, len: number, bits: number): IntervalSet {
  const host = BigInt(bits - len);
  const lo = (addr >> host) << host;
  return [lo, lo + (1n << host) - 1n];
}
