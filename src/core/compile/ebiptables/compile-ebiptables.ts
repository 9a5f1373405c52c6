import type { RuleInstance } from '../../instantiate/types';
import { fixedNegations } from '../../model/apply-libvirt-fixups';
import type { NameTable } from '../../model/names';
import {
  ARP_OPCODE_NAMES,
  IP_PROTOCOL_NAMES,
  MAC_PROTOCOL_NAMES,
  layerOfProtocol,
} from '../../model/attributes';
import type { ProtocolLayer } from '../../model/attributes';
import type { AttrValue, Diagnostic, ProtocolName, Rule } from '../../model/types';
import type {
  CtState,
  IrChain,
  IrRule,
  IrTable,
  Match,
  NumRange,
  Ruleset,
  TableFamily,
  Target,
} from './ir';
import { chainNames } from './ir';
import { decimal, hex, parseNumber } from '../values';

/** Diagnostic codes of the compile layer. */
export const COMPILE_CODES = {
  stpInoutSrcMac: 'NWF321',
} as const;

const FAMILY_OF_LAYER: Readonly<Record<ProtocolLayer, TableFamily>> = {
  ethernet: 'ebtables',
  ipv4: 'iptables',
  ipv6: 'ip6tables',
};

/** Which front end handles a rule's protocol (the element's layer in the attribute table). */
export function layerOf(rule: Rule): TableFamily {
  return FAMILY_OF_LAYER[layerOfProtocol(rule.protocol)];
}

/** The ebtables sub-chain kinds, in libvirt's prefix-matching order, with the root-chain jump's selector. */
const SUBCHAIN_PROTOS: readonly { prefix: string; match: Match | null }[] = [
  {
    prefix: 'ipv4',
    match: { kind: 'eb-proto', ethertype: 0x0800, text: '0x0800', negated: false },
  },
  {
    prefix: 'ipv6',
    match: { kind: 'eb-proto', ethertype: 0x86dd, text: '0x86dd', negated: false },
  },
  { prefix: 'arp', match: { kind: 'eb-proto', ethertype: 0x0806, text: '0x0806', negated: false } },
  {
    prefix: 'rarp',
    match: { kind: 'eb-proto', ethertype: 0x8035, text: '0x8035', negated: false },
  },
  { prefix: 'mac', match: null },
  {
    prefix: 'vlan',
    match: { kind: 'eb-proto', ethertype: 0x8100, text: '0x8100', negated: false },
  },
  {
    prefix: 'stp',
    match: { kind: 'eb-mac', field: 'dst', mac: '01:80:c2:00:00:00', mask: null, negated: false },
  },
];

const STP_BGA = '01:80:c2:00:00:00';

/** Accessor for one instance's attributes, honouring libvirt's print rules. */
class Attrs {
  constructor(
    private readonly inst: RuleInstance,
    private readonly negOverride: Record<string, boolean> = {},
  ) {}
  has(name: string): boolean {
    return name in this.inst.rule.attrs;
  }
  get(name: string): AttrValue | undefined {
    return this.inst.rule.attrs[name];
  }
  text(name: string): string {
    return this.inst.rule.attrs[name]?.value ?? '';
  }
  neg(name: string): boolean {
    if (name in this.negOverride) return this.negOverride[name] as boolean;
    return this.inst.rule.attrs[name]?.negated ?? false;
  }
  verbatim(name: string): boolean {
    return this.inst.fromVariable.includes(name);
  }
  dec(name: string, names?: NameTable) {
    return decimal(this.text(name), this.verbatim(name), names);
  }
  hex(name: string, names?: NameTable) {
    return hex(this.text(name), this.verbatim(name), names);
  }
}

function range(lo: number, hi: number | null): NumRange {
  return { lo, hi: hi ?? lo };
}

function actionTarget(action: Rule['action'], eb: boolean): Target {
  const v =
    action === 'reject'
      ? eb
        ? 'DROP'
        : 'REJECT'
      : (action.toUpperCase() as 'ACCEPT' | 'DROP' | 'RETURN' | 'CONTINUE');
  return { kind: 'verdict', verdict: v };
}

// ---------------------------------------------------------------------------
// ebtables
// ---------------------------------------------------------------------------

