import { describe, expect, it } from 'vitest';
import { instantiateFilter } from '../../instantiate/instantiate-filter';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { compileNftables, NFT_COMPILE_CODES } from './compile-nftables';
import type { NftRule, NftRuleset } from './ir';
import { NFT_TABLES, findNftChain } from './ir';

function compile(xml: string, params: Record<string, string[]> = {}) {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  const inst = instantiateFilter([doc], doc.name, { iface: 'vnet0', params });
  expect(inst.diagnostics).toEqual([]);
  return compileNftables(inst.rules, 'vnet0');
}

const rulesOf = (rs: NftRuleset, table: string, chain: string): NftRule[] =>
  findNftChain(
    rs.tables.find((t) => t.name === table)!,
    chain,
  )!.rules;

describe('compileNftables', () => {
  it('writes REJECT as drop and records the change on the rule', () => {
    const { ruleset } = compile(
      `<filter name='f'><rule action='reject' direction='out'><tcp dstportstart='25'/></rule></filter>`,
    );
    const [r] = rulesOf(ruleset, NFT_TABLES.inet, 'vnet0-out');
    expect(r?.target).toEqual({ kind: 'verdict', verdict: 'DROP' });
    expect(r?.changes).toEqual([{ kind: 'reject-as-drop' }]);
    expect(r?.provenance?.ruleIndex).toBe(0);
  });

  it('warns that ipset is ignored and still emits the rule without it', () => {
    const res = compile(
      `<filter name='f'><rule action='accept' direction='out'><all ipset='blk' ipsetflags='src'/></rule></filter>`,
    );
    expect(res.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      [NFT_COMPILE_CODES.ipsetIgnored, 'warning'],
    ]);
    const [r] = rulesOf(res.ruleset, NFT_TABLES.inet, 'vnet0-out');
    expect(r?.matches.map((mt) => mt.selector)).toEqual(['ether type', 'ct direction', 'ct state']);
    expect(r?.changes).toEqual([{ kind: 'ipset-ignored', set: 'blk' }]);
  });

  it('refuses stp inout rules with a source MAC, as the driver does', () => {
    const res = compile(
      `<filter name='f' chain='stp'><rule action='drop' direction='inout'><stp srcmacaddr='01:02:03:04:05:06'/></rule></filter>`,
    );
    expect(res.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      [NFT_COMPILE_CODES.stpInoutSrcMac, 'error'],
    ]);
  });

  it('warns when a comment is longer than nft accepts', () => {
    const long = 'x'.repeat(120);
    const res = compile(
      `<filter name='f'><rule action='accept' direction='in'><tcp comment='${long}'/></rule></filter>`,
    );
    expect(res.diagnostics.map((d) => d.code)).toEqual([NFT_COMPILE_CODES.commentTooLong]);
    const short = compile(
      `<filter name='f'><rule action='accept' direction='in'><tcp comment='${'x'.repeat(116)}'/></rule></filter>`,
    );
    expect(short.diagnostics).toEqual([]);
  });

  it('counts connections only for outgoing rules (ct count over N, no ct direction)', () => {
    const { ruleset } = compile(
      `<filter name='f'><rule action='drop' direction='out' priority='400'><tcp connlimit-above='2'/></rule><rule action='drop' direction='in'><tcp connlimit-above='2'/></rule></filter>`,
    );
    const [out] = rulesOf(ruleset, NFT_TABLES.inet, 'vnet0-out');
    expect(out?.matches.at(-1)).toMatchObject({ selector: 'ct count', value: '2', negated: false });
    expect(out?.matches.at(-1)?.args).toEqual(['ct', 'count', 'over', '2']);
    const [inRule] = rulesOf(ruleset, NFT_TABLES.inet, 'vnet0-in');
    expect(inRule?.matches.some((mt) => mt.selector === 'ct count')).toBe(false);
  });

  it('points both verdict maps at the final root chains, and creates sub chains only where used', () => {
    const { ruleset } = compile(
      `<filter name='f' chain='arp'><rule action='accept' direction='out'><arp/></rule></filter>`,
    );
    for (const t of ruleset.tables) {
      expect(t.maps).toEqual([
        { name: 'vmap-oif', elements: [{ iface: 'vnet0', chain: 'vnet0-in' }] },
        { name: 'vmap-iif', elements: [{ iface: 'vnet0', chain: 'vnet0-out' }] },
      ]);
    }
    const eth = ruleset.tables.find((t) => t.name === NFT_TABLES.ethernet)!;
    expect(eth.chains.map((c) => [c.name, c.tempName])).toEqual([
      ['postrouting', 'postrouting'],
      ['prerouting', 'prerouting'],
      ['vnet0-in', 'n-vnet0-in'],
      ['vnet0-out', 'n-vnet0-out'],
      ['vnet0-arp-out', 'n-vnet0-arp-out'],
    ]);
    expect(rulesOf(ruleset, NFT_TABLES.ethernet, 'vnet0-out')[0]?.target).toEqual({
      kind: 'jump',
      chain: 'vnet0-arp-out',
    });
  });
});
