import type { RuleInstance } from '../../instantiate/types';
import { fixedNegations } from '../../model/apply-libvirt-fixups';
import type { NameTable } from '../../model/names';
import {
  ARP_OPCODE_NAMES,
  IP_PROTOCOL_NAMES,
  MAC_PROTOCOL_NAMES,
  layerOfProtocol,
} from '../../model/attributes';
import type { Diagnostic, ProtocolName, Rule } from '../../model/types';
import { decimal, hex, parseNumber } from '../values';
import type {
  NftChain,
  NftChange,
  NftMatch,
  NftRule,
  NftRuleset,
  NftTable,
  NftTableName,
  NftTarget,
} from './ir';
import { NFT_TABLE_PRIORITY, NFT_TABLES, nftChainNames, nftRootChainSpec } from './ir';

/** Diagnostic codes of the nftables backend. */
export const NFT_COMPILE_CODES = {
  stpInoutSrcMac: 'NWF341',
  ipsetIgnored: 'NWF342',
  commentTooLong: 'NWF343',
  badChainName: 'NWF344',
  nftRejects: 'NWF345',
} as const;

/** nft refuses rule comments longer than this many bytes (NFT_USERDATA_MAXLEN-derived limit). */
export const NFT_COMMENT_MAX_BYTES = 128;

/** The driver's table for a rule: ethernet protocols in one, everything IP-layer in the other. */
export function nftTableOf(rule: Rule): NftTableName {
  return isEthernet(rule) ? NFT_TABLES.ethernet : NFT_TABLES.inet;
}

const isEthernet = (rule: Rule) => layerOfProtocol(rule.protocol) === 'ethernet';

/** The bridge group address STP frames go to. */
const STP_BGA = '01:80:c2:00:00:00';

/** Sub-chain kinds in the driver's prefix-matching order, with the root chain's jump selector. */
const SUBCHAIN_PROTOS: readonly { prefix: string; match: NftMatch | null }[] = [
  { prefix: 'ipv4', match: etherType('0x0800') },
  { prefix: 'ipv6', match: etherType('0x86dd') },
  { prefix: 'arp', match: etherType('0x0806') },
  { prefix: 'rarp', match: etherType('0x8035') },
  { prefix: 'vlan', match: etherType('0x8100') },
  { prefix: 'stp', match: m('ether daddr', null, false, STP_BGA, ['ether', 'daddr', STP_BGA]) },
  { prefix: 'mac', match: null },
];

function m(
  selector: string,
  mask: string | null,
  negated: boolean,
  value: string,
  args: string[],
): NftMatch {
  return { selector, mask, negated, value, args };
}

function etherType(value: string): NftMatch {
  return m('ether type', null, false, value, ['ether', 'type', value]);
}

const STATE_ORDER = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'] as const;

const TCP_FLAG_BITS: readonly [string, number][] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];

function tcpFlagBits(text: string): number {
  let bits = 0;
  for (const name of text.split(',').map((s) => s.trim().toUpperCase())) {
    if (name === 'ALL') bits |= 0x3f;
    else bits |= TCP_FLAG_BITS.find(([n]) => n === name)?.[1] ?? 0;
  }
  return bits;
}

/** libvirt's nftablesPrintTCPFlags: `0`, `*` for all six, else the lower-case names. */
function nftTcpFlags(bits: number): string {
  if (bits === 0) return '0';
  if (bits === 0x3f) return '*';
  return TCP_FLAG_BITS.filter(([, b]) => bits & b)
    .map(([n]) => n.toLowerCase())
    .join(',');
}

/** Accessor for one instance's attributes, with libvirt's negation fix-ups applied. */
class Attrs {
  private readonly neg_: Record<string, boolean>;
  constructor(private readonly inst: RuleInstance) {
    this.neg_ = fixedNegations(inst.rule);
  }
  has(name: string): boolean {
    return name in this.inst.rule.attrs;
  }
  text(name: string): string {
    return this.inst.rule.attrs[name]?.value ?? '';
  }
  neg(name: string): boolean {
    if (name in this.neg_) return this.neg_[name] as boolean;
    return this.inst.rule.attrs[name]?.negated ?? false;
  }
  private verbatim(name: string): boolean {
    return this.inst.fromVariable.includes(name);
  }
  dec(name: string, names?: NameTable) {
    return decimal(this.text(name), this.verbatim(name), names);
  }
  hex(name: string, names?: NameTable) {
    return hex(this.text(name), this.verbatim(name), names);
  }
}

