/**
 * Kernel ↔ simulator comparison and the report a person reads when they disagree.
 */
import type { KernelFate } from './frame-io';
import type { SimConn, SimCounter, SimTuple, SimVerdict } from './simulator';
import type { KernelConn, KernelCounter } from './testbed';

export interface FrameRow {
  i: number;
  side: string;
  summary: string;
  /** `not sent`: a frame it answers was not delivered, so the scenario skipped it. */
  kernel: 'delivered' | 'NOT delivered' | 'not sent';
  /** null when no simulator ran. */
  sim: SimVerdict | 'not sent' | null;
  agree: boolean;
}

/** Everything compared for one scenario under one filter case. */
export interface ScenarioResult {
  caseId: string;
  scenario: string;
  title: string;
  rows: FrameRow[];
  /** Differences of the after-run conntrack tables (empty when equal or not compared). */
  tableDiff: string[];
  /** Differences of per-rule packet counters (empty when equal or not compared). */
  counterDiff: string[];
  /** Other checks that failed (REJECT replies, the simulator's own errors…). */
  otherDiff: string[];
  /** Frames the host itself sent (REJECT's ICMP errors …), summarised. */
  hostFrames: string[];
  compared: boolean;
  /** Informational lines for the report (pending expectations …). */
  info?: string[];
  /** How to run the simulator side by hand. */
  reproduce?: string;
}

export function disagreements(r: ScenarioResult): number {
  return (
    r.rows.filter((x) => !x.agree).length +
    r.tableDiff.length +
    r.counterDiff.length +
    r.otherDiff.length
  );
}

/** Per-frame agreement: delivered ↔ accept, not delivered ↔ drop/reject; `error` never agrees. */
export function compareFrames(
  fates: readonly KernelFate[],
  summaries: readonly string[],
  sim: readonly SimVerdict[] | null,
): FrameRow[] {
  return fates.map((f, i) => {
    const v = sim ? (sim[i] ?? null) : null;
    const agree =
      sim === null
        ? true
        : v !== null && v.verdict !== 'error' && (v.verdict === 'accept') === f.delivered;
    return {
      i,
      side: f.side,
      summary: summaries[i] ?? '?',
      kernel: f.delivered ? 'delivered' : 'NOT delivered',
      sim: sim === null ? null : (v ?? 'not sent'),
      agree,
    };
  });
}

/**
 * Rows for a scenario whose frames may be skipped (`requires`): by scenario index, kernel and
 * simulator must agree on whether each frame was sent and, if so, on its fate.
 */
export function compareScenarioFrames(
  frames: readonly { side: string }[],
  summaries: readonly string[],
  kernel: ReadonlyMap<number, boolean>,
  sim: ReadonlyMap<number, SimVerdict> | null,
): FrameRow[] {
  return frames.map((f, i) => {
    const k = kernel.get(i);
    const kernelFate: FrameRow['kernel'] =
      k === undefined ? 'not sent' : k ? 'delivered' : 'NOT delivered';
    const v = sim ? (sim.get(i) ?? 'not sent') : null;
    let agree = true;
    if (v !== null) {
      if (v === 'not sent' || kernelFate === 'not sent')
        agree = v === 'not sent' && kernelFate === 'not sent';
      else
        agree = v.verdict !== 'error' && (v.verdict === 'accept') === (kernelFate === 'delivered');
    }
    return { i, side: f.side, summary: summaries[i] ?? '?', kernel: kernelFate, sim: v, agree };
  });
}

function tupleText(t: SimTuple): string {
  const ports = t.sport !== undefined ? ` sport=${t.sport} dport=${t.dport}` : '';
  const icmp = t.type !== undefined ? ` type=${t.type} code=${t.code} id=${t.id}` : '';
  return `src=${t.src} dst=${t.dst}${ports}${icmp}`;
}

