import type {
  CompareResult,
  SimFilterSet,
  SimResult,
  SimSettings,
  SimSource,
} from '../../core/sim';
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
    };

/** Replies from the simulator worker. */
export type SimReply =
  | { kind: 'run'; id: number; result: SimResult; ms: number }
  | { kind: 'compare'; id: number; result: CompareResult; ms: number }
  | { kind: 'error'; id: number; message: string };