/** Builds one rule's matches in libvirt's argument order. */
class MatchList {
  readonly list: NftMatch[] = [];
  push(match: NftMatch): void {
    this.list.push(match);
  }
  /** `sel [op] value` where the negation is printed as `op` (`!=`, or `!` in the inet IP header). */
  rel(sel: string, negated: boolean, value: string, negToken = '!='): void {
    this.push(
      m(sel, null, negated, value, [...sel.split(' '), ...(negated ? [negToken] : []), value]),
    );
  }
}

// ---------------------------------------------------------------------------
// Inet table rules (nftablesHandleInetRule)
// ---------------------------------------------------------------------------

const L4PROTO: Partial<Record<ProtocolName, string>> = {
  tcp: 'tcp',
  'tcp-ipv6': 'tcp',
  udp: 'udp',
  'udp-ipv6': 'udp',
  udplite: 'udplite',
  'udplite-ipv6': 'udplite',
  esp: 'esp',
  'esp-ipv6': 'esp',
  ah: 'ah',
  'ah-ipv6': 'ah',
  sctp: 'sctp',
  'sctp-ipv6': 'sctp',
  igmp: 'igmp',
};

const isV6Addr = (text: string) => text.includes(':');

function inetSrcMac(a: Attrs, out: MatchList): void {
  if (!a.has('srcmacaddr')) return;
  out.rel('ether saddr', a.neg('srcmacaddr'), a.text('srcmacaddr'));
}

/** nftablesHandleIPHdr: addresses (masks, ranges), then dscp; returns the address family used. */
function inetIpHdr(a: Attrs, reverse: boolean, out: MatchList): void {
  let ip: string | null = null;
  const side = (which: 'src' | 'dst') => {
    const field = (which === 'src') !== reverse ? 'saddr' : 'daddr';
    const addr = `${which}ipaddr`;
    const from = `${which}ipfrom`;
    if (a.has(addr)) {
      ip = isV6Addr(a.text(addr)) ? 'ip6' : 'ip';
      const mask = `${which}ipmask`;
      const v = a.has(mask) ? `${a.text(addr)}/${a.text(mask)}` : a.text(addr);
      out.rel(`${ip} ${field}`, a.neg(addr), v, '!');
    } else if (a.has(from)) {
      ip = isV6Addr(a.text(from)) ? 'ip6' : 'ip';
      const to = `${which}ipto`;
      const v = a.has(to) ? `${a.text(from)}-${a.text(to)}` : a.text(from);
      out.rel(`${ip} ${field}`, a.neg(from), v, '!');
    }
  };
  side('src');
  side('dst');
  if (a.has('dscp')) {
    // The driver takes the family from the last address printed; without one, dscp's own type (ip).
    out.rel(`${ip ?? 'ip'} dscp`, a.neg('dscp'), a.dec('dscp').text, '!');
  }
}

/** insertRuleArg2Param: `PROTO dport [!=] lo[-hi]`. */
function portMatch(
  a: Attrs,
  proto: string,
  start: string,
  end: string,
  field: 'sport' | 'dport',
  out: MatchList,
): void {
  if (!a.has(start)) return;
  const lo = a.dec(start).text;
  const v = a.has(end) ? `${lo}-${a.dec(end).text}` : lo;
  out.rel(`${proto} ${field}`, a.neg(start), v);
}

function inetPorts(a: Attrs, proto: string, reverse: boolean, out: MatchList): void {
  portMatch(a, proto, 'dstportstart', 'dstportend', reverse ? 'sport' : 'dport', out);
  portMatch(a, proto, 'srcportstart', 'srcportend', reverse ? 'dport' : 'sport', out);
}

function needsConntrack(rule: Rule): boolean {
  if (isEthernet(rule)) return false;
  if (!rule.statematch) return false;
  return 'state' in rule.attrs || rule.action === 'accept';
}

function needsConnlimit(rule: Rule, directionIn: boolean): boolean {
  return 'connlimit-above' in rule.attrs && !directionIn;
}