function ebEthHdr(a: Attrs, reverse: boolean, out: Match[]): void {
  if (a.has('srcmacaddr')) {
    out.push({
      kind: 'eb-mac',
      field: reverse ? 'dst' : 'src',
      mac: a.text('srcmacaddr'),
      mask: a.has('srcmacmask') ? a.text('srcmacmask') : null,
      negated: a.neg('srcmacaddr'),
    });
  }
  if (a.has('dstmacaddr')) {
    out.push({
      kind: 'eb-mac',
      field: reverse ? 'src' : 'dst',
      mac: a.text('dstmacaddr'),
      mask: a.has('dstmacmask') ? a.text('dstmacmask') : null,
      negated: a.neg('dstmacaddr'),
    });
  }
}

function ebIp(
  family: 4 | 6,
  field: 'src' | 'dst' | 'protocol' | 'sport' | 'dport' | 'tos' | 'icmp-type',
  text: string,
  negated: boolean,
  extra: Partial<Extract<Match, { kind: 'eb-ip' }>>,
): Match {
  return {
    kind: 'eb-ip',
    family,
    field,
    addr: null,
    prefix: null,
    value: null,
    range: null,
    icmpType: null,
    icmpCode: null,
    text,
    negated,
    ...extra,
  };
}

function ebStp(a: Attrs, out: Match[]): void {
  const single = (attr: string, field: string) => {
    if (!a.has(attr)) return;
    const v = a.dec(attr);
    out.push({
      kind: 'eb-stp',
      field,
      range: range(v.num, null),
      mac: null,
      mask: null,
      text: v.text,
      negated: a.neg(attr),
    });
  };
  const ranged = (attr: string, hiAttr: string, field: string) => {
    if (!a.has(attr)) return;
    const lo = a.dec(attr);
    const hi = a.has(hiAttr) ? a.dec(hiAttr) : null;
    out.push({
      kind: 'eb-stp',
      field,
      range: range(lo.num, hi ? hi.num : null),
      mac: null,
      mask: null,
      text: hi ? `${lo.text}:${hi.text}` : lo.text,
      negated: a.neg(attr),
    });
  };
  const masked = (attr: string, maskAttr: string, field: string) => {
    if (!a.has(attr)) return;
    const mac = a.text(attr);
    const mask = a.has(maskAttr) ? a.text(maskAttr) : null;
    out.push({
      kind: 'eb-stp',
      field,
      range: null,
      mac,
      mask,
      text: mask ? `${mac}/${mask}` : mac,
      negated: a.neg(attr),
    });
  };
  single('type', 'type');
  single('flags', 'flags');
  ranged('root-priority', 'root-priority-hi', 'root-pri');
  masked('root-address', 'root-address-mask', 'root-addr');
  ranged('root-cost', 'root-cost-hi', 'root-cost');
  ranged('sender-priority', 'sender-priority-hi', 'sender-prio');
  masked('sender-address', 'sender-address-mask', 'sender-addr');
  ranged('port', 'port-hi', 'port');
  ranged('age', 'age-hi', 'msg-age');
  ranged('max-age', 'max-age-hi', 'max-age');
  ranged('hello-time', 'hello-time-hi', 'hello-time');
  ranged('forward-delay', 'forward-delay-hi', 'forward-delay');
}

