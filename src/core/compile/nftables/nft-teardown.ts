/**
 * What the proposed nftables driver removes and renames for a port, read from the tables as they
 * are (`nft -a list table bridge …`): its teardown (`nftablesRemoveAllInterfaceChains` with the
 * `nftablesHandleRemoveAll` callback — AllTeardown, the start of every learning rule set, and
 * TearOldRules) and its renames (`nftablesHandleRenameChains`, the end of TearOldRules), in
 * `nwfilter_nftables_driver.c` at the commit docs/nftables.md names. libvirt's dry-run output
 * cannot show these commands without a listing: they depend on what the host has.
 *
 * @packageDocumentation
 */

/** One nft command as an argument vector (without the leading `nft`). */
export type NftArgv = string[];

/** The table a listing is of: the word after its first `table bridge`. */
function tableOf(lines: readonly string[]): string | null {
  for (const l of lines) {
    const m = /^table bridge (\S+)/.exec(l);
    if (m) return m[1] as string;
  }
  return null;
}

/**
 * The commands the driver's teardown of `prefix` (the port, `vnet0`; `n-vnet0` for the chains of
 * a rebuild that failed) derives from one table's `nft -a list table` output, in the listing's
 * order: every rule jumping by the port's name to its chains (`oif "vnet0" jump vnet0-in`, the
 * temporary jumps and drop-all's) deleted by handle, every map element jumping to a chain named
 * `prefix-…` deleted, every chain named `prefix-…` deleted.
 */
export function nftTeardownCommands(listing: string, prefix: string): NftArgv[] {
  const lines = listing.split('\n');
  const table = tableOf(lines);
  if (table === null) return [];
  const out: NftArgv[] = [];
  const iface = prefix;
  const jumpTo = [`"${iface}" jump ${iface}-`, `"${iface}" jump n-${iface}-`];
  let chain: string | null = null;
  let map: string | null = null;
  let inElements = false;
  let seenTable = false;
  for (const raw of lines) {
    const line = raw.trimStart();
    if (!seenTable && line.startsWith('table bridge ')) {
      seenTable = true;
      continue;
    }
    if (jumpTo.some((j) => line.includes(j))) {
      const handle = /# handle (\d+)/.exec(line);
      if (handle && chain !== null)
        out.push(['delete', 'rule', 'bridge', table, chain, 'handle', handle[1] as string]);
      continue;
    }
    const m = /^map (\S+)/.exec(line);
    if (m) {
      map = m[1] as string;
      continue;
    }
    if (line.startsWith('elements = {')) inElements = true;
    if (inElements) {
      if (line.includes('}')) inElements = false;
      const body = line.replace(/^elements = \{/, '');
      for (const el of body.matchAll(/(\S+)\s*:\s*jump\s+([^\s,}]+)/g)) {
        if ((el[2] as string).startsWith(`${iface}-`) && map !== null)
          out.push(['delete', 'element', 'bridge', table, map, '{', el[1] as string, '}']);
      }
      continue;
    }
    const c = /^chain (\S+)/.exec(line);
    if (!c) continue;
    chain = c[1] as string;
    if (chain.startsWith(`${iface}-`)) out.push(['delete', 'chain', 'bridge', table, chain]);
  }
  return out;
}

/** The renames that end TearOldRules: every `n-vnet0-…` chain of the listed table to `vnet0-…`. */
export function nftRenameCommands(listing: string, iface: string): NftArgv[] {
  const lines = listing.split('\n');
  const table = tableOf(lines);
  if (table === null) return [];
  const out: NftArgv[] = [];
  for (const raw of lines) {
    const c = /^chain (\S+)/.exec(raw.trimStart());
    if (c && (c[1] as string).startsWith(`n-${iface}-`))
      out.push(['rename', 'chain', 'bridge', table, c[1] as string, (c[1] as string).slice(2)]);
  }
  return out;
}