function inetMatches(
  inst: RuleInstance,
  directionIn: boolean,
  reverse: boolean,
  changes: NftChange[],
): NftMatch[] {
  const rule = inst.rule;
  const a = new Attrs(inst);
  const out = new MatchList();
  const proto = rule.protocol as ProtocolName;
  const v6 = layerOfProtocol(proto) === 'ipv6';
  out.push(etherType(v6 ? 'ip6' : 'ip'));
  const l4 = L4PROTO[proto];
  let icmp = false;
  if (l4) out.rel('meta l4proto', false, l4);
  if (proto === 'icmp' || proto === 'icmpv6') {
    icmp = true;
    out.rel(proto === 'icmp' ? 'ip protocol' : 'ip6 nexthdr', false, proto);
  }
  inetSrcMac(a, out);
  inetIpHdr(a, reverse, out);
  if (proto === 'tcp' || proto === 'tcp-ipv6') {
    if (a.has('flags')) {
      const [maskText = '', flagText = ''] = a.text('flags').split('/');
      const mask = nftTcpFlags(tcpFlagBits(maskText));
      const flags = nftTcpFlags(tcpFlagBits(flagText));
      const neg = a.neg('flags');
      out.push({
        selector: 'tcp flags',
        mask,
        negated: neg,
        value: flags,
        args: ['tcp', 'flags', '&', mask, neg ? '!=' : '==', '{', flags, '}'],
      });
    }
    if (a.has('option')) out.rel('tcp option', a.neg('option'), a.dec('option').text, '!');
  }
  if (l4 === 'tcp' || l4 === 'udp' || l4 === 'sctp') inetPorts(a, l4, reverse, out);
  if (icmp && a.has('type')) {
    out.rel(`${proto} type`, a.neg('type'), a.dec('type').text);
    if (a.has('code')) out.rel(`${proto} code`, a.neg('code'), a.dec('code').text);
  }
  if (a.has('ipset') && a.has('ipsetflags')) {
    changes.push({ kind: 'ipset-ignored', set: a.text('ipset') });
  }
  const connlimit = needsConnlimit(rule, directionIn);
  if (connlimit) {
    out.rel('ct count', a.neg('connlimit-above'), a.dec('connlimit-above').text);
    // `ct count over N` is an over-test; the value keeps the number only.
    const last = out.list[out.list.length - 1] as NftMatch;
    last.args.splice(2, 0, 'over');
    if (!changes.some((c) => c.kind === 'connlimit-count'))
      changes.push({ kind: 'connlimit-count' });
  }
  if (needsConntrack(rule)) {
    if (!(connlimit || icmp)) out.rel('ct direction', false, reverse ? 'reply' : 'original');
    out.rel('ct state', false, ctStates(rule, reverse));
  }
  return out.list;
}

function ctStates(rule: Rule, reverse: boolean): string {
  const s = rule.attrs.state?.value;
  const names = s ? s.split(',').map((x) => x.trim().toUpperCase()) : [];
  if (names.length > 0 && !names.includes('NONE')) {
    return STATE_ORDER.filter((st) => names.includes(st))
      .map((st) => st.toLowerCase())
      .join(',');
  }
  return reverse ? 'established' : 'new,established';
}

function ipsetDiagnostic(inst: RuleInstance): Diagnostic {
  const p = inst.provenance;
  return {
    severity: 'warning',
    code: NFT_COMPILE_CODES.ipsetIgnored,
    message: `rule ${p.ruleIndex + 1} of filter '${p.filter}': the nftables driver has no ipset support and ignores ipset='${inst.rule.attrs.ipset?.value ?? ''}' (the rule matches without it)`,
    line: 0,
    column: 0,
  } as Diagnostic;
}

// ---------------------------------------------------------------------------
// Ethernet table rules (nftablesHandleEthernetRule)
// ---------------------------------------------------------------------------

function ethHdr(a: Attrs, reverse: boolean, out: MatchList): void {
  const side = (which: 'src' | 'dst') => {
    const addr = `${which}macaddr`;
    if (!a.has(addr)) return;
    const field = (which === 'src') !== reverse ? 'saddr' : 'daddr';
    const mac = a.text(addr);
    const neg = a.neg(addr);
    const op = neg ? '!=' : '==';
    const maskAttr = `${which}macmask`;
    if (a.has(maskAttr)) {
      const mask = a.text(maskAttr);
      // libvirt formats mask, operator and address into ONE argument.
      out.push(m(`ether ${field}`, mask, neg, mac, ['ether', field, `& ${mask} ${op} ${mac}`]));
    } else {
      out.push(m(`ether ${field}`, null, neg, mac, ['ether', field, op, mac]));
    }
  };
  side('src');
  side('dst');
}

