/**
 * The one table describing every element and attribute libvirt accepts in an
 * nwfilter `<filter>` document.
 *
 * Facts come from libvirt's `src/conf/nwfilter_conf.c` (attribute tables,
 * validators, formatters, fix-ups) and `nwfilter_conf.h` (limits, chain
 * priorities). The XML parser, the validator and the serializer are all driven
 * by this table; the editor generates forms, hover docs and completion from it.
 *
 * Shape, for consumers:
 * - {@link ELEMENT_TABLE}: one {@link ElementSpec} per protocol element, in
 *   libvirt's lookup order; `attributes` lists the element's attributes in the
 *   order libvirt's formatter prints them.
 * - {@link AttributeSpec}: `dataTypes` are the libvirt data types tried in
 *   libvirt's order, `special` names libvirt's extra validator/formatter,
 *   `valueType`/`min`/`max`/`enumValues`/`maxLength` are for forms and
 *   completion, `negationFrom` records libvirt's fix-up that copies the
 *   `match='no'` of one attribute onto another, `doc` is a one-line help text.
 * - {@link RULE_ATTRIBUTES}, {@link FILTER_ATTRIBUTES},
 *   {@link FILTERREF_ATTRIBUTES}, {@link PARAMETER_ATTRIBUTES}: the attributes
 *   of the structural elements.
 */

