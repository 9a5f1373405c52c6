/**
 * The host's ipsets as `ipset create NAME TYPE` / `ipset add NAME MEMBER` make them, checked the
 * way the ipset tool checks them (one address family per set, ports with a protocol).
 */
import { parseIpv4, parseIpv6, parseMac } from '../packet/addr';

/** The set types the simulator evaluates (ip_set_hash_ip.c, _net.c, _ipport.c, _netport.c, _mac.c). */
export const IPSET_TYPES = [
  'hash:ip',
  'hash:net',
  'hash:ip,port',
  'hash:net,port',
  'hash:mac',
] as const;
export type IpsetType = (typeof IPSET_TYPES)[number];

/** An ipset the host has: type and members as `ipset add` takes them. */
export interface IpsetSpec {
  type: IpsetType;
  members: string[];
}

/** How many of `--match-set NAME FLAGS`' flags the type reads (the set's dimension). */
export function ipsetDimension(type: IpsetType): number {
  return type.endsWith(',port') ? 2 : 1;
}

/** The protocols an `IP,PROTO:PORT` member may name (ip_set_getport.c) with their numbers. */
export const IPSET_PORT_PROTOCOLS: Readonly<Record<string, number>> = Object.freeze({
  tcp: 6,
  udp: 17,
  sctp: 132,
  udplite: 136,
});

/** One member, parsed. */
export interface IpsetMember {
  family: 'ipv4' | 'ipv6' | 'mac';
  /** The address text and prefix (null: a host address); the MAC for hash:mac. */
  addr: string;
  prefix: number | null;
  /** For the `,port` types: protocol number and inclusive port range. */
  proto: number | null;
  portLo: number;
  portHi: number;
}

/** Parses one member of a set of `type`; a message when `ipset add` would refuse it. */
export function parseIpsetMember(type: IpsetType, text: string): IpsetMember | { error: string } {
  const bad = (why: string) => ({ error: `'${text}' is not a ${type} member: ${why}` });
  const t = text.trim();
  if (type === 'hash:mac') {
    return parseMac(t) === null
      ? bad('expected a MAC address such as 52:54:00:11:22:33')
      : { family: 'mac', addr: t, prefix: null, proto: null, portLo: 0, portHi: 0 };
  }
  const withPort = type.endsWith(',port');
  const comma = t.indexOf(',');
  if (withPort !== comma >= 0) {
    return bad(withPort ? 'expected ADDRESS,PORT or ADDRESS,PROTO:PORT' : 'unexpected ","');
  }
  const addrPart = withPort ? t.slice(0, comma) : t;
  const slash = addrPart.indexOf('/');
  const addr = slash >= 0 ? addrPart.slice(0, slash) : addrPart;
  const family = parseIpv4(addr) !== null ? 'ipv4' : parseIpv6(addr) !== null ? 'ipv6' : null;
  if (!family) return bad(`'${addr}' is not an IPv4 or IPv6 address`);
  let prefix: number | null = null;
  if (slash >= 0) {
    const p = addrPart.slice(slash + 1);
    const max = family === 'ipv4' ? 32 : 128;
    if (!/^\d{1,3}$/.test(p) || Number(p) > max || Number(p) < 1)
      return bad(`prefix length must be 1–${max}`);
    // ipset adds every address of an IPv4 network to a hash:ip set; IPv6 takes single addresses.
    if (type.startsWith('hash:ip') && family === 'ipv6' && Number(p) !== max)
      return bad('an IPv6 hash:ip member is a single address (use hash:net for networks)');
    prefix = Number(p) === max ? null : Number(p);
  }
  if (!withPort) return { family, addr, prefix, proto: null, portLo: 0, portHi: 0 };
  const portPart = t.slice(comma + 1);
  const colon = portPart.indexOf(':');
  const protoName = colon >= 0 ? portPart.slice(0, colon).toLowerCase() : 'tcp';
  const proto = IPSET_PORT_PROTOCOLS[protoName];
  if (proto === undefined) {
    return bad(
      `protocol '${protoName}' is not modelled (${Object.keys(IPSET_PORT_PROTOCOLS).join(', ')})`,
    );
  }
  const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(
    colon >= 0 ? portPart.slice(colon + 1) : portPart,
  );
  const lo = Number(range?.[1]);
  const hi = range?.[2] !== undefined ? Number(range[2]) : lo;
  if (!range || lo > 65535 || hi > 65535 || hi < lo)
    return bad('expected a port 0–65535 or a range LO-HI');
  return { family, addr, prefix, proto, portLo: lo, portHi: hi };
}

/** Checks a whole set: every member parses, and all share one family (ipset's `family inet|inet6`). */
export function checkIpset(spec: IpsetSpec): string[] {
  const errors: string[] = [];
  let family: string | null = null;
  for (const m of spec.members) {
    const p = parseIpsetMember(spec.type, m);
    if ('error' in p) errors.push(p.error);
    else if (family && p.family !== family && spec.type !== 'hash:mac')
      errors.push(`'${m}': a set holds one address family (this one holds ${family} addresses)`);
    else family ??= p.family;
  }
  return errors;
}

/** The set's family: `mac` for hash:mac, else that of its members (IPv4 when empty, as `ipset create`). */
export function ipsetFamily(spec: IpsetSpec): 'ipv4' | 'ipv6' | 'mac' {
  if (spec.type === 'hash:mac') return 'mac';
  for (const m of spec.members) {
    const p = parseIpsetMember(spec.type, m);
    if (!('error' in p)) return p.family;
  }
  return 'ipv4';
}

/**
 * The members of a `NAME[:TYPE]=MEMBER[,MEMBER…]` command-line set. A `,port` type's members
 * contain a comma themselves, so there the list is read in ADDRESS,PORT pairs.
 */
export function splitIpsetMembers(type: IpsetType, list: string): string[] {
  const parts = list.split(',').filter((p) => p.trim() !== '');
  if (!type.endsWith(',port')) return parts;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2)
    out.push(parts[i + 1] === undefined ? (parts[i] as string) : `${parts[i]},${parts[i + 1]}`);
  return out;
}

export function isIpsetType(t: string): t is IpsetType {
  return (IPSET_TYPES as readonly string[]).includes(t);
}
