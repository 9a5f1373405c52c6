/**
 * fast-check generators for FilterDocs, driven by the attribute table: every
 * element and attribute of ELEMENT_TABLE, values written in the various forms
 * libvirt accepts (short MACs, dotted masks, hex, names, variables).
 */
import fc from 'fast-check';
import {
  ARP_OPCODE_NAMES,
  ELEMENT_TABLE,
  IP_PROTOCOL_NAMES,
  MAC_PROTOCOL_NAMES,
  RULE_ACTIONS,
  RULE_DIRECTIONS,
  STATE_FLAG_NAMES,
  TCP_FLAG_NAMES,
  VALID_IPSET_NAME_CHARS,
  getDefaultChainPriority,
} from '../../model/attributes';
import type { AttributeSpec, ElementSpec } from '../../model/attributes';
import { canonicalizeAttrValue } from '../../model/canonicalize-attr-value';
import type {
  AttrValue,
  FilterDoc,
  FilterEntry,
  FilterParameter,
  ProtocolName,
  Rule,
} from '../../model/types';

const hexByte = (b: number, short: boolean, upper: boolean) => {
  const s = short ? b.toString(16) : b.toString(16).padStart(2, '0');
  return upper ? s.toUpperCase() : s;
};

const byte = fc.integer({ min: 0, max: 255 });

function prefixBytes(bits: number, len: number): number[] {
  return Array.from({ length: len }, (_, i) => {
    const n = Math.max(0, Math.min(8, bits - 8 * i));
    return (0xff << (8 - n)) & 0xff;
  });
}

const macText = (bytes: readonly number[], short: boolean, upper: boolean) =>
  bytes.map((b) => hexByte(b, short && b < 16, upper)).join(':');

const arbMac = fc
  .tuple(fc.array(byte, { minLength: 6, maxLength: 6 }), fc.boolean(), fc.boolean())
  .map(([b, s, u]) => macText(b, s, u));
const arbMacMask = fc
  .tuple(fc.integer({ min: 0, max: 48 }), fc.boolean())
  .map(([bits, u]) => macText(prefixBytes(bits, 6), false, u));
const arbIpv4 = fc.array(byte, { minLength: 4, maxLength: 4 }).map((b) => b.join('.'));
const arbIpv4Mask = fc.oneof(
  fc.integer({ min: 0, max: 32 }).map(String),
  fc.integer({ min: 0, max: 32 }).map((bits) => prefixBytes(bits, 4).join('.')),
);
const arbIpv6 = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
    fc.integer({ min: 0, max: 8 }),
    fc.boolean(),
  )
  .map(([w, zeros, upper]) => {
    const words = w.map((x, i) => (i < zeros ? 0 : x));
    const s = words.map((x) => x.toString(16)).join(':');
    return upper ? s.toUpperCase() : s;
  });
const arbIpv6Mask = fc.oneof(
  fc.integer({ min: 0, max: 128 }).map(String),
  fc.integer({ min: 0, max: 128 }).map((bits) => {
    const b = prefixBytes(bits, 16);
    return Array.from({ length: 8 }, (_, i) =>
      (((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0)).toString(16),
    ).join(':');
  }),
);

function arbNumber(min: number, max: number, hex: boolean): fc.Arbitrary<string> {
  const n = fc.integer({ min, max });
  if (!hex) return n.map(String);
  return fc
    .tuple(n, fc.constantFrom('dec', 'hex', 'HEX'))
    .map(([v, f]) =>
      f === 'dec'
        ? String(v)
        : f === 'hex'
          ? `0x${v.toString(16)}`
          : `0X${v.toString(16).toUpperCase()}`,
    );
}

function arbNameOrNumber(
  names: readonly (readonly [string, number])[],
  min: number,
  max: number,
  hex: boolean,
): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...names.map(([n]) => n)), arbNumber(min, max, hex));
}

function arbFlagList(names: readonly string[], sep = ','): fc.Arbitrary<string> {
  return fc.subarray([...names], { minLength: 1 }).map((xs) => xs.join(sep));
}

const COMMENT_CHARS = [...'abcxyz ABC019_-.:;$`"\'&<>/\\()[]{}é€✓'];
const arbComment = fc.string({ unit: fc.constantFrom(...COMMENT_CHARS), maxLength: 40 });

const VAR_NAMES = ['A', 'B', 'IP', 'MAC', 'PORTS', 'x_1'];
const arbVariable = fc
  .tuple(
    fc.constantFrom(...VAR_NAMES),
    fc.constantFrom('', 'iter', 'elem'),
    fc.integer({ min: 0, max: 1000 }),
  )
  .map(([n, k, i]) => (k === 'iter' ? `$${n}[@${i}]` : k === 'elem' ? `$${n}[${i}]` : `$${n}`));

