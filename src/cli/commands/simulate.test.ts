import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../core/packet';
import { writePcap } from '../../core/sim';
import type { PcapRecord } from '../../core/sim';
import { DEFAULT_HOSTS, getScenario } from '../../core/sim';
import { callCliOnDisk, tempInputs } from '../testing/run-cli';

const { dir: tmp } = tempInputs('nwfs-cli-simulate-');

/** The libvirt docs' second FTP-server solution (seeds/001), with clean-traffic. */
const FTP_FILTER = `<filter name='test-eth0'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in'>
    <all state='ESTABLISHED'/>
  </rule>
  <rule action='accept' direction='out'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='21' dstportend='22' state='NEW'/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='80' state='NEW'/>
  </rule>
  <rule action='accept' direction='out'>
    <icmp state='NEW'/>
  </rule>
  <rule action='accept' direction='out'>
    <udp dstportstart='53' state='NEW'/>
  </rule>
  <rule action='drop' direction='inout'>
    <all/>
  </rule>
</filter>
`;
const filterFile = path.join(tmp, 'ftp.xml');
writeFileSync(filterFile, FTP_FILTER);
const VM = ['--param', `IP=${DEFAULT_HOSTS.vm.ip}`, '--mac', DEFAULT_HOSTS.vm.mac];

const run = (...args: string[]) => callCliOnDisk(args);

type ScenarioFrames = ReturnType<NonNullable<ReturnType<typeof getScenario>>['build']>;

/** One side's frames of a scenario as pcap records: `base` seconds plus the frame's time (+ µs). */
function pcapRecords(
  frames: ScenarioFrames,
  side: string,
  base: number,
  offsetUs: number,
  keep = (_label: string) => true,
): PcapRecord[] {
  return frames
    .filter((f) => f.side === side && keep(f.label))
    .map((f) => {
      const us = Math.round(f.t * 1e6) + offsetUs;
      const data = encodeFrame(f.frame);
      return { tsSec: base + Math.floor(us / 1e6), tsFrac: us % 1e6, origLen: data.length, data };
    });
}

interface JsonLine {
  i: number;
  t: number;
  side: string;
  summary: string;
  ctstate: string | null;
  verdict: string;
  rule: { filter: string; index: number; priority: number; direction: string } | null;
}
const lines = (out: string): JsonLine[] =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JsonLine);

