/** Drift: the rules a host holds for an interface against what the studio compiles for it. */
export { parseSaveDump, SAVE_FAMILIES } from './save-dump';
export type { SaveDumps, SaveFamily, SaveTable } from './save-dump';
export { compareInterfaceRules, diffRules, ruleOriginsOf } from './compare-interface-rules';
export type { DriftLine, DriftReport, RuleOrigins } from './compare-interface-rules';
export type {
  BindingDrift,
  DefinePreview,
  HostFilterJson,
  HostInfo,
  PreviewLine,
} from './host-api';