/** `0x%02x…` of a MAC address, as the driver writes raw payload comparisons. */
function macHex(mac: string): string {
  return `0x${mac
    .split(':')
    .map((b) => b.padStart(2, '0'))
    .join('')}`;
}

function ipv4Hex(ip: string, prefix: number): string {
  const parts = ip.split('.').map((x) => parseInt(x, 10));
  let n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const maskBits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  n = (n & maskBits) >>> 0;
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function garp(a: Attrs, out: MatchList): void {
  if (!a.has('gratuitous') || !/^(true|1|yes)$/.test(a.text('gratuitous'))) return;
  const neg = a.neg('gratuitous');
  for (const mask of ['255.0.0.0', '0.255.0.0', '0.0.255.0', '0.0.0.255']) {
    out.push({
      selector: 'arp saddr ip . arp daddr ip',
      mask,
      negated: neg,
      value: '@same-ip-set',
      args: [
        'arp',
        'saddr',
        'ip',
        '&',
        mask,
        '.',
        'arp',
        'daddr',
        'ip',
        '&',
        mask,
        neg ? '!=' : '==',
        '@same-ip-set',
      ],
    });
  }
}

/** `@nh,OFF,LEN [!=] 0xHEX` (a single value). */
function raw(a: Attrs, attr: string, loc: string, out: MatchList): void {
  if (!a.has(attr)) return;
  out.rel(loc, a.neg(attr), a.hex(attr).text);
}

/** The driver's stp ranges print `!=` for a plain match and `==` for a negated one. */
function rawRange(a: Attrs, attr: string, hiAttr: string, loc: string, out: MatchList): void {
  if (!a.has(attr)) return;
  const lo = a.hex(attr).text;
  const v = a.has(hiAttr) ? `${lo}-${a.hex(hiAttr).text}` : lo;
  const printedNeg = !a.neg(attr);
  out.push(m(loc, null, printedNeg, v, [loc, printedNeg ? '!=' : '==', v]));
}

/** Raw MAC comparisons; with a mask the driver prints the address as the mask (a driver slip). */
function rawMac(
  a: Attrs,
  attr: string,
  maskAttr: string | null,
  loc: string,
  out: MatchList,
): void {
  if (!a.has(attr)) return;
  const v = macHex(a.text(attr));
  const neg = a.neg(attr);
  const masked = maskAttr !== null && a.has(maskAttr);
  out.push(
    m(loc, masked ? v : null, neg, v, [
      loc,
      ...(masked ? ['&', v] : []),
      ...(neg ? ['!='] : []),
      v,
    ]),
  );
}

function ethernetMatches(inst: RuleInstance, reverse: boolean): NftMatch[] {
  const a = new Attrs(inst);
  const out = new MatchList();
  const s = reverse ? 'daddr' : 'saddr';
  const d = reverse ? 'saddr' : 'daddr';
  const ipAddr = (fam: 'ip' | 'ip6', which: 'src' | 'dst', field: string) => {
    const addr = `${which}ipaddr`;
    if (!a.has(addr)) return;
    const mask = `${which}ipmask`;
    const v = a.has(mask) ? `${a.text(addr)}/${a.text(mask)}` : a.text(addr);
    out.rel(`${fam} ${field}`, a.neg(addr), v);
  };
  const thPorts = () => {
    portMatch(a, 'th', 'srcportstart', 'srcportend', reverse ? 'dport' : 'sport', out);
    portMatch(a, 'th', 'dstportstart', 'dstportend', reverse ? 'sport' : 'dport', out);
  };
  switch (inst.rule.protocol) {
    case 'mac':
      ethHdr(a, reverse, out);
      if (a.has('protocolid'))
        out.rel('ether type', a.neg('protocolid'), a.hex('protocolid', MAC_PROTOCOL_NAMES).text);
      break;
    case 'ip':
      // The ethertype's negation is the ip protocol attribute's (a driver slip, kept).
      out.rel('ether type', a.neg('protocol'), 'ip');
      ethHdr(a, reverse, out);
      ipAddr('ip', 'src', s);
      ipAddr('ip', 'dst', d);
      if (a.has('protocol'))
        out.rel('ip protocol', a.neg('protocol'), a.dec('protocol', IP_PROTOCOL_NAMES).text);
      thPorts();
      if (a.has('dscp')) out.rel('ip dscp', a.neg('dscp'), a.hex('dscp').text);
      break;
    case 'arp': {
      ethHdr(a, reverse, out);
      out.push(etherType('0x806'));
      if (a.has('hwtype')) out.rel('arp htype', a.neg('hwtype'), a.dec('hwtype').text);
      if (a.has('protocoltype'))
        out.rel('arp ptype', a.neg('protocoltype'), a.hex('protocoltype').text);
      if (a.has('opcode'))
        out.rel('arp operation', a.neg('opcode'), a.dec('opcode', ARP_OPCODE_NAMES).text);
      // The driver's hasMask flag is shared: a source mask also applies to the destination.
      let mask = '32';
      const arpIp = (attr: string, maskAttr: string, field: string) => {
        if (!a.has(attr)) return;
        if (a.has(maskAttr)) mask = a.text(maskAttr);
        out.rel(`arp ${field} ip`, a.neg(attr), `${a.text(attr)}/${mask}`);
      };
      arpIp('arpsrcipaddr', 'arpsrcipmask', s);
      arpIp('arpdstipaddr', 'arpdstipmask', d);
      if (a.has('arpsrcmacaddr'))
        out.rel(`arp ${s} ether`, a.neg('arpsrcmacaddr'), a.text('arpsrcmacaddr'));
      if (a.has('arpdstmacaddr'))
        out.rel(`arp ${d} ether`, a.neg('arpdstmacaddr'), a.text('arpdstmacaddr'));
      garp(a, out);
      break;
    }
    case 'rarp': {
      ethHdr(a, reverse, out);
      out.push(etherType('0x8035'));
      raw(a, 'hwtype', '@nh,0,16', out);
      raw(a, 'protocoltype', '@nh,40,16', out);
      if (a.has('opcode'))
        out.rel('@nh,48,16', a.neg('opcode'), a.hex('opcode', ARP_OPCODE_NAMES).text);
      const rawIp = (attr: string, maskAttr: string, off: number) => {
        if (!a.has(attr)) return;
        const prefix = a.has(maskAttr) ? parseNumber(a.text(maskAttr)) : 32;
        out.rel(`@nh,${off},${prefix}`, a.neg(attr), ipv4Hex(a.text(attr), prefix));
      };
      rawIp('arpsrcipaddr', 'arpsrcipmask', 112);
      rawIp('arpdstipaddr', 'arpdstipmask', 192);
      rawMac(a, 'arpsrcmacaddr', null, '@nh,64,48', out);
      rawMac(a, 'arpdstmacaddr', null, '@nh,144,48', out);
      garp(a, out);
      break;
    }
    case 'ipv6':
      ethHdr(a, reverse, out);
      out.push(etherType('ip6'));
      ipAddr('ip6', 'src', s);
      ipAddr('ip6', 'dst', d);
      if (a.has('protocol'))
        out.rel('ip6 nexthdr', a.neg('protocol'), a.dec('protocol', IP_PROTOCOL_NAMES).text);
      thPorts();
      if (a.has('type') || a.has('code')) {
        if (a.has('type')) out.rel('icmpv6 type', a.neg('type'), a.dec('type').text);
        if (a.has('code')) out.rel('icmpv6 code', a.neg('code'), a.dec('code').text);
      }
      break;
    case 'vlan':
      ethHdr(a, reverse, out);
      out.push(etherType('0x8100'));
      if (a.has('vlanid')) out.rel('vlan id', a.neg('vlanid'), a.dec('vlanid').text);
      if (a.has('encap-protocol'))
        out.rel(
          'vlan type',
          a.neg('encap-protocol'),
          a.dec('encap-protocol', MAC_PROTOCOL_NAMES).text,
        );
      break;
    case 'stp':
      ethHdr(a, reverse, out);
      out.push(m('ether daddr', null, false, STP_BGA, ['ether', 'daddr', STP_BGA]));
      raw(a, 'type', '@nh,48,8', out);
      raw(a, 'flags', '@nh,56,8', out);
      rawRange(a, 'root-priority', 'root-priority-hi', '@nh,64,16', out);
      rawMac(a, 'root-address', 'root-address-mask', '@nh,80,48', out);
      rawRange(a, 'root-cost', 'root-cost-hi', '@nh,128,32', out);
      rawRange(a, 'sender-priority', 'sender-priority-hi', '@nh,160,16', out);
      rawMac(a, 'sender-address', 'sender-address-mask', '@nh,176,48', out);
      rawRange(a, 'port', 'port-hi', '@nh,224,16', out);
      rawRange(a, 'age', 'age-hi', '@nh,240,16', out);
      rawRange(a, 'max-age', 'max-age-hi', '@nh,256,16', out);
      rawRange(a, 'hello-time', 'hello-time-hi', '@nh,272,16', out);
      rawRange(a, 'forward-delay', 'forward-delay-hi', '@nh,288,16', out);
      break;
    default:
      break;
  }
  return out.list;
}

function targetOf(action: Rule['action']): NftTarget {
  const verdict =
    action === 'reject'
      ? 'DROP'
      : (action.toUpperCase() as 'ACCEPT' | 'DROP' | 'RETURN' | 'CONTINUE');
  return { kind: 'verdict', verdict };
}

// ---------------------------------------------------------------------------
// Layout (nftablesHandleCreateChains / nftablesRuleInstCommand)
// ---------------------------------------------------------------------------

/** Result of compiling to the nftables IR. */
export interface NftCompileResult {
  ruleset: NftRuleset;
  diagnostics: Diagnostic[];
}

interface SubChainSpec {
  suffix: string;
  priority: number;
  inChain: boolean;
  outChain: boolean;
}

/**
 * Compile instantiated rules (ordered as instantiate returns them: root chain first, then by
 * priority) to the rule set libvirt's proposed nftables driver installs for `iface`.
 */
export function compileNftables(insts: readonly RuleInstance[], iface: string): NftCompileResult {
  const diagnostics: Diagnostic[] = chainNameDiagnostics(insts, iface);
  let seq = 0;
  const tables = new Map<NftTableName, NftTable>();
  for (const name of [NFT_TABLES.ethernet, NFT_TABLES.inet]) {
    const priority = NFT_TABLE_PRIORITY[name];
    tables.set(name, {
      family: 'bridge',
      name,
      hasSameIpSet: name === NFT_TABLES.ethernet,
      maps: [
        { name: 'vmap-oif', elements: [{ iface, chain: nftChainNames.root('in', iface, false) }] },
        { name: 'vmap-iif', elements: [{ iface, chain: nftChainNames.root('out', iface, false) }] },
      ],
      chains: [
        baseChain('postrouting', priority, 'in', 'oif', 'vmap-oif', iface, -2),
        baseChain('prerouting', priority, 'out', 'iif', 'vmap-iif', iface, -1),
      ],
    });
  }
  const table = (name: NftTableName) => tables.get(name) as NftTable;
  const chainIn = (t: NftTable, name: string) => t.chains.find((c) => c.name === name) as NftChain;

  const newChain = (t: NftTable, spec: Omit<NftChain, 'seq' | 'rules'>): NftChain => {
    const c: NftChain = { ...spec, seq: seq++, rules: [] };
    t.chains.push(c);
    return c;
  };
  // The root chains: ethernet in, inet in, ethernet out, inet out (the driver's creation order).
  for (const dir of ['in', 'out'] as const) {
    for (const t of [table(NFT_TABLES.ethernet), table(NFT_TABLES.inet)]) {
      newChain(t, nftRootChainSpec(dir, iface, true));
    }
  }

  const addRule = (t: NftTable, chainName: string, rule: Omit<NftRule, 'seq'>) => {
    chainIn(t, chainName).rules.push({ ...rule, seq: seq++ });
  };

  const emitOne = (inst: RuleInstance, directionIn: boolean, reverse: boolean) => {
    const rule = inst.rule;
    const eth = isEthernet(rule);
    const dir = directionIn ? 'in' : 'out';
    const chainName =
      inst.chain === 'root' || !eth
        ? nftChainNames.root(dir, iface, false)
        : nftChainNames.sub(dir, iface, inst.chain, false);
    const changes: NftChange[] = [];
    const matches = eth
      ? ethernetMatches(inst, reverse)
      : inetMatches(inst, directionIn, reverse, changes);
    if (rule.action === 'reject') changes.push({ kind: 'reject-as-drop' });
    const comment =
      !eth && rule.attrs.comment
        ? `usercomment=${rule.attrs.comment.value.replace(/"/g, "'")}`
        : null;
    addRule(table(nftTableOf(rule)), chainName, {
      matches,
      target: targetOf(rule.action),
      viaMap: null,
      comment,
      provenance: inst.provenance,
      changes,
    });
  };

  const emitInstance = (inst: RuleInstance) => {
    const rule = inst.rule;
    if (rule.direction === 'inout') {
      emitOne(inst, true, false);
      emitOne(inst, false, isEthernet(rule));
    } else {
      const dirIn = rule.direction === 'in';
      emitOne(inst, dirIn, false);
      if (needsConntrack(rule) && rule.action === 'accept') emitOne(inst, !dirIn, true);
    }
  };

  // Sub chains, registered in rule order, then sorted (stably) by chain priority.
  const subs: SubChainSpec[] = [];
  for (const inst of insts) {
    let spec = subs.find((s) => s.suffix === inst.chain);
    if (!spec) {
      if (inst.chain === 'root') continue;
      spec = { suffix: inst.chain, priority: inst.chainPriority, inChain: false, outChain: false };
      subs.push(spec);
    }
    if (isEthernet(inst.rule)) {
      const d = inst.rule.direction;
      spec.inChain ||= d === 'in' || d === 'inout';
      spec.outChain ||= d === 'out' || d === 'inout';
    }
  }
  const sortedSubs = subs
    .map((s, i) => ({ s, i }))
    .sort((x, y) => x.s.priority - y.s.priority || x.i - y.i)
    .map((x) => x.s);

  // Ethernet root rules whose priority is below a sub chain's priority come before its creation.
  let lastProcessed = 0;
  let lastCreated = -1;
  const eth = table(NFT_TABLES.ethernet);
  for (const spec of sortedSubs) {
    for (let j = lastProcessed; j < insts.length; j++) {
      const inst = insts[j] as RuleInstance;
      if (inst.chain !== 'root') break;
      if (spec.priority <= inst.effectivePriority) break;
      if (!isEthernet(inst.rule)) continue;
      emitInstance(inst);
      lastProcessed = j + 1;
      lastCreated = j;
    }
    const proto = SUBCHAIN_PROTOS.find((p) => spec.suffix.startsWith(p.prefix));
    for (const dir of ['in', 'out'] as const) {
      if (!(dir === 'in' ? spec.inChain : spec.outChain)) continue;
      const sub = newChain(eth, {
        name: nftChainNames.sub(dir, iface, spec.suffix, false),
        tempName: nftChainNames.sub(dir, iface, spec.suffix, true),
        kind: 'iface-sub',
        hook: null,
        priority: null,
        dir,
        suffix: spec.suffix,
        chainPriority: spec.priority,
      });
      addRule(eth, nftChainNames.root(dir, iface, false), {
        matches: proto?.match ? [cloneMatch(proto.match)] : [],
        target: { kind: 'jump', chain: sub.name },
        viaMap: null,
        comment: null,
        provenance: null,
        changes: [],
      });
    }
  }
  insts.forEach((inst, i) => {
    if (i <= lastCreated && inst.chain === 'root' && isEthernet(inst.rule)) return;
    if (
      inst.rule.protocol === 'stp' &&
      inst.rule.direction === 'inout' &&
      'srcmacaddr' in inst.rule.attrs
    ) {
      diagnostics.push(stpDiagnostic(inst));
      return;
    }
    emitInstance(inst);
  });

  return {
    ruleset: { backend: 'nftables', iface, tables: [...tables.values()] },
    diagnostics: [...diagnostics, ...ruleDiagnostics(insts)],
  };
}

function cloneMatch(x: NftMatch): NftMatch {
  return { ...x, args: [...x.args] };
}

function baseChain(
  hook: 'prerouting' | 'postrouting',
  priority: number,
  dir: 'in' | 'out',
  selector: 'iif' | 'oif',
  map: 'vmap-oif' | 'vmap-iif',
  iface: string,
  seq: number,
): NftChain {
  return {
    name: hook,
    tempName: hook,
    kind: 'base',
    hook,
    priority,
    dir,
    suffix: null,
    chainPriority: null,
    seq: -1,
    rules: [
      {
        matches: [m(selector, null, false, iface, [selector, 'vmap', `@${map}`])],
        target: { kind: 'jump', chain: nftChainNames.root(dir, iface, false) },
        viaMap: map,
        comment: null,
        provenance: null,
        changes: [],
        seq,
      },
    ],
  };
}

function stpDiagnostic(inst: RuleInstance): Diagnostic {
  const p = inst.provenance;
  return {
    severity: 'error',
    code: NFT_COMPILE_CODES.stpInoutSrcMac,
    message: `rule ${p.ruleIndex + 1} of filter '${p.filter}': STP filtering in direction 'inout' with a source MAC address is not supported (libvirt's nftables driver refuses it)`,
    line: 0,
    column: 0,
  } as Diagnostic;
}

/** Warnings about what the driver ignores or nft refuses, once per XML rule. */
function ruleDiagnostics(insts: readonly RuleInstance[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const inst of insts) {
    const key = `${inst.provenance.filterPath.join('/')}:${inst.provenance.ruleIndex}`;
    if (seen.has(key) || isEthernet(inst.rule)) continue;
    seen.add(key);
    const attrs = inst.rule.attrs;
    if (attrs.ipset && attrs.ipsetflags) out.push(ipsetDiagnostic(inst));
    const refused = nftRefusedAttrs(inst.rule);
    if (refused.length > 0) {
      const p = inst.provenance;
      out.push({
        severity: 'warning',
        code: NFT_COMPILE_CODES.nftRejects,
        message: `rule ${p.ruleIndex + 1} of filter '${p.filter}': nft refuses what the nftables driver writes for ${refused.join(', ')}; libvirt's nftables driver would fail to apply the filter`,
        line: 0,
        column: 0,
      } as Diagnostic);
    }
    const c = attrs.comment?.value;
    if (c === undefined) continue;
    const bytes = utf8Length(`usercomment=${c.replace(/"/g, "'")}`);
    if (bytes <= NFT_COMMENT_MAX_BYTES) continue;
    const p = inst.provenance;
    out.push({
      severity: 'warning',
      code: NFT_COMPILE_CODES.commentTooLong,
      message: `rule ${p.ruleIndex + 1} of filter '${p.filter}': nft refuses comments over ${NFT_COMMENT_MAX_BYTES} bytes and 'usercomment=' plus this comment is ${bytes}; libvirt's nftables driver would fail to apply the filter`,
      line: 0,
      column: 0,
    } as Diagnostic);
  }
  return out;
}

/** UTF-8 length of a string (the core has no TextEncoder). */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** nft's unquoted identifiers: the only form a chain name can take (nft 1.0 has no quoted names). */
export const NFT_IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9/\-_.]*$/;

