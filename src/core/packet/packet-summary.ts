/**
 * One-line, tcpdump-like summaries of frames for traces and tables, e.g.
 * `10.0.0.2:34567 → 10.0.0.1:21 TCP [S] seq=1000 win=64240`. Computed on
 * demand only (never on the simulator's hot path).
 */
import { formatIpv4, formatIpv6, formatMac } from './addr';
import type {
  EthernetFrame,
  IcmpMessage,
  Ipv4Packet,
  Ipv6Packet,
  L4Packet,
  TcpSegment,
} from './packet';
import {
  ETH_P_RARP,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from './packet';
import { quotedPacket } from './packet-build';

/** tcpdump's flag notation: `S`, `S.`, `P.`, `F.`, `R`, `.` … */
export function formatTcpFlags(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  if (flags & TCP_ACK) s += '.';
  return s || 'none';
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp request',
  14: 'timestamp reply',
};
const ICMP6_NAMES: Record<number, string> = {
  1: 'unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};
const UNREACH_CODES: Record<number, string> = {
  0: 'net',
  1: 'host',
  2: 'protocol',
  3: 'port',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'admin prohibited',
};

/** A one-line summary of a frame. */
export function summarizeFrame(frame: EthernetFrame): string {
  const vlan = frame.vlan ? `vlan ${frame.vlan.vid} ` : '';
  const p = frame.payload;
  switch (p.kind) {
    case 'arp': {
      const rarp = frame.ethertype === ETH_P_RARP ? 'RARP' : 'ARP';
      if (p.op === 1)
        return `${vlan}${rarp} who-has ${formatIpv4(p.tpa)} tell ${formatIpv4(p.spa)} (${formatMac(p.sha)})`;
      if (p.op === 2) return `${vlan}${rarp} reply ${formatIpv4(p.spa)} is-at ${formatMac(p.sha)}`;
      if (p.op === 3) return `${vlan}${rarp} who-is ${formatMac(p.tha)} tell ${formatMac(p.sha)}`;
      if (p.op === 4) return `${vlan}${rarp} reply ${formatMac(p.tha)} at ${formatIpv4(p.tpa)}`;
      return `${vlan}${rarp} op ${p.op} ${formatIpv4(p.spa)} → ${formatIpv4(p.tpa)}`;
    }
    case 'ipv4':
    case 'ipv6':
      return vlan + summarizeIp(p);
    case 'stp':
      return `${vlan}${formatMac(frame.src)} → ${formatMac(frame.dst)} STP ${p.bpduType === 0x80 ? 'TCN' : p.bpduType === 2 ? 'RST' : 'config'} root ${p.rootPriority.toString(16)}/${formatMac(p.rootAddr)} cost ${p.rootCost} port ${p.port.toString(16)}`;
    case 'raw':
      return `${vlan}${formatMac(frame.src)} → ${formatMac(frame.dst)} ethertype 0x${frame.ethertype.toString(16).padStart(4, '0')} len=${p.data.length}`;
  }
}

/** A one-line summary of an IP packet (no link layer). */
export function summarizeIp(ip: Ipv4Packet | Ipv6Packet): string {
  const v6 = ip.kind === 'ipv6';
  const a = (x: number | readonly number[]) =>
    typeof x === 'number' ? formatIpv4(x) : formatIpv6(x as [number, number, number, number]);
  const src = a(ip.src);
  const dst = a(ip.dst);
  const hp = (host: string, port: number) => (v6 ? `[${host}]:${port}` : `${host}:${port}`);
  const l4: L4Packet = ip.payload;
  const frag = ip.kind === 'ipv4' && ip.fragOffset > 0 ? ` frag offset=${ip.fragOffset * 8}` : '';
  switch (l4.kind) {
    case 'tcp':
      return `${hp(src, l4.srcPort)} → ${hp(dst, l4.dstPort)} TCP ${tcpDetail(l4)}`;
    case 'udp':
    case 'udplite':
      return `${hp(src, l4.srcPort)} → ${hp(dst, l4.dstPort)} ${l4.kind === 'udp' ? 'UDP' : 'UDP-Lite'} len=${l4.payload.length}${preview(l4.payload)}`;
    case 'sctp':
      return `${hp(src, l4.srcPort)} → ${hp(dst, l4.dstPort)} SCTP [${l4.chunks.map((c) => sctpChunkName(c.type)).join(',')}] vtag=${l4.vtag}`;
    case 'icmp':
    case 'icmpv6':
      return `${src} → ${dst} ${icmpDetail(l4)}`;
    case 'igmp':
      return `${src} → ${dst} IGMP type 0x${l4.type.toString(16)} group ${formatIpv4(l4.group)}`;
    case 'esp':
      return `${src} → ${dst} ESP spi=0x${l4.spi.toString(16)} seq=${l4.seq}`;
    case 'ah':
      return `${src} → ${dst} AH spi=0x${l4.spi.toString(16)} seq=${l4.seq}`;
    case 'raw':
      return `${src} → ${dst} proto ${ip.protocol} len=${l4.data.length}${frag}`;
  }
}

function tcpDetail(t: TcpSegment): string {
  let s = `[${formatTcpFlags(t.flags)}] seq=${t.seq}`;
  if (t.flags & TCP_ACK) s += ` ack=${t.ack}`;
  s += ` win=${t.window}`;
  if (t.payload.length) s += ` len=${t.payload.length}${preview(t.payload)}`;
  return s;
}

function icmpDetail(m: IcmpMessage): string {
  const v6 = m.kind === 'icmpv6';
  const name = (v6 ? ICMP6_NAMES : ICMP_NAMES)[m.type] ?? `type ${m.type}`;
  const label = v6 ? 'ICMPv6' : 'ICMP';
  const echo = v6 ? m.type === 128 || m.type === 129 : m.type === 0 || m.type === 8;
  if (echo) return `${label} ${name} id=${m.rest >>> 16} seq=${m.rest & 0xffff}`;
  const isError = v6 ? m.type < 128 : [3, 4, 5, 11, 12].includes(m.type);
  if (isError) {
    const code =
      !v6 && m.type === 3 ? (UNREACH_CODES[m.code] ?? `code ${m.code}`) : `code ${m.code}`;
    const q = quotedPacket(m);
    return `${label} ${name} (${code})${q ? ` for ${summarizeIp(q)}` : ''}`;
  }
  return `${label} ${name}${m.code ? ` code ${m.code}` : ''}`;
}

function sctpChunkName(t: number): string {
  const names: Record<number, string> = {
    0: 'DATA',
    1: 'INIT',
    2: 'INIT_ACK',
    3: 'SACK',
    4: 'HEARTBEAT',
    5: 'HEARTBEAT_ACK',
    6: 'ABORT',
    7: 'SHUTDOWN',
    8: 'SHUTDOWN_ACK',
    10: 'COOKIE_ECHO',
    11: 'COOKIE_ACK',
    14: 'SHUTDOWN_COMPLETE',
  };
  return names[t] ?? String(t);
}

/** A short quoted preview of printable payload (first line, ≤ 40 chars), e.g. FTP commands. */
function preview(b: Uint8Array): string {
  if (!b.length) return '';
  let s = '';
  for (let i = 0; i < b.length && s.length < 40; i++) {
    const c = b[i] as number;
    if (c === 13 || c === 10) break;
    if (c < 32 || c > 126) return '';
    s += String.fromCharCode(c);
  }
  return s ? ` "${s}"` : '';
}