import type { ProtocolName } from './types';
import {
  ETH_P_8021Q,
  ETH_P_ARP,
  ETH_P_IPV4,
  ETH_P_IPV6,
  ETH_P_RARP,
  IPPROTO_AH,
  IPPROTO_ESP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from './protocol-numbers';

/** libvirt's attribute data types (`enum attrDatatype`), in the order its parser tries them. */
export const DATA_TYPE_ORDER = [
  'uint16',
  'uint8',
  'uint16Hex',
  'uint8Hex',
  'macAddr',
  'macMask',
  'ipv4Addr',
  'ipv4Mask',
  'string',
  'ipv6Addr',
  'ipv6Mask',
  'stringCopy',
  'boolean',
  'uint32',
  'uint32Hex',
  'ipsetName',
  'ipsetFlags',
] as const;
export type DataType = (typeof DATA_TYPE_ORDER)[number];

/** libvirt's attribute-specific validators/formatters beyond the plain data types. */
export type SpecialKind =
  | 'macProtocolId'
  | 'vlanId'
  | 'vlanEncap'
  | 'arpOpcode'
  | 'ipProtocol'
  | 'dscp'
  | 'state'
  | 'tcpFlags'
  | 'ipsetName'
  | 'ipsetFlags';

/** The kind of value, for forms, hover and completion. */
export type ValueType =
  | 'mac-addr'
  | 'mac-mask'
  | 'ipv4-addr'
  | 'ipv4-mask'
  | 'ipv6-addr'
  | 'ipv6-mask'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'port'
  | 'dscp'
  | 'icmp-type'
  | 'icmp-code'
  | 'connlimit'
  | 'state-flags'
  | 'tcp-flags'
  | 'ipset-name'
  | 'ipset-flags'
  | 'comment'
  | 'boolean'
  | 'arp-opcode'
  | 'mac-protocol-id'
  | 'vlan-encap'
  | 'vlan-id'
  | 'ip-protocol';

/** One attribute of a protocol element. */
export interface AttributeSpec {
  /** libvirt's attribute name. */
  readonly name: string;
  /** The data types libvirt accepts for it (tried in {@link DATA_TYPE_ORDER}). */
  readonly dataTypes: readonly DataType[];
  /** libvirt's extra validator/formatter for this attribute, if any. */
  readonly special?: SpecialKind;
  /** The kind of value, for UI. */
  readonly valueType: ValueType;
  /** Inclusive numeric range of the value, when numeric. */
  readonly min?: number;
  readonly max?: number;
  /** Whether a number may be written in hex (`0x…`); libvirt then keeps it in hex. */
  readonly hex: boolean;
  /** Maximum stored length in bytes (longer comments are truncated by libvirt). */
  readonly maxLength?: number;
  /** Symbolic names accepted (case-insensitively) besides numbers, for completion. */
  readonly enumValues?: readonly string[];
  /** Whether a variable reference (`$X`, `$X[@1]`, `$X[2]`) is accepted. libvirt accepts one everywhere. */
  readonly variableAllowed: boolean;
  /**
   * libvirt's fix-up after parsing copies the `match='no'` flag of this other
   * attribute onto this one (even when the other one is absent).
   */
  readonly negationFrom?: string;
  /**
   * libvirt's firewall drivers only use this attribute together with this other
   * one (a mask with its address, a range end with its start); alone it has no effect.
   */
  readonly usedWith?: string;
  /** One-line documentation. */
  readonly doc: string;
}

/** The layer a protocol element matches at. */
export type ProtocolLayer = 'ethernet' | 'ipv4' | 'ipv6';

/** One protocol element (`<tcp>`, `<mac>`, …). */
export interface ElementSpec {
  readonly name: ProtocolName;
  /** ebtables (ethernet) or iptables/ip6tables (ipv4/ipv6) rule. */
  readonly layer: ProtocolLayer;
  /** Attributes in the order libvirt's formatter prints them. */
  readonly attributes: readonly AttributeSpec[];
  /** libvirt's ipset fix-up applies (see `virNWFilterRuleDefFixupIPSet`). */
  readonly ipsetFixup: boolean;
  /** Port attributes require `protocol` to be tcp, udp, dccp or sctp (ip and ipv6 only). */
  readonly portsNeedProtocol: boolean;
  /** One-line documentation. */
  readonly doc: string;
}

/** libvirt's MAX_COMMENT_LENGTH. */
export const MAX_COMMENT_LENGTH = 256;
/** libvirt's MAX_IPSET_NAME_LENGTH, including the terminating NUL. */
export const MAX_IPSET_NAME_LENGTH = 32;
/** libvirt's MAX_CHAIN_SUFFIX_SIZE. */
export const MAX_CHAIN_NAME_LENGTH = 12;
/** libvirt's VIR_NWFILTER_MAX_ITERID. */
export const MAX_ITERATOR_ID = 1000;
export const MIN_RULE_PRIORITY = -1000;
export const MAX_RULE_PRIORITY = 1000;
export const DEFAULT_RULE_PRIORITY = 500;
export const MIN_FILTER_PRIORITY = -1000;
export const MAX_FILTER_PRIORITY = 1000;

export const VALID_CHAIN_NAME_CHARS =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-';
export const VALID_IPSET_NAME_CHARS =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-+ ';
export const VALID_VAR_NAME_CHARS =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
export const VALID_VAR_VALUE_CHARS =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:';

/** libvirt's macProtoMap: ethertype names accepted by `protocolid` and `encap-protocol`. */
export const MAC_PROTOCOL_NAMES: readonly (readonly [string, number])[] = [
  ['arp', ETH_P_ARP],
  ['rarp', ETH_P_RARP],
  ['ipv4', ETH_P_IPV4],
  ['ipv6', ETH_P_IPV6],
  ['vlan', ETH_P_8021Q],
];

/** libvirt's arpOpcodeMap. */
export const ARP_OPCODE_NAMES: readonly (readonly [string, number])[] = [
  ['Request', 1],
  ['Reply', 2],
  ['Request_Reverse', 3],
  ['Reply_Reverse', 4],
  ['DRARP_Request', 5],
  ['DRARP_Reply', 6],
  ['DRARP_Error', 7],
  ['InARP_Request', 8],
  ['ARP_NAK', 9],
];

/** libvirt's ipProtoMap: names accepted by the `protocol` attribute of `<ip>`/`<ipv6>`. */
export const IP_PROTOCOL_NAMES: readonly (readonly [string, number])[] = [
  ['tcp', IPPROTO_TCP],
  ['udp', IPPROTO_UDP],
  ['udplite', IPPROTO_UDPLITE],
  ['esp', IPPROTO_ESP],
  ['ah', IPPROTO_AH],
  ['icmp', IPPROTO_ICMP],
  ['igmp', IPPROTO_IGMP],
  ['sctp', IPPROTO_SCTP],
  ['icmpv6', IPPROTO_ICMPV6],
];

/** libvirt's stateMatchMap (bit values as in RULE_FLAG_STATE_*). */
export const STATE_FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['NEW', 1 << 1],
  ['ESTABLISHED', 1 << 2],
  ['RELATED', 1 << 3],
  ['INVALID', 1 << 4],
  ['NONE', 1 << 5],
];

/** libvirt's tcpFlags map. */
export const TCP_FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['FIN', TCP_FIN],
  ['SYN', TCP_SYN],
  ['RST', TCP_RST],
  ['PSH', TCP_PSH],
  ['ACK', TCP_ACK],
  ['URG', TCP_URG],
  ['ALL', TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG],
  ['NONE', 0x0],
];

