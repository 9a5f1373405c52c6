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
import { decodeFrame } from '../packet/packet-decode';
import { summarizeFrame } from '../packet/packet-summary';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../model/limits';
import { bytesSource, CaptureReader } from './capture-reader';
import type {
  ByteSource,
  CaptureDiagnosticCode,
  CaptureReadDiagnostic,
  CaptureRecord,
} from './capture-reader';
import type { CounterView } from './run-scenario';
import { LearningTimeline } from './learning-timeline';
import type { LearningPhase, LearningRun } from './learning-timeline';

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
  code: CaptureDiagnosticCode | 'FRAME_UNDECODABLE' | 'CAPTURE_TIME_ORDER' | 'FRAME_LIMIT';
  message: string;
}

export interface CaptureRun {
  /** Every step, unless {@link ReplayOptions.onStep} took them one by one (then empty). */
  steps: CaptureStep[];
  diagnostics: CaptureDiagnostic[];
  table: ConnView[];
  expectations: ExpectationView[];
  counters: CounterView[];
  /** Frames replayed. */
  frames: number;
  /** Whether the run stopped at {@link ReplayOptions.maxFrames} with frames left. */
  stoppedAtLimit: boolean;
  /**
   * With {@link ReplayOptions.learning}: the learning phases, unless
   * {@link ReplayOptions.onPhase} took them one by one (then empty).
   */
  phases?: LearningPhase[];
}

/** How a replay runs and where its steps go. */
export interface ReplayOptions {
  /**
   * Record every rule visit in each trace (default true). Off, traces carry the verdict, the
   * deciding rule, the conntrack state and the packet summary only — the same results, at a cost
   * that hardly grows with the filter (see `StepOptions.detail`).
   */
  detail?: boolean;
  /** Stop after this many frames with a FRAME_LIMIT diagnostic (default: `DEFAULT_LIMITS.frames`). */
  maxFrames?: number;
  /**
   * Receives each step as it is made; the run then keeps none, so its memory does not grow with
   * the number of frames.
   */
  onStep?: (step: CaptureStep) => void;
  /**
   * The binding has no `IP` and libvirt learns it: `ruleset` is then the rule set in force while
   * it learns, the learner reads the captured frames as libvirt's captures on the port would
   * (every frame from the VM, a frame towards it once delivered), and the rules are rebuilt
   * (or the learning rules come back) where it says.
   */
  learning?: LearningRun;
  /**
   * Receives each learning phase as it happens: a phase for step N arrives before step N (a
   * phase caused by step N's frame, after it).
   */
  onPhase?: (phase: LearningPhase) => void;
}

/** A capture: its bytes, or a source to stream them from. */
export type CaptureInput = Uint8Array | ByteSource;

/** Seconds with six decimals from integer seconds and nanoseconds, without float rounding surprises. */
function microText(sec: number, nsec: number): string {
  const us = Math.round(nsec / 1000);
  return us >= 1_000_000 ? `${sec + 1}.000000` : `${sec}.${String(us).padStart(6, '0')}`;
}

/** One capture being read: its reader, its next record, what has been reported. */
class Stream {
  readonly reader: CaptureReader;
  head: CaptureRecord | null = null;
  private reported = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  private backwards = false;

  constructor(
    readonly side: Side,
    input: CaptureInput,
    private readonly diagnostics: CaptureDiagnostic[],
  ) {
    this.reader = new CaptureReader(input instanceof Uint8Array ? bytesSource(input) : input);
    this.advance();
  }

  advance(): void {
    this.head = this.reader.next();
    const ds = this.reader.diagnostics;
    for (; this.reported < ds.length; this.reported++) {
      const d = ds[this.reported] as CaptureReadDiagnostic;
      this.diagnostics.push({
        source: this.side,
        record: d.record,
        code: d.code,
        message: `${d.message} (offset ${d.offset})`,
      });
    }
    const h = this.head;
    if (!h) return;
    if (h.sec < this.lastSec || (h.sec === this.lastSec && h.nsec < this.lastNsec)) {
      if (!this.backwards) {
        this.backwards = true;
        this.diagnostics.push({
          source: this.side,
          record: h.index,
          code: 'CAPTURE_TIME_ORDER',
          message: `record ${h.index}: its timestamp is earlier than the record before; records are replayed in capture order and the clock never goes back`,
        });
      }
    } else {
      this.lastSec = h.sec;
      this.lastNsec = h.nsec;
    }
  }
}

