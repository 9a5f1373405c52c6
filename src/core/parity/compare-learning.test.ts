/**
 * Parity while libvirt learns the VM's address: the two drivers' learning rules differ under
 * CTRL_IP_LEARNING=any (ebiptables lets only IPv4 and ARP from the VM pass, the proposed nftables
 * driver everything with the VM's MAC), and the packets run through each driver's phases.
 */
import { describe, expect, it } from 'vitest';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { getBuiltinFilter } from '../library';
import { buildEthernet, buildIpv4, buildIpv6, buildUdp } from '../packet/packet-build';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { compareBackends } from './compare-backends';
import { compareBehaviour, scenarioRuns } from './compare-behaviour';
import type { BehaviourRun } from './compare-behaviour';

function withoutIp(params: Record<string, string[]> = {}) {
  const doc = parseFilterXml(FTP_SERVER_XML).doc;
  if (!doc) throw new Error('does not parse');
  const lookup = (name: string) => (name === doc.name ? doc : getBuiltinFilter(name)?.doc);
  return compareBackends(
    lookup,
    doc.name,
    { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params },
    { address: DEFAULT_HOSTS.vm.ip },
  );
}

const vm = DEFAULT_HOSTS.vm;
const remote = DEFAULT_HOSTS.remote;
/** The VM speaks IPv6 before any IPv4 packet has taught its address, then IPv4. */
const IPV6_FIRST: BehaviourRun = {
  name: 'custom',
  title: 'IPv6 first',
  settings: {},
  frames: [
    {
      t: 0,
      side: 'from-vm',
      label: 'IPv6 from the VM while learning',
      frame: buildEthernet(
        { src: vm.mac, dst: remote.mac },
        buildIpv6(
          { src: 'fd00::2', dst: 'fd00::3' },
          buildUdp({ sport: 5000, dport: 53, payload: 'q' }),
        ),
      ),
    },
    {
      t: 1,
      side: 'from-vm',
      label: 'IPv4 from the VM: teaches its address',
      frame: buildEthernet(
        { src: vm.mac, dst: remote.mac },
        buildIpv4(
          { src: vm.ip, dst: remote.ip },
          buildUdp({ sport: 5000, dport: 53, payload: 'q' }),
        ),
      ),
    },
  ],
};

describe('compareBackends on a binding that learns its IP', () => {
  it('compares the rules after learning the address, and says what each driver installs meanwhile', () => {
    const any = withoutIp();
    expect(any.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(any.learning?.plan.mode).toBe('any');
    expect(any.learning?.address).toBe(vm.ip);
    expect(any.ebiptables.ruleset && any.nftables.ruleset).toBeTruthy();
    expect(any.rules.length).toBeGreaterThan(0);
    expect(any.learning?.whileLearning.ebiptables).toMatch(/only IPv4 and ARP/);
    expect(any.learning?.whileLearning.nftables).toMatch(
      /everything but frames with another source MAC/,
    );
    const dhcp = withoutIp({ CTRL_IP_LEARNING: ['dhcp'] });
    expect(dhcp.learning?.whileLearning.ebiptables).toBe(dhcp.learning?.whileLearning.nftables);
  });

  it('without the learning option a missing IP stays an error', () => {
    const doc = parseFilterXml(FTP_SERVER_XML).doc!;
    const lookup = (name: string) => (name === doc.name ? doc : getBuiltinFilter(name)?.doc);
    const res = compareBackends(lookup, doc.name, { iface: 'vnet0', mac: vm.mac, params: {} });
    expect(res.learning).toBeUndefined();
    expect(res.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  });

  it('packets run through each driver’s learning phases: IPv6 before the address passes only under nftables', () => {
    const cmp = withoutIp();
    const res = compareBehaviour(
      cmp.ebiptables.ruleset!,
      cmp.nftables.ruleset!,
      [IPV6_FIRST],
      cmp.learning!.runs,
    );
    if (!res.available) throw new Error(res.reason);
    expect(res.differences).toEqual([
      expect.objectContaining({
        index: 0,
        ebiptables: expect.objectContaining({ verdict: 'drop', rule: null }),
        nftables: expect.objectContaining({ verdict: 'accept', rule: null }),
      }),
    ]);
  });

  it('every scenario through the learning phases: the scenarios agree while learning', () => {
    const cmp = withoutIp();
    const res = compareBehaviour(
      cmp.ebiptables.ruleset!,
      cmp.nftables.ruleset!,
      scenarioRuns(DEFAULT_HOSTS, {}),
      cmp.learning!.runs,
    );
    if (!res.available) throw new Error(res.reason);
    expect(res.packets).toBeGreaterThan(100);
    // What differs is what differs after learning (the FTP filter's rules), not the learning rules.
    for (const d of res.differences) expect(d.ebiptables?.rule ?? d.nftables?.rule).not.toBeNull();
  });
});