function chainNameDiagnostics(insts: readonly RuleInstance[], iface: string): Diagnostic[] {
  const names = new Set([nftChainNames.root('in', iface, true)]);
  for (const inst of insts) {
    if (inst.chain !== 'root' && isEthernet(inst.rule))
      names.add(nftChainNames.sub('in', iface, inst.chain, true));
  }
  return [...names]
    .filter((n) => !NFT_IDENTIFIER.test(n))
    .map(
      (n) =>
        ({
          severity: 'error',
          code: NFT_COMPILE_CODES.badChainName,
          message: `the nftables driver would name a chain '${n}', which nft cannot parse (a chain name starts with a letter, '_' or '.', then letters, digits, '/', '-', '_', '.')`,
          line: 0,
          column: 0,
        }) as Diagnostic,
    );
}

/** What the driver writes for an IP-layer rule in a form nft refuses (checked against nft 1.0.6). */
function nftRefusedAttrs(rule: Rule): string[] {
  const out: string[] = [];
  const at = rule.attrs;
  // nft's `!` negates bit masks only: `ip saddr ! 10.0.0.1` does not evaluate.
  for (const k of ['srcipaddr', 'srcipfrom', 'dstipaddr', 'dstipfrom', 'dscp']) {
    if (at[k]?.negated) out.push(`'${k}' negated with '!'`);
  }
  const tcp = rule.protocol === 'tcp' || rule.protocol === 'tcp-ipv6';
  if (tcp && at.option) out.push("'tcp option N' (not nft syntax)");
  if (tcp && at.flags) {
    const mask = tcpFlagBits(at.flags.value.split('/')[0] ?? '');
    // `tcp flags & syn,ack` and `tcp flags & *` do not parse; one flag does.
    if (mask !== 0 && (mask & (mask - 1)) !== 0)
      out.push(`the tcp flags mask '${nftTcpFlags(mask)}'`);
  }
  const v6 = layerOfProtocol(rule.protocol) === 'ipv6';
  const hasAddr = ['srcipaddr', 'srcipfrom', 'dstipaddr', 'dstipfrom'].some((k) => k in at);
  if (v6 && at.dscp && !hasAddr) out.push("'ip dscp' in an IPv6 rule (conflicting protocols)");
  return out;
}