function connKey(c: {
  proto: string;
  state: string | null;
  orig: SimTuple;
  reply: SimTuple;
  helper: string | null;
  assured: boolean;
  unreplied: boolean;
}): string {
  return [
    c.proto,
    c.state ?? '',
    tupleText(c.orig),
    c.unreplied ? '[UNREPLIED]' : '',
    tupleText(c.reply),
    c.assured ? '[ASSURED]' : '',
    c.helper ? `helper=${c.helper}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** conntrack -L (protocol, tuples, state, ASSURED/UNREPLIED, helper) against the simulator's table. */
export function compareTables(kernel: readonly KernelConn[], sim: readonly SimConn[]): string[] {
  const k = kernel
    .map((c) =>
      connKey({
        proto: c.proto,
        state: c.state,
        orig: c.orig,
        reply: c.reply,
        helper: c.helper,
        assured: c.flags.includes('ASSURED'),
        unreplied: c.flags.includes('UNREPLIED'),
      }),
    )
    .sort();
  const s = sim
    .map((c) =>
      connKey({
        proto: c.proto,
        state: c.state,
        orig: c.original,
        reply: c.reply,
        helper: c.helper,
        assured: c.assured,
        unreplied: c.unreplied,
      }),
    )
    .sort();
  const out: string[] = [];
  const rest = [...s];
  for (const x of k) {
    const j = rest.indexOf(x);
    if (j >= 0) rest.splice(j, 1);
    else out.push(`conntrack: kernel has     ${x}`);
  }
  for (const x of rest) out.push(`conntrack: simulator has  ${x}`);
  return out;
}

/** An FTP (or other helper's) expectation, as the simulator reports it. */
export interface SimExpectation {
  proto: string;
  tuple: SimTuple;
  helper: string;
}

/**
 * `conntrack -L expect` against the simulator's pending expectations: protocol, addresses,
 * destination port (the source port is a wildcard) and helper.
 */
export function compareExpectations(
  kernelLines: readonly string[],
  sim: readonly SimExpectation[],
): string[] {
  const protoNames: Record<string, string> = { '6': 'tcp', '17': 'udp' };
  const k = kernelLines
    .map((l) => {
      const get = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(l)?.[1] ?? '?';
      return `${protoNames[get('proto')] ?? get('proto')} src=${get('src')} dst=${get('dst')} dport=${get('dport')} helper=${get('helper')}`;
    })
    .sort();
  const s = sim
    .map(
      (e) =>
        `${e.proto} src=${e.tuple.src} dst=${e.tuple.dst} dport=${e.tuple.dport ?? '?'} helper=${e.helper}`,
    )
    .sort();
  const out: string[] = [];
  const rest = [...s];
  for (const x of k) {
    const j = rest.indexOf(x);
    if (j >= 0) rest.splice(j, 1);
    else out.push(`expectation: kernel has     ${x}`);
  }
  for (const x of rest) out.push(`expectation: simulator has  ${x}`);
  return out;
}

/**
 * Per-rule packet counts: for every rule the simulator counts, the kernel's delta over the
 * scenario must be equal. Rules are identified by table, chain and position.
 */
export function compareCounters(
  before: readonly KernelCounter[],
  after: readonly KernelCounter[],
  sim: readonly SimCounter[],
): string[] {
  const key = (c: { table: string; chain: string; index: number }) =>
    `${c.table} ${c.chain} #${c.index}`;
  const base = new Map(before.map((c) => [key(c), c.packets]));
  const kernel = new Map(
    after.map((c) => [key(c), { n: c.packets - (base.get(key(c)) ?? 0), text: c.text }]),
  );
  const out: string[] = [];
  for (const c of sim) {
    const k = kernel.get(key(c));
    if (!k) {
      out.push(`counter: ${key(c)} exists in the simulator only (${c.packets} packets)`);
      continue;
    }
    if (k.n !== c.packets) {
      const blame = c.rule
        ? ` (XML ${c.rule.filter} rule ${c.rule.index}, ${c.rule.direction})`
        : '';
      out.push(
        `counter: ${key(c)} kernel ${k.n} packets, simulator ${c.packets}${blame}: ${k.text}`,
      );
    }
  }
  return out;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function simText(v: SimVerdict | 'not sent' | null): string {
  if (!v) return 'no verdict';
  if (v === 'not sent') return 'not sent';
  const rule = v.rule
    ? ` by ${v.rule.filter}#${v.rule.index} (prio ${v.rule.priority}, ${v.rule.direction})`
    : ' (no filter rule)';
  return `${v.verdict} ct=${v.ctstate ?? '-'}${rule}${v.error ? ` ERROR ${v.error}` : ''}`;
}

/** The readable per-frame report of one scenario (disagreeing frames marked `!!`). */
export function formatScenario(r: ScenarioResult, onlyDisagreements = false): string {
  const lines = [`── ${r.caseId} / ${r.scenario}: ${r.title}`];
  for (const row of r.rows) {
    if (onlyDisagreements && row.agree) continue;
    lines.push(
      `${row.agree ? '  ' : '!!'} #${pad(String(row.i), 3)} ${pad(row.side, 7)} ${pad(row.summary.slice(0, 78), 78)} kernel: ${pad(row.kernel, 13)} sim: ${simText(row.sim)}`,
    );
  }
  for (const d of [...r.tableDiff, ...r.counterDiff, ...r.otherDiff]) lines.push(`!! ${d}`);
  for (const h of r.hostFrames) lines.push(`   host sent: ${h}`);
  for (const x of r.info ?? []) lines.push(`   ${x}`);
  if (r.reproduce && disagreements(r) > 0) lines.push(`   reproduce: ${r.reproduce}`);
  return lines.join('\n');
}
