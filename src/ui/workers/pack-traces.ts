/**
 * Compact traces for the trip from the simulator worker to the page. A run against a 2,000-rule
 * filter records thousands of rule visits per packet; as objects, cloning them into the page
 * costs more than the run itself and lands on whatever the user does next. Packed, each packet's
 * visits are one Int32Array (transferred, not copied) over a string table shared by the run, and
 * the page rebuilds the visit objects only for the packet it explains.
 */
import type { HookTrace, PacketTrace, RuleVisit } from '../../core/netfilter';
import type { RuleDirection } from '../../core/model';
import type { SimResult } from '../../core/sim';

/** Ints per packed visit: hook, table, chain, index, matched, target, filter, rule index, priority, direction, nft handle (-1: none). */
const FIELDS = 11;

/** A packet's rule visits, packed; `strings` is shared by every packet of one run. */
export interface PackedVisits {
  strings: string[];
  data: Int32Array;
}

/** A trace whose hooks' visit lists were moved into `packedVisits` (the hooks keep `visits: []`). */
export type CompactTrace = PacketTrace & { packedVisits?: PackedVisits };

class StringTable {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
}

/**
 * Moves every packet's visit lists into packed arrays. Returns a new result (the input is left
 * as it was) and the buffers to transfer with it.
 */
export function packSimResult(result: SimResult): { result: SimResult; transfer: ArrayBuffer[] } {
  const table = new StringTable();
  const transfer: ArrayBuffer[] = [];
  const steps = result.steps.map((step) => {
    const trace = step.trace;
    let count = 0;
    for (const h of trace.hooks) count += h.visits.length;
    if (count === 0) return step;
    const data = new Int32Array(count * FIELDS);
    let o = 0;
    trace.hooks.forEach((h, hi) => {
      for (const v of h.visits) {
        data[o] = hi;
        data[o + 1] = table.id(v.table);
        data[o + 2] = table.id(v.chain);
        data[o + 3] = v.index;
        data[o + 4] = v.matched ? 1 : 0;
        data[o + 5] = table.id(v.target);
        data[o + 6] = v.rule ? table.id(v.rule.filter) : -1;
        data[o + 7] = v.rule ? v.rule.index : 0;
        data[o + 8] = v.rule ? v.rule.priority : 0;
        data[o + 9] = v.rule ? table.id(v.rule.direction) : 0;
        data[o + 10] = v.handle ?? -1;
        o += FIELDS;
      }
    });
    transfer.push(data.buffer);
    const compact: CompactTrace = {
      ...trace,
      hooks: trace.hooks.map((h) => (h.visits.length ? { ...h, visits: [] } : h)),
      packedVisits: { strings: table.strings, data },
    };
    return { ...step, trace: compact };
  });
  return { result: { ...result, steps }, transfer };
}

const unpacked = new WeakMap<PacketTrace, HookTrace[]>();

/**
 * The hooks of a trace with their visit lists, rebuilding them from a compact trace (once per
 * trace object); a full trace is returned as it is.
 */
export function traceHooks(trace: PacketTrace): HookTrace[] {
  const packed = (trace as CompactTrace).packedVisits;
  if (!packed) return trace.hooks;
  let hooks = unpacked.get(trace);
  if (hooks) return hooks;
  const { strings, data } = packed;
  const visits: RuleVisit[][] = trace.hooks.map(() => []);
  const str = (id: number) => strings[id] ?? '';
  for (let o = 0; o + FIELDS <= data.length; o += FIELDS) {
    const filter = data[o + 6] as number;
    const handle = data[o + 10] as number;
    visits[data[o] as number]?.push({
      ...(handle >= 0 ? { handle } : {}),
      table: str(data[o + 1] as number),
      chain: str(data[o + 2] as number),
      index: data[o + 3] as number,
      matched: data[o + 4] === 1,
      target: str(data[o + 5] as number),
      rule:
        filter < 0
          ? null
          : {
              filter: str(filter),
              index: data[o + 7] as number,
              priority: data[o + 8] as number,
              direction: str(data[o + 9] as number) as RuleDirection,
            },
    });
  }
  hooks = trace.hooks.map((h, hi) => {
    const list = visits[hi] ?? [];
    return list.length ? { ...h, visits: list } : h;
  });
  unpacked.set(trace, hooks);
  return hooks;
}

/** The full trace (visit lists included) of a possibly compact trace. */
export function unpackTrace(trace: PacketTrace): PacketTrace {
  const packed = (trace as CompactTrace).packedVisits;
  if (!packed) return trace;
  const { packedVisits: _, ...rest } = trace as CompactTrace;
  return { ...rest, hooks: traceHooks(trace) };
}
