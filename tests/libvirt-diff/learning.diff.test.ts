/**
 * Differential test of IP address learning against real libvirt 9.0 (see README.md, "IP
 * learning"). libvirtd runs in a namespace with a bridge: the port vnet0 (its peer vnet0p is the
 * "VM") and srv0 (its peer srv0p is the network, where DHCP servers answer). Its firewall
 * commands run in that same namespace, so frames sent by the "VM" and by the servers meet
 * libvirt's rules and its learning thread's captures as on a host.
 *
 * For a binding of the docs' FTP filter (clean-traffic) without IP, in each mode:
 * - the rules libvirt installs while it learns = the project's `compile` without IP;
 * - frames the project's learner says teach nothing (ARP, DHCPDISCOVER from 0.0.0.0, a rogue
 *   server's ACK that the DHCP-only rules drop) leave libvirt's rules as they are;
 * - the frame the project says teaches an address makes libvirt rebuild the rules, and they are
 *   the project's `compile --learned-ip ADDR`;
 * - under dhcp, once the lease ran out, libvirt's rules are the learning rules again.
 * The frames are the project's own (its scenario builders), sent with a raw socket.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyLearnerHit, learningRuleset, snoopDhcp } from '../../src/core/learning';
import { BridgeHost } from '../../src/core/netfilter';
import { encodeFrame, mac as macNumber } from '../../src/core/packet';
import type { EthernetFrame } from '../../src/core/packet';
import { getScenario } from '../../src/core/sim';
import type { ScenarioHosts } from '../../src/core/sim';
import { DEFAULT_MAC } from './cases';
import { compareDumps } from './lib/compare-dumps';
import { dumpFirewall, type FirewallDump } from './lib/firewall-dump';
import { ensurePackages, whyUnavailable } from './lib/host-environment';
import { LibvirtDaemon } from './lib/libvirt-daemon';
import { NetnsPool, tearDownSuite, type Netns } from './lib/netns-pool';
import { cliAvailable, compileArgs, compileInProcess } from './lib/project-script';
import { sweepStaleRuns } from './lib/stale-runs';

const FILTERS_DIR = join(import.meta.dirname, 'filters');
const FILTER = 'test-eth0';
const PREFIX = `nwfs-ld-${process.pid}-learn-`;
const unavailable = whyUnavailable(PREFIX);
const HOSTS: ScenarioHosts = {
  vm: { mac: DEFAULT_MAC, ip: '10.99.0.2' },
  remote: { mac: '52:54:00:aa:bb:01', ip: '10.99.0.1' },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a frame that teaches nothing is given to change libvirt's rules anyway. */
const QUIET_MS = 1500;

/** A frame of one of the project's scenarios, by its label. */
function frameOf(scenario: string, label: string): EthernetFrame {
  const f = getScenario(scenario)
    ?.build(HOSTS)
    .find((x) => x.label === label);
  if (!f) throw new Error(`${scenario}: no frame '${label}'`);
  return f.frame;
}

/** The same DHCPACK with another lease time (option 51), so the test need not wait 30 s. */
function withLease(frame: EthernetFrame, seconds: number): EthernetFrame {
  const ip = frame.payload;
  if (ip.kind !== 'ipv4' || ip.payload.kind !== 'udp') throw new Error('not a DHCP frame');
  const b = new Uint8Array(ip.payload.payload);
  for (let o = 240; o < b.length - 5; o += 2 + (b[o + 1] as number)) {
    if (b[o] === 51) {
      new DataView(b.buffer).setUint32(o + 2, seconds);
      return { ...frame, payload: { ...ip, payload: { ...ip.payload, payload: b } } };
    }
  }
  throw new Error('no lease option');
}