/** Raw (XML) values for one attribute, in the forms libvirt accepts. */
export function arbRawValue(spec: AttributeSpec): fc.Arbitrary<string> {
  let base: fc.Arbitrary<string>;
  switch (spec.special) {
    case 'macProtocolId':
      base = arbNameOrNumber(MAC_PROTOCOL_NAMES, 0x600, 0xffff, true);
      break;
    case 'vlanEncap':
      base = arbNameOrNumber(MAC_PROTOCOL_NAMES, 0x3c, 0xffff, true);
      break;
    case 'vlanId':
      base = arbNumber(0, 4095, true);
      break;
    case 'arpOpcode':
      base = arbNameOrNumber(ARP_OPCODE_NAMES, 0, 0xffff, true);
      break;
    case 'ipProtocol':
      base = arbNameOrNumber(IP_PROTOCOL_NAMES, 0, 255, true);
      break;
    case 'dscp':
      base = arbNumber(0, 63, true);
      break;
    case 'state':
      base = arbFlagList(STATE_FLAG_NAMES.map(([n]) => n));
      break;
    case 'tcpFlags': {
      const side = fc.oneof(
        fc.constant('ALL'),
        fc.constant('NONE'),
        arbFlagList(TCP_FLAG_NAMES.slice(0, 6).map(([n]) => n)),
      );
      base = fc.tuple(side, side).map(([a, b]) => `${a}/${b}`);
      break;
    }
    case 'ipsetName':
      base = fc.string({
        unit: fc.constantFrom(...VALID_IPSET_NAME_CHARS),
        minLength: 1,
        maxLength: 31,
      });
      break;
    case 'ipsetFlags':
      base = fc
        .array(fc.constantFrom('src', 'dst', 'SRC', 'Dst'), { minLength: 1, maxLength: 6 })
        .map((x) => x.join(','));
      break;
    case undefined:
      base = arbPlainValue(spec);
      break;
  }
  return fc.oneof({ weight: 9, arbitrary: base }, { weight: 1, arbitrary: arbVariable });
}

function arbPlainValue(spec: AttributeSpec): fc.Arbitrary<string> {
  switch (spec.valueType) {
    case 'mac-addr':
      return arbMac;
    case 'mac-mask':
      return arbMacMask;
    case 'ipv4-addr':
      return arbIpv4;
    case 'ipv4-mask':
      return arbIpv4Mask;
    case 'ipv6-addr':
      return arbIpv6;
    case 'ipv6-mask':
      return arbIpv6Mask;
    case 'comment':
      return arbComment;
    case 'boolean':
      return fc.constantFrom('true', 'false', '1', 'yes', 'no');
    default:
      return arbNumber(spec.min ?? 0, spec.max ?? 0xffff, spec.hex);
  }
}

/** Attributes of one protocol element: canonical values, negated per element or per attribute. */
function arbAttrs(spec: ElementSpec): fc.Arbitrary<Record<string, AttrValue>> {
  const candidates = spec.attributes.filter(
    (a) => (a.name !== 'ipset' && a.name !== 'ipsetflags') || !spec.ipsetFixup,
  );
  const entries = candidates.map((a) =>
    fc.option(fc.tuple(fc.constant(a), arbRawValue(a), fc.boolean()), { freq: 3 }),
  );
  return fc
    .tuple(fc.constantFrom('none', 'all', 'each'), fc.tuple(...entries))
    .map(([mode, picked]) => {
      const attrs: Record<string, AttrValue> = {};
      for (const p of picked) {
        if (!p) continue;
        const [a, raw, neg] = p;
        const c = canonicalizeAttrValue(a, raw);
        if (!c.ok) continue;
        attrs[a.name] = {
          value: c.value,
          negated: mode === 'all' ? true : mode === 'each' ? neg : false,
        };
      }
      return attrs;
    });
}

const arbRule: fc.Arbitrary<Rule> = fc
  .tuple(
    fc.constantFrom(...RULE_ACTIONS),
    fc.constantFrom(...RULE_DIRECTIONS),
    fc.integer({ min: -1000, max: 1000 }),
    fc.boolean(),
    fc.option(fc.constantFrom(...ELEMENT_TABLE), { freq: 8 }),
  )
  .chain(([action, direction, priority, statematch, spec]) =>
    (spec ? arbAttrs(spec) : fc.constant({})).map((attrs) => ({
      action,
      direction,
      priority,
      statematch,
      protocol: (spec?.name ?? null) as ProtocolName | null,
      attrs,
    })),
  );

const arbVarName = fc.constantFrom(...VAR_NAMES);
const arbVarValue = fc.string({
  unit: fc.constantFrom(...'abcXYZ0129_.:'),
  minLength: 1,
  maxLength: 12,
});

const arbFilterRef: fc.Arbitrary<FilterEntry> = fc
  .tuple(
    fc.constantFrom('clean-traffic', 'no-ip-spoofing', 'allow-dhcp'),
    fc.array(fc.tuple(arbVarName, arbVarValue), { maxLength: 6 }),
  )
  .map(([filter, pairs]) => {
    const names = [...new Set(pairs.map(([n]) => n))].sort();
    const params: FilterParameter[] = names.flatMap((n) =>
      pairs.filter(([m]) => m === n).map(([, value]) => ({ name: n, value })),
    );
    return { kind: 'filterref', ref: { filter, params } };
  });

const CHAINS = [
  'root',
  'mac',
  'vlan',
  'stp',
  'arp',
  'rarp',
  'ipv4',
  'ipv6',
  'ipv4-xyz',
  'arp-testme',
  'mac_1',
  'stp-xyz',
];

/** A FilterDoc generated from the attribute table. */
export const arbFilterDoc: fc.Arbitrary<FilterDoc> = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'),
      minLength: 1,
      maxLength: 20,
    }),
    fc.constantFrom(...CHAINS),
    fc.option(fc.integer({ min: -1000, max: 1000 }), { freq: 2 }),
    fc.option(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 32, maxLength: 32 }), {
      freq: 4,
    }),
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: arbRule.map((rule): FilterEntry => ({ kind: 'rule', rule })) },
        { weight: 1, arbitrary: arbFilterRef },
      ),
      { maxLength: 6 },
    ),
  )
  .map(([name, chain, priority, uuidDigits, entries]) => {
    const hex = uuidDigits?.map((d) => d.toString(16)).join('');
    const uuid = hex
      ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
      : null;
    return {
      name,
      chain,
      chainPriority: priority ?? getDefaultChainPriority(chain),
      uuid,
      entries,
    };
  });
