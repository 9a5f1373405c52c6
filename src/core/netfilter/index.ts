/** Packet model: frames, builders, wire codec, summaries. */
export * from '../packet/packet';
export * from '../packet/addr';
export { encodeFrame, encodeL3, encodeL4 } from '../packet/packet-encode';
export type { EncodeOptions } from '../packet/packet-encode';
export { decodeFrame, decodeL3, decodeIpv4, decodeIpv6, decodeL4 } from '../packet/packet-decode';
export * from '../packet/packet-build';
export { summarizeFrame, summarizeIp, formatTcpFlags } from '../packet/packet-summary';
export { BridgeHost } from './bridge-host';
export type {
  HostSettings,
  PacketTrace,
  HookTrace,
  RuleVisit,
  RuleRef,
  RuleSite,
  RuleCounter,
  Side,
  Verdict,
  StepOptions,
  HookName,
} from './bridge-host';
export { prepareRuleset, resetCounters } from './prepare-ruleset';
export type { PreparedRuleset, PreparedRule } from './prepare-ruleset';
export { prepareMatch, upperProtocol } from './match-eval';
export type { IpsetSpec, MatchContext, Predicate } from './match-eval';
