/** Internet checksum (RFC 1071) and CRC32c (SCTP, RFC 3309) over byte ranges. */

/** One's-complement sum of 16-bit words of `buf[start, end)` added to `initial` (not folded). */
export function sumWords(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] as number) << 8) | (buf[i + 1] as number);
  if (i < end) sum += (buf[i] as number) << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The pseudo-header sum for IPv4 upper-layer checksums. */
export function ipv4PseudoSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** The pseudo-header sum for IPv6 upper-layer checksums (RFC 8200 §8.1). */
export function ipv6PseudoSum(
  src: readonly number[],
  dst: readonly number[],
  protocol: number,
  length: number,
): number {
  let s = 0;
  for (const w of src) s += (w >>> 16) + (w & 0xffff);
  for (const w of dst) s += (w >>> 16) + (w & 0xffff);
  return s + Math.floor(length / 0x10000) + (length & 0xffff) + protocol;
}

let crc32cTable: Uint32Array | null = null;

/** CRC32c (Castagnoli), as SCTP uses it; the result is the value to store little-endian. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = (crc32cTable[(crc ^ (buf[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
