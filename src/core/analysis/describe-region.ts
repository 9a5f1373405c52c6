/**
 * Human text for the values of a dimension (`10.0.0.0/24`, `1024-65535`, `not 22`, `tcp`) and
 * the merging that turns the fragments of a walk into few, compact cubes.
 */
import {
  ARP_OPCODE_NAMES,
  IP_PROTOCOL_NAMES,
  MAC_PROTOCOL_NAMES,
  TCP_FLAG_NAMES,
} from '../model/attributes';
import { formatIpv4, formatIpv6, formatMac } from '../packet/addr';
import type { IntervalSet } from './interval-set';
import { setContains, setSize, subtractSets, unionSets } from './interval-set';
import type { Cube } from './space';
import {
  CT_ESTABLISHED,
  CT_NEW,
  CT_NONE,
  CT_RELATED,
  DIR_NONE,
  DIR_ORIGINAL,
  DIR_REPLY,
  DIM,
  DIM_COUNT,
  DIM_NAMES,
  ETH_FEASIBLE,
  ETH_STP,
  ETH_TAGGED,
  cubeKey,
  freeDim,
  fullDomain,
} from './space';

/** The 128-bit value as the four words `formatIpv6` takes. */
function ip6Words(v: bigint): [number, number, number, number] {
  return [96n, 64n, 32n, 0n].map((s) => Number((v >> s) & 0xffffffffn)) as [
    number,
    number,
    number,
    number,
  ];
}

/** `[lo, hi]` as CIDR blocks when that takes at most `max` of them. */
function cidrs(lo: bigint, hi: bigint, bits: number, max: number): bigint[][] | null {
  const out: bigint[][] = [];
  let cur = lo;
  while (cur <= hi) {
    let len = bits;
    while (len > 0) {
      const size = 1n << BigInt(bits - len + 1);
      if (cur % size !== 0n || cur + size - 1n > hi) break;
      len--;
    }
    out.push([cur, BigInt(len)]);
    if (out.length > max) return null;
    cur += 1n << BigInt(bits - len);
  }
  return out;
}

function addrText(set: IntervalSet, bits: 32 | 128): string[] {
  const fmt = (v: bigint) => (bits === 32 ? formatIpv4(Number(v)) : formatIpv6(ip6Words(v)));
  const out: string[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i] as bigint;
    const hi = set[i + 1] as bigint;
    if (lo === hi) {
      out.push(fmt(lo));
      continue;
    }
    const blocks = cidrs(lo, hi, bits, 2);
    if (blocks) for (const [a, len] of blocks) out.push(`${fmt(a as bigint)}/${len as bigint}`);
    else out.push(`${fmt(lo)}-${fmt(hi)}`);
  }
  return out;
}

function numText(set: IntervalSet, name?: (v: number) => string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i] as bigint;
    const hi = set[i + 1] as bigint;
    if (lo === hi) out.push(name?.(Number(lo)) ?? lo.toString());
    else if (hi - lo < 3n && name)
      for (let v = lo; v <= hi; v++) out.push(name(Number(v)) ?? v.toString());
    else out.push(`${lo}-${hi}`);
  }
  return out;
}

const PROTO_NAME = new Map(IP_PROTOCOL_NAMES.map(([n, v]) => [v, n]));
const ETHER_NAME = new Map(MAC_PROTOCOL_NAMES.map(([n, v]) => [v, n]));
const ARP_OP_NAME = new Map(ARP_OPCODE_NAMES.map(([n, v]) => [v, n]));
const CT_STATE_NAME = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];
const CT_DIR_NAME = ['ORIGINAL', 'REPLY', 'none'];

/** A frame class of the `eth` dimension as text. */
function ethName(v: number): string {
  const base = v & 0xffff;
  const inner = ETHER_NAME.get(base) ?? `0x${base.toString(16).padStart(4, '0')}`;
  const stp = (BigInt(v) & ETH_STP) !== 0n;
  const tagged = (BigInt(v) & ETH_TAGGED) !== 0n;
  const what = stp ? `stp (802.3 length ${base})` : inner;
  return tagged ? `802.1Q-tagged ${what}` : what;
}

function tcpFlagsText(v: number): string {
  const names = TCP_FLAG_NAMES.filter(([n, bit]) => bit !== 0 && n !== 'ALL' && (v & bit) !== 0);
  return names.length === 0 ? 'none' : names.map(([n]) => n).join(',');
}

/** The values of one dimension as short texts; `["any"]` for the whole domain. */
export function describeDim(dim: number, set: IntervalSet | null): string[] {
  if (set === null) return ['any'];
  const full = dim === DIM.eth ? ETH_FEASIBLE : fullDomain(dim);
  const rest = subtractSets(full, set);
  const render = (s: IntervalSet): string[] => {
    switch (dim) {
      case DIM.src4:
      case DIM.dst4:
      case DIM.arpSpa:
      case DIM.arpTpa:
        return addrText(s, 32);
      case DIM.src6:
      case DIM.dst6:
        return addrText(s, 128);
      case DIM.macSrc:
      case DIM.macDst:
      case DIM.arpSha:
      case DIM.arpTha:
      case DIM.stpRootAddr:
      case DIM.stpSenderAddr:
        return numText(s).map((t) =>
          t
            .split('-')
            .map((x) => formatMac(Number(x)))
            .join('-'),
        );
      case DIM.proto:
        return numText(s, (v) => PROTO_NAME.get(v));
      case DIM.eth:
        return numText(s, ethName).map((t) =>
          t.replace(
            /^(\d+)-(\d+)$/,
            (_m, a: string, b: string) => `${ethName(Number(a))}-${ethName(Number(b))}`,
          ),
        );
      case DIM.arpOp:
        return numText(s, (v) => ARP_OP_NAME.get(v));
      case DIM.tcpFlags:
        return setSize(s) <= 4n ? numText(s, tcpFlagsText) : numText(s);
      case DIM.ctState:
        return numText(s, (v) => CT_STATE_NAME[v]);
      case DIM.ctDir:
        return numText(s, (v) => CT_DIR_NAME[v]);
      case DIM.frag:
        // 1: a non-first IPv4 fragment or IPv6 behind AH, whose ports no rule can see.
        return numText(s, (v) => (v === 0 ? 'first' : 'non-first'));
      default:
        return numText(s);
    }
  };
  // Say "not X" when the complement is the shorter description.
  if (rest.length > 0 && rest.length < set.length) return [`not ${render(rest).join(', ')}`];
  return render(set);
}

