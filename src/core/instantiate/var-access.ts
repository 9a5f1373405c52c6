import { parseVarAccess as parseModelVarAccess } from '../model/libvirt-syntax';
import type { ProtocolName, Rule } from '../model/types';

/**
 * A variable reference in an attribute value, as libvirt parses it:
 * `$X` is `$X[@0]` (iterator 0), `$X[@n]` iterator n, `$X[n]` the n-th element.
 */
export type VarAccess =
  | { kind: 'iterator'; name: string; iterId: number }
  | { kind: 'element'; name: string; index: number };

/**
 * Parse an attribute value as a variable reference; null when it is a literal. A value is a
 * reference exactly when libvirt takes it for one: it starts with `$` (even a lone `$`, the
 * variable with the empty name, which no parameter can set). The text after `$` is read by the
 * one parser the validator uses too ({@link parseModelVarAccess}); a malformed one is the
 * validator's error, so it never reaches instantiation.
 */
export function parseVarAccess(value: string): VarAccess | null {
  if (!value.startsWith('$')) return null;
  const v = parseModelVarAccess(value.slice(1));
  if ('error' in v) return null;
  return v.kind === 'iterator'
    ? { kind: 'iterator', name: v.name, iterId: v.index }
    : { kind: 'element', name: v.name, index: v.index };
}

/** libvirt's text for an access (`A`, `A[@1]`, `A[2]`), as in its "unresolvable variables" error. */
export function formatVarAccess(a: VarAccess): string {
  if (a.kind === 'element') return `${a.name}[${a.index}]`;
  return a.iterId === 0 ? a.name : `${a.name}[@${a.iterId}]`;
}

function sameAccess(a: VarAccess, b: VarAccess): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  return a.kind === 'element'
    ? a.index === (b as { index: number }).index
    : a.iterId === (b as { iterId: number }).iterId;
}

const COMMON_MAC = ['srcmacaddr', 'srcmacmask', 'dstmacaddr', 'dstmacmask'];
const COMMON_IP = [
  'srcmacaddr',
  'srcipaddr',
  'srcipmask',
  'dstipaddr',
  'dstipmask',
  'srcipfrom',
  'srcipto',
  'dstipfrom',
  'dstipto',
  'dscp',
  'connlimit-above',
  'state',
  'ipset',
  'ipsetflags',
];
const PORTS = ['srcportstart', 'srcportend', 'dstportstart', 'dstportend'];
const STP = [
  'srcmacaddr',
  'srcmacmask',
  'type',
  'flags',
  'root-priority',
  'root-priority-hi',
  'root-address',
  'root-address-mask',
  'root-cost',
  'root-cost-hi',
  'sender-priority',
  'sender-priority-hi',
  'sender-address',
  'sender-address-mask',
  'port',
  'port-hi',
  'age',
  'age-hi',
  'max-age',
  'max-age-hi',
  'hello-time',
  'hello-time-hi',
  'forward-delay',
  'forward-delay-hi',
];
const ARP = [
  ...COMMON_MAC,
  'hwtype',
  'protocoltype',
  'opcode',
  'arpsrcmacaddr',
  'arpdstmacaddr',
  'arpsrcipaddr',
  'arpsrcipmask',
  'arpdstipaddr',
  'arpdstipmask',
  'gratuitous',
];
const IP4_L2 = [
  ...COMMON_MAC,
  'srcipaddr',
  'srcipmask',
  'dstipaddr',
  'dstipmask',
  'protocol',
  ...PORTS,
  'dscp',
];
const IP6_L2 = [
  ...COMMON_MAC,
  'srcipaddr',
  'srcipmask',
  'dstipaddr',
  'dstipmask',
  'protocol',
  ...PORTS,
  'type',
  'typeend',
  'code',
  'codeend',
];

/**
 * Attribute order of libvirt's per-protocol attribute tables (nwfilter_conf.c). libvirt records a
 * rule's variable accesses in this order, which fixes the order of the combination iterators.
 */
export const ATTRIBUTE_ORDER: Record<ProtocolName, readonly string[]> = {
  mac: [...COMMON_MAC, 'protocolid', 'comment'],
  vlan: [...COMMON_MAC, 'vlanid', 'encap-protocol', 'comment'],
  stp: [...STP, 'comment'],
  arp: [...ARP, 'comment'],
  rarp: [...ARP, 'comment'],
  ip: [...IP4_L2, 'comment'],
  ipv6: [...IP6_L2, 'comment'],
  tcp: [...COMMON_IP, ...PORTS, 'option', 'flags', 'comment'],
  udp: [...COMMON_IP, ...PORTS, 'comment'],
  udplite: [...COMMON_IP, 'comment'],
  sctp: [...COMMON_IP, ...PORTS, 'comment'],
  icmp: [...COMMON_IP, 'type', 'code', 'comment'],
  igmp: [...COMMON_IP, 'comment'],
  esp: [...COMMON_IP, 'comment'],
  ah: [...COMMON_IP, 'comment'],
  all: [...COMMON_IP, 'comment'],
  'tcp-ipv6': [...COMMON_IP, ...PORTS, 'option', 'flags', 'comment'],
  'udp-ipv6': [...COMMON_IP, ...PORTS, 'comment'],
  'udplite-ipv6': [...COMMON_IP, 'comment'],
  'sctp-ipv6': [...COMMON_IP, ...PORTS, 'comment'],
  icmpv6: [...COMMON_IP, 'type', 'code', 'comment'],
  'esp-ipv6': [...COMMON_IP, 'comment'],
  'ah-ipv6': [...COMMON_IP, 'comment'],
  'all-ipv6': [...COMMON_IP, 'comment'],
};

/** The attribute names of a rule in libvirt's table order (unknown names last, in their own order). */
export function orderedAttrNames(rule: Rule): string[] {
  const names = Object.keys(rule.attrs);
  if (!rule.protocol) return names;
  const order = ATTRIBUTE_ORDER[rule.protocol];
  const known = order.filter((n) => n in rule.attrs);
  return [...known, ...names.filter((n) => !order.includes(n))];
}

/** The distinct variable accesses of a rule, in the order libvirt records them. */
export function collectVarAccesses(rule: Rule): VarAccess[] {
  const out: VarAccess[] = [];
  for (const name of orderedAttrNames(rule)) {
    const attr = rule.attrs[name];
    if (!attr) continue;
    const a = parseVarAccess(attr.value);
    if (a && !out.some((b) => sameAccess(a, b))) out.push(a);
  }
  return out;
}
