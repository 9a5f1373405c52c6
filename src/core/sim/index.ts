/** Simulation: scenarios, captures (pcap, pcapng) and their replay, the Simulator panel's run. */
export { readPcap, writePcap, recordTime, splitTime, LINKTYPE_ETHERNET } from './pcap';
export type {
  PcapRecord,
  PcapFile,
  PcapDiagnostic,
  PcapReadResult,
  PcapWriteOptions,
} from './pcap';
export { TcpFlow } from './tcp-flow';
export type { TcpEndpoint, TcpFlowSide } from './tcp-flow';
export { SCENARIOS, getScenario, DEFAULT_HOSTS } from './scenarios';
export type {
  Scenario,
  ScenarioFrame,
  ScenarioHosts,
  ScenarioSettings,
  Endpoint,
} from './scenarios';
export { runScenario, scenarioSettings } from './run-scenario';
export type { ScenarioRun, ScenarioStep, ScenarioRunOptions, CounterView } from './run-scenario';
export { runCaptures, traceJsonLine } from './run-captures';
export type { CaptureInput, ReplayOptions } from './run-captures';
export { bytesSource, CaptureReader, MAX_RECORD_BYTES } from './capture-reader';
export type { ByteSource, CaptureRecord, CaptureReadDiagnostic } from './capture-reader';
export type { CaptureRun, CaptureStep, CaptureDiagnostic } from './run-captures';
export {
  runSimulation,
  compareVersions,
  compileFor,
  buildCustomFrames,
  hostsFor,
  hostProfileOf,
  withHostProfile,
} from './run-simulation';
export type {
  BindingFailureView,
  SimSettings,
  CustomPacket,
  SimSource,
  SimFilterSet,
  SimStep,
  SimResult,
  CompareRow,
  CompareResult,
} from './run-simulation';
export {
  LearningTimeline,
  learningRunOf,
  phaseText,
  describeLearningRules,
} from './learning-timeline';
export type { LearningPhase, LearningRun } from './learning-timeline';