function ebArp(a: Attrs, rarp: boolean, reverse: boolean, out: Match[]): void {
  const ethertype = rarp ? 0x8035 : 0x0806;
  out.push({ kind: 'eb-proto', ethertype, text: `0x${ethertype.toString(16)}`, negated: false });
  const base = { value: null, ip: null, prefix: null, mac: null } as const;
  if (a.has('hwtype')) {
    const v = a.dec('hwtype');
    out.push({
      kind: 'eb-arp',
      field: 'htype',
      ...base,
      value: v.num,
      text: v.text,
      negated: a.neg('hwtype'),
    });
  }
  if (a.has('opcode')) {
    const v = a.dec('opcode', ARP_OPCODE_NAMES);
    out.push({
      kind: 'eb-arp',
      field: 'opcode',
      ...base,
      value: v.num,
      text: v.text,
      negated: a.neg('opcode'),
    });
  }
  if (a.has('protocoltype')) {
    const v = a.hex('protocoltype');
    out.push({
      kind: 'eb-arp',
      field: 'ptype',
      ...base,
      value: v.num,
      text: v.text,
      negated: a.neg('protocoltype'),
    });
  }
  // libvirt's hasMask flag is shared: once the source mask is seen it stays set for the destination.
  let hasMask = false;
  let mask = '';
  const ipField = (addrAttr: string, maskAttr: string, field: 'ip-src' | 'ip-dst') => {
    if (!a.has(addrAttr)) return;
    if (a.has(maskAttr)) {
      mask = a.text(maskAttr);
      hasMask = true;
    }
    const m = hasMask ? mask : '32';
    const ip = a.text(addrAttr);
    out.push({
      kind: 'eb-arp',
      field,
      ...base,
      ip,
      prefix: parseNumber(m),
      text: `${ip}/${m}`,
      negated: a.neg(addrAttr),
    });
  };
  ipField('arpsrcipaddr', 'arpsrcipmask', reverse ? 'ip-dst' : 'ip-src');
  ipField('arpdstipaddr', 'arpdstipmask', reverse ? 'ip-src' : 'ip-dst');
  if (a.has('arpsrcmacaddr')) {
    const mac = a.text('arpsrcmacaddr');
    out.push({
      kind: 'eb-arp',
      field: reverse ? 'mac-dst' : 'mac-src',
      ...base,
      mac,
      text: mac,
      negated: a.neg('arpsrcmacaddr'),
    });
  }
  if (a.has('arpdstmacaddr')) {
    const mac = a.text('arpdstmacaddr');
    out.push({
      kind: 'eb-arp',
      field: reverse ? 'mac-src' : 'mac-dst',
      ...base,
      mac,
      text: mac,
      negated: a.neg('arpdstmacaddr'),
    });
  }
  if (a.has('gratuitous') && /^(true|1|yes)$/.test(a.text('gratuitous'))) {
    out.push({
      kind: 'eb-arp',
      field: 'gratuitous',
      ...base,
      text: '',
      negated: a.neg('gratuitous'),
    });
  }
}

function ebIpHeader(a: Attrs, family: 4 | 6, reverse: boolean, out: Match[]): void {
  const addr = (attr: string, maskAttr: string, field: 'src' | 'dst') => {
    if (!a.has(attr)) return;
    const ip = a.text(attr);
    const mask = a.has(maskAttr) ? a.text(maskAttr) : null;
    out.push(
      ebIp(family, field, mask !== null ? `${ip}/${mask}` : ip, a.neg(attr), {
        addr: ip,
        prefix: mask !== null ? parseNumber(mask) : null,
      }),
    );
  };
  addr('srcipaddr', 'srcipmask', reverse ? 'dst' : 'src');
  addr('dstipaddr', 'dstipmask', reverse ? 'src' : 'dst');
  if (a.has('protocol')) {
    const v = a.dec('protocol', IP_PROTOCOL_NAMES);
    out.push(ebIp(family, 'protocol', v.text, a.neg('protocol'), { value: v.num }));
  }
  const port = (start: string, end: string, field: 'sport' | 'dport') => {
    if (!a.has(start)) return;
    const lo = a.dec(start);
    const hi = a.has(end) ? a.dec(end) : null;
    out.push(
      ebIp(family, field, hi ? `${lo.text}:${hi.text}` : lo.text, a.neg(start), {
        range: range(lo.num, hi ? hi.num : null),
      }),
    );
  };
  port('srcportstart', 'srcportend', reverse ? 'dport' : 'sport');
  port('dstportstart', 'dstportend', reverse ? 'sport' : 'dport');
  if (family === 4 && a.has('dscp')) {
    const v = a.hex('dscp');
    out.push(ebIp(4, 'tos', v.text, a.neg('dscp'), { value: v.num }));
  }
  if (family === 6 && (a.has('type') || a.has('typeend') || a.has('code') || a.has('codeend'))) {
    const part = (lo: string, hi: string) => {
      const l = a.has(lo) ? a.dec(lo) : null;
      const h = a.has(hi) ? a.dec(hi) : null;
      const loText = l ? l.text : '0';
      const hiText = h ? h.text : l ? l.text : '255';
      return { text: `${loText}:${hiText}`, r: range(l ? l.num : 0, h ? h.num : l ? l.num : 255) };
    };
    const t = part('type', 'typeend');
    const c = part('code', 'codeend');
    out.push(
      ebIp(6, 'icmp-type', `${t.text}/${c.text}`, a.neg('type'), { icmpType: t.r, icmpCode: c.r }),
    );
  }
}

