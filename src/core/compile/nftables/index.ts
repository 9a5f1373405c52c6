export * from './ir';
export {
  NFT_COMMENT_MAX_BYTES,
  NFT_IDENTIFIER,
  NFT_COMPILE_CODES,
  compileNftables,
  nftTableOf,
} from './compile-nftables';
export type { NftCompileResult } from './compile-nftables';
export {
  formatNftCommand,
  nftRuleArgs,
  nftTableSetupCommands,
  printNftArgs,
  printNftArgsText,
} from './print-nft-args';
export type { NftPrintedLines } from './print-nft-args';
export { printNftScript, printNftScriptText, quoteNftString } from './print-nft-script';
export { nftablesBackend } from './backend';
export { nftablesSim, prepareNftMatch, usesConntrack } from './sim';
export { nftBareMapLookup, nftHandles, nftScriptChains, nftScriptSets } from './nft-handles';
export { nftRenameCommands, nftTeardownCommands } from './nft-teardown';
export type { NftArgv } from './nft-teardown';
export type { NftHandles } from './nft-handles';
