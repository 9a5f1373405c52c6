import type { Provenance } from '../../instantiate/types';
import { escapeShell } from '../values';
import type { NftChain, NftRule, NftRuleset, NftTable, NftTarget } from './ir';
import { NFT_TABLES, NFT_TABLE_COMMENT } from './ir';

/** Printed output with a line map (as the ebiptables printers return). */
export interface NftPrintedLines {
  lines: string[];
  rules: (NftRule | null)[];
  origins: (Provenance | null)[];
}

/** The argument vector of a rule's matches, verdict and comment (`nft add rule … <these>`). */
export function nftRuleArgs(rule: NftRule, chainName: (final: string) => string): string[] {
  // A map dispatch prints as the one lookup (`oif vmap @vmap-oif`), whatever the elements.
  if (rule.viaMap !== null) return rule.matches.flatMap((mt) => mt.args);
  const args = rule.matches.flatMap((mt) => mt.args);
  args.push(...targetArgs(rule.target, chainName));
  if (rule.comment !== null) args.push('comment', `"${rule.comment}"`);
  return args;
}

function targetArgs(t: NftTarget, chainName: (final: string) => string): string[] {
  return t.kind === 'jump' ? ['jump', chainName(t.chain)] : [t.verdict.toLowerCase()];
}

/** One command in libvirt's nft dry-run form: every argument on its own line. */
export function formatNftCommand(argv: readonly string[]): string[] {
  return argv.map((a, i) => (i < argv.length - 1 ? `${escapeShell(a)} \\` : escapeShell(a)));
}

class Out {
  readonly lines: string[] = [];
  readonly rules: (NftRule | null)[] = [];
  readonly origins: (Provenance | null)[] = [];
  cmd(argv: readonly string[], rule: NftRule | null = null): void {
    for (const l of formatNftCommand(['nft', ...argv])) {
      this.lines.push(l);
      this.rules.push(rule);
      this.origins.push(rule?.provenance ?? null);
    }
  }
}

function sameIpSetElements(): string[] {
  const args = ['{'];
  for (let i = 1; i <= 4; i++) {
    for (let j = 0; j < 256; j++) {
      const ip = [1, 2, 3, 4].map((k) => (k === i ? j : 0)).join('.');
      args.push(ip, '.', ip, ',');
    }
  }
  args.push('}');
  return args;
}

/**
 * The driver's table set-up (nftablesCreateTable: what it runs when `nft list tables` does not
 * show the table), as argument vectors: the table, its set, maps and base chains, and each base
 * chain's map lookup (`oif vmap @vmap-oif`).
 */
export function nftTableSetupCommands(t: NftTable): string[][] {
  const b = ['bridge', t.name];
  const out: string[][] = [['add', 'table', ...b, `{ comment "${NFT_TABLE_COMMENT}"; }`]];
  if (t.hasSameIpSet) {
    out.push(['add', 'set', ...b, 'same-ip-set', '{ type ipv4_addr . ipv4_addr; }']);
    out.push(['add', 'element', ...b, 'same-ip-set', ...sameIpSetElements()]);
  }
  for (const map of t.maps)
    out.push(['add', 'map', ...b, map.name, '{ type iface_index: verdict; }']);
  const bases = t.chains.filter((c) => c.kind === 'base');
  for (const c of bases) {
    out.push([
      'add',
      'chain',
      ...b,
      c.name,
      `{ type filter hook ${c.hook} priority ${c.priority}; policy accept;  }`,
    ]);
  }
  for (const c of bases) {
    const sel = c.dir === 'in' ? 'oif' : 'iif';
    out.push(['add', 'rule', ...b, c.name, sel, 'vmap', `@vmap-${sel}`]);
  }
  return out;
}

function printTableSetup(out: Out, t: NftTable): void {
  for (const argv of nftTableSetupCommands(t)) {
    // The map lookup's line stands for the chain's dispatch rule (traces name it).
    const chain = argv[1] === 'rule' ? t.chains.find((c) => c.name === argv[4]) : undefined;
    out.cmd(argv, chain?.rules.find((r) => r.viaMap !== null) ?? null);
  }
}

/**
 * libvirt's dry-run output of `applyNewRules` for the nftables driver (the form of
 * `tests/nwfilterxml2firewalldata/*-linux.nftables.args`): table set-up on an empty host, the
 * interface chains under their temporary `n-` names interleaved with rules in libvirt's order,
 * then the temporary jumps and the verdict-map switch.
 */
export function printNftArgs(rs: NftRuleset): NftPrintedLines {
  const out = new Out();
  const tables = rs.tables;
  const temp = new Map<string, string>();
  for (const t of tables) for (const c of t.chains) temp.set(`${t.name}/${c.name}`, c.tempName);
  // libvirt queues the commands of a query's handler after the queries themselves.
  out.cmd(['list', 'tables']);
  out.cmd(['list', 'chains']);
  for (const t of tables) printTableSetup(out, t);
  type Item = { seq: number; t: NftTable; chain: NftChain; rule: NftRule | null };
  const items: Item[] = [];
  for (const t of tables) {
    for (const c of t.chains) {
      if (c.kind === 'base') continue;
      items.push({ seq: c.seq, t, chain: c, rule: null });
      for (const r of c.rules) items.push({ seq: r.seq, t, chain: c, rule: r });
    }
  }
  items.sort((a, b) => a.seq - b.seq);
  for (const { t, chain, rule } of items) {
    const name = (n: string) => temp.get(`${t.name}/${n}`) ?? n;
    if (rule === null) out.cmd(['add', 'chain', 'bridge', t.name, chain.tempName, '{ }']);
    else
      out.cmd(['add', 'rule', 'bridge', t.name, chain.tempName, ...nftRuleArgs(rule, name)], rule);
  }
  const iface = rs.iface;
  for (const [sel, base, dir] of [
    ['oif', 'postrouting', 'in'],
    ['iif', 'prerouting', 'out'],
  ] as const) {
    const root = `n-${iface}-${dir}`;
    out.cmd(['add', 'rule', 'bridge', NFT_TABLES.inet, base, sel, iface, 'jump', root]);
    out.cmd(['add', 'rule', 'bridge', NFT_TABLES.ethernet, base, sel, iface, 'jump', root]);
    for (const t of [NFT_TABLES.inet, NFT_TABLES.ethernet]) {
      out.cmd(['delete', 'element', 'bridge', t, `vmap-${sel}`, '{', iface, '}']);
      out.cmd(['add', 'element', 'bridge', t, `vmap-${sel}`, '{', iface, ':', 'jump', root, '}']);
    }
  }
  return out;
}

/** {@link printNftArgs} as text (every line ends in a newline). */
export function printNftArgsText(rs: NftRuleset): string {
  return printNftArgs(rs)
    .lines.map((l) => `${l}\n`)
    .join('');
}