describe.skipIf(unavailable !== null)('libvirt-diff: IP learning vs real libvirt 9.0', () => {
  const pool = new NetnsPool(PREFIX);
  let stateDir = '';
  let daemon: LibvirtDaemon | undefined;
  let home: Netns | undefined;
  const results: string[] = [];
  const t0 = Date.now();

  beforeAll(async () => {
    sweepStaleRuns();
    await ensurePackages((s) => console.log(s));
    if (!cliAvailable()) throw new Error('libvirt-diff: the compile CLI is required');
    stateDir = mkdtempSync(join(tmpdir(), PREFIX));
    home = await pool.create('d');
    // The network side of the bridge, where the DHCP servers are.
    const batch = [
      'link add srv0 type veth peer name srv0p',
      'link set srv0 master br0',
      'link set srv0 up',
      'link set srv0p up',
    ].join('\n');
    await home.exec('ip', ['-batch', '-'], { input: `${batch}\n` });
    daemon = await LibvirtDaemon.start(home, join(stateDir, 'libvirtd'));
    await daemon.defineFilter(join(FILTERS_DIR, `${FILTER}.xml`));
  }, 900_000);

  afterAll(async () => {
    try {
      console.log(
        `libvirt-diff(learning): ${results.length} rule sets compared, ${results.filter((r) => r === 'identical').length} identical (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
      await daemon?.deleteBinding();
    } finally {
      await tearDownSuite(daemon, pool, stateDir);
    }
  }, 120_000);

  /** Empties the daemon's namespace's tables (what an earlier binding left: libvirt-in, …). */
  async function flush(): Promise<void> {
    const ns = home as Netns;
    for (const t of ['iptables', 'ip6tables']) {
      await ns.exec(t, ['-F'], { allowFailure: true });
      await ns.exec(t, ['-X'], { allowFailure: true });
    }
    await ns.exec('ebtables', ['-t', 'nat', '-F'], { allowFailure: true });
    await ns.exec('ebtables', ['-t', 'nat', '-X'], { allowFailure: true });
  }

  async function bind(params: [string, string][]): Promise<string | null> {
    const d = daemon as LibvirtDaemon;
    await d.deleteBinding();
    await flush();
    return d.createBinding({ filter: FILTER, mac: DEFAULT_MAC, params });
  }

  /** Sends a frame into the bridge: from the VM (on vnet0p) or from the network (on srv0p). */
  async function send(frame: EthernetFrame, from: 'vm' | 'net'): Promise<void> {
    const hex = Buffer.from(encodeFrame(frame)).toString('hex');
    await (home as Netns).exec('python3', [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind((sys.argv[1],0))\ns.send(bytes.fromhex(sys.argv[2]))',
      from === 'vm' ? 'vnet0p' : 'srv0p',
      hex,
    ]);
  }

  /**
   * libvirt's rules once `ready` holds and libvirt is done (polled), or the last dump after `ms`.
   * libvirt applies a rule set in ~170 separate commands: done means no chain under its
   * temporary names (libvirt-J-, libvirt-P-, FJ-, FP-, HJ-) and the same dump twice in a row.
   */
  async function rulesWhen(
    ready: (d: FirewallDump) => boolean,
    ms = 60_000,
  ): Promise<FirewallDump> {
    const temp = /^:(?:libvirt-[JP]-|[JP]-vnet0-|FJ-|FP-|HJ-)/m;
    const text = (d: FirewallDump) => `${d.iptables}${d.ip6tables}${d.ebtables}`;
    let d = await dumpFirewall(home as Netns);
    let prev = '';
    for (let waited = 0; waited < ms; waited += 250) {
      const t = text(d);
      if (ready(d) && !temp.test(t) && t === prev) break;
      prev = t;
      await sleep(250);
      d = await dumpFirewall(home as Netns);
    }
    return d;
  }

  /** The project's rules for the same binding (its `compile --format script` run in a fresh namespace). */
  async function projectRules(params: [string, string][], learned?: string) {
    const args = compileArgs(join(FILTERS_DIR, `${FILTER}.xml`), FILTERS_DIR, DEFAULT_MAC, params);
    const script = await compileInProcess(learned ? [...args, '--learned-ip', learned] : args);
    const ns = await pool.create(`p${results.length}`);
    try {
      const file = join(stateDir, `p${results.length}.sh`);
      writeFileSync(file, script);
      const r = await ns.exec('bash', [file], { allowFailure: true });
      if (r.code !== 0) throw new Error(`the project's script failed: ${r.stderr}`);
      return await dumpFirewall(ns);
    } finally {
      await pool.destroy(ns.name);
    }
  }

  async function expectSame(libvirt: FirewallDump, params: [string, string][], learned?: string) {
    const cmp = compareDumps(libvirt, await projectRules(params, learned), []);
    results.push(cmp.status);
    expect(
      cmp.status,
      `rule sets differ (− libvirt 9.0, + project${learned ? `, --learned-ip ${learned}` : ', no IP'}):\n${Object.values(cmp.diffs).join('\n')}`,
    ).toBe('identical');
  }

  const learningAny = (d: FirewallDump) => /-A libvirt-I-vnet0 -p ARP -j ACCEPT/.test(d.ebtables);
  const dhcpOnly = (d: FirewallDump) => /-A libvirt-O-vnet0 .*--ip-sport 67/.test(d.ebtables);
  const built = (ip: string) => (d: FirewallDump) =>
    new RegExp(`--ip-src ${ip.replace(/\./g, '\\.')} -j RETURN`).test(d.ebtables);

  it('none refuses the binding without IP, and so does an unknown mode; the project refuses both', async () => {
    for (const [mode, libvirtSays, code] of [
      ['none', /unresolvable variables.*IP/, 'NWF303'],
      ['arp', /learning value 'arp' invalid/, 'NWF307'],
    ] as const) {
      const params: [string, string][] = [['CTRL_IP_LEARNING', mode]];
      const err = await bind(params);
      expect(err, `libvirt bound ${mode}`).toMatch(libvirtSays);
      const args = compileArgs(
        join(FILTERS_DIR, `${FILTER}.xml`),
        FILTERS_DIR,
        DEFAULT_MAC,
        params,
      );
      await expect(compileInProcess(args)).rejects.toThrow(new RegExp(`error ${code}: `));
    }
  }, 180_000);

  it('dhcp without DHCPSERVER: replies from any source pass while learning', async () => {
    const params: [string, string][] = [['CTRL_IP_LEARNING', 'dhcp']];
    expect(await bind(params)).toBeNull();
    await expectSame(await rulesWhen(dhcpOnly), params);
  }, 180_000);

  it('any: the basic rules while learning; ARP and 0.0.0.0 teach nothing; the first IPv4 source does', async () => {
    expect(await bind([])).toBeNull();
    await expectSame(await rulesWhen(learningAny), []);
    const vm = macNumber(DEFAULT_MAC);
    for (const [frame, what] of [
      [frameOf('static-ip', 'ARP who-has the server'), 'ARP'],
      [frameOf('dhcp-boot', 'DHCPDISCOVER'), 'DHCPDISCOVER from 0.0.0.0'],
    ] as const) {
      expect(anyLearnerHit(frame, vm), `the project learns from ${what}`).toBeNull();
      await send(frame, 'vm');
      await sleep(QUIET_MS);
      expect(learningAny(await dumpFirewall(home as Netns)), `libvirt learned from ${what}`).toBe(
        true,
      );
    }
    const ping = frameOf('dhcp-lease-expiry', 'ping at 1 s: echo request');
    expect(anyLearnerHit(ping, vm)).toEqual({ ip: HOSTS.vm.ip, how: 'ipv4-source' });
    await send(ping, 'vm');
    const after = await rulesWhen(built(HOSTS.vm.ip));
    await expectSame(after, [], HOSTS.vm.ip);
  }, 180_000);

  it('dhcp with DHCPSERVER: DHCP-only rules; a rogue ACK is dropped before the port; the real ACK teaches; the lease ends', async () => {
    const params: [string, string][] = [
      ['CTRL_IP_LEARNING', 'dhcp'],
      ['DHCPSERVER', HOSTS.remote.ip],
    ];
    expect(await bind(params)).toBeNull();
    const learning = await rulesWhen(dhcpOnly);
    await expectSame(learning, params);
    const vm = macNumber(DEFAULT_MAC);
    // The project's own learning rules decide whether the rogue ACK reaches the port.
    const host = new BridgeHost(
      learningRuleset('dhcp-only', 'vnet0', DEFAULT_MAC, [HOSTS.remote.ip]),
    );
    const rogue = frameOf('dhcp-rogue-server', 'DHCPACK from the rogue 10.99.0.67');
    expect(host.step(rogue, 'to-vm', 0).verdict).toBe('drop');
    await send(frameOf('dhcp-lease-expiry', 'ping at 1 s: echo request'), 'vm');
    await send(rogue, 'net');
    await sleep(QUIET_MS);
    expect(dhcpOnly(await dumpFirewall(home as Netns)), 'libvirt learned without an ACK').toBe(
      true,
    );
    // A lease long enough for libvirt to finish the rebuild (~170 commands) before it ends.
    const ack = withLease(frameOf('dhcp-lease-expiry', 'DHCPACK (30 s lease)'), 20);
    expect(host.step(ack, 'to-vm', 1).verdict).toBe('accept');
    expect(snoopDhcp(ack, vm, false)).toMatchObject({ kind: 'ack', ip: HOSTS.vm.ip, lease: 20 });
    await send(ack, 'net');
    await expectSame(await rulesWhen(built(HOSTS.vm.ip)), params, HOSTS.vm.ip);
    // The lease ends after 20 s; libvirt's timer notices within its 10 s poll.
    const again = await rulesWhen(dhcpOnly);
    expect(dhcpOnly(again), 'libvirt kept the rules after the lease ended').toBe(true);
    // What the rebuild left behind and libvirt's DHCP-only rules do not remove: the shared root
    // chains (libvirt-in, -out, -in-post, -host-in), empty, and their jumps from FORWARD/INPUT.
    // An empty chain returns at once: no packet's fate depends on them.
    for (const f of ['iptables', 'ip6tables'] as const) {
      const rest = again[f]
        .split('\n')
        .filter((l) => !/^-A (?:FORWARD|INPUT) -j libvirt-(?:in|out|in-post|host-in)$/.test(l));
      expect(
        rest.filter((l) => /^-A libvirt-/.test(l)),
        `${f}: a root chain kept rules`,
      ).toEqual([]);
      again[f] = rest.filter((l) => !/^:libvirt-/.test(l)).join('\n');
    }
    await expectSame(again, params);
  }, 300_000);
});
