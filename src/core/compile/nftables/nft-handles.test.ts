/**
 * The kernel's handles for the exported script, as the simulator shows them. The expected numbers
 * below were read from `nft -a list ruleset` after loading this filter's script on Linux 6.18 with
 * nft 1.0.6; tests/nftables/nft-script.diff.test.ts checks every corpus case and project filter
 * against the real kernel.
 */
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile-filter';
import { getBackend } from '../backends';
import { createWorkspaceLookup } from '../../instantiate/instantiate-filter';
import { BridgeHost } from '../../netfilter/bridge-host';
import { buildEthernet, buildIpv4, buildTcp, buildUdp } from '../../packet';
import { DEFAULT_HOSTS } from '../../sim/scenarios';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import type { NftRuleset } from './ir';
import { nftHandles } from './nft-handles';
import { printNftScript } from './print-nft-script';

const VM = DEFAULT_HOSTS.vm;
const REMOTE = DEFAULT_HOSTS.remote;

const XML = `<filter name='f' chain='root'>
  <rule action='accept' direction='in' priority='500'>
    <tcp srcipaddr='10.1.2.0' srcipmask='24' dstportstart='1030' dstportend='1040' state='NEW,ESTABLISHED'/>
  </rule>
  <rule action='drop' direction='out' priority='500'>
    <udp dstipaddr='192.168.1.2' dstportstart='53' comment='service 1'/>
  </rule>
  <rule action='accept' direction='inout' priority='500'>
    <icmp srcipaddr='172.16.1.2' type='8' code='0'/>
  </rule>
  <rule action='accept' direction='inout' priority='500'>
    <tcp-ipv6 srcipaddr='2001:db8:1::' srcipmask='64' dstportstart='80'/>
  </rule>
</filter>`;

function ruleset(): NftRuleset {
  const doc = parseFilterXml(XML).doc;
  if (!doc) throw new Error('does not parse');
  const res = compileFilter(
    createWorkspaceLookup([doc], () => undefined),
    'f',
    { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } },
    getBackend('nftables'),
  );
  return res.ruleset as NftRuleset;
}

describe('nft handles', () => {
  it('one counter per table: chains, then the set and maps, then the rules chain by chain', () => {
    const rs = ruleset();
    const h = nftHandles(rs);
    const [eth, inet] = rs.tables;
    if (!eth || !inet) throw new Error('two tables');
    const chainsOf = (t: typeof eth) =>
      Object.fromEntries(t.chains.map((c) => [c.name, h.chains.get(c)]));
    expect(chainsOf(eth)).toEqual({ 'vnet0-in': 1, 'vnet0-out': 2, postrouting: 3, prerouting: 4 });
    expect(Object.fromEntries(h.sets.get(eth.name) ?? [])).toEqual({
      'same-ip-set': 5,
      'vmap-oif': 6,
      'vmap-iif': 7,
    });
    expect(Object.fromEntries(h.sets.get(inet.name) ?? [])).toEqual({
      'vmap-oif': 5,
      'vmap-iif': 6,
    });
    const rulesOf = (t: typeof eth) =>
      Object.fromEntries(t.chains.map((c) => [c.name, c.rules.map((r) => h.rules.get(r))]));
    expect(rulesOf(eth)).toEqual({
      'vnet0-in': [],
      'vnet0-out': [],
      postrouting: [8],
      prerouting: [9],
    });
    expect(rulesOf(inet)).toEqual({
      'vnet0-in': [7, 8, 9],
      'vnet0-out': [10, 11, 12, 13],
      postrouting: [14],
      prerouting: [15],
    });
  });

  it('follows the order the script declares things in', () => {
    const rs = ruleset();
    const h = nftHandles(rs);
    const printed = printNftScript(rs);
    // Per table, the rules in script order carry increasing handles.
    for (const t of rs.tables) {
      const seen = printed.rules.filter(
        (r): r is NonNullable<typeof r> => r !== null && t.chains.some((c) => c.rules.includes(r)),
      );
      const handles = seen.map((r) => h.rules.get(r) as number);
      expect(handles).toEqual([...handles].sort((a, b) => a - b));
      expect(new Set(handles).size).toBe(handles.length);
    }
  });

  it('traces and counters name the table, chain and handle of each rule', () => {
    const host = new BridgeHost(ruleset());
    const udp = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4({ src: VM.ip, dst: '192.168.1.2' }, buildUdp({ sport: 5000, dport: 53 })),
    );
    const t = host.step(udp, 'from-vm', 0);
    expect(t.verdict).toBe('drop');
    expect(t.rule).toMatchObject({ filter: 'f', index: 1 });
    expect(t.site).toEqual({
      table: 'bridge/libvirt_nwfilter_inet',
      chain: 'vnet0-out',
      handle: 11,
    });
    const visits = t.hooks.flatMap((hk) => hk.visits);
    expect(visits.map((v) => [v.table, v.chain, v.handle, v.matched])).toEqual([
      ['bridge/libvirt_nwfilter_ethernet', 'prerouting', 9, true],
      ['bridge/libvirt_nwfilter_inet', 'prerouting', 15, true],
      ['bridge/libvirt_nwfilter_inet', 'vnet0-out', 10, false],
      ['bridge/libvirt_nwfilter_inet', 'vnet0-out', 11, true],
    ]);
    // The fast walk (no visit lists) names the same rule.
    const fast = host.step(udp, 'from-vm', 1, { detail: false });
    expect(fast.site).toEqual(t.site);
    const c = host.counters().find((x) => x.handle === 11);
    expect(c).toMatchObject({ chain: 'vnet0-out', packets: 2, rule: { filter: 'f', index: 1 } });
    expect(host.counters().every((x) => typeof x.handle === 'number')).toBe(true);
  });

  it('accepted packets name the rule that accepted them', () => {
    const host = new BridgeHost(ruleset());
    const syn = buildEthernet(
      { src: REMOTE.mac, dst: VM.mac },
      buildIpv4({ src: '10.1.2.9', dst: VM.ip }, buildTcp({ sport: 40000, dport: 1035, flags: 2 })),
    );
    const t = host.step(syn, 'to-vm', 0);
    expect(t.verdict).toBe('accept');
    expect(t.site).toEqual({ table: 'bridge/libvirt_nwfilter_inet', chain: 'vnet0-in', handle: 7 });
  });
});
