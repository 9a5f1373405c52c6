/**
 * The rules libvirt's proposed nftables driver installs while it learns a VM's IP address —
 * `nftablesApplyBasicRules`, `nftablesApplyDHCPOnlyRules`, `nftablesDropAllRules` in
 * `nwfilter_nftables_driver.c` at the commit docs/nftables.md names, whose commands the series'
 * `tests/nwfilternftablestest.c` lists — as nftables Ruleset IR, so that the printers print them
 * and the simulator executes them like any other rule set. See README.md ("nftables").
 */
import { NFT_TABLES, nftChainNames, nftRootChainSpec } from '../compile/nftables/ir';
import type {
  NftChain,
  NftMatch,
  NftRule,
  NftRuleset,
  NftTable,
  NftTarget,
} from '../compile/nftables/ir';
import { formatNftCommand, nftTableSetupCommands } from '../compile/nftables/print-nft-args';
import { nftTeardownCommands } from '../compile/nftables/nft-teardown';
import type { NftArgv } from '../compile/nftables/nft-teardown';
import type { LearningRulesKind } from './learning-rules';
import { canonicalMac } from './learning-rules';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** `ether saddr != MAC`: the argument vector as the driver passes it. */
function test(selector: string, value: string, negated = false): NftMatch {
  return {
    selector,
    mask: null,
    negated,
    value,
    args: [...selector.split(' '), ...(negated ? ['!='] : []), value],
  };
}

/** A rule of the driver's own (no XML rule behind it). */
function driverRule(
  matches: NftMatch[],
  target: NftTarget,
  viaMap: NftRule['viaMap'],
  seq: number,
): NftRule {
  return { matches, target, viaMap, comment: null, provenance: null, changes: [], seq };
}

const ACCEPT: NftTarget = { kind: 'verdict', verdict: 'ACCEPT' };
const DROP: NftTarget = { kind: 'verdict', verdict: 'DROP' };

/**
 * The learning rule set `kind` for the port `iface` and the VM's `mac` under the nftables driver.
 * Both tables get the port's root chains (`vnet0-in`, `vnet0-out`: nftablesCreateRootChain makes
 * each in both); only the ethernet table's hold rules, so the inet table lets everything pass.
 * `basic` and `dhcp-only` are entered through both tables' verdict maps; `drop-all` through rules
 * on the ethernet table's base chains matching the port by name (`oifname vnet0 jump vnet0-in`,
 * for a port that may be gone), the map elements having been deleted by the teardown before it.
 */
export function nftLearningRuleset(
  kind: LearningRulesKind,
  iface: string,
  mac: string,
  dhcpServers: readonly string[] = [],
): NftRuleset {
  const vm = canonicalMac(mac);
  let seq = 0;
  const viaMaps = kind !== 'drop-all';
  const base = (hook: 'prerouting' | 'postrouting', priority: number): NftChain => ({
    name: hook,
    tempName: hook,
    kind: 'base',
    hook,
    priority,
    dir: hook === 'postrouting' ? 'in' : 'out',
    suffix: null,
    chainPriority: null,
    seq: -1,
    rules: [],
  });
  const tables: NftTable[] = [NFT_TABLES.ethernet, NFT_TABLES.inet].map((name, priority) => ({
    family: 'bridge',
    name,
    hasSameIpSet: name === NFT_TABLES.ethernet,
    maps: [
      {
        name: 'vmap-oif',
        elements: viaMaps ? [{ iface, chain: nftChainNames.root('in', iface, false) }] : [],
      },
      {
        name: 'vmap-iif',
        elements: viaMaps ? [{ iface, chain: nftChainNames.root('out', iface, false) }] : [],
      },
    ],
    chains: [base('postrouting', priority), base('prerouting', priority)],
  }));
  const [eth, inet] = tables as [NftTable, NftTable];
  const root = (t: NftTable, dir: 'in' | 'out'): NftChain => {
    // The learning chains are created under their final names (no rename).
    const c: NftChain = { ...nftRootChainSpec(dir, iface, false), seq: seq++, rules: [] };
    t.chains.push(c);
    return c;
  };
  const ethIn = root(eth, 'in');
  root(inet, 'in');
  const ethOut = root(eth, 'out');
  root(inet, 'out');
  const add = (c: NftChain, matches: NftMatch[], target: NftTarget) =>
    c.rules.push(driverRule(matches, target, null, seq++));
  const udp = (sport: number, dport: number) => [
    test('udp sport', String(sport)),
    test('udp dport', String(dport)),
  ];
  if (kind === 'basic') {
    // Unlike ebiptables' (whose last rule drops), the last rule accepts: from the VM only a
    // forged source MAC is dropped while it learns.
    add(ethOut, [test('ether saddr', vm, true)], DROP);
    add(ethOut, [test('ether type', 'ip')], ACCEPT);
    add(ethOut, [test('ether type', 'arp')], ACCEPT);
    add(ethOut, [], ACCEPT);
  } else if (kind === 'dhcp-only') {
    add(ethOut, [test('ether saddr', vm), test('ether type', 'ip'), ...udp(68, 67)], ACCEPT);
    add(ethOut, [], DROP);
    for (const server of dhcpServers.length > 0 ? dhcpServers : [null])
      for (const dst of [vm, BROADCAST])
        add(
          ethIn,
          [
            test('ether daddr', dst),
            test('ether type', 'ip'),
            ...(server !== null ? [test('ip saddr', server)] : []),
            ...udp(67, 68),
          ],
          ACCEPT,
        );
    add(ethIn, [], DROP);
  } else {
    add(ethOut, [], DROP);
    add(ethIn, [], DROP);
  }
  for (const t of tables) {
    for (const c of t.chains) {
      if (c.kind !== 'base') continue;
      const dir = c.dir as 'in' | 'out';
      const target: NftTarget = { kind: 'jump', chain: nftChainNames.root(dir, iface, false) };
      if (viaMaps) {
        // The table's map lookup (`oif vmap @vmap-oif`), as one IR rule per element.
        const sel = dir === 'in' ? 'oif' : 'iif';
        const map = dir === 'in' ? 'vmap-oif' : 'vmap-iif';
        const lookup = { ...test(sel, iface), args: [sel, 'vmap', `@${map}`] };
        c.rules.push(driverRule([lookup], target, map, dir === 'in' ? -2 : -1));
      } else if (t === eth) {
        const sel = dir === 'in' ? 'oifname' : 'iifname';
        c.rules.push(driverRule([test(sel, iface)], target, null, seq++));
      }
    }
  }
  return { backend: 'nftables', iface, tables };
}

