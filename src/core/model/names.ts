/**
 * Lookups over the name tables of `attributes.ts` (libvirt's macProtoMap, ipProtoMap,
 * arpOpcodeMap, tcpFlags) and ebtables' MAC names: the one place every layer resolves a
 * protocol, EtherType, opcode, TCP flag or MAC name.
 */
import { IP_PROTOCOL_NAMES, MAC_PROTOCOL_NAMES, TCP_FLAG_NAMES } from './attributes';

/** A table of symbolic names and the numbers they stand for. */
export type NameTable = readonly (readonly [string, number])[];

/** The number `name` stands for in `table` (names compare case-insensitively, as libvirt's do). */
export function numberOfName(table: NameTable, name: string): number | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of table) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** An IP protocol name of libvirt's ipProtoMap (`tcp`, `icmpv6`, …) as its protocol number. */
export function ipProtocolNumber(name: string): number | undefined {
  return numberOfName(IP_PROTOCOL_NAMES, name);
}

/** An EtherType name of libvirt's macProtoMap (`ipv4`, `arp`, `vlan`, …) as its number. */
export function ethertypeNumber(name: string): number | undefined {
  return numberOfName(MAC_PROTOCOL_NAMES, name);
}

/** A list of TCP flag names (`SYN`, `ACK`, `ALL`, `NONE`, any case) as a bit mask; null for an unknown name. */
export function tcpFlagBits(names: readonly string[]): number | null {
  let bits = 0;
  for (const n of names) {
    const b = numberOfName(TCP_FLAG_NAMES, n.trim());
    if (b === undefined) return null;
    bits |= b;
  }
  return bits;
}

/** ebtables' names for `-s`/`-d` (`ebtables(8)`): each a MAC address and the mask it implies. */
export const EBTABLES_MAC_NAMES: Readonly<Record<string, readonly [mac: string, mask: string]>> = {
  broadcast: ['ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff'],
  multicast: ['01:00:00:00:00:00', '01:00:00:00:00:00'],
  unicast: ['00:00:00:00:00:00', '01:00:00:00:00:00'],
  bga: ['01:80:c2:00:00:00', 'ff:ff:ff:ff:ff:ff'],
};

/**
 * A MAC match's address and mask texts after ebtables' names are resolved (`broadcast` →
 * ff:…:ff with mask ff:…:ff); an explicit mask wins over a name's. Null mask = exact match.
 */
export function resolveMacName(
  macText: string,
  maskText: string | null,
): { mac: string; mask: string | null } {
  const named = Object.hasOwn(EBTABLES_MAC_NAMES, macText.toLowerCase())
    ? EBTABLES_MAC_NAMES[macText.toLowerCase()]
    : undefined;
  return named ? { mac: named[0], mask: maskText ?? named[1] } : { mac: macText, mask: maskText };
}