/** The matches of an ebtables rule (after libvirt's src/dst reversal for inout rules in the I chain). */
function ebMatches(inst: RuleInstance, reverse: boolean): Match[] {
  const a = new Attrs(inst, fixedNegations(inst.rule));
  const out: Match[] = [];
  switch (inst.rule.protocol) {
    case 'mac':
      ebEthHdr(a, reverse, out);
      if (a.has('protocolid')) {
        const v = a.hex('protocolid', MAC_PROTOCOL_NAMES);
        out.push({
          kind: 'eb-proto',
          ethertype: v.num,
          text: v.text,
          negated: a.neg('protocolid'),
        });
      }
      break;
    case 'vlan':
      ebEthHdr(a, reverse, out);
      out.push({ kind: 'eb-proto', ethertype: 0x8100, text: '0x8100', negated: false });
      if (a.has('vlanid')) {
        const v = a.dec('vlanid');
        out.push({
          kind: 'eb-vlan',
          field: 'id',
          value: v.num,
          text: v.text,
          negated: a.neg('vlanid'),
        });
      }
      if (a.has('encap-protocol')) {
        const v = a.dec('encap-protocol', MAC_PROTOCOL_NAMES);
        out.push({
          kind: 'eb-vlan',
          field: 'encap',
          value: v.num,
          text: v.text,
          negated: a.neg('encap-protocol'),
        });
      }
      break;
    case 'stp':
      ebEthHdr(a, reverse, out);
      out.push({ kind: 'eb-mac', field: 'dst', mac: STP_BGA, mask: null, negated: false });
      ebStp(a, out);
      break;
    case 'arp':
    case 'rarp':
      ebEthHdr(a, reverse, out);
      ebArp(a, inst.rule.protocol === 'rarp', reverse, out);
      break;
    case 'ip':
      ebEthHdr(a, reverse, out);
      out.push({ kind: 'eb-proto', ethertype: 0x0800, text: 'ipv4', negated: false });
      ebIpHeader(a, 4, reverse, out);
      break;
    case 'ipv6':
      ebEthHdr(a, reverse, out);
      out.push({ kind: 'eb-proto', ethertype: 0x86dd, text: 'ipv6', negated: false });
      ebIpHeader(a, 6, reverse, out);
      break;
    default:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------
// iptables / ip6tables
// ---------------------------------------------------------------------------

const STATE_ORDER: readonly CtState[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'];

/** The conntrack states of a rule's `state` attribute, in libvirt's order; null when absent. */
function ruleStates(rule: Rule): { states: CtState[] } | null {
  const s = rule.attrs.state;
  if (!s) return null;
  const names = s.value.split(',').map((x) => x.trim().toUpperCase());
  return { states: STATE_ORDER.filter((st) => names.includes(st)) };
}

const IPT_PROTO: Partial<Record<ProtocolName, string>> = {
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
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  igmp: 'igmp',
  all: 'all',
  'all-ipv6': 'all',
};

interface IptChainSpec {
  chain: 'FI' | 'FO' | 'HI';
  directionIn: boolean;
  match: CtState[] | null;
  defMatch: boolean;
  acceptTarget: 'RETURN' | 'ACCEPT';
  maySkipICMP: boolean;
}

/** libvirt's per-chain decisions (iptablesCreateRuleInstance / …StateCtrl). */
function iptChainSpecs(rule: Rule): IptChainSpec[] {
  const dirIn = rule.direction === 'in' || rule.direction === 'inout';
  const inout = rule.direction === 'inout';
  const st = ruleStates(rule);
  if (rule.statematch && st) {
    const m = st.states.length > 0 ? st.states : null;
    const specs: IptChainSpec[] = [];
    if (!(dirIn && !inout))
      specs.push({
        chain: 'FI',
        directionIn: dirIn,
        match: m,
        defMatch: false,
        acceptTarget: 'RETURN',
        maySkipICMP: dirIn || inout,
      });
    if (dirIn)
      specs.push({
        chain: 'FO',
        directionIn: !dirIn,
        match: m,
        defMatch: false,
        acceptTarget: 'ACCEPT',
        maySkipICMP: !dirIn || inout,
      });
    if (!(dirIn && !inout))
      specs.push({
        chain: 'HI',
        directionIn: dirIn,
        match: m,
        defMatch: false,
        acceptTarget: 'RETURN',
        maySkipICMP: dirIn,
      });
    return specs;
  }
  const needState = !inout && rule.statematch;
  const est: CtState[] = ['ESTABLISHED'];
  const newEst: CtState[] = ['NEW', 'ESTABLISHED'];
  return [
    {
      chain: 'FI',
      directionIn: dirIn,
      match: needState ? (dirIn ? est : newEst) : null,
      defMatch: true,
      acceptTarget: 'RETURN',
      maySkipICMP: dirIn || inout,
    },
    {
      chain: 'FO',
      directionIn: !dirIn,
      match: needState ? (dirIn ? newEst : est) : null,
      defMatch: true,
      acceptTarget: 'ACCEPT',
      maySkipICMP: !dirIn || inout,
    },
    {
      chain: 'HI',
      directionIn: dirIn,
      match: needState ? (dirIn ? est : newEst) : null,
      defMatch: true,
      acceptTarget: 'RETURN',
      maySkipICMP: dirIn,
    },
  ];
}

/** One iptables rule for one chain, or null when libvirt skips it. */
function iptRule(
  inst: RuleInstance,
  spec: IptChainSpec,
  family: 4 | 6,
): { matches: Match[]; target: Target } | null {
  const rule = inst.rule;
  const a = new Attrs(inst, fixedNegations(rule));
  const proto = rule.protocol as ProtocolName;
  const dirIn = spec.directionIn;
  const out: Match[] = [{ kind: 'ipt-proto', proto: IPT_PROTO[proto] ?? 'all' }];
  const afterProto = out.length;
  let srcMacSkipped = false;
  let skipRule = false;
  let skipMatch = false;
  let hasICMPType = false;

  if (a.has('srcmacaddr')) {
    if (dirIn) srcMacSkipped = true;
    else out.push({ kind: 'ipt-mac', mac: a.text('srcmacaddr'), negated: a.neg('srcmacaddr') });
  }

  // IP header
  const addr = (attr: string, maskAttr: string, field: 'src' | 'dst') => {
    const ip = a.text(attr);
    const mask = a.has(maskAttr) ? a.text(maskAttr) : null;
    out.push({
      kind: 'ipt-addr',
      field,
      addr: ip,
      prefix: mask !== null ? parseNumber(mask) : null,
      text: mask !== null ? `${ip}/${mask}` : ip,
      negated: a.neg(attr),
    });
  };
  const iprange = (from: string, to: string, field: 'src' | 'dst') => {
    out.push({
      kind: 'ipt-iprange',
      field,
      from: a.text(from),
      to: a.has(to) ? a.text(to) : null,
      negated: a.neg(from),
    });
  };
  if (a.has('srcipaddr')) addr('srcipaddr', 'srcipmask', dirIn ? 'dst' : 'src');
  else if (a.has('srcipfrom')) iprange('srcipfrom', 'srcipto', dirIn ? 'dst' : 'src');
  if (a.has('dstipaddr')) addr('dstipaddr', 'dstipmask', dirIn ? 'src' : 'dst');
  else if (a.has('dstipfrom')) iprange('dstipfrom', 'dstipto', dirIn ? 'src' : 'dst');
  if (a.has('dscp')) {
    const v = a.dec('dscp');
    out.push({ kind: 'ipt-dscp', dscp: v.num, text: v.text, negated: a.neg('dscp') });
  }
  if (a.has('connlimit-above')) {
    if (dirIn) skipRule = true;
    else skipMatch = true;
  }

  if ((proto === 'tcp' || proto === 'tcp-ipv6') && a.has('flags')) {
    const [maskText = '', compText = ''] = a.text('flags').split('/');
    out.push({
      kind: 'ipt-tcp-flags',
      mask: maskText.split(','),
      comp: compText.split(','),
      maskText,
      compText,
      negated: a.neg('flags'),
    });
  }
  if (/^(tcp|udp|sctp)(-ipv6)?$/.test(proto)) {
    const port = (start: string, end: string, field: 'sport' | 'dport') => {
      if (!a.has(start)) return;
      const lo = a.dec(start);
      const hi = a.has(end) ? a.dec(end) : null;
      out.push({
        kind: 'ipt-port',
        field,
        range: range(lo.num, hi ? hi.num : null),
        text: hi ? `${lo.text}:${hi.text}` : lo.text,
        negated: a.neg(start),
      });
    };
    port('srcportstart', 'srcportend', dirIn ? 'dport' : 'sport');
    port('dstportstart', 'dstportend', dirIn ? 'sport' : 'dport');
  }
  if ((proto === 'tcp' || proto === 'tcp-ipv6') && a.has('option')) {
    const v = a.dec('option');
    out.push({ kind: 'ipt-tcp-option', option: v.num, text: v.text, negated: a.neg('option') });
  }
  if ((proto === 'icmp' || proto === 'icmpv6') && a.has('type')) {
    hasICMPType = true;
    if (spec.maySkipICMP) return null;
    const t = a.dec('type');
    const c = a.has('code') ? a.dec('code') : null;
    out.push({
      kind: 'ipt-icmp',
      family: proto === 'icmp' ? 4 : 6,
      type: t.num,
      code: c ? c.num : null,
      text: c ? `${t.text}/${c.text}` : t.text,
      negated: a.neg('type'),
    });
  }

  if ((srcMacSkipped && out.length === afterProto) || skipRule) return null;

  let target: Target;
  if (rule.action === 'accept') {
    target = { kind: 'verdict', verdict: spec.acceptTarget };
  } else {
    target = actionTarget(rule.action, false);
    skipMatch = spec.defMatch;
  }
  if (spec.match && !skipMatch) out.push({ kind: 'ipt-ctstate', states: spec.match });
  if (spec.defMatch && spec.match && !skipMatch && !hasICMPType && rule.direction !== 'inout') {
    // Linux ≥ 2.6.39 inverted --ctdir; libvirt compensates by flipping the direction.
    out.push({ kind: 'ipt-ctdir', dir: !dirIn ? 'Original' : 'Reply' });
  }

  // After the state match: ipset, connlimit, comment.
  if (a.has('ipset')) {
    const flagsText = a.has('ipsetflags') ? a.text('ipsetflags') : 'src';
    const flags = flagsText
      .split(',')
      .map((f) => f.trim().toLowerCase())
      .map((f) => ((f === 'src') !== dirIn ? 'src' : 'dst') as 'src' | 'dst');
    out.push({ kind: 'ipt-set', set: a.text('ipset'), flags });
  }
  if (a.has('connlimit-above') && !dirIn) {
    const v = a.dec('connlimit-above');
    out.push({
      kind: 'ipt-connlimit',
      above: v.num,
      text: v.text,
      negated: a.neg('connlimit-above'),
    });
  }
  if (a.has('comment')) out.push({ kind: 'ipt-comment', comment: a.text('comment') });
  void family;
  return { matches: out, target };
}

// ---------------------------------------------------------------------------
// Assembly
// ---------------------------------------------------------------------------

function chain(
  name: string,
  tempName: string,
  kind: IrChain['kind'],
  dir: IrChain['dir'],
  suffix: string | null = null,
  priority: number | null = null,
): IrChain {
  return { name, tempName, kind, dir, suffix, priority, rules: [] };
}

function buildIptTable(
  family: 'iptables' | 'ip6tables',
  iface: string,
  insts: RuleInstance[],
): IrTable {
  let seq = 0;
  const fi = chainNames.ipt('FI', iface, false);
  const fo = chainNames.ipt('FO', iface, false);
  const hi = chainNames.ipt('HI', iface, false);
  const forward = chain('FORWARD', 'FORWARD', 'builtin', null);
  const input = chain('INPUT', 'INPUT', 'builtin', null);
  const lin = chain('libvirt-in', 'libvirt-in', 'libvirt-root', null);
  const lout = chain('libvirt-out', 'libvirt-out', 'libvirt-root', null);
  const lpost = chain('libvirt-in-post', 'libvirt-in-post', 'libvirt-root', null);
  const lhost = chain('libvirt-host-in', 'libvirt-host-in', 'libvirt-root', null);
  const cFO = chain(fo, chainNames.ipt('FO', iface, true), 'iface-root', 'out');
  const cFI = chain(fi, chainNames.ipt('FI', iface, true), 'iface-root', 'in');
  const cHI = chain(hi, chainNames.ipt('HI', iface, true), 'iface-root', 'in');
  const add = (
    c: IrChain,
    matches: Match[],
    target: Target,
    provenance: IrRule['provenance'] = null,
  ) => c.rules.push({ matches, target, provenance, seq: seq++ });
  add(forward, [], { kind: 'jump', chain: 'libvirt-in' });
  add(forward, [], { kind: 'jump', chain: 'libvirt-out' });
  add(forward, [], { kind: 'jump', chain: 'libvirt-in-post' });
  add(input, [], { kind: 'jump', chain: 'libvirt-host-in' });
  add(lout, [{ kind: 'ipt-physdev', dir: 'out', iface, isBridged: true }], {
    kind: 'goto',
    chain: fo,
  });
  add(lin, [{ kind: 'ipt-physdev', dir: 'in', iface, isBridged: false }], {
    kind: 'goto',
    chain: fi,
  });
  add(lhost, [{ kind: 'ipt-physdev', dir: 'in', iface, isBridged: false }], {
    kind: 'goto',
    chain: hi,
  });
  add(lpost, [{ kind: 'ipt-physdev', dir: 'in', iface, isBridged: false }], {
    kind: 'verdict',
    verdict: 'ACCEPT',
  });
  const byName = { FI: cFI, FO: cFO, HI: cHI };
  const fam = family === 'iptables' ? 4 : 6;
  for (const inst of insts) {
    for (const spec of iptChainSpecs(inst.rule)) {
      const r = iptRule(inst, spec, fam);
      if (r) add(byName[spec.chain], r.matches, r.target, inst.provenance);
    }
  }
  return {
    family,
    name: 'filter',
    chains: [forward, input, lin, lout, lpost, lhost, cFO, cFI, cHI],
  };
}

function buildEbTable(iface: string, insts: RuleInstance[], diagnostics: Diagnostic[]): IrTable {
  let seq = 0;
  const pre = chain('PREROUTING', 'PREROUTING', 'builtin', null);
  const post = chain('POSTROUTING', 'POSTROUTING', 'builtin', null);
  const chains: IrChain[] = [pre, post];
  const ins = insts.filter((i) => i.rule.direction === 'out' || i.rule.direction === 'inout');
  const outs = insts.filter((i) => i.rule.direction === 'in' || i.rule.direction === 'inout');
  const roots: Partial<Record<'in' | 'out', IrChain>> = {};
  if (ins.length > 0) {
    roots.in = chain(
      chainNames.ebRoot('in', iface, false),
      chainNames.ebRoot('in', iface, true),
      'iface-root',
      'in',
    );
    chains.push(roots.in);
  }
  if (outs.length > 0) {
    roots.out = chain(
      chainNames.ebRoot('out', iface, false),
      chainNames.ebRoot('out', iface, true),
      'iface-root',
      'out',
    );
    chains.push(roots.out);
  }

  // Sub chains: one per (direction, chain name), at the chain priority of the last rule seen for it
  // (libvirt's hash update), ordered by priority; the 'in' set before the 'out' set on ties.
  interface Sub {
    dir: 'in' | 'out';
    suffix: string;
    priority: number;
    proto: (typeof SUBCHAIN_PROTOS)[number];
  }
  const collect = (dir: 'in' | 'out', list: RuleInstance[]): Sub[] => {
    const prio = new Map<string, number>();
    for (const i of list) prio.set(i.chain, i.chainPriority);
    const subs: Sub[] = [];
    for (const [suffix, priority] of [...prio.entries()].sort(
      (x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0),
    )) {
      const proto = SUBCHAIN_PROTOS.find((p) => suffix.startsWith(p.prefix));
      if (proto) subs.push({ dir, suffix, priority, proto });
    }
    return subs;
  };
  const subs = [...collect('in', ins), ...collect('out', outs)].sort(
    (x, y) => x.priority - y.priority,
  );
  const subChains = new Map<string, IrChain>();
  const createSub = (s: Sub) => {
    const c = chain(
      chainNames.ebSub(s.dir, iface, s.suffix, false),
      chainNames.ebSub(s.dir, iface, s.suffix, true),
      'iface-sub',
      s.dir,
      s.suffix,
      s.priority,
    );
    chains.push(c);
    subChains.set(`${s.dir}|${s.suffix}`, c);
    const root = roots[s.dir] as IrChain;
    root.rules.push({
      matches: s.proto.match ? [s.proto.match] : [],
      target: { kind: 'jump', chain: c.name },
      provenance: null,
      seq: seq++,
    });
  };

  let j = 0;
  for (const inst of insts) {
    while (j < subs.length && (subs[j] as Sub).priority <= inst.effectivePriority)
      createSub(subs[j++] as Sub);
    const d = inst.rule.direction;
    const emit = (dir: 'in' | 'out', reverse: boolean) => {
      const target = inst.chain === 'root' ? roots[dir] : subChains.get(`${dir}|${inst.chain}`);
      if (inst.rule.protocol === 'stp' && reverse && 'srcmacaddr' in inst.rule.attrs) {
        diagnostics.push({
          code: COMPILE_CODES.stpInoutSrcMac,
          severity: 'error',
          message: `STP filtering in inout direction with source MAC address set is not supported (rule ${inst.provenance.ruleIndex + 1} of filter '${inst.provenance.filter}')`,
          line: 1,
          column: 1,
        });
        return;
      }
      // A rule in a chain whose name has no known protocol prefix goes to a chain libvirt never
      // creates (the ebtables command then fails); it is kept out of the IR.
      if (!target) return;
      target.rules.push({
        matches: ebMatches(inst, reverse),
        target: actionTarget(inst.rule.action, true),
        provenance: inst.provenance,
        seq: seq++,
      });
    };
    if (d === 'out' || d === 'inout') emit('in', d === 'inout');
    if (d === 'in' || d === 'inout') emit('out', false);
  }
  while (j < subs.length) createSub(subs[j++] as Sub);
  if (roots.in)
    pre.rules.push({
      matches: [{ kind: 'eb-iface', dir: 'in', iface }],
      target: { kind: 'jump', chain: roots.in.name },
      provenance: null,
      seq: seq++,
    });
  if (roots.out)
    post.rules.push({
      matches: [{ kind: 'eb-iface', dir: 'out', iface }],
      target: { kind: 'jump', chain: roots.out.name },
      provenance: null,
      seq: seq++,
    });
  return { family: 'ebtables', name: 'nat', chains };
}

/** Result of compiling: the ruleset, and diagnostics for rules libvirt refuses. */
export interface CompileResult {
  ruleset: Ruleset;
  diagnostics: Diagnostic[];
}

/**
 * Compile instantiated rules (in libvirt's order, see `instantiateFilter`) into the Ruleset IR
 * libvirt's ebtables/iptables backend installs for `iface`. Tables appear only when libvirt would
 * touch them: ebtables when there are layer-2 rules, iptables/ip6tables when there are IPv4/IPv6 rules.
 */
export function compileEbiptables(
  instances: readonly RuleInstance[],
  iface: string,
): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const eb = instances.filter((i) => layerOf(i.rule) === 'ebtables');
  const ip4 = instances.filter((i) => layerOf(i.rule) === 'iptables');
  const ip6 = instances.filter((i) => layerOf(i.rule) === 'ip6tables');
  const tables: IrTable[] = [];
  if (eb.length > 0) tables.push(buildEbTable(iface, eb, diagnostics));
  if (ip4.length > 0) tables.push(buildIptTable('iptables', iface, ip4));
  if (ip6.length > 0) tables.push(buildIptTable('ip6tables', iface, ip6));
  return { ruleset: { backend: 'ebiptables', iface, tables }, diagnostics };
}
