/** libvirt's IP address learning (CTRL_IP_LEARNING any / dhcp / none): rules, learners, plan. */
export { learningRuleset, printLearningArgs, canonicalMac } from './learning-rules';
export type { LearningRulesKind } from './learning-rules';
export {
  nftLearningCommands,
  nftLearningRuleset,
  printNftLearningArgs,
} from './learning-rules-nft';
export type { NftLearningHost } from './learning-rules-nft';
export { decideLearning, learningModeOf, DEFAULT_LEARNING_MODE } from './learning-plan';
export type { LearningDecision, LearningMode, LearningPlan } from './learning-plan';
export { anyLearnerHit, snoopDhcp, dhcpMessageName, DHCP_MSG } from './observe-frame';
export type { AnyLearnerHit, LearnedHow, SnoopEvent } from './observe-frame';
export { IpLearner } from './ip-learner';
export type { LearningEvent, PortView } from './ip-learner';
export { bindingParameters } from './binding-parameters';
export type { BindingParameter } from './binding-parameters';
export {
  SnoopRateLimiter,
  snoopCaptures,
  DHCP_PKT_RATE,
  DHCP_PKT_BURST,
  DHCP_BURST_INTERVAL_S,
  PCAP_FLOOD_TIMEOUT_S,
} from './snoop-rate-limit';
export type { RateVerdict } from './snoop-rate-limit';
