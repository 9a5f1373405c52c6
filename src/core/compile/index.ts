/** The compile layer: the Backend seam, its registry, and the backends. */
export * from './ebiptables';
export type { AnyIrRule, AnyRuleset, IrChainOf, IrRuleOf, IrTableOf, RulesetOf } from './ir';
export { tableKey } from './ir';
export type {
  Backend,
  BackendSim,
  DispatchKey,
  ExportFormat,
  HookEntry,
  HookPoint,
  PrintOptions,
  PrintedLinesOf,
  TableTraits,
} from './backend';
export { printedText } from './backend';
export {
  BACKENDS,
  BACKEND_IDS,
  DEFAULT_BACKEND,
  backendOf,
  getBackend,
  isBackendId,
} from './backends';
export type { BackendId } from './backends';
export {
  NFT_BACKEND_LABEL,
  NFT_COMPILE_CODES,
  nftablesBackend,
  nftBareMapLookup,
  nftHandles,
  nftRenameCommands,
  nftTeardownCommands,
} from './nftables';
export type { NftArgv, NftHandles, NftMatch, NftRule, NftRuleset } from './nftables';
export { compileFilter } from './compile-filter';
export type { CompileFilterResult } from './compile-filter';
export { compileNftables } from './nftables/compile-nftables';
export { printNftScript } from './nftables/print-nft-script';
export { printNftScriptText } from './nftables/index';
