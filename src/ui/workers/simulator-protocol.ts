import type { AnalysisAnswer, AnalysisAsk } from '../../core/analysis';
import type {
  CompareResult,
  SimFilterSet,
  SimResult,
  SimSettings,
  SimSource,
} from '../../core/sim';
import type { ParityView } from '../../core/parity';
import type { CustomPacket } from '../../core/sim';
import type { SentFilterSet } from './workspace-transfer';

/** Messages to the simulator worker. `id` pairs a reply with its request. */
export type SimRequest =
  | { kind: 'run'; id: number; set: SimFilterSet; settings: SimSettings; source: SimSource }
  | {
      kind: 'compare';
      id: number;
      before: SimFilterSet;
      after: SimFilterSet;
      settings: SimSettings;
    }
  | {
      kind: 'analyse';
      id: number;
      ask: AnalysisAsk;
      /** The current version. */
      set: SimFilterSet;
      /** The version a diff compares with (null for the other questions). */
      before: SimFilterSet | null;
      settings: SimSettings;
    }
  | {
      kind: 'parity';
      id: number;
      set: SimFilterSet;
      settings: SimSettings;
      customPackets: CustomPacket[];
    };

/** A request as it travels: filter sets by difference (see workspace-transfer.ts). */
export type SimWireRequest =
  | { kind: 'run'; id: number; set: SentFilterSet; settings: SimSettings; source: SimSource }
  | {
      kind: 'compare';
      id: number;
      before: SentFilterSet;
      after: SentFilterSet;
      settings: SimSettings;
    }
  | {
      kind: 'analyse';
      id: number;
      ask: AnalysisAsk;
      set: SentFilterSet;
      before: SentFilterSet | null;
      settings: SimSettings;
    }
  | {
      kind: 'parity';
      id: number;
      set: SentFilterSet;
      settings: SimSettings;
      customPackets: CustomPacket[];
    };

/** Replies from the simulator worker. */
export type SimReply =
  | { kind: 'run'; id: number; result: SimResult; ms: number }
  | { kind: 'compare'; id: number; result: CompareResult; ms: number }
  | { kind: 'analyse'; id: number; answer: AnalysisAnswer; ms: number }
  | { kind: 'parity'; id: number; result: ParityView; ms: number }
  | { kind: 'error'; id: number; message: string };