/** IP protocol numbers that allow port attributes on `<ip>`/`<ipv6>` (tcp, udp, dccp, sctp). */
export const PORT_PROTOCOL_NUMBERS: readonly number[] = [6, 17, 33, 132];

// ---------------------------------------------------------------------------
// attribute builders (each mirrors one libvirt table entry)

type Extra = Partial<Omit<AttributeSpec, 'name' | 'dataTypes' | 'valueType' | 'doc' | 'hex'>>;

function attr(
  name: string,
  dataTypes: readonly DataType[],
  valueType: ValueType,
  doc: string,
  extra: Extra = {},
): AttributeSpec {
  const hex = dataTypes.some((t) => t === 'uint8Hex' || t === 'uint16Hex' || t === 'uint32Hex');
  return { name, dataTypes, valueType, doc, hex, variableAllowed: true, ...extra };
}

const U8: readonly DataType[] = ['uint8', 'uint8Hex'];
const U16: readonly DataType[] = ['uint16', 'uint16Hex'];
const U32: readonly DataType[] = ['uint32', 'uint32Hex'];

const macAddr = (name: string, doc: string): AttributeSpec =>
  attr(name, ['macAddr'], 'mac-addr', doc);
const macMask = (name: string, doc: string, negationFrom: string): AttributeSpec =>
  attr(name, ['macMask'], 'mac-mask', doc, { negationFrom, usedWith: negationFrom });
const u8 = (name: string, valueType: ValueType, doc: string, extra: Extra = {}): AttributeSpec =>
  attr(name, U8, valueType, doc, { min: 0, max: 0xff, ...extra });
const u16 = (name: string, valueType: ValueType, doc: string, extra: Extra = {}): AttributeSpec =>
  attr(name, U16, valueType, doc, { min: 0, max: 0xffff, ...extra });
const u32 = (name: string, doc: string, extra: Extra = {}): AttributeSpec =>
  attr(name, U32, 'uint32', doc, { min: 0, max: 0xffffffff, ...extra });

const comment = (): AttributeSpec =>
  attr(
    'comment',
    ['stringCopy'],
    'comment',
    'Free-text comment (at most 256 bytes; libvirt truncates longer text).',
    {
      maxLength: MAX_COMMENT_LENGTH,
    },
  );

function commonMacProps(): AttributeSpec[] {
  return [
    macAddr('srcmacaddr', 'Source MAC address.'),
    macMask(
      'srcmacmask',
      'Mask applied to the source MAC address (contiguous ones, e.g. ff:ff:ff:00:00:00).',
      'srcmacaddr',
    ),
    macAddr('dstmacaddr', 'Destination MAC address.'),
    macMask('dstmacmask', 'Mask applied to the destination MAC address.', 'dstmacaddr'),
  ];
}

function ipAddrAttrs(v6: boolean): AttributeSpec[] {
  const addr: DataType = v6 ? 'ipv6Addr' : 'ipv4Addr';
  const mask: DataType = v6 ? 'ipv6Mask' : 'ipv4Mask';
  const addrType: ValueType = v6 ? 'ipv6-addr' : 'ipv4-addr';
  const maskType: ValueType = v6 ? 'ipv6-mask' : 'ipv4-mask';
  const bits = v6 ? 128 : 32;
  const fam = v6 ? 'IPv6' : 'IPv4';
  return [
    attr('srcipaddr', [addr], addrType, `Source ${fam} address.`),
    attr(
      'srcipmask',
      [mask],
      maskType,
      `Prefix length (0..${bits}) or netmask applied to srcipaddr.`,
      {
        min: 0,
        max: bits,
        negationFrom: 'srcipaddr',
        usedWith: 'srcipaddr',
      },
    ),
    attr('dstipaddr', [addr], addrType, `Destination ${fam} address.`),
    attr(
      'dstipmask',
      [mask],
      maskType,
      `Prefix length (0..${bits}) or netmask applied to dstipaddr.`,
      {
        min: 0,
        max: bits,
        negationFrom: 'dstipaddr',
        usedWith: 'dstipaddr',
      },
    ),
  ];
}

function portAttrs(withNegationFixup: boolean): AttributeSpec[] {
  const neg = (from: string): Extra => (withNegationFixup ? { negationFrom: from } : {});
  return [
    u16('srcportstart', 'port', 'Start of the source port range (0..65535).'),
    u16('srcportend', 'port', 'End of the source port range.', {
      ...neg('srcportstart'),
      usedWith: 'srcportstart',
    }),
    u16('dstportstart', 'port', 'Start of the destination port range.', neg('srcportstart')),
    u16('dstportend', 'port', 'End of the destination port range.', {
      ...neg('srcportstart'),
      usedWith: 'dstportstart',
    }),
  ];
}

