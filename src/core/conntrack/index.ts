/** Connection tracking: table, trackers, FTP helper, connlimit, state matches. */
export { Conntrack, ctStateOf, selectCtHelper, quotedTuple, viewConn } from './conntrack';
export type {
  ConntrackOptions,
  PacketInOptions,
  ConfirmResult,
  ConnView,
  TupleView,
  ExpectationView,
} from './conntrack';
export { DEFAULT_SYSCTL, resolveSysctl, isSysctlName } from './sysctl';
export type { ConntrackSysctl, SysctlName } from './sysctl';
export {
  matchState,
  matchConntrack,
  parseCtStateMask,
  ctStateBit,
  CT_STATE_INVALID,
  CT_STATE_ESTABLISHED,
  CT_STATE_RELATED,
  CT_STATE_NEW,
  CT_STATE_UNTRACKED,
} from './ct-match';
export type { ConntrackMatchSpec } from './ct-match';
export type { ConnlimitOptions } from './connlimit';
export { TCP_STATE_NAMES, tcpStateName } from './tcp-tracker';
export { formatTuple, packetTuple, invertTuple, tupleEqual } from './tuple';
export type { Tuple, CtDir } from './tuple';
export * from './types';
