/** Parity between libvirt's ebiptables driver and its proposed nftables driver. */
export { compareBackends } from './compare-backends';
export type { BackendComparison, BackendSide, LearningComparison } from './compare-backends';
export { compareRuleTranslations, PARITY_PATHS } from './compare-rules';
export type { ParityBackend, ParityPath, RuleChange, RuleParity } from './compare-rules';
export type { Atom } from './atoms';
export { compareBackendsForSim } from './parity-view';
export type { ParitySideView, ParityView } from './parity-view';
export { compareBehaviour, hostCannotInstall, scenarioRuns } from './compare-behaviour';
export { compareRegions } from './compare-regions';
export type { RegionComparison } from './compare-regions';
export type {
  BehaviourComparison,
  BehaviourLearning,
  BehaviourRun,
  PacketFate,
  PacketParity,
} from './compare-behaviour';
