import { describe, expect, it } from 'vitest';
import { getBuiltinFilter } from '../library';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { compareBackends } from './compare-backends';
import { compareBehaviour, nftablesSimUnsupported, scenarioRuns } from './compare-behaviour';

function both(xml: string) {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  const lookup = (name: string) => (name === doc.name ? doc : getBuiltinFilter(name)?.doc);
  const res = compareBackends(lookup, doc.name, {
    iface: 'vnet0',
    mac: DEFAULT_HOSTS.vm.mac,
    params: { IP: [DEFAULT_HOSTS.vm.ip] },
  });
  if (!res.ebiptables.ruleset || !res.nftables.ruleset) throw new Error('does not compile');
  return compareBehaviour(
    res.ebiptables.ruleset,
    res.nftables.ruleset,
    scenarioRuns(DEFAULT_HOSTS, {}),
  );
}

const REJECT_ALL = `<filter name='r'>
  <rule action='accept' direction='out'><udp dstportstart='53'/></rule>
  <rule action='reject' direction='inout'><all/></rule>
</filter>`;

describe('compareBehaviour', () => {
  it('every scenario is a run, with its own host settings', () => {
    const runs = scenarioRuns(DEFAULT_HOSTS, { ftpHelper: false });
    expect(runs.length).toBeGreaterThan(5);
    expect(runs.every((r) => r.frames.length > 0)).toBe(true);
    expect(new Set(runs.map((r) => r.name)).size).toBe(runs.length);
  });

  it.runIf(nftablesSimUnsupported() !== null)(
    'says why while the simulator cannot execute the nftables rule set',
    () => {
      expect(both(REJECT_ALL)).toEqual({
        available: false,
        reason: `nftables simulation not available: ${nftablesSimUnsupported()}`,
      });
    },
  );

  it.runIf(nftablesSimUnsupported() === null)(
    'REJECT written as drop: the rejected packets are dropped under nftables, at the same rule',
    () => {
      const res = both(REJECT_ALL);
      if (!res.available) throw new Error(res.reason);
      expect(res.packets).toBeGreaterThan(0);
      const rejected = res.differences.filter((d) => d.ebiptables?.verdict === 'reject');
      expect(rejected.length).toBeGreaterThan(0);
      for (const d of rejected) {
        expect(d.nftables?.verdict).toBe('drop');
        expect(d.nftables?.rule).toEqual(d.ebiptables?.rule);
      }
    },
  );
});