/** What the host has when libvirt installs a learning rule set (what its `nft list` calls read). */
export interface NftLearningHost {
  /** Whether the two tables exist (`nft list tables` shows them); default false: a fresh host. */
  tablesExist?: boolean;
  /** Per table, its `nft -a list table bridge NAME` output before the teardown (default: none of the port's). */
  listings?: Partial<Record<string, string>>;
}

/**
 * The commands the driver runs to put a learning rule set in force, as argument vectors (no
 * leading `nft`): `nft list tables` and, on a host without them, the tables' set-up
 * (nftablesEnsureRootTablesExist); the teardown of what the port had (nftablesAllTeardown: both
 * tables listed, then what the listings name removed); the root chains in both tables; the rules;
 * then the map elements replaced (inet, then ethernet; `oif`, then `iif`) or, for drop-all, the
 * jumps by interface name.
 */
export function nftLearningCommands(rs: NftRuleset, host: NftLearningHost = {}): NftArgv[] {
  const out: NftArgv[] = [['list', 'tables']];
  if (!host.tablesExist) for (const t of rs.tables) out.push(...nftTableSetupCommands(t));
  for (const t of rs.tables) out.push(['-a', 'list', 'table', 'bridge', t.name]);
  for (const t of rs.tables) {
    const listing = host.listings?.[t.name];
    if (listing !== undefined) out.push(...nftTeardownCommands(listing, rs.iface));
  }
  type Item = { seq: number; argv: NftArgv };
  const items: Item[] = [];
  for (const t of rs.tables) {
    for (const c of t.chains) {
      if (c.kind !== 'base')
        items.push({ seq: c.seq, argv: ['add', 'chain', 'bridge', t.name, c.name, '{ }'] });
      for (const r of c.rules) {
        if (r.viaMap !== null) continue;
        const target =
          r.target.kind === 'jump' ? ['jump', r.target.chain] : [r.target.verdict.toLowerCase()];
        items.push({
          seq: r.seq,
          argv: [
            'add',
            'rule',
            'bridge',
            t.name,
            c.name,
            ...r.matches.flatMap((m) => m.args),
            ...target,
          ],
        });
      }
    }
  }
  items.sort((a, b) => a.seq - b.seq);
  out.push(...items.map((i) => i.argv));
  const mapped = rs.tables.some((t) => t.maps.some((m) => m.elements.length > 0));
  if (mapped) {
    for (const [sel, dir] of [
      ['oif', 'in'],
      ['iif', 'out'],
    ] as const) {
      for (const t of [NFT_TABLES.inet, NFT_TABLES.ethernet]) {
        const chain = nftChainNames.root(dir, rs.iface, false);
        out.push(['delete', 'element', 'bridge', t, `vmap-${sel}`, '{', rs.iface, '}']);
        out.push([
          'add',
          'element',
          'bridge',
          t,
          `vmap-${sel}`,
          '{',
          rs.iface,
          ':',
          'jump',
          chain,
          '}',
        ]);
      }
    }
  }
  return out;
}

/**
 * {@link nftLearningCommands} in libvirt's dry-run form (one argument per line, as
 * `compile --backend nftables --format args` prints every command sequence).
 */
export function printNftLearningArgs(rs: NftRuleset, host: NftLearningHost = {}): string[] {
  return nftLearningCommands(rs, host).flatMap((argv) => formatNftCommand(['nft', ...argv]));
}