/** A cube with the XML rules behind it, as `allowed` and `diff` list them. */
export interface RuleSetCube<R> {
  cube: Cube;
  rules: R[];
}

/**
 * Merges cubes that differ in one dimension only (their union is one cube), repeatedly, so a
 * walk's fragments read as few rows. Exact: the union of the result is the union of the input.
 */
export function mergeCubes<R>(
  items: readonly RuleSetCube<R>[],
  key: (r: R) => string,
): RuleSetCube<R>[] {
  let cur = items.slice();
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (let d = 0; d < DIM_COUNT; d++) {
      const groups = new Map<string, RuleSetCube<R>[]>();
      for (const it of cur) {
        const k = cubeKey(it.cube, d);
        const g = groups.get(k);
        if (g) g.push(it);
        else groups.set(k, [it]);
      }
      if (groups.size === cur.length) continue;
      changed = true;
      cur = [...groups.values()].map((g) => {
        if (g.length === 1) return g[0] as RuleSetCube<R>;
        let set: IntervalSet | null = (g[0] as RuleSetCube<R>).cube[d] ?? null;
        const rules = new Map<string, R>();
        for (const it of g) {
          const s = it.cube[d] ?? null;
          set = set === null || s === null ? null : unionSets(set, s);
          for (const r of it.rules) rules.set(key(r), r);
        }
        const cube = (g[0] as RuleSetCube<R>).cube.slice();
        cube[d] = set !== null && subtractSets(fullDomain(d), set).length === 0 ? null : set;
        return { cube, rules: [...rules.values()] };
      });
    }
    if (!changed) break;
  }
  return mergeConntrack(cur, key);
}

/**
 * The conntrack state and direction vary together (NEW only ORIGINAL, no connection no
 * direction), so one-dimension merging never joins a region's three conntrack cases: join
 * cubes equal but for those two dimensions when together they hold every state.
 */
/** The conntrack (state, direction) pairs a packet can have (UNTRACKED needs a NOTRACK rule). */
const CT_CASES: readonly [bigint, bigint][] = [
  [CT_NEW, DIR_ORIGINAL],
  [CT_ESTABLISHED, DIR_ORIGINAL],
  [CT_ESTABLISHED, DIR_REPLY],
  [CT_RELATED, DIR_ORIGINAL],
  [CT_RELATED, DIR_REPLY],
  [CT_NONE, DIR_NONE],
];

function mergeConntrack<R>(items: RuleSetCube<R>[], key: (r: R) => string): RuleSetCube<R>[] {
  const groups = new Map<string, RuleSetCube<R>[]>();
  for (const it of items) {
    const k = cubeKey(freeDim(it.cube, DIM.ctState, DIM.ctDir));
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  if (groups.size === items.length) return items;
  const out: RuleSetCube<R>[] = [];
  for (const g of groups.values()) {
    // Every state with every direction it can have, not only every state: a group may hold
    // ESTABLISHED in the original direction only (the other one decided elsewhere).
    const held = new Set<string>();
    for (const it of g)
      for (const [st, dir] of CT_CASES)
        if (
          setContains(it.cube[DIM.ctState] ?? fullDomain(DIM.ctState), st) &&
          setContains(it.cube[DIM.ctDir] ?? fullDomain(DIM.ctDir), dir)
        )
          held.add(`${st}/${dir}`);
    if (g.length === 1 || CT_CASES.some(([st, dir]) => !held.has(`${st}/${dir}`))) {
      out.push(...g);
      continue;
    }
    const rules = new Map<string, R>();
    for (const it of g) for (const r of it.rules) rules.set(key(r), r);
    out.push({
      cube: freeDim((g[0] as RuleSetCube<R>).cube, DIM.ctState, DIM.ctDir),
      rules: [...rules.values()],
    });
  }
  return out;
}

/** The dimensions a cube restricts, each as its texts (`{ eth: ['ipv4'], dport: ['22'] }`). */
export function describeCube(c: Cube): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let d = 0; d < DIM_COUNT; d++) {
    const s = c[d] ?? null;
    if (s !== null) out[DIM_NAMES[d] as string] = describeDim(d, s);
  }
  return out;
}

/** A cube as one line: `eth=ipv4 proto=tcp dport=22`. */
export function cubeText(c: Cube): string {
  const parts = Object.entries(describeCube(c)).map(([k, v]) => `${k}=${v.join(',')}`);
  return parts.length === 0 ? 'every packet' : parts.join(' ');
}