/**
 * Replays `fromVm` (frames the VM sent, captured on its port) and `toVm` (frames towards it),
 * streaming: the two captures are read record by record and merged by timestamp (on equal
 * timestamps the VM's frame first), the timestamps drive the clock.
 */
export function runCaptures(
  ruleset: AnyRuleset,
  captures: { fromVm: CaptureInput; toVm?: CaptureInput },
  settings: HostSettings = {},
  options: ReplayOptions = {},
): CaptureRun {
  const diagnostics: CaptureDiagnostic[] = [];
  const streams = [new Stream('from-vm', captures.fromVm, diagnostics)];
  if (captures.toVm) streams.push(new Stream('to-vm', captures.toVm, diagnostics));
  const detail = options.detail !== false;
  const maxFrames = options.maxFrames ?? DEFAULT_LIMITS.frames;
  const host = new BridgeHost(ruleset, settings);
  const steps: CaptureStep[] = [];
  const emit = options.onStep ?? ((s: CaptureStep) => void steps.push(s));
  const learning = options.learning ? new LearningTimeline(options.learning, host) : null;
  const phases: LearningPhase[] = [];
  let told = 0;
  /** Hands on the phases the timeline added since the last call (it keeps them all otherwise). */
  const tell = () => {
    if (!learning) return;
    const list = learning.phases;
    for (; told < list.length; told++) {
      const p = list[told] as LearningPhase;
      if (options.onPhase) options.onPhase(p);
      else phases.push(p);
    }
    // A long capture must not keep every phase (a renewal per lease): the timeline's list is
    // only a buffer here.
    if (options.onPhase && told > 1024) {
      list.splice(0, told);
      told = 0;
    }
  };
  tell();
  let now = 0;
  let frames = 0;
  let stoppedAtLimit = false;
  for (;;) {
    let next: Stream | null = null;
    for (const s of streams) {
      const h = s.head;
      if (!h) continue;
      const n = next?.head;
      if (!n || h.sec < n.sec || (h.sec === n.sec && h.nsec < n.nsec)) next = s;
    }
    const rec = next?.head;
    if (!next || !rec) break;
    if (frames >= maxFrames) {
      stoppedAtLimit = true;
      diagnostics.push({
        source: next.side,
        record: rec.index,
        code: 'FRAME_LIMIT',
        message: `the captures hold more than ${maxFrames} frames, the limit '${LIMIT_NAMES.frames}': the run stops here`,
      });
      break;
    }
    const frame = decodeFrame(rec.data);
    if (!frame) {
      diagnostics.push({
        source: next.side,
        record: rec.index,
        code: 'FRAME_UNDECODABLE',
        message: `record ${rec.index}: ${rec.data.length} bytes is not an Ethernet frame`,
      });
    } else {
      now = Math.max(now, rec.sec + rec.nsec / 1e9);
      learning?.before(frames, now);
      tell();
      const trace = host.step(frame, next.side, now, { detail });
      learning?.after(frame, next.side, trace, frames, now);
      frames++;
      if (!detail) trace.summary = summarizeFrame(frame);
      emit({
        trace,
        source: next.side,
        record: rec.index,
        time: microText(rec.sec, rec.nsec),
      });
    }
    next.advance();
    tell();
  }
  return {
    steps,
    diagnostics,
    table: host.table(now),
    expectations: host.expectations(now),
    counters: host.counters(),
    frames,
    stoppedAtLimit,
    ...(learning ? { phases } : {}),
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
    ...(trace.site ? { site: trace.site } : {}),
    ...(trace.reply ? { reply: trace.reply.summary } : {}),
  });
  return `{"i":${trace.i},"t":${t},${rest.slice(1)}`;
}
