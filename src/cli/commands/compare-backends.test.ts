import { describe, expect, it } from 'vitest';
import { PARITY_FILTERS } from '../../core/parity/testing/parity-filters';
import { callCli } from '../testing/run-cli';

const SAME = `<filter name='same'>
  <rule action='accept' direction='out'>
    <tcp dstportstart='22'/>
  </rule>
  <rule action='drop' direction='inout'>
    <all/>
  </rule>
</filter>
`;

const WEB = PARITY_FILTERS.web;

const BINDING = ['--param', 'IP=10.99.0.2', '--mac', '52:54:00:11:22:33'];

describe('nwfilter-studio compare-backends', () => {
  it('exit 0 and says so when both drivers install the same meaning', async () => {
    const r = await callCli(['compare-backends', 'same.xml'], { 'same.xml': SAME });
    expect(r.stdout).toContain(
      "nftables: libvirt's proposed nftables driver (series v5/v6, not yet in a release)",
    );
    expect(r.stdout).toContain('Rules: both drivers install the same tests and verdicts');
    expect(r.stdout).toMatch(/Packets: all \d+ packets of \d+ scenarios meet the same verdict/);
    expect(r.stdout).toContain(
      'All packets: every packet meets the same verdict under both (exact analysis).',
    );
    expect(r.code).toBe(0);
  });

  it('over all packets: the regions REJECT-as-drop changes, each with both rules and a witness', async () => {
    const r = await callCli(['compare-backends', 'rej.xml', '--json', ...BINDING], {
      'rej.xml': PARITY_FILTERS.rej,
    });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      regions: {
        available: boolean;
        regions: {
          path: string;
          region: string;
          witness: { packet: string };
          ebiptables: { verdict: string; rule: { index: number } };
          nftables: { verdict: string; rule: { index: number } };
        }[];
      };
    };
    expect(out.regions.available).toBe(true);
    const pairs = new Set(
      out.regions.regions.map(
        (d) =>
          `${d.ebiptables.verdict}#${d.ebiptables.rule.index}>${d.nftables.verdict}#${d.nftables.rule.index}`,
      ),
    );
    // Only REJECT written as drop changes a verdict: the same rule, another fate.
    expect([...pairs]).toEqual(['reject#1>drop#1']);
    expect(out.regions.regions.some((d) => d.path === 'to-vm')).toBe(true);
    const text = await callCli(['compare-backends', 'rej.xml', ...BINDING], {
      'rej.xml': PARITY_FILTERS.rej,
    });
    expect(text.stdout).toMatch(
      /All packets: \d+ regions of the header space meet another verdict \(exact analysis\):\n {2}from the VM \(bridged\): ebiptables reject \(rej#1\) → nftables drop \(rej#1\)\n {4}region: {2}eth=ipv4 /,
    );
  });

  it('without IP: the rules after learning, and what each driver installs while it learns', async () => {
    const learn = `<filter name='learn'>\n  <filterref filter='clean-traffic'/>\n</filter>\n`;
    const r = await callCli(['compare-backends', 'learn.xml', '--mac', '52:54:00:11:22:33'], {
      'learn.xml': learn,
    });
    expect(r.stdout).toContain(
      'The binding has no IP: libvirt learns it (CTRL_IP_LEARNING=any). Rules are compared as they are once it learned 10.99.0.2',
    );
    expect(r.stdout).toContain('While learning the drivers install different rules:');
    expect(r.stdout).toMatch(/ {2}ebiptables: learning .*only IPv4 and ARP/);
    expect(r.stdout).toMatch(/ {2}nftables: {3}learning .*another source MAC/);
    expect(r.code).toBe(1);
    const dhcp = await callCli(
      [
        'compare-backends',
        'learn.xml',
        '--json',
        '--mac',
        '52:54:00:11:22:33',
        '--param',
        'CTRL_IP_LEARNING=dhcp',
      ],
      { 'learn.xml': learn },
    );
    const out = JSON.parse(dhcp.stdout);
    expect(out.learning.mode).toBe('dhcp');
    expect(out.learning.whileLearning.ebiptables).toBe(out.learning.whileLearning.nftables);
  });

  it('exit 1 with each difference at its rule: ipset dropped, REJECT written as drop', async () => {
    const r = await callCli(['compare-backends', 'web.xml', ...BINDING], { 'web.xml': WEB });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Rules: 2 XML rules are installed differently:');
    expect(r.stdout).toContain('web.xml:2:3: rule 1 (accept in all)');
    expect(r.stdout).toContain(
      '  dropped ipset [from-vm, to-host]\n    ebiptables: -m set --match-set admins dst\n',
    );
    expect(r.stdout).toContain(
      '  dropped ipset [to-vm]\n    ebiptables: -m set --match-set admins src\n',
    );
    expect(r.stdout).toContain('web.xml:8:3: rule 3 (reject inout all)');
    expect(r.stdout).toContain('    ebiptables: -j REJECT\n    nftables:   drop\n');
  });

  it('--json: rules at their positions with every change, the label, and the packet part', async () => {
    const r = await callCli(['compare-backends', 'web.xml', '--json', ...BINDING], {
      'web.xml': WEB,
    });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.same).toBe(false);
    expect(out.nftables).toMatch(/proposed nftables driver/);
    expect(out.bindings).toEqual({
      ebiptables: { binds: true, errors: [] },
      nftables: { binds: true, errors: [] },
    });
    expect(
      out.rules.map((x: { line: number; ruleIndex: number }) => [x.line, x.ruleIndex]),
    ).toEqual([
      [2, 0],
      [8, 2],
    ]);
    expect(out.rules[1].changes).toEqual([
      {
        kind: 'verdict',
        slot: null,
        paths: ['from-vm', 'to-vm', 'to-host'],
        ebiptables: '-j REJECT',
        nftables: 'drop',
        why: expect.stringMatching(/no ICMP error/),
      },
    ]);
    // The host has no ipset 'admins': the ebiptables binding cannot exist, no packets run.
    expect(out.packets).toEqual({
      available: false,
      reason: expect.stringMatching(/ebiptables: the host has no ipset 'admins'/),
    });
    const withSet = JSON.parse(
      (
        await callCli(
          ['compare-backends', 'web.xml', '--json', '--ipset', 'admins=10.99.0.3', ...BINDING],
          { 'web.xml': WEB },
        )
      ).stdout,
    );
    expect(withSet.packets.available).toBe(true);
    const rejected = withSet.packets.differences.filter(
      (d: { ebiptables: { verdict: string } | null }) => d.ebiptables?.verdict === 'reject',
    );
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0].nftables.verdict).toBe('drop');
    expect(rejected[0].ebiptables.rule).toMatchObject({ filter: 'web', index: 2, entryIndex: 2 });
  });

  it('a binding only one driver refuses is a difference, at the rule', async () => {
    const r = await callCli(['compare-backends', 'cont.xml'], { 'cont.xml': PARITY_FILTERS.cont });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cont\.xml:2:3: ebiptables cannot bind the filter: NWF331/);
  });

  it('exit 2 on a wrong command line or a filter that does not instantiate', async () => {
    expect((await callCli(['compare-backends'])).code).toBe(2);
    const missing = await callCli(['compare-backends', 'm.xml'], {
      'm.xml': `<filter name='m'><filterref filter='nowhere'/></filter>`,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/NWF301/);
  });
});
