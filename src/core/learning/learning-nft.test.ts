/**
 * The nftables driver's learning rules (nwfilter_nftables_driver.c at the commit docs/nftables.md
 * names: nftablesApplyBasicRules, nftablesApplyDHCPOnlyRules, nftablesDropAllRules, the teardown
 * nftablesHandleRemoveAll / …RenameChains) and their test tests/nwfilternftablestest.c: the same
 * MAC (10:20:30:40:50:60), DHCP servers and one-command-per-line form, on a host whose tables
 * exist and whose port has rules the teardown lists.
 */
import { describe, expect, it } from 'vitest';
import { nftHandles } from '../compile/nftables/nft-handles';
import { nftRenameCommands, nftTeardownCommands } from '../compile/nftables/nft-teardown';
import { printNftScriptText } from '../compile/nftables/print-nft-script';
import { escapeShell } from '../compile/values';
import { BridgeHost } from '../netfilter/bridge-host';
import { buildArp, buildEthernet, buildIpv4, buildIpv6, buildUdp } from '../packet/packet-build';
import { phaseText } from '../sim/learning-timeline';
import { learnFtpScenario } from '../sim/testing/learn-scenario';
import type { ScenarioRun } from '../sim/run-scenario';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { nftLearningCommands, nftLearningRuleset } from './learning-rules-nft';

const MAC = '10:20:30:40:50:60';
const ETH = 'libvirt_nwfilter_ethernet';
const INET = 'libvirt_nwfilter_inet';

/** What `nft -a list table` shows for a port with a filter in force (and a rebuild's leftover). */
const listing = (table: string) => `table bridge ${table} { # handle 7
	comment "Managed by libvirt for network filters"
	map vmap-oif { # handle 3
		type iface_index : verdict
		elements = { "vnet0" : jump vnet0-in, "vnet1" : jump vnet1-in }
	}
	map vmap-iif { # handle 4
		type iface_index : verdict
		elements = { "vnet0" : jump vnet0-out,
			     "vnet1" : jump vnet1-out }
	}
	chain postrouting { # handle 5
		type filter hook postrouting priority 0; policy accept;
		oif vmap @vmap-oif # handle 11
		oif "vnet0" jump n-vnet0-in # handle 40
	}
	chain prerouting { # handle 6
		type filter hook prerouting priority 0; policy accept;
		iif vmap @vmap-iif # handle 12
	}
	chain vnet0-in { # handle 20
		ether type ip jump vnet0-ipv4-in # handle 23
	}
	chain vnet0-out { # handle 21
	}
	chain vnet0-ipv4-in { # handle 22
		ip saddr 10.0.0.1 accept # handle 24
	}
	chain n-vnet0-in { # handle 30
	}
	chain vnet1-in { # handle 31
	}
}
`;

/** The teardown of vnet0 the driver derives from that listing of `table`. */
const removes = (t: string) => [
  `nft delete element bridge ${t} vmap-oif '{' '"vnet0"' '}'`,
  `nft delete element bridge ${t} vmap-iif '{' '"vnet0"' '}'`,
  `nft delete rule bridge ${t} postrouting handle 40`,
  `nft delete chain bridge ${t} vnet0-in`,
  `nft delete chain bridge ${t} vnet0-out`,
  `nft delete chain bridge ${t} vnet0-ipv4-in`,
];