const dscp = (): AttributeSpec =>
  attr('dscp', U8, 'dscp', 'Differentiated Services Code Point (0..63).', {
    special: 'dscp',
    min: 0,
    max: 63,
  });

/** libvirt's COMMON_IP_PROPS for the IPv4 and IPv6 layer protocols. */
function commonIpProps(v6: boolean): AttributeSpec[] {
  const addr: DataType = v6 ? 'ipv6Addr' : 'ipv4Addr';
  const addrType: ValueType = v6 ? 'ipv6-addr' : 'ipv4-addr';
  return [
    macAddr('srcmacaddr', 'Source MAC address.'),
    ...ipAddrAttrs(v6),
    attr('srcipfrom', [addr], addrType, 'Start of a source IP address range.'),
    attr('srcipto', [addr], addrType, 'End of the source IP address range.', {
      negationFrom: 'srcipfrom',
      usedWith: 'srcipfrom',
    }),
    attr('dstipfrom', [addr], addrType, 'Start of a destination IP address range.'),
    // libvirt declares dstipto as an IPv4 address even in the -ipv6 tables.
    attr(
      'dstipto',
      ['ipv4Addr'],
      'ipv4-addr',
      'End of the destination IP address range (libvirt parses it as IPv4).',
      {
        negationFrom: 'dstipfrom',
        usedWith: 'dstipfrom',
      },
    ),
    dscp(),
    attr(
      'connlimit-above',
      ['uint16'],
      'connlimit',
      'Match if the number of connections exceeds this (decimal 0..65535).',
      {
        min: 0,
        max: 0xffff,
      },
    ),
    attr(
      'state',
      ['string'],
      'state-flags',
      'Connection states: comma-separated NEW, ESTABLISHED, RELATED, INVALID or NONE.',
      {
        special: 'state',
        enumValues: STATE_FLAG_NAMES.map(([n]) => n),
      },
    ),
    attr(
      'ipset',
      ['ipsetName'],
      'ipset-name',
      'Name of an ipset to match (at most 31 characters).',
      {
        special: 'ipsetName',
        maxLength: MAX_IPSET_NAME_LENGTH - 1,
      },
    ),
    attr(
      'ipsetflags',
      ['ipsetFlags'],
      'ipset-flags',
      'Up to 6 comma-separated src/dst selectors for the ipset.',
      {
        special: 'ipsetFlags',
        enumValues: ['src', 'dst'],
      },
    ),
  ];
}

const icmpTypeCode = (): AttributeSpec[] => [
  u8('type', 'icmp-type', 'ICMP message type (0..255).'),
  u8('code', 'icmp-code', 'ICMP message code (0..255); only used together with type.', {
    negationFrom: 'type',
    usedWith: 'type',
  }),
];

const tcpOption = (): AttributeSpec => u8('option', 'uint8', 'TCP option kind (0..255).');
const tcpFlags = (): AttributeSpec =>
  attr(
    'flags',
    ['string'],
    'tcp-flags',
    "TCP flags as MASK/SET, each a comma list of FIN,SYN,RST,PSH,ACK,URG or ALL/NONE (e.g. 'SYN/SYN,ACK').",
    {
      special: 'tcpFlags',
      enumValues: TCP_FLAG_NAMES.map(([n]) => n),
    },
  );

const macAttributes: readonly AttributeSpec[] = [
  ...commonMacProps(),
  attr(
    'protocolid',
    ['uint16', 'uint16Hex', 'string'],
    'mac-protocol-id',
    'Ethertype: arp, rarp, ipv4, ipv6, vlan or a number >= 0x600.',
    {
      special: 'macProtocolId',
      min: 0x600,
      max: 0xffff,
      enumValues: MAC_PROTOCOL_NAMES.map(([n]) => n),
    },
  ),
  comment(),
];

const vlanAttributes: readonly AttributeSpec[] = [
  ...commonMacProps(),
  u16('vlanid', 'vlan-id', 'VLAN id (0..4095).', { special: 'vlanId', max: 4095 }),
  attr(
    'encap-protocol',
    ['uint16', 'uint16Hex', 'string'],
    'vlan-encap',
    'Encapsulated ethertype: arp, rarp, ipv4, ipv6, vlan or a number >= 0x3c.',
    {
      special: 'vlanEncap',
      min: 0x3c,
      max: 0xffff,
      enumValues: MAC_PROTOCOL_NAMES.map(([n]) => n),
    },
  ),
  comment(),
];

