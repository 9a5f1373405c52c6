/**
 * Replays captures through a simulated host: frames from the VM's port and
 * frames towards it (two pcap files) are merged by timestamp, and the pcap
 * timestamps drive the virtual clock. Also formats traces as the CLI's JSON
 * lines.
 */
import type { AnyRuleset } from '../compile/ir';
import type { ConnView, ExpectationView } from '../conntrack/conntrack';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace, Side } from '../netfilter/bridge-host';
import { decodeFrame } from '../netfilter/packet-decode';
import type { PcapDiagnostic } from './pcap';
import { readPcap } from './pcap';
import type { CounterView } from './run-scenario';

export interface CaptureStep {
  trace: PacketTrace;
  /** Which capture and which record the frame came from. */
  source: Side;
  record: number;
  /** The record's timestamp as seconds and sub-second text with microsecond precision. */
  time: string;
}

export interface CaptureDiagnostic {
  source: Side;
  /** Record index, or -1 for file-level problems. */
  record: number;
  code: PcapDiagnostic['code'] | 'FRAME_UNDECODABLE';
  message: string;
}

export interface CaptureRun {
  steps: CaptureStep[];
  diagnostics: CaptureDiagnostic[];
  table: ConnView[];
  expectations: ExpectationView[];
  counters: CounterView[];
}

interface Pending {
  source: Side;
  record: number;
  sec: number;
  /** Sub-second part in nanoseconds. */
  nsec: number;
  data: Uint8Array;
}

function collect(
  bytes: Uint8Array | undefined,
  source: Side,
  out: Pending[],
  diags: CaptureDiagnostic[],
): void {
  if (!bytes) return;
  const { file, diagnostics } = readPcap(bytes);
  for (const d of diagnostics)
    diags.push({ source, record: -1, code: d.code, message: `${d.message} (offset ${d.offset})` });
  if (!file) return;
  file.records.forEach((r, i) =>
    out.push({
      source,
      record: i,
      sec: r.tsSec,
      nsec: file.nanosecond ? r.tsFrac : r.tsFrac * 1000,
      data: r.data,
    }),
  );
}

/** Seconds with six decimals from integer seconds and nanoseconds, without float rounding surprises. */
function microText(sec: number, nsec: number): string {
  const us = Math.round(nsec / 1000);
  return us >= 1_000_000 ? `${sec + 1}.000000` : `${sec}.${String(us).padStart(6, '0')}`;
}

/** Replays `fromVm` (frames the VM sent, captured on its port) and `toVm` (frames towards it). */
export function runCaptures(
  ruleset: AnyRuleset,
  captures: { fromVm: Uint8Array; toVm?: Uint8Array },
  settings: HostSettings = {},
): CaptureRun {
  const pending: Pending[] = [];
  const diagnostics: CaptureDiagnostic[] = [];
  collect(captures.fromVm, 'from-vm', pending, diagnostics);
  collect(captures.toVm, 'to-vm', pending, diagnostics);
  // Stable merge by time; on equal timestamps the VM's frame first, then capture order.
  pending.sort(
    (a, b) =>
      a.sec - b.sec ||
      a.nsec - b.nsec ||
      (a.source === b.source ? a.record - b.record : a.source === 'from-vm' ? -1 : 1),
  );
  const host = new BridgeHost(ruleset, settings);
  const steps: CaptureStep[] = [];
  let now = 0;
  for (const p of pending) {
    const frame = decodeFrame(p.data);
    if (!frame) {
      diagnostics.push({
        source: p.source,
        record: p.record,
        code: 'FRAME_UNDECODABLE',
        message: `record ${p.record}: ${p.data.length} bytes is not an Ethernet frame`,
      });
      continue;
    }
    now = p.sec + p.nsec / 1e9;
    steps.push({
      trace: host.step(frame, p.source, now),
      source: p.source,
      record: p.record,
      time: microText(p.sec, p.nsec),
    });
  }
  return {
    steps,
    diagnostics,
    table: host.table(now),
    expectations: host.expectations(now),
    counters: host.counters(),
  };
}

/**
 * One JSON line per packet, as `simulate --json` prints it:
 * `{"i":0,"t":1763740000.000123,"side":"from-vm","summary":"…","ctstate":"NEW","verdict":"accept","rule":{…}|null}`.
 * `time` is the timestamp text (pcap runs) — scenarios pass the virtual clock.
 */
export function traceJsonLine(trace: PacketTrace, time?: string): string {
  const t = time ?? trace.t.toFixed(6);
  const rest = JSON.stringify({
    side: trace.side,
    summary: trace.summary,
    ctstate: trace.ctstate,
    verdict: trace.verdict,
    rule: trace.rule,
    ...(trace.reply ? { reply: trace.reply.summary } : {}),
  });
  return `{"i":${trace.i},"t":${t},${rest.slice(1)}`;
}
