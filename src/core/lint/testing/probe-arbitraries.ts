/** fast-check generators shared by the lint property tests: random rules and random probe packets. */
import fc from 'fast-check';
import type { ProbePacket } from '../probe-packet';

export const IP4 = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.1.0.1', '192.168.1.1', '0.0.0.0'];
export const IP6 = ['2001:db8::1', '2001:db8::2', '2001:db8:1::1', 'fe80::1'];
export const MACS = [
  '52:54:00:11:22:33',
  '52:54:00:11:22:34',
  'ff:ff:ff:ff:ff:ff',
  '01:00:5e:00:00:01',
];
export const PORTS = [0, 22, 53, 80, 1023, 1024, 65535];

const neg = fc.constantFrom('', '', '', " match='no'");
const portAttrs = (name: 'src' | 'dst') =>
  fc.option(
    fc
      .tuple(fc.constantFrom(...PORTS), fc.option(fc.constantFrom(...PORTS), { nil: undefined }))
      .map(([a, b]) =>
        b === undefined
          ? `${name}portstart='${a}'`
          : `${name}portstart='${Math.min(a, b)}' ${name}portend='${Math.max(a, b)}'`,
      ),
    { nil: '', freq: 2 },
  );
const ipAttrs = (pool: string[], name: 'src' | 'dst', masks: number[]) =>
  fc.option(
    fc
      .tuple(fc.constantFrom(...pool), fc.option(fc.constantFrom(...masks), { nil: undefined }))
      .map(([a, m]) =>
        m === undefined ? `${name}ipaddr='${a}'` : `${name}ipaddr='${a}' ${name}ipmask='${m}'`,
      ),
    { nil: '', freq: 2 },
  );

const protoElement = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('tcp', 'udp'),
      ipAttrs(IP4, 'src', [8, 16, 24, 32]),
      ipAttrs(IP4, 'dst', [16, 24]),
      portAttrs('src'),
      portAttrs('dst'),
      neg,
    )
    .map(([p, a, b, c, d, n]) => `<${p} ${a} ${b} ${c} ${d}${n && (a || b || c || d) ? n : ''}/>`),
  fc
    .tuple(
      fc.constantFrom('', "flags='SYN/SYN'", "flags='SYN,ACK/SYN'", "flags='ALL/NONE'"),
      portAttrs('dst'),
      fc.constantFrom('', '', "dscp='46'", "dscp='4'"),
    )
    .map(([f, d, q]) => `<tcp ${f} ${d} ${q}/>`),
  fc
    .tuple(fc.constantFrom('', "type='8'", "type='0'", "type='3' code='1'", "type='255'"))
    .map(([t]) => `<icmp ${t}/>`),
  fc
    .tuple(
      ipAttrs(IP4, 'src', [8, 24]),
      fc.constantFrom(
        '',
        '',
        "state='NEW'",
        "state='ESTABLISHED'",
        "state='NEW,ESTABLISHED'",
        "state='RELATED,ESTABLISHED'",
      ),
    )
    .map(([a, s]) => `<all ${a} ${s}/>`),
  fc
    .tuple(ipAttrs(IP6, 'src', [64, 128]), portAttrs('dst'))
    .map(([a, d]) => `<tcp-ipv6 ${a} ${d}/>`),
  fc
    .tuple(
      ipAttrs(IP4, 'src', [8, 24, 32]),
      fc.constantFrom(
        '',
        "protocol='udp' dstportstart='53'",
        "protocol='tcp'",
        "protocol='tcp' dstportstart='22' dstportend='80'",
        "protocol='icmp'",
        "dscp='16'",
      ),
      neg,
    )
    .map(([a, p, n]) => `<ip ${a} ${p}${n && a ? n : ''}/>`),
  fc
    .tuple(
      fc.constantFrom(...MACS),
      fc.constantFrom('', "srcmacmask='ff:ff:ff:00:00:00'", "srcmacmask='01:00:00:00:00:00'"),
      fc.constantFrom('', "protocolid='ipv4'", "protocolid='arp'", "protocolid='ipv6'"),
      neg,
    )
    .map(([m, k, p, n]) => `<mac srcmacaddr='${m}' ${k} ${p}${n}/>`),
  fc
    .tuple(
      fc.constantFrom('', "opcode='Request'", "opcode='Reply'"),
      ipAttrs(IP4, 'src', [24, 32]).map((s) => s.replace(/src/g, 'arpsrc')),
    )
    .map(([o, a]) => `<arp ${o} ${a}/>`),
);

