/** Packet model: frames, builders, wire codec, summaries, addresses, checksums. */
export * from './packet';
export * from './addr';
export { encodeFrame, encodeL3, encodeL4, ipv4HeaderChecksum } from './packet-encode';
export type { EncodeOptions } from './packet-encode';
export { decodeFrame, decodeL3, decodeIpv4, decodeIpv6, decodeL4 } from './packet-decode';
export * from './packet-build';
export { summarizeFrame, summarizeIp, formatTcpFlags } from './packet-summary';
export { sumWords, foldChecksum, ipv4PseudoSum, ipv6PseudoSum, crc32c } from './checksum';