const stpAttributes: readonly AttributeSpec[] = [
  macAddr('srcmacaddr', 'Source MAC address (STP frames go to the bridge group address).'),
  macMask('srcmacmask', 'Mask applied to the source MAC address.', 'srcmacaddr'),
  u8('type', 'uint8', 'BPDU type (0..255).'),
  u8('flags', 'uint8', 'BPDU flags (0..255).'),
  u16('root-priority', 'uint16', 'Root priority (start of range).'),
  u16('root-priority-hi', 'uint16', 'Root priority (end of range).', {
    negationFrom: 'root-priority',
    usedWith: 'root-priority',
  }),
  macAddr('root-address', 'Root MAC address.'),
  macMask('root-address-mask', 'Mask applied to root-address.', 'root-address'),
  u32('root-cost', 'Root path cost (start of range).'),
  u32('root-cost-hi', 'Root path cost (end of range).', {
    negationFrom: 'root-cost',
    usedWith: 'root-cost',
  }),
  u16('sender-priority', 'uint16', 'Sender priority (start of range).'),
  u16('sender-priority-hi', 'uint16', 'Sender priority (end of range).', {
    negationFrom: 'sender-priority',
    usedWith: 'sender-priority',
  }),
  macAddr('sender-address', 'Sender MAC address.'),
  macMask('sender-address-mask', 'Mask applied to sender-address.', 'sender-address'),
  u16('port', 'uint16', 'Port identifier (start of range).'),
  u16('port-hi', 'uint16', 'Port identifier (end of range).', {
    negationFrom: 'port',
    usedWith: 'port',
  }),
  u16('age', 'uint16', 'Message age timer (start of range).'),
  u16('age-hi', 'uint16', 'Message age timer (end of range).', {
    negationFrom: 'age',
    usedWith: 'age',
  }),
  u16('max-age', 'uint16', 'Maximum age time (start of range).'),
  u16('max-age-hi', 'uint16', 'Maximum age time (end of range).', {
    negationFrom: 'max-age',
    usedWith: 'max-age',
  }),
  u16('hello-time', 'uint16', 'Hello time (start of range).'),
  u16('hello-time-hi', 'uint16', 'Hello time (end of range).', {
    negationFrom: 'hello-time',
    usedWith: 'hello-time',
  }),
  u16('forward-delay', 'uint16', 'Forward delay (start of range).'),
  u16('forward-delay-hi', 'uint16', 'Forward delay (end of range).', {
    negationFrom: 'forward-delay',
    usedWith: 'forward-delay',
  }),
  comment(),
];

function arpAttributes(): AttributeSpec[] {
  // arp and rarp share libvirt's arpAttributes table but it has no negation fix-ups.
  return [
    macAddr('srcmacaddr', 'Source MAC address.'),
    attr('srcmacmask', ['macMask'], 'mac-mask', 'Mask applied to the source MAC address.', {
      usedWith: 'srcmacaddr',
    }),
    macAddr('dstmacaddr', 'Destination MAC address.'),
    attr('dstmacmask', ['macMask'], 'mac-mask', 'Mask applied to the destination MAC address.', {
      usedWith: 'dstmacaddr',
    }),
    u16('hwtype', 'uint16', 'Hardware type (0..65535).'),
    u16('protocoltype', 'uint16', 'Protocol type (0..65535).'),
    attr(
      'opcode',
      ['uint16', 'uint16Hex', 'string'],
      'arp-opcode',
      'Opcode: Request, Reply, Request_Reverse, Reply_Reverse, DRARP_Request, DRARP_Reply, DRARP_Error, InARP_Request, ARP_NAK or a number.',
      {
        special: 'arpOpcode',
        min: 0,
        max: 0xffff,
        enumValues: ARP_OPCODE_NAMES.map(([n]) => n),
      },
    ),
    macAddr('arpsrcmacaddr', 'Source MAC address in the ARP/RARP packet.'),
    macAddr('arpdstmacaddr', 'Destination MAC address in the ARP/RARP packet.'),
    attr('arpsrcipaddr', ['ipv4Addr'], 'ipv4-addr', 'Source IP address in the ARP/RARP packet.'),
    attr('arpsrcipmask', ['ipv4Mask'], 'ipv4-mask', 'Prefix length or netmask for arpsrcipaddr.', {
      min: 0,
      max: 32,
      usedWith: 'arpsrcipaddr',
    }),
    attr(
      'arpdstipaddr',
      ['ipv4Addr'],
      'ipv4-addr',
      'Destination IP address in the ARP/RARP packet.',
    ),
    attr('arpdstipmask', ['ipv4Mask'], 'ipv4-mask', 'Prefix length or netmask for arpdstipaddr.', {
      min: 0,
      max: 32,
      usedWith: 'arpdstipaddr',
    }),
    attr(
      'gratuitous',
      ['boolean'],
      'boolean',
      "Match gratuitous ARP packets ('true', '1' or 'yes'; anything else is false).",
    ),
    comment(),
  ];
}

