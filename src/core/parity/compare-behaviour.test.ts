import { describe, expect, it } from 'vitest';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { compareBehaviour, scenarioRuns } from './compare-behaviour';
import { compileBoth } from './testing/compile-both';
import { PARITY_FILTERS } from './testing/parity-filters';

function both(xml: string) {
  const { eb, nft } = compileBoth(xml);
  return compareBehaviour(eb, nft, scenarioRuns(DEFAULT_HOSTS, {}));
}

describe('compareBehaviour', () => {
  it('every scenario is a run, with its own host settings', () => {
    const runs = scenarioRuns(DEFAULT_HOSTS, { ftpHelper: false });
    expect(runs.length).toBeGreaterThan(5);
    expect(runs.every((r) => r.frames.length > 0)).toBe(true);
    expect(new Set(runs.map((r) => r.name)).size).toBe(runs.length);
  });

  it('REJECT written as drop: the rejected packets are dropped under nftables, at the same rule', () => {
    const res = both(PARITY_FILTERS.rej);
    if (!res.available) throw new Error(res.reason);
    expect(res.packets).toBeGreaterThan(0);
    const rejected = res.differences.filter((d) => d.ebiptables?.verdict === 'reject');
    expect(rejected.length).toBeGreaterThan(0);
    for (const d of rejected) {
      expect(d.nftables?.verdict).toBe('drop');
      expect(d.nftables?.rule).toEqual(d.ebiptables?.rule);
    }
  });

  it('a filter both drivers install alike: no packet of any scenario differs in verdict', () => {
    const res = both(`<filter name='s'><filterref filter='clean-traffic'/>
      <rule action='accept' direction='out'><tcp dstportstart='22'/></rule>
      <rule action='accept' direction='out'><udp dstportstart='53'/></rule>
      <rule action='drop' direction='inout'><all/></rule></filter>`);
    if (!res.available) throw new Error(res.reason);
    expect(res.packets).toBeGreaterThan(30);
    expect(res.differences.filter((d) => d.ebiptables?.verdict !== d.nftables?.verdict)).toEqual(
      [],
    );
  });

  it('a host that cannot install one side (an ipset it lacks) has no packets to compare', () => {
    const res = both(
      `<filter name='i'><rule action='accept' direction='in'><all ipset='admins' ipsetflags='src'/></rule></filter>`,
    );
    expect(res).toEqual({
      available: false,
      reason: expect.stringMatching(/ebiptables: the host has no ipset 'admins'/),
    });
  });
});