/** A random `<rule>` (action, direction, priority, statematch, one protocol element with attributes from small pools). */
export const ruleXmlArb = fc
  .tuple(
    fc.constantFrom('accept', 'drop', 'reject', 'return', 'continue', 'accept', 'drop'),
    fc.constantFrom('in', 'out', 'inout'),
    fc.constantFrom(-800, -550, 100, 500, 500, 500, 900),
    fc.constantFrom('', '', '', '', " statematch='false'"),
    protoElement,
  )
  .map(
    ([a, d, p, s, el]) => `<rule action='${a}' direction='${d}' priority='${p}'${s}>${el}</rule>`,
  );

/** Random probe packets with field values drawn from the same pools as the rules (plus a few others). */
export const probePacketArb: fc.Arbitrary<ProbePacket> = (() => {
  const ip4 = fc.constantFrom(...IP4, '10.0.0.77', '10.200.0.1', '8.8.8.8');
  const ip6 = fc.constantFrom(...IP6, '2001:db8::99');
  const mac = fc.constantFrom(...MACS, '52:54:00:99:99:99', '01:80:c2:00:00:00');
  const port = fc.oneof(fc.constantFrom(...PORTS, 21, 81, 443), fc.integer({ min: 0, max: 65535 }));
  return fc
    .record({
      kind: fc.constantFrom('ip4', 'ip4', 'ip6', 'arp', 'other', 'vlan'),
      vid: fc.constantFrom(10, 20),
      tos: fc.constantFrom(0, 0, 0x10, 0xb8),
      srcMac: mac,
      dstMac: mac,
      src4: ip4,
      dst4: ip4,
      src6: ip6,
      dst6: ip6,
      proto: fc.constantFrom(6, 17, 1, 58, 2),
      sport: port,
      dport: port,
      flags: fc.integer({ min: 0, max: 63 }),
      icmpType: fc.constantFrom(0, 3, 8, 11),
      icmpCode: fc.constantFrom(0, 1, 2),
      state: fc.constantFrom('NEW', 'ESTABLISHED', 'RELATED', 'INVALID') as fc.Arbitrary<
        'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID'
      >,
      dir: fc.constantFrom('Original', 'Reply') as fc.Arbitrary<'Original' | 'Reply'>,
      opcode: fc.constantFrom(1, 2),
    })
    .map((r): ProbePacket => {
      const base = { srcMac: r.srcMac, dstMac: r.dstMac, ct: { state: r.state, dir: r.dir } };
      if (r.kind === 'arp') {
        return {
          ...base,
          ethertype: 0x0806,
          arp: {
            htype: 1,
            opcode: r.opcode,
            ptype: 0x0800,
            ipSrc: r.src4,
            ipDst: r.dst4,
            macSrc: r.srcMac,
            macDst: r.dstMac,
          },
        };
      }
      if (r.kind === 'other') return { ...base, ethertype: 0x88cc };
      // A tagged frame: ebtables sees EtherType 0x8100 and none of the IPv4 header inside.
      if (r.kind === 'vlan')
        return { ...base, ethertype: 0x8100, vlan: { id: r.vid, encap: 0x0800 } };
      const v6 = r.kind === 'ip6';
      const proto = v6 && r.proto === 1 ? 58 : !v6 && r.proto === 58 ? 1 : r.proto;
      return {
        ...base,
        ethertype: v6 ? 0x86dd : 0x0800,
        ip: {
          family: v6 ? 6 : 4,
          src: v6 ? r.src6 : r.src4,
          dst: v6 ? r.dst6 : r.dst4,
          proto,
          tos: r.tos,
          ...(proto === 6 || proto === 17 ? { sport: r.sport, dport: r.dport } : {}),
          ...(proto === 6 ? { tcpFlags: r.flags } : {}),
          ...(proto === 1 || proto === 58 ? { icmpType: r.icmpType, icmpCode: r.icmpCode } : {}),
        },
      };
    });
})();