function ipProtocolAttr(): AttributeSpec {
  return attr(
    'protocol',
    ['string', 'uint8', 'uint8Hex'],
    'ip-protocol',
    'Layer-4 protocol: tcp, udp, udplite, esp, ah, icmp, igmp, sctp, icmpv6 or a number (0..255).',
    {
      special: 'ipProtocol',
      min: 0,
      max: 0xff,
      enumValues: IP_PROTOCOL_NAMES.map(([n]) => n),
    },
  );
}

const ipAttributes: readonly AttributeSpec[] = [
  ...commonMacProps(),
  ...ipAddrAttrs(false),
  ipProtocolAttr(),
  ...portAttrs(false),
  dscp(),
  comment(),
];

const ipv6Attributes: readonly AttributeSpec[] = [
  ...commonMacProps(),
  ...ipAddrAttrs(true),
  ipProtocolAttr(),
  ...portAttrs(false),
  u8('type', 'icmp-type', 'ICMPv6 type (start of range, with protocol icmpv6).'),
  u8('typeend', 'icmp-type', 'ICMPv6 type (end of range).', { negationFrom: 'type' }),
  u8('code', 'icmp-code', 'ICMPv6 code (start of range).', { negationFrom: 'type' }),
  u8('codeend', 'icmp-code', 'ICMPv6 code (end of range).', { negationFrom: 'type' }),
  comment(),
];

function l3Element(
  name: ProtocolName,
  v6: boolean,
  middle: AttributeSpec[],
  ipsetFixup: boolean,
  doc: string,
): ElementSpec {
  return {
    name,
    layer: v6 ? 'ipv6' : 'ipv4',
    attributes: [...commonIpProps(v6), ...middle, comment()],
    ipsetFixup,
    portsNeedProtocol: false,
    doc,
  };
}

/**
 * Every protocol element, in libvirt's lookup order (`virAttr[]`): when a rule
 * holds several protocol elements, the first one found decides the protocol.
 */
export const ELEMENT_TABLE: readonly ElementSpec[] = [
  {
    name: 'arp',
    layer: 'ethernet',
    attributes: arpAttributes(),
    ipsetFixup: false,
    portsNeedProtocol: false,
    doc: 'ARP packets (ebtables).',
  },
  {
    name: 'rarp',
    layer: 'ethernet',
    attributes: arpAttributes(),
    ipsetFixup: false,
    portsNeedProtocol: false,
    doc: 'RARP packets (ebtables).',
  },
  {
    name: 'mac',
    layer: 'ethernet',
    attributes: macAttributes,
    ipsetFixup: false,
    portsNeedProtocol: false,
    doc: 'Ethernet frames by MAC address and ethertype (ebtables).',
  },
  {
    name: 'vlan',
    layer: 'ethernet',
    attributes: vlanAttributes,
    ipsetFixup: false,
    portsNeedProtocol: false,
    doc: '802.1Q VLAN frames (ebtables).',
  },
  {
    name: 'stp',
    layer: 'ethernet',
    attributes: stpAttributes,
    ipsetFixup: false,
    portsNeedProtocol: false,
    doc: 'Spanning tree BPDUs (ebtables).',
  },
  {
    name: 'ip',
    layer: 'ethernet',
    attributes: ipAttributes,
    ipsetFixup: true,
    portsNeedProtocol: true,
    doc: 'IPv4 packets matched at layer 2 (ebtables).',
  },
  {
    name: 'ipv6',
    layer: 'ethernet',
    attributes: ipv6Attributes,
    ipsetFixup: true,
    portsNeedProtocol: true,
    doc: 'IPv6 packets matched at layer 2 (ebtables).',
  },
  l3Element(
    'tcp',
    false,
    [...portAttrs(true), tcpOption(), tcpFlags()],
    true,
    'TCP over IPv4 (iptables).',
  ),
  l3Element('udp', false, portAttrs(true), true, 'UDP over IPv4 (iptables).'),
  l3Element('udplite', false, [], true, 'UDP-Lite over IPv4 (iptables).'),
  l3Element('esp', false, [], true, 'IPsec ESP over IPv4 (iptables).'),
  l3Element('ah', false, [], true, 'IPsec AH over IPv4 (iptables).'),
  l3Element('sctp', false, portAttrs(true), true, 'SCTP over IPv4 (iptables).'),
  l3Element('icmp', false, icmpTypeCode(), true, 'ICMP (iptables).'),
  l3Element('all', false, [], false, 'Any IPv4 traffic (iptables).'),
  l3Element('igmp', false, [], true, 'IGMP (iptables).'),
  l3Element(
    'tcp-ipv6',
    true,
    [...portAttrs(true), tcpOption()],
    true,
    'TCP over IPv6 (ip6tables).',
  ),
  l3Element('udp-ipv6', true, portAttrs(true), true, 'UDP over IPv6 (ip6tables).'),
  l3Element('udplite-ipv6', true, [], true, 'UDP-Lite over IPv6 (ip6tables).'),
  l3Element('esp-ipv6', true, [], true, 'IPsec ESP over IPv6 (ip6tables).'),
  l3Element('ah-ipv6', true, [], true, 'IPsec AH over IPv6 (ip6tables).'),
  l3Element('sctp-ipv6', true, portAttrs(true), true, 'SCTP over IPv6 (ip6tables).'),
  l3Element('icmpv6', true, icmpTypeCode(), true, 'ICMPv6 (ip6tables).'),
  l3Element('all-ipv6', true, [], false, 'Any IPv6 traffic (ip6tables).'),
];