/** The harness's form: one command a line, arguments quoted as virCommand's dry run does. */
const oneLine = (argv: string[][]) => argv.map((a) => ['nft', ...a].map(escapeShell).join(' '));
const host = { tablesExist: true, listings: { [ETH]: listing(ETH), [INET]: listing(INET) } };
const head = [
  'nft list tables',
  `nft -a list table bridge ${ETH}`,
  `nft -a list table bridge ${INET}`,
  ...removes(ETH),
  ...removes(INET),
  `nft add chain bridge ${ETH} vnet0-in '{ }'`,
  `nft add chain bridge ${INET} vnet0-in '{ }'`,
  `nft add chain bridge ${ETH} vnet0-out '{ }'`,
  `nft add chain bridge ${INET} vnet0-out '{ }'`,
];
const elements = ['oif', 'iif'].flatMap((sel) =>
  [INET, ETH].flatMap((t) => [
    `nft delete element bridge ${t} vmap-${sel} '{' vnet0 '}'`,
    `nft add element bridge ${t} vmap-${sel} '{' vnet0 : jump vnet0-${sel === 'oif' ? 'in' : 'out'} '}'`,
  ]),
);

describe('nftables learning rules: the driver’s commands', () => {
  it('the teardown reads the listing: map elements, jumps by name (by handle), the port’s chains', () => {
    expect(oneLine(nftTeardownCommands(listing(ETH), 'vnet0'))).toEqual(removes(ETH));
    // A teardown of the temporary chains (tearNewRules: prefix n-vnet0) touches nothing else.
    expect(oneLine(nftTeardownCommands(listing(ETH), 'n-vnet0'))).toEqual([
      `nft delete chain bridge ${ETH} n-vnet0-in`,
    ]);
    expect(oneLine(nftRenameCommands(listing(INET), 'vnet0'))).toEqual([
      `nft rename chain bridge ${INET} n-vnet0-in vnet0-in`,
    ]);
  });

  it('applyBasicRules (CTRL_IP_LEARNING=any): a forged source MAC dropped, the rest accepted', () => {
    const rs = nftLearningRuleset('basic', 'vnet0', MAC);
    expect(oneLine(nftLearningCommands(rs, host))).toEqual([
      ...head,
      `nft add rule bridge ${ETH} vnet0-out ether saddr '!=' ${MAC} drop`,
      `nft add rule bridge ${ETH} vnet0-out ether type ip accept`,
      `nft add rule bridge ${ETH} vnet0-out ether type arp accept`,
      `nft add rule bridge ${ETH} vnet0-out accept`,
      ...elements,
    ]);
  });

  it('applyDHCPOnlyRules: requests from the VM, replies from each DHCPSERVER to its MAC and broadcast', () => {
    const servers = ['192.168.122.1', '10.0.0.1', '10.0.0.2'];
    const rs = nftLearningRuleset('dhcp-only', 'vnet0', MAC.toUpperCase(), servers);
    const reply = (dst: string, s: string) =>
      `nft add rule bridge ${ETH} vnet0-in ether daddr ${dst} ether type ip ip saddr ${s} udp sport 67 udp dport 68 accept`;
    expect(oneLine(nftLearningCommands(rs, host))).toEqual([
      ...head,
      `nft add rule bridge ${ETH} vnet0-out ether saddr ${MAC} ether type ip udp sport 68 udp dport 67 accept`,
      `nft add rule bridge ${ETH} vnet0-out drop`,
      ...servers.flatMap((s) => [reply(MAC, s), reply('ff:ff:ff:ff:ff:ff', s)]),
      `nft add rule bridge ${ETH} vnet0-in drop`,
      ...elements,
    ]);
    // Without DHCPSERVER: the same two replies without `ip saddr`.
    const any = oneLine(nftLearningCommands(nftLearningRuleset('dhcp-only', 'vnet0', MAC)));
    expect(any.filter((l) => l.includes('vnet0-in ether daddr'))).toEqual([
      `nft add rule bridge ${ETH} vnet0-in ether daddr ${MAC} ether type ip udp sport 67 udp dport 68 accept`,
      `nft add rule bridge ${ETH} vnet0-in ether daddr ff:ff:ff:ff:ff:ff ether type ip udp sport 67 udp dport 68 accept`,
    ]);
  });

  it('applyDropAllRules: both chains drop, entered by interface name, no map element', () => {
    const rs = nftLearningRuleset('drop-all', 'vnet0', MAC);
    expect(oneLine(nftLearningCommands(rs, host))).toEqual([
      ...head,
      `nft add rule bridge ${ETH} vnet0-out drop`,
      `nft add rule bridge ${ETH} vnet0-in drop`,
      `nft add rule bridge ${ETH} postrouting oifname vnet0 jump vnet0-in`,
      `nft add rule bridge ${ETH} prerouting iifname vnet0 jump vnet0-out`,
    ]);
  });

  it('on a fresh host the tables are set up first, as for any filter', () => {
    const cmds = oneLine(nftLearningCommands(nftLearningRuleset('basic', 'vnet0', MAC)));
    expect(cmds[0]).toBe('nft list tables');
    expect(cmds[1]).toMatch(/^nft add table bridge libvirt_nwfilter_ethernet /);
    expect(cmds.filter((c) => / vmap @vmap-/.test(c))).toHaveLength(4);
    expect(cmds.indexOf(`nft -a list table bridge ${ETH}`)).toBeGreaterThan(cmds.indexOf(cmds[1]!));
  });
});

