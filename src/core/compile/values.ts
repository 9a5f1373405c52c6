/**
 * Conversions from the model's canonical attribute text to the text libvirt hands to
 * ebtables/iptables (printDataType / printDataTypeAsHex in libvirt's ebiptables driver).
 * A value that came from a variable is printed verbatim: libvirt substitutes it unconverted.
 */

/** Parse libvirt's integer forms (`80`, `0x50`); NaN when not a number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return parseInt(t, 10);
  return NaN;
}

/** Ethernet protocol names libvirt accepts for `protocolid` / `encap-protocol`. */
export const ETHERTYPE_NAMES: Record<string, number> = {
  arp: 0x0806,
  rarp: 0x8035,
  ipv4: 0x0800,
  ipv6: 0x86dd,
};

/** IP protocol names libvirt accepts for the `protocol` attribute of `ip`/`ipv6`. */
export const IP_PROTOCOL_NAMES: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

/** ARP opcode names libvirt accepts. */
export const ARP_OPCODE_NAMES: Record<string, number> = {
  Request: 1,
  Reply: 2,
  Request_Reverse: 3,
  Reply_Reverse: 4,
  DRARP_Request: 5,
  DRARP_Reply: 6,
  DRARP_Error: 7,
  InARP_Request: 8,
  ARP_NAK: 9,
};

/** A number from canonical text, resolving a names table first. */
export function numberOf(text: string, names?: Record<string, number>): number {
  if (names) {
    const hit = Object.entries(names).find(([k]) => k.toLowerCase() === text.toLowerCase());
    if (hit) return hit[1];
  }
  return parseNumber(text);
}

/** A value about to be printed: its numeric form and how libvirt prints it. */
export interface Printed {
  num: number;
  text: string;
}

/** Print as decimal (libvirt's `%d`/`%u`), or verbatim when the value came from a variable. */
export function decimal(text: string, verbatim: boolean, names?: Record<string, number>): Printed {
  const num = numberOf(text, names);
  return { num, text: verbatim || Number.isNaN(num) ? text : String(num) };
}

/** Print as `0x%x`, or verbatim when the value came from a variable. */
export function hex(text: string, verbatim: boolean, names?: Record<string, number>): Printed {
  const num = numberOf(text, names);
  return { num, text: verbatim || Number.isNaN(num) ? text : `0x${num.toString(16)}` };
}

/** Shell-quote one argument exactly as libvirt's virBufferEscapeShell does. */
export function escapeShell(arg: string): string {
  if (arg === '') return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}
