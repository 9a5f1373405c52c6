/** libvirt's proposed nftables backend (`nwfilter_nftables_driver.c`, series v5/v6, not yet in a release). */
import type { Backend, ExportFormat, PrintOptions } from '../backend';
import { compileNftables } from './compile-nftables';
import type { NftMatch, NftRuleset } from './ir';
import { NFT_BACKEND_LABEL } from './ir';
import { printNftArgs } from './print-nft-args';
import { printNftScript } from './print-nft-script';
import { nftablesAnalysis } from './regions';
import { nftablesSim } from './sim';
import { nftLearningRuleset, printNftLearningArgs } from '../../learning/learning-rules-nft';

const FORMATS: readonly ExportFormat[] = [
  { id: 'args', title: 'libvirt commands (nft)', fileSuffix: '.nft.args' },
  { id: 'script', title: 'nft script', fileSuffix: '.nft', handles: true },
];

/** The nftables backend, as registered in `backends.ts`. */
export const nftablesBackend: Backend<NftMatch, NftRuleset> & { readonly id: 'nftables' } = {
  id: 'nftables',
  label: `nftables — ${NFT_BACKEND_LABEL}`,
  compile: compileNftables,
  formats: FORMATS,
  print(ruleset: NftRuleset, format: string, options: PrintOptions = {}) {
    switch (format) {
      case 'args':
        return printNftArgs(ruleset);
      case 'script':
        return printNftScript(ruleset, options);
      default:
        throw new Error(`nftables: no export format '${format}'`);
    }
  },
  sim: nftablesSim,
  analysis: nftablesAnalysis,
  learning: {
    rules: nftLearningRuleset,
    // The args form of a fresh binding: the host's tables are created, the port has nothing.
    printArgs: (rs) => printNftLearningArgs(rs),
    describeBasic: (mac) =>
      `from the VM everything but frames with another source MAC than ${mac} (IPv6 too), everything to the VM passes, no inet-table rules`,
  },
};