const ELEMENT_BY_NAME: ReadonlyMap<string, ElementSpec> = new Map(
  ELEMENT_TABLE.map((e) => [e.name, e]),
);

/** The spec of a protocol element by its XML name, or undefined when libvirt does not know it. */
export function getElementSpec(name: string): ElementSpec | undefined {
  return ELEMENT_BY_NAME.get(name);
}

/** The spec of one attribute of a protocol element, or undefined. */
/**
 * The layer a rule's protocol element matches at (libvirt's virNWFilterRuleIsProtocolEthernet /
 * IPv4 / IPv6); a rule without one is an ethernet rule, as libvirt treats it.
 */
export function layerOfProtocol(protocol: ProtocolName | null): ProtocolLayer {
  return (protocol !== null && getElementSpec(protocol)?.layer) || 'ethernet';
}

export function getAttributeSpec(element: string, attribute: string): AttributeSpec | undefined {
  return getElementSpec(element)?.attributes.find((a) => a.name === attribute);
}

/** Names of the port attributes (used by the ip/ipv6 protocol check). */
export const PORT_ATTRIBUTE_NAMES: readonly string[] = [
  'srcportstart',
  'srcportend',
  'dstportstart',
  'dstportend',
];

// ---------------------------------------------------------------------------
// structural elements

/** An attribute of a structural element (`filter`, `rule`, `filterref`, `parameter`). */
export interface StructAttributeSpec {
  readonly name: string;
  readonly required: boolean;
  readonly valueType:
    'string' | 'enum' | 'integer' | 'boolean' | 'chain' | 'var-name' | 'var-value';
  readonly enumValues?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Default libvirt applies when the attribute is absent. */
  readonly defaultValue?: string;
  readonly doc: string;
}

export const RULE_ACTIONS = ['drop', 'reject', 'accept', 'return', 'continue'] as const;
export const RULE_DIRECTIONS = ['in', 'out', 'inout'] as const;

/** Attributes of `<rule>`, in the order libvirt prints them. */
export const RULE_ATTRIBUTES: readonly StructAttributeSpec[] = [
  {
    name: 'action',
    required: true,
    valueType: 'enum',
    enumValues: RULE_ACTIONS,
    doc: 'What to do with a matching packet: drop, reject, accept, return (leave this chain) or continue (go on with the next rule).',
  },
  {
    name: 'direction',
    required: true,
    valueType: 'enum',
    enumValues: RULE_DIRECTIONS,
    doc: 'Traffic direction: in (to the VM), out (from the VM) or inout.',
  },
  {
    name: 'priority',
    required: false,
    valueType: 'integer',
    min: MIN_RULE_PRIORITY,
    max: MAX_RULE_PRIORITY,
    defaultValue: String(DEFAULT_RULE_PRIORITY),
    doc: 'Rule order within its chain (-1000..1000, lower first; libvirt uses 500 when absent or invalid).',
  },
  {
    name: 'statematch',
    required: false,
    valueType: 'boolean',
    defaultValue: 'true',
    doc: "'false' or '0' turns off the connection-state matching libvirt adds to iptables rules.",
  },
];