describe('nwfilter-studio scenarios', () => {
  it('lists every scenario the simulator has', async () => {
    const r = await run('scenarios');
    expect(r.code).toBe(0);
    for (const name of [
      'ftp-active',
      'ftp-passive',
      'ssh',
      'dns',
      'ping',
      'ping-in',
      'statematch-false',
      'mid-stream-ack',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
  });
});

describe('nwfilter-studio simulate', () => {
  it('drops the active-FTP data connection without the helper: it is NEW, not RELATED', async () => {
    const r = await run('simulate', filterFile, ...VM, '--scenario', 'ftp-active', '--json');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const dataSyn = out.find((l) => l.summary.includes(':20 →') && l.summary.includes('[S]'));
    expect(dataSyn).toMatchObject({ side: 'from-vm', ctstate: 'NEW', verdict: 'drop' });
    // The deciding rule is the final drop-all rule: rule index 6 (rules are counted, filterrefs not).
    expect(dataSyn?.rule).toEqual({
      filter: 'test-eth0',
      index: 6,
      priority: 500,
      direction: 'inout',
    });
    // The server sends its SYN again until vsftpd gives up (60 s) and answers 425: ten SYNs, all
    // dropped, nothing skipped.
    const syns = out.filter((l) => l.summary.includes(':20 →') && l.summary.includes('[S]'));
    expect(syns.map((l) => `${l.t.toFixed(2)} ${l.verdict}`)).toEqual(
      [0, 1, 2, 3, 4, 5, 7, 11, 19, 35].map((d) => `${(0.13 + d).toFixed(2)} drop`),
    );
    expect(r.stderr).not.toMatch(/not sent/);
  });

  it('with --ftp-helper the data connection is RELATED and the transfer completes', async () => {
    const r = await run(
      'simulate',
      filterFile,
      ...VM,
      '--scenario',
      'ftp-active',
      '--ftp-helper',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const dataSyn = out.find((l) => l.summary.includes(':20 →') && l.summary.includes('[S]'));
    expect(dataSyn).toMatchObject({ ctstate: 'RELATED', verdict: 'accept' });
    expect(dataSyn?.rule).toMatchObject({ filter: 'test-eth0', index: 1, direction: 'out' });
    expect(out.every((l) => l.verdict === 'accept')).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('prints a readable table with the conntrack table and rule hits', async () => {
    const r = await run('simulate', filterFile, ...VM, '--scenario', 'ping');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#\s+time\s+side\s+ctstate\s+verdict\s+rule\s+packet$/m);
    expect(r.stdout).toContain('conntrack table (');
    // The rule-hits block is the last one and ends with its newline.
    expect(r.stdout).toMatch(/\nrule hits \(\d+\):\n( {2}.*\n)+$/);
  });

  it('without IP shows libvirt learning the address on the timeline (table and JSON)', async () => {
    const mac = ['--mac', DEFAULT_HOSTS.vm.mac];
    const t = await run(
      'simulate',
      filterFile,
      ...mac,
      '--scenario',
      'dhcp-boot',
      '--param',
      'CTRL_IP_LEARNING=dhcp',
    );
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^-- learning \(CTRL_IP_LEARNING=dhcp; rules in force: only DHCP/m);
    expect(t.stdout).toContain(
      `-- learned ${DEFAULT_HOSTS.vm.ip} from packet 3 (DHCPACK, lease 3600 s)\n`,
    );
    expect(t.stdout).toContain(`-- rules rebuilt with IP=${DEFAULT_HOSTS.vm.ip}`);
    const j = await run('simulate', filterFile, ...mac, '--scenario', 'static-ip', '--json');
    const objs = j.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      objs.filter((o) => 'phase' in o).map((o) => `${o.phase as string} ${o.step as number}`),
    ).toEqual(['learning 0', 'learned 3', 'rebuilt 3']);
    expect(objs.filter((o) => 'verdict' in o)).toHaveLength(6);
  });

  it('replays captures through libvirt learning: phases between the packets, as the scenario run has them', async () => {
    const scenario = getScenario('dhcp-boot');
    if (!scenario) throw new Error('no dhcp-boot scenario');
    const frames = scenario.build(DEFAULT_HOSTS);
    const base = 1_763_740_000;
    const pcapOf = (side: string, keep = (_: string) => true) =>
      writePcap(pcapRecords(frames, side, base, 0, keep));
    const a = path.join(tmp, 'learn-from-vm.pcap');
    const b = path.join(tmp, 'learn-to-vm.pcap');
    writeFileSync(a, pcapOf('from-vm'));
    writeFileSync(b, pcapOf('to-vm'));
    const mac = ['--mac', DEFAULT_HOSTS.vm.mac];
    const dhcp = ['--param', 'CTRL_IP_LEARNING=dhcp'];
    const phasesOf = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { phase?: string; step: number; addresses: string[] })
        .filter((o) => o.phase !== undefined)
        .map((o) => `${o.phase} ${o.step} ${o.addresses.join()}`);
    const verdictsOf = (out: string) =>
      lines(out)
        .filter((o) => 'verdict' in o)
        .map((o) => `${o.summary as string} ${o.verdict as string}`);
    const viaScenario = await run(
      'simulate',
      filterFile,
      ...mac,
      ...dhcp,
      '--scenario',
      'dhcp-boot',
      '--json',
    );
    const viaPcap = await run(
      'simulate',
      filterFile,
      ...mac,
      ...dhcp,
      '--from-vm',
      a,
      '--to-vm',
      b,
      '--json',
    );
    expect(viaPcap.code, viaPcap.stderr).toBe(0);
    const ip = DEFAULT_HOSTS.vm.ip;
    // Learned from the ACK (packet 3): the rules are rebuilt before packet 4, the first ping.
    expect(phasesOf(viaPcap.stdout)).toEqual(['learning 0 ', `learned 4 ${ip}`, `rebuilt 4 ${ip}`]);
    expect(phasesOf(viaPcap.stdout)).toEqual(phasesOf(viaScenario.stdout));
    expect(verdictsOf(viaPcap.stdout)).toEqual(verdictsOf(viaScenario.stdout));
    expect(verdictsOf(viaPcap.stdout).slice(-2)).toEqual([
      expect.stringMatching(/ICMP echo request.* accept$/),
      expect.stringMatching(/ICMP echo reply.* accept$/),
    ]);

    // The table form: a line per phase before the packet it concerns.
    const table = await run('simulate', filterFile, ...mac, ...dhcp, '--from-vm', a, '--to-vm', b);
    const rows = table.stdout.split('\n');
    const at = rows.indexOf(`-- learned ${ip} from packet 3 (DHCPACK, lease 3600 s)`);
    expect(rows[at - 1]).toMatch(/^3 .* to-vm .* UDP len=260$/);
    expect(rows[at + 1]).toBe(
      `-- rules rebuilt with IP=${ip}: the filter's own rules from here on`,
    );
    expect(rows[at + 2]).toMatch(/^4 .*ICMP echo request/);

    // A reply libvirt's capture never sees teaches nothing: with DHCPSERVER naming another
    // server, the DHCP-only rules drop the ACK before the port, and learning goes on.
    const other = await run(
      'simulate',
      filterFile,
      ...mac,
      ...dhcp,
      '--param',
      'DHCPSERVER=192.0.2.53',
      '--from-vm',
      a,
      '--to-vm',
      b,
      '--json',
    );
    expect(other.code).toBe(0);
    expect(phasesOf(other.stdout)).toEqual(['learning 0 ']);
    expect(verdictsOf(other.stdout).filter((v) => v.endsWith('accept'))).toHaveLength(2);
  });

  it('shows no traffic through a binding libvirt cannot instantiate, and says why', async () => {
    const bad = path.join(tmp, 'continue.xml');
    writeFileSync(
      bad,
      "<filter name='cont'>\n<rule action='continue' direction='out'><tcp dstportstart='22'/></rule>\n</filter>\n",
    );
    const r = await run('simulate', bad, ...VM, '--scenario', 'ssh', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}:2:1: error NWF331:`);
    expect(r.stderr).toContain("nothing simulated: libvirt would not bind filter 'cont' to vnet0");
  });

  it('simulate | head: the real binary exits quietly when the reader goes away (EPIPE)', () => {
    const bin = fileURLToPath(new URL('../../../bin/nwfilter-studio.mjs', import.meta.url));
    const r = spawnSync(
      'sh',
      [
        '-c',
        `"$0" "$1" simulate "$2" --param IP=10.99.0.2 --mac 52:54:00:11:22:33 --scenario ftp-passive --json | head -c 1 >/dev/null`,
        process.execPath,
        bin,
        filterFile,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('replays two pcaps merged by timestamp, with the pcap time in microseconds', async () => {
    // Active FTP with the helper: every frame is delivered, so the scenario sends them all.
    const scenario = getScenario('ftp-active');
    if (!scenario) throw new Error('no ftp-active scenario');
    const frames = scenario.build(DEFAULT_HOSTS);
    const base = 1_763_740_000;
    const records = (side: string): PcapRecord[] => pcapRecords(frames, side, base, 123);
    const a = path.join(tmp, 'from-vm.pcap');
    const b = path.join(tmp, 'to-vm.pcap');
    writeFileSync(a, writePcap(records('from-vm')));
    writeFileSync(b, writePcap(records('to-vm')));

    const viaScenario = lines(
      (
        await run(
          'simulate',
          filterFile,
          ...VM,
          '--scenario',
          'ftp-active',
          '--ftp-helper',
          '--json',
        )
      ).stdout,
    );
    const r = await run(
      'simulate',
      filterFile,
      ...VM,
      '--from-vm',
      a,
      '--to-vm',
      b,
      '--ftp-helper',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(frames.length);
    // Same packets, same fates as the scenario run (the scenario sends every frame here).
    expect(out.map((l) => [l.side, l.summary, l.ctstate, l.verdict])).toEqual(
      viaScenario.map((l) => [l.side, l.summary, l.ctstate, l.verdict]),
    );
    const raw = r.stdout.split('\n')[0] as string;
    expect(raw).toMatch(/^\{"i":0,"t":1763740000\.000123,"side":"to-vm",/);
  });

  it('reports bad input clearly: unknown scenario, both sources, bad sysctl, invalid XML', async () => {
    expect((await run('simulate', filterFile, '--scenario', 'nope')).stderr).toMatch(
      /unknown scenario 'nope'/,
    );
    const both = await run('simulate', filterFile, '--scenario', 'ssh', '--from-vm', 'x.pcap');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --scenario NAME or --from-vm/);
    const sys = await run(
      'simulate',
      filterFile,
      '--scenario',
      'ssh',
      '--sysctl',
      'nf_conntrack_nope=3',
    );
    expect(sys.code).toBe(2);
    expect(sys.stderr).toMatch(/--sysctl: unknown sysctl 'nf_conntrack_nope'/);
    const bad = path.join(tmp, 'bad.xml');
    writeFileSync(bad, "<filter name='x'>\n  <rule action='accept' direction='in'>\n</filter>\n");
    const inv = await run('simulate', bad, '--scenario', 'ssh');
    expect(inv.code).toBe(1);
    expect(inv.stdout).toBe('');
    expect(inv.stderr).toMatch(
      new RegExp(
        `^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error NWF\\d{3}: `,
        'm',
      ),
    );
    const pcap = path.join(tmp, 'not.pcap');
    writeFileSync(pcap, 'hello, this is not a packet capture file at all');
    const np = await run('simulate', filterFile, ...VM, '--from-vm', pcap);
    expect(np.code).toBe(1);
    expect(np.stderr).toMatch(/PCAP_BAD_MAGIC/);
  });

  it('--host HOST.json: the profile drives the run, flags override it, errors point into the file', async () => {
    const limits = path.join(tmp, 'connlimit-host.xml');
    writeFileSync(
      limits,
      `<filter name='examplefilter'>
  <rule action='drop' direction='out' priority='400'><icmp connlimit-above='1'/></rule>
  <rule action='accept' direction='out' priority='500'><icmp/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`,
    );
    const hostFile = path.join(tmp, 'host.json');
    writeFileSync(hostFile, '{ "sysctls": { "nf_conntrack_icmp_timeout": "100" } }\n');
    const verdicts = async (...extra: string[]) =>
      lines(
        (
          await run(
            'simulate',
            limits,
            ...VM,
            '--scenario',
            'ping-connlimit-timeout',
            '--json',
            ...extra,
          )
        ).stdout,
      )
        .filter((l) => l.side === 'from-vm')
        .map((l) => l.verdict);
    // 100 s from the file: ping 1's entry still counts when ping 3 starts
    expect(await verdicts('--host', hostFile)).toEqual([
      'accept',
      'accept',
      'accept',
      'drop',
      'drop',
    ]);
    // the flag wins over the file
    expect(await verdicts('--host', hostFile, '--sysctl', 'nf_conntrack_icmp_timeout=30')).toEqual([
      'accept',
      'accept',
      'accept',
      'drop',
      'accept',
    ]);
    // an event lowering the timeout to 3 s before ping 3 does not shorten the entry ping 1 left
    // (it expires 100 s after its last packet): ping 3 is still over the limit
    writeFileSync(
      hostFile,
      '{ "sysctls": { "nf_conntrack_icmp_timeout": "100" },\n  "events": [ { "t": 10, "sysctls": { "nf_conntrack_icmp_timeout": "3" } } ] }\n',
    );
    expect(await verdicts('--host', hostFile)).toEqual([
      'accept',
      'accept',
      'accept',
      'drop',
      'drop',
    ]);
    writeFileSync(hostFile, '{\n  "ftpHelper": false,\n  "bridgeAdress": "10.0.0.1/24"\n}\n');
    const bad = await run('simulate', limits, '--scenario', 'ssh', '--host', hostFile);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `${hostFile}:3:3: error NWF702: unknown key "bridgeAdress" in the host profile (allowed: ftpHelper, bridgeAddress, sysctls, ipsets, events, nfConntrackBridge, kernel)\n`,
    );
    const flag = await run(
      'simulate',
      limits,
      '--scenario',
      'ssh',
      '--bridge-address',
      '10.0.0.1/99',
    );
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--bridge-address: '10.0.0.1\/99': the prefix length must be 0–32/);
  });

  it('--ipset: the host set decides a -m set rule; a sysctl the run cannot reflect is noted', async () => {
    const setFilter = path.join(tmp, 'ipset.xml');
    writeFileSync(
      setFilter,
      `<filter name='trusted-ssh'>
  <rule action='accept' direction='in'><all ipset='trusted' ipsetflags='src'/></rule>
  <rule action='drop' direction='inout'><all/></rule>
</filter>`,
    );
    const first = async (...extra: string[]) => {
      const r = await run('simulate', setFilter, ...VM, '--scenario', 'ssh', '--json', ...extra);
      return { first: lines(r.stdout)[0]?.verdict, stderr: r.stderr };
    };
    const peer = DEFAULT_HOSTS.remote.ip;
    expect((await first('--ipset', `trusted=${peer}`)).first).toBe('accept');
    expect((await first('--ipset', 'trusted:hash:net=192.0.2.0/24')).first).toBe('drop');
    // A set the host lacks: iptables refuses the rule, libvirt rolls the binding back.
    const missing = await run('simulate', setFilter, ...VM, '--scenario', 'ssh', '--json');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(
      new RegExp(
        `^${setFilter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:3: error NWF520: nothing to simulate, the binding cannot be instantiated: the host has no ipset 'trusted'`,
      ),
    );
    const noted = await first('--ipset', `trusted=${peer}`, '--sysctl', 'nf_conntrack_acct=1');
    expect(noted.stderr).toBe(
      'nwfilter-studio simulate: note: net.netfilter.nf_conntrack_acct=1: no effect on verdicts (byte and packet counters per entry)\n',
    );
  });

  it("takes the ICMP timeout from --sysctl (the docs' connlimit example)", async () => {
    const limits = path.join(tmp, 'connlimit.xml');
    writeFileSync(
      limits,
      `<filter name='examplefilter'>
  <rule action='drop' direction='out' priority='400'><icmp connlimit-above='1'/></rule>
  <rule action='accept' direction='out' priority='500'><icmp/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`,
    );
    const sim = async (...extra: string[]) =>
      lines(
        (
          await run(
            'simulate',
            limits,
            ...VM,
            '--scenario',
            'ping-connlimit-timeout',
            '--json',
            ...extra,
          )
        ).stdout,
      );
    const third = (out: JsonLine[]) =>
      out.filter((l) => l.side === 'from-vm').map((l) => l.verdict);
    // 30 s default: ping 2 (right after ping 1) is over the limit, ping 3 (after 36 s) passes.
    expect(third(await sim())).toEqual(['accept', 'accept', 'accept', 'drop', 'accept']);
    // With a 100 s timeout ping 1's entry still counts when ping 3 starts.
    expect(third(await sim('--sysctl', 'net.netfilter.nf_conntrack_icmp_timeout=100'))).toEqual([
      'accept',
      'accept',
      'accept',
      'drop',
      'drop',
    ]);
  });
});

describe('simulate --backend nftables', () => {
  const args = ['simulate', filterFile, ...VM, '--scenario', 'ssh', '--backend', 'nftables'];
  it('executes the nftables rule set: rule hits name the bridge tables and chains', async () => {
    const r = await run(...args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\berror\b/);
    // The SSH exchange is accepted by the inet table's interface chains, in both directions.
    expect(r.stdout).toMatch(/bridge\/libvirt_nwfilter_inet vnet0-in #\d+ handle \d+: \d+ packets/);
    expect(r.stdout).toMatch(
      /bridge\/libvirt_nwfilter_inet vnet0-out #\d+ handle \d+: \d+ packets/,
    );
    expect(r.stdout).toMatch(/ESTABLISHED\s+accept/);
    // Each rule as the kernel numbers it once the exported script is loaded (nft -a list ruleset).
    expect(r.stdout).toMatch(
      /accept\s+\S+#\d+ \(prio \d+, \w+\) \[bridge libvirt_nwfilter_inet vnet0-(in|out) handle \d+\]/,
    );
  });
  it('--json names the deciding rule with its nft table, chain and handle', async () => {
    const r = await run(...args, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            rule: unknown;
            site?: { table: string; chain: string; handle: number };
          },
      );
    const decided = lines.filter((l) => l.rule !== null);
    expect(decided.length).toBeGreaterThan(0);
    for (const l of decided) {
      expect(l.site?.table).toMatch(/^bridge\/libvirt_nwfilter_(inet|ethernet)$/);
      expect(l.site?.handle).toBeGreaterThan(0);
    }
  });
  it('refuses at the rule when the host has no nf_conntrack_bridge', async () => {
    const r = await run(...args, '--nf-conntrack-bridge', 'no');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /ftp\.xml:\d+:\d+: error NWF521: nothing to simulate, the filter cannot be applied: the host's kernel has no nf_conntrack_bridge/,
    );
    expect((await run(...args, '--nf-conntrack-bridge', 'maybe')).code).toBe(2);
  });
});
