import type {
  CompareResult,
  SimFilterSet,
  SimResult,
  SimSettings,
  SimSource,
} from './run-simulation';

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

/** Replies from the simulator worker. */
export type SimReply =
  | { kind: 'run'; id: number; result: SimResult; ms: number }
  | { kind: 'compare'; id: number; result: CompareResult; ms: number }
  | { kind: 'error'; id: number; message: string };
