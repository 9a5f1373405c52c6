/** The public API of the pure core, used by store, ui and cli. Engineers append export lines here. */
export * from './model/types';
export * from './model/attributes';
export { canonicalizeAttrValue } from './model/canonicalize-attr-value';
export type { CanonicalValue, ValueErrorKind } from './model/canonicalize-attr-value';
export { applyLibvirtFixups } from './model/apply-libvirt-fixups';
export type { FixupNote } from './model/apply-libvirt-fixups';
export { parseFilterXml, MAX_INPUT_LENGTH } from './xml/parse-filter-xml';
export { serializeFilterXml } from './xml/serialize-filter-xml';
export { validateFilterDoc } from './validate/validate-filter-doc';
export type { DocPath, DocLocator } from './validate/validate-filter-doc';
export { DIAGNOSTIC_CODES, getDiagnosticCodeInfo } from './validate/diagnostic-codes';
export type { DiagnosticCodeInfo, DiagnosticCodeKey } from './validate/diagnostic-codes';
export {
  instantiateFilter,
  createWorkspaceLookup,
  chainPriorityOf,
  INSTANTIATE_CODES,
} from './instantiate';
export type {
  FilterLookup,
  InstantiateOptions,
  InstantiateResult,
  Provenance,
  RuleInstance,
  Workspace,
} from './instantiate';
export {
  BACKENDS,
  BACKEND_IDS,
  DEFAULT_BACKEND,
  backendOf,
  getBackend,
  isBackendId,
  printedText,
  tableKey,
  compileFilter,
  compileEbiptables,
  COMPILE_CODES,
  printArgs,
  printArgsText,
  printScript,
  printScriptText,
  formatDryRunCommand,
  matchArgs,
  targetArgs,
  appendArgs,
  commandPrefix,
  chainNames,
  findChain,
  layerOf,
} from './compile';
export type {
  Ruleset,
  IrTable,
  IrChain,
  IrRule,
  ChainKind,
  TableFamily,
  Match,
  Target,
  NumRange,
  CtState,
  PrintedLines,
  CompileResult,
  CompileFilterResult,
  AnyIrRule,
  AnyRuleset,
  Backend,
  BackendId,
  BackendSim,
  DispatchKey,
  ExportFormat,
  HookEntry,
  HookPoint,
  IrChainOf,
  IrRuleOf,
  IrTableOf,
  PrintOptions,
  PrintedLinesOf,
  RulesetOf,
  TableTraits,
} from './compile';
export {
  BUILTIN_FILTERS,
  BUILTIN_FILTERS_9_0,
  BUILTIN_FILTER_NAMES,
  builtinFilterLookup,
  getBuiltinFilter,
  isBuiltinFilterName,
  DEFAULT_LIBVIRT_VERSION,
  LIBVIRT_VERSIONS,
  parseLibvirtVersion,
} from './library';
export type {
  BuiltinFilter,
  BuiltinFilterSource,
  LibvirtVersion,
  LibvirtVersionInfo,
} from './library';
export * as packet from './packet';
export * as netfilter from './netfilter';
export * as conntrack from './conntrack';
export * as sim from './sim';
export * as learning from './learning';
export * as analysis from './analysis';
export * as parity from './parity';
export { compareBackends, compareRuleTranslations, PARITY_PATHS } from './parity';
export type { BackendComparison, ParityPath, RuleChange, RuleParity } from './parity';
export { Conntrack, selectCtHelper } from './conntrack';
export type { CtPacket, CtStateName, ConnView, ExpectationView } from './conntrack';
export { decodeFrame, encodeFrame, summarizeFrame } from './packet';
export type { EthernetFrame } from './packet';
export { readPcap, writePcap, TcpFlow } from './sim';
export { BridgeHost } from './netfilter';
export type { HostSettings, PacketTrace, RuleRef, Side, Verdict } from './netfilter';
export { SCENARIOS, getScenario, runScenario } from './sim';
export type { Scenario, ScenarioRun, ScenarioStep } from './sim';
export {
  lintFilter,
  lintWorkspace,
  LINT_CODES,
  getLintCodeInfo,
  findUnreachableRules,
} from './lint';
export type {
  LintFinding,
  LintOptions,
  LintRef,
  LintResult,
  LintWorkspaceOptions,
  LintCodeInfo,
  UnreachableRule,
} from './lint';
export { runCaptures, traceJsonLine } from './sim';
export type { CaptureRun } from './sim';
export {
  applyChange,
  evaluationOrder,
  RULE_PRIORITY_MIN,
  RULE_PRIORITY_MAX,
} from './model/apply-change';
export type { DocChange } from './model/apply-change';
export { EXAMPLES, DEFAULT_EXAMPLE } from './examples';
export type { FilterExample } from './examples';
export * as host from './host';
export {
  parseHostProfile,
  serializeHostProfile,
  applyHostOverrides,
  simSettingsOf,
  DEFAULT_HOST_PROFILE,
  HOST_SYSCTLS,
} from './host';
export type { HostProfile, HostEvent, IpsetSpec, HostSysctlInfo } from './host';
export {
  BINDING_CODES,
  findBindingFailures,
  findInstanceBindingFailures,
  findRuleBindingProblems,
  parseBindingXml,
} from './binding';
export type {
  BindingFailure,
  BindingFailureRef,
  FilterBinding,
  RuleBindingProblem,
} from './binding';
export {
  compareInterfaceRules,
  diffRules,
  parseSaveDump,
  ruleOriginsOf,
  SAVE_FAMILIES,
} from './drift';
export type {
  BindingDrift,
  DefinePreview,
  DriftLine,
  DriftReport,
  HostFilterJson,
  HostInfo,
  PreviewLine,
  RuleOrigins,
  SaveDumps,
  SaveFamily,
  SaveTable,
} from './drift';