/** libvirt's chain types (`virNWFilterChainSuffix`), in the order it checks name prefixes. */
export const CHAIN_TYPES = ['root', 'mac', 'vlan', 'stp', 'arp', 'rarp', 'ipv4', 'ipv6'] as const;
export type ChainType = (typeof CHAIN_TYPES)[number];

/** libvirt's default chain priorities; chains not listed (stp) default to 0. */
export const DEFAULT_CHAIN_PRIORITIES: Readonly<Record<ChainType, number>> = {
  root: 0,
  mac: -800,
  vlan: -750,
  stp: 0,
  arp: -500,
  rarp: -400,
  ipv4: -700,
  ipv6: -600,
};

/** Attributes of `<filter>`, in the order libvirt prints them (the `<uuid>` child follows). */
export const FILTER_ATTRIBUTES: readonly StructAttributeSpec[] = [
  {
    name: 'name',
    required: true,
    valueType: 'string',
    doc: 'Unique name of the filter, used by filterref.',
  },
  {
    name: 'chain',
    required: false,
    valueType: 'chain',
    enumValues: CHAIN_TYPES,
    defaultValue: 'root',
    doc: "Chain the rules go to: root, or a name starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6 (e.g. 'ipv4-xyz', at most 12 characters).",
  },
  {
    name: 'priority',
    required: false,
    valueType: 'integer',
    min: MIN_FILTER_PRIORITY,
    max: MAX_FILTER_PRIORITY,
    doc: 'Chain priority (-1000..1000); defaults per chain type: mac -800, vlan -750, ipv4 -700, ipv6 -600, arp -500, rarp -400, others 0.',
  },
];

/** Attributes of `<filterref>`. */
export const FILTERREF_ATTRIBUTES: readonly StructAttributeSpec[] = [
  { name: 'filter', required: true, valueType: 'string', doc: 'Name of the filter to include.' },
];

/** Attributes of `<parameter>` inside `<filterref>`. */
export const PARAMETER_ATTRIBUTES: readonly StructAttributeSpec[] = [
  {
    name: 'name',
    required: true,
    valueType: 'var-name',
    doc: 'Variable name (letters, digits, _). Repeating a name builds a list.',
  },
  {
    name: 'value',
    required: true,
    valueType: 'var-value',
    doc: 'Variable value (letters, digits, _ . :); libvirt silently drops invalid ones.',
  },
];

/** The chain type a chain name belongs to, or null when libvirt rejects the name. */
export function getChainType(chain: string): ChainType | null {
  if (chain.length > MAX_CHAIN_NAME_LENGTH) return null;
  for (const ch of chain) if (!VALID_CHAIN_NAME_CHARS.includes(ch)) return null;
  for (const type of CHAIN_TYPES) {
    if (type === 'root') {
      // 'root' is allowed as the whole name but not as a prefix.
      if (chain === 'root') return 'root';
      if (chain.startsWith('root')) return null;
    }
    if (chain.startsWith(type)) return type;
  }
  return null;
}

/** The chain priority libvirt assigns to a chain when none is given. */
export function getDefaultChainPriority(chain: string): number {
  const type = getChainType(chain);
  return type === null ? 0 : DEFAULT_CHAIN_PRIORITIES[type];
}

/** A structural child element, for forms and completion. */
export interface ChildElementSpec {
  readonly name: string;
  readonly doc: string;
}

/** Child elements of `<filter>` (protocol elements go inside `<rule>`, see {@link ELEMENT_TABLE}). */
export const FILTER_CHILD_ELEMENTS: readonly ChildElementSpec[] = [
  {
    name: 'uuid',
    doc: 'The filter uuid (32 hex digits, e.g. 5c6d49af-b071-6127-b4ec-6f8ed4b55335); libvirt generates one when absent.',
  },
  { name: 'rule', doc: 'A rule: action, direction, priority and one protocol element.' },
  { name: 'filterref', doc: 'Includes another filter, optionally with <parameter> variables.' },
];

/** Child elements of `<filterref>`. */
export const FILTERREF_CHILD_ELEMENTS: readonly ChildElementSpec[] = [
  {
    name: 'parameter',
    doc: 'A variable passed to the included filter; repeat a name to build a list.',
  },
];