describe('nftables learning rules: the script and its handles', () => {
  it('drop-all keeps the map lookups (numbered, never jumping) before the jumps by name', () => {
    const rs = nftLearningRuleset('drop-all', 'vnet0', MAC);
    const text = printNftScriptText(rs);
    expect(text).toContain(
      '\t\ttype filter hook postrouting priority 0; policy accept;\n\t\toif vmap @vmap-oif\n\t\toifname vnet0 jump vnet0-in\n',
    );
    expect(text).not.toContain('elements = { "vnet0"');
    const eth = rs.tables[0]!;
    const post = eth.chains.find((c) => c.name === 'postrouting')!;
    // Chains 1-4, set 5, maps 6-7; vnet0-in's drop 8, vnet0-out's 9, the lookup 10, the jump 11.
    expect(nftHandles(rs).rules.get(post.rules[0]!)).toBe(11);
  });
});

const FRAME = {
  ipv6: () =>
    buildEthernet(
      { src: DEFAULT_HOSTS.vm.mac, dst: DEFAULT_HOSTS.remote.mac },
      buildIpv6({ src: 'fe80::1', dst: 'fe80::2' }, buildUdp({ sport: 1, dport: 2, payload: 'x' })),
    ),
  forged: () =>
    buildEthernet(
      { src: '52:54:00:de:ad:00', dst: DEFAULT_HOSTS.remote.mac },
      buildIpv4(
        { src: '10.99.0.9', dst: '10.99.0.3' },
        buildUdp({ sport: 1, dport: 2, payload: 'x' }),
      ),
    ),
  arp: () =>
    buildEthernet(
      { src: DEFAULT_HOSTS.vm.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: DEFAULT_HOSTS.vm.mac, spa: '0.0.0.0', tpa: '10.99.0.3' }),
    ),
  toVm: () =>
    buildEthernet(
      { src: DEFAULT_HOSTS.remote.mac, dst: DEFAULT_HOSTS.vm.mac },
      buildIpv4(
        { src: '10.99.0.3', dst: '10.99.0.2' },
        buildUdp({ sport: 5, dport: 6, payload: 'x' }),
      ),
    ),
};

