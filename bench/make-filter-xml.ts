/**
 * Deterministic synthetic nwfilter documents for the benchmarks: a realistic mix of protocol
 * elements (tcp/udp/icmp with addresses, masks, port ranges and state; mac, arp, ipv6, all with
 * comments), priorities and directions, in libvirt's own formatting.
 */

/** A tiny deterministic PRNG (mulberry32) so every run benchmarks the same documents. */
export function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRECTIONS = ['in', 'out', 'inout'] as const;
const ACTIONS = ['accept', 'accept', 'accept', 'drop', 'reject', 'return'] as const;

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The protocol element of rule `i` (mostly L3/L4 rules, which is what people write). */
function protocolElement(i: number, rnd: () => number): string {
  const a = 1 + (i % 250);
  const b = Math.floor(i / 250) % 250;
  const port = 1024 + ((i * 7) % 60000);
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
      return `<tcp srcipaddr='10.${b}.${a}.0' srcipmask='24' dstportstart='${port}' dstportend='${port + 10}' state='NEW,ESTABLISHED'/>`;
    case 3:
    case 4:
      return `<udp dstipaddr='192.168.${a}.${b}' dstportstart='${port}' comment='service ${i}'/>`;
    case 5:
      return `<icmp srcipaddr='172.16.${a}.${b}' type='${i % 2 === 0 ? 8 : 0}' code='0'/>`;
    case 6:
      return `<mac srcmacaddr='52:54:00:${hex2(a)}:${hex2(b)}:${hex2(i % 256)}' protocolid='0x0800'/>`;
    case 7:
      return `<arp opcode='Request' arpsrcipaddr='10.${b}.${a}.1' arpdstipaddr='10.${b}.${a}.254'/>`;
    case 8:
      return `<tcp-ipv6 srcipaddr='2001:db8:${a.toString(16)}::' srcipmask='64' dstportstart='${port}' dstportend='${port + Math.floor(rnd() * 100)}'/>`;
    default:
      return `<ip srcipaddr='10.${b}.${a}.${i % 256}' protocol='udp' dscp='${i % 64}'/>`;
  }
}

/** Serialized rule `i` of a synthetic filter. */
export function ruleXml(i: number, rnd: () => number, fixedPriority?: number): string {
  const action = ACTIONS[i % ACTIONS.length] ?? 'accept';
  const direction = DIRECTIONS[i % DIRECTIONS.length] ?? 'in';
  const priority = fixedPriority ?? -500 + ((i * 37) % 1000);
  return `  <rule action='${action}' direction='${direction}' priority='${priority}'>\n    ${protocolElement(i, rnd)}\n  </rule>\n`;
}

/**
 * A `root`-chain filter named `name` with `count` rules of the mixed kinds above; with
 * `fixedPriority` every rule has that priority (so tables list them in document order).
 */
export function makeFilterXml(
  name: string,
  count: number,
  seed = 1,
  fixedPriority?: number,
): string {
  const rnd = makeRandom(seed);
  let out = `<filter name='${name}' chain='root'>\n`;
  for (let i = 0; i < count; i++) out += ruleXml(i, rnd, fixedPriority);
  return out + '</filter>\n';
}

/**
 * A filter for the simulator: clean-traffic, then `count - 4` service rules whose ports and
 * addresses the trace mostly misses (so a linear walk visits nearly all of them), then what a
 * server allows (ftp/ssh and ping in, everything out, replies by state) and a final drop.
 */
export function makeSimFilterXml(name: string, count: number): string {
  let out = `<filter name='${name}' chain='root'>\n  <filterref filter='clean-traffic'/>\n`;
  const services = Math.max(0, count - 4);
  for (let i = 0; i < services; i++) {
    const port = 2000 + i;
    const a = 1 + (i % 250);
    const b = Math.floor(i / 250) % 250;
    switch (i % 4) {
      case 0:
        out += `  <rule action='accept' direction='in' priority='500'>\n    <tcp srcipaddr='10.${b}.${a}.0' srcipmask='24' dstportstart='${port}'/>\n  </rule>\n`;
        break;
      case 1:
        out += `  <rule action='accept' direction='in' priority='500'>\n    <udp dstportstart='${port}' dstportend='${port}'/>\n  </rule>\n`;
        break;
      case 2:
        out += `  <rule action='drop' direction='out' priority='500'>\n    <tcp dstipaddr='192.0.2.${a}' dstportstart='${port}'/>\n  </rule>\n`;
        break;
      default:
        out += `  <rule action='drop' direction='inout' priority='500'>\n    <icmp srcipaddr='198.51.${b}.${a}' type='13'/>\n  </rule>\n`;
    }
  }
  out += `  <rule action='accept' direction='in' priority='500'>\n    <tcp dstportstart='21' dstportend='22'/>\n  </rule>\n`;
  out += `  <rule action='accept' direction='inout' priority='500'>\n    <icmp/>\n  </rule>\n`;
  out += `  <rule action='accept' direction='out' priority='500'>\n    <all/>\n  </rule>\n`;
  out += `  <rule action='drop' direction='inout' priority='1000'>\n    <all/>\n  </rule>\n`;
  return out + '</filter>\n';
}
