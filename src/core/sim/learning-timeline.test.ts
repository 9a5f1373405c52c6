import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { learningRunOf, phaseText } from './learning-timeline';
import { learnFtpScenario } from './testing/learn-scenario';
import { runScenario } from './run-scenario';
import type { ScenarioRun } from './run-scenario';
import { DEFAULT_HOSTS, getScenario } from './scenarios';

/** A scenario on the docs' FTP-server filter without IP: libvirt learns the address. */
const learn = (name: string, params: Record<string, string[]> = {}): ScenarioRun =>
  learnFtpScenario(name, params);

const phases = (r: ScenarioRun) => (r.phases ?? []).map((p) => `${p.step} ${phaseText(p)}`);
const verdict = (r: ScenarioRun, label: string) => {
  const s = r.steps.find((x) => x.label === label);
  return s ? s.trace.verdict : r.skipped.some((x) => x.label === label) ? 'not sent' : 'missing';
};

describe('IP learning in a run', () => {
  it('any: the OFFER teaches the address, and the rebuilt FTP filter then drops DHCP', () => {
    const r = learn('dhcp-boot');
    expect(phases(r)).toEqual([
      expect.stringMatching(
        /^0 learning \(CTRL_IP_LEARNING=any; rules in force: from the VM only IPv4 and ARP/,
      ),
      '2 learned 10.99.0.2 from packet 2 (DHCPOFFER)',
      "2 rules rebuilt with IP=10.99.0.2: the filter's own rules from here on",
    ]);
    // Under the learning rules no iptables rule exists: conntrack does not track yet.
    expect(r.steps[0]?.trace.ctstate).toBeNull();
    expect(verdict(r, 'DHCPREQUEST')).toBe('drop');
    expect(verdict(r, 'DHCPACK')).toBe('not sent');
    expect(verdict(r, 'first ping: echo reply')).toBe('accept');
  });

  it('dhcp: only DHCP passes until the ACK; DHCPSERVER stops a rogue server', () => {
    const open = learn('dhcp-rogue-server', { CTRL_IP_LEARNING: ['dhcp'] });
    expect(phases(open)[1]).toBe('5 learned 10.99.0.123 from packet 5 (DHCPACK, lease 600 s)');
    expect(verdict(open, 'ping from the rogue address: echo reply')).toBe('accept');
    const guarded = learn('dhcp-rogue-server', {
      CTRL_IP_LEARNING: ['dhcp'],
      DHCPSERVER: [DEFAULT_HOSTS.remote.ip],
    });
    expect(verdict(guarded, 'DHCPOFFER from the rogue 10.99.0.67')).toBe('drop');
    expect(phases(guarded)[1]).toBe('5 learned 10.99.0.2 from packet 5 (DHCPACK, lease 3600 s)');
    expect(verdict(guarded, 'ping from the real address: echo reply')).toBe('accept');
    expect(verdict(guarded, 'ping from the rogue address: echo request')).toBe('not sent');
  });

  it('any: a rogue OFFER that arrives first is what libvirt learns', () => {
    const r = learn('dhcp-rogue-server');
    expect(phases(r)[1]).toBe('2 learned 10.99.0.123 from packet 2 (DHCPOFFER)');
  });

  it('a static address: learned from the first IPv4 packet under any (not from ARP), never under dhcp', () => {
    const any = learn('static-ip');
    expect(phases(any)[1]).toBe('3 learned 10.99.0.2 from packet 3 (IPv4 from the VM)');
    // The echo request passed untracked; its reply meets conntrack as INVALID and is dropped.
    expect(any.steps[3]?.trace.ctstate).toBe('INVALID');
    expect(verdict(any, 'second ping: echo reply')).toBe('accept');
    const dhcp = learn('static-ip', { CTRL_IP_LEARNING: ['dhcp'] });
    expect(dhcp.phases).toHaveLength(1);
    expect(dhcp.steps.every((s) => s.trace.verdict === 'drop')).toBe(true);
  });

  it('dhcp: a lease the filter does not let the VM renew expires, and the DHCP-only rules come back', () => {
    const r = learn('dhcp-lease-expiry', { CTRL_IP_LEARNING: ['dhcp'] });
    expect(verdict(r, 'DHCPREQUEST (renewal)')).toBe('drop');
    expect(phases(r).slice(1)).toEqual([
      '4 learned 10.99.0.2 from packet 4 (DHCPACK, lease 30 s)',
      "4 rules rebuilt with IP=10.99.0.2: the filter's own rules from here on",
      '7 lease of 10.99.0.2 expired',
      expect.stringMatching(/^7 learning again \(CTRL_IP_LEARNING=dhcp; rules in force: only DHCP/),
    ]);
    expect(r.phases?.[3]?.t).toBeCloseTo(30.03, 6);
    expect(verdict(r, 'ping at 40 s: echo request')).toBe('drop');
  });

  it("dhcp: packets over the snooper's rate limit are shown once a second and teach nothing", () => {
    const { doc } = parseFilterXml(FTP_SERVER_XML);
    const lookup = createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc);
    const params = { CTRL_IP_LEARNING: ['dhcp'] };
    const compile = (p: Record<string, readonly string[]>) =>
      compileFilter(lookup, doc!.name, { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params: p });
    const compiled = compile(params);
    const learning = learningRunOf(compiled, (ips) => compile({ ...params, IP: ips }))!;
    const boot = getScenario('dhcp-boot')!.build(DEFAULT_HOSTS);
    const discover = boot.find((f) => f.label === 'DHCPDISCOVER')!;
    const ack = boot.find((f) => f.label === 'DHCPACK')!;
    // A VM whose DHCP client floods DISCOVERs: 60 in its first second, then the server's ACK.
    const flood = {
      ...getScenario('dhcp-boot')!,
      play: (_h: unknown, wire: { send: (f: typeof ack, i: number) => boolean }) => {
        for (let i = 0; i < 60; i++) wire.send({ ...discover, t: i * 0.01 }, i);
        wire.send({ ...ack, t: 0.7 }, 60);
      },
    };
    const r = runScenario(compiled.ruleset!, flood, { learning });
    expect(phases(r)).toEqual([
      expect.stringMatching(/^0 learning /),
      expect.stringMatching(
        /^51 packet 51 not read by libvirt's DHCP snooper: 1 DHCP packet from the VM over its rate limit/,
      ),
      // The ACK is on the other capture, with its own count.
      '61 learned 10.99.0.2 from packet 61 (DHCPACK, lease 3600 s)',
      "61 rules rebuilt with IP=10.99.0.2: the filter's own rules from here on",
    ]);
  });
});
