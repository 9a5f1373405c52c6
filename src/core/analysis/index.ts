/** Exact answers over all packets: the compiled rules walked over regions of the header space. */
export { analyseRuleset, pathSpace, ANALYSIS_PATHS } from './analyse-ruleset';
export type { AnalysisHook, AnalysisPath, Outcome, RulesetAnalysis } from './analyse-ruleset';
export { allowedTraffic, firstPacketCube } from './allowed';
export type { AllowedIpRow, AllowedL2Row, AllowedPathReport, AllowedReport } from './allowed';
export { cubeText, describeCube, describeDim, mergeCubes } from './describe-region';
export {
  describeWitness,
  frameClass,
  frameOfPoint,
  outcomeAt,
  pointOfFrame,
  witnessPoint,
} from './packet-point';
export type { PointConntrack, WitnessText } from './packet-point';
export { reachQuery, reachQueryCube } from './query';
export type { ReachQuery } from './query';
export { DIM, DIM_NAMES, DIM_COUNT, cubeContains } from './space';
export type { Cube, DimName, Point, Region } from './space';
export { diffAnalyses, queryReach } from './diff';
export type { DiffRegion, DiffSide, ReachAnswer } from './diff';
export {
  ALLOWED_IP_COLUMNS,
  ALLOWED_L2_COLUMNS,
  ANALYSIS_PATH_TITLES,
  allowedIpCells,
  allowedL2Cells,
  diffView,
  reachView,
  witnessReplay,
} from './analysis-view';
export type {
  DiffRegionView,
  ReachPartView,
  ReachView,
  RegionView,
  WitnessFrame,
} from './analysis-view';
export { answerAnalysis } from './answer-analysis';
export type { AnalysisAnswer, AnalysisAsk, AnalysisSubject } from './answer-analysis';
export { coverOfMatches, coveringRegions, matchesRegion } from './rule-cover';