describe('nftables learning rules: simulated', () => {
  const verdict = (kind: 'basic' | 'dhcp-only' | 'drop-all', f: keyof typeof FRAME) => {
    const host = new BridgeHost(nftLearningRuleset(kind, 'vnet0', DEFAULT_HOSTS.vm.mac));
    return host.step(FRAME[f](), f === 'toVm' ? 'to-vm' : 'from-vm', 0).verdict;
  };

  it('any: IPv6 and other frames from the VM pass (ebiptables drops them), a forged MAC does not', () => {
    expect(verdict('basic', 'ipv6')).toBe('accept');
    expect(verdict('basic', 'arp')).toBe('accept');
    expect(verdict('basic', 'forged')).toBe('drop');
    expect(verdict('basic', 'toVm')).toBe('accept');
  });

  it('dhcp-only and drop-all drop the rest both ways', () => {
    expect(verdict('dhcp-only', 'arp')).toBe('drop');
    expect(verdict('dhcp-only', 'toVm')).toBe('drop');
    expect(verdict('drop-all', 'ipv6')).toBe('drop');
    expect(verdict('drop-all', 'toVm')).toBe('drop');
  });

  it('the trace names the nft chain and handle of the deciding rule', () => {
    const rs = nftLearningRuleset('basic', 'vnet0', DEFAULT_HOSTS.vm.mac);
    const t = new BridgeHost(rs).step(FRAME.forged(), 'from-vm', 0);
    const last = t.hooks
      .flatMap((h) => h.visits)
      .filter((v) => v.matched)
      .at(-1)!;
    expect(last.chain).toBe('vnet0-out');
    // Chains 1-4, set 5, maps 6-7, then vnet0-out's first rule.
    expect(last.handle).toBe(8);
    // No XML rule decides; the packet's site names the driver's own rule.
    expect(t.rule).toBeNull();
    expect(t.site).toEqual({
      table: 'bridge/libvirt_nwfilter_ethernet',
      chain: 'vnet0-out',
      handle: 8,
    });
    const passed = new BridgeHost(rs).step(FRAME.ipv6(), 'from-vm', 0);
    expect(passed.site).toEqual({
      table: 'bridge/libvirt_nwfilter_ethernet',
      chain: 'vnet0-out',
      handle: 11,
    });
  });
});

/** A scenario on the docs' FTP-server filter without IP under nftables: libvirt learns the address. */
const learn = (name: string, params: Record<string, string[]> = {}): ScenarioRun =>
  learnFtpScenario(name, params, 'nftables');

const phases = (r: ScenarioRun) => (r.phases ?? []).map((p) => `${p.step} ${phaseText(p)}`);

describe('IP learning under the nftables backend', () => {
  it('any: the learning rules, the address learned, the filter rebuilt; conntrack starts with it', () => {
    const r = learn('dhcp-boot');
    expect(phases(r)).toEqual([
      expect.stringMatching(
        /^0 learning \(CTRL_IP_LEARNING=any; rules in force: from the VM everything but frames with another source MAC/,
      ),
      '2 learned 10.99.0.2 from packet 2 (DHCPOFFER)',
      "2 rules rebuilt with IP=10.99.0.2: the filter's own rules from here on",
    ]);
    // No ct expression in the learning rules: bridge conntrack is not registered yet.
    expect(r.steps[0]?.trace.ctstate).toBeNull();
    expect(r.steps[0]?.trace.verdict).toBe('accept');
  });

  it('dhcp: the lease ends and the DHCP-only rules (of the nftables driver) come back', () => {
    const r = learn('dhcp-lease-expiry', { CTRL_IP_LEARNING: ['dhcp'] });
    const kinds = (r.phases ?? []).map((p) => p.kind);
    expect(kinds).toContain('rebuilt');
    expect(kinds).toContain('expired');
    expect(kinds.at(-1)).toBe('learning');
    expect(phases(r).at(-1)).toMatch(
      /learning again \(CTRL_IP_LEARNING=dhcp; rules in force: only DHCP/,
    );
  });

  it('a rebuild the kernel refuses (ct without nf_conntrack_bridge) fails: nothing passes', () => {
    const r = learnFtpScenario('dhcp-boot', {}, 'nftables', { nfConntrackBridge: false });
    const failed = (r.phases ?? []).find((p) => p.kind === 'failed');
    expect(failed?.template).toMatch(/nf_conntrack_bridge/);
    expect(r.steps.slice((failed?.step ?? 0) + 1).every((s) => s.trace.verdict === 'drop')).toBe(
      true,
    );
  });
});
