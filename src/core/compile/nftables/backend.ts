/** libvirt's proposed nftables backend (`nwfilter_nftables_driver.c`, series v5/v6, not yet in a release). */
import type { Backend, BackendSim, ExportFormat, PrintOptions } from '../backend';
import { tableKey } from '../ir';
import { compileNftables } from './compile-nftables';
import type { NftMatch, NftRuleset } from './ir';
import { NFT_BACKEND_LABEL, NFT_TABLES } from './ir';
import { printNftArgs } from './print-nft-args';
import { printNftScript } from './print-nft-script';

const FORMATS: readonly ExportFormat[] = [
  { id: 'args', title: 'libvirt commands (nft)', fileSuffix: '.nft.args' },
  { id: 'script', title: 'nft script', fileSuffix: '.nft' },
];

/** Why the simulator does not execute this backend yet (simulate, lint and the Simulator say so). */
export const NFT_SIM_UNSUPPORTED =
  "the simulator does not execute the nftables backend yet (bridge-family conntrack, ct count and the verdict maps are not modelled); export it with 'compile --backend nftables'";

/**
 * The simulator's view: where the base chains hook in (both tables on the bridge's prerouting and
 * postrouting, ethernet before inet by priority) and how traces name targets. Matches are not
 * interpreted yet: every one reports {@link NFT_SIM_UNSUPPORTED}, and the callers refuse the
 * backend before walking (see `Backend.simUnsupported`).
 */
const nftablesSim: BackendSim<NftMatch> = {
  hooks() {
    return (['bridge-prerouting', 'bridge-postrouting'] as const).flatMap((point) =>
      [NFT_TABLES.ethernet, NFT_TABLES.inet].map((table) => {
        const chain = point === 'bridge-prerouting' ? 'prerouting' : 'postrouting';
        return {
          point,
          table: tableKey({ family: 'bridge', name: table }),
          chain,
          label: `bridge ${table} ${chain}`,
        };
      }),
    );
  },
  tableTraits(table) {
    return { layer: table.name === NFT_TABLES.ethernet ? 'l2' : 'l3', rejectIsDrop: true };
  },
  prepareMatch: () => ({ ok: false, unsupported: NFT_SIM_UNSUPPORTED }),
  dispatchKey: () => null,
  hasSideEffects: (m) => m.selector === 'ct count',
  conntrackUsers(ruleset) {
    const uses = ruleset.tables.some((t) =>
      t.chains.some((c) =>
        c.rules.some((r) => r.matches.some((m) => m.selector.startsWith('ct '))),
      ),
    );
    return { ipv4: uses, ipv6: uses };
  },
  targetText(r) {
    return r.target.kind === 'verdict'
      ? r.target.verdict.toLowerCase()
      : `${r.target.kind} ${r.target.chain}`;
  },
};

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
  simUnsupported: NFT_SIM_UNSUPPORTED,
};
