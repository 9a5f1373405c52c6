/**
 * The kernel side of the differential suite: three network namespaces joined by veth pairs
 *
 *   <prefix>client  eth0 ──veth── eth0 ┐
 *                                       ├ br0  <prefix>host  (br_netfilter, the filter's rules)
 *   <prefix>guest   eth0 ──veth── vnet0 ┘
 *
 * No namespace has a route anywhere else and nothing touches the root namespace. The host's
 * second bridge port is named `eth0`, as the simulator's default `peerPort`.
 *
 * Two modes: `inject` leaves the endpoints without addresses (their kernels never answer the
 * frames the suite writes on them), `apps` gives them the scenario addresses so real programs
 * can talk through the bridge.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LOCAL_MACHINE, type Machine, type MachineProcess } from '../../lib/machine';
import { runCommand, type CommandResult, type RunOptions } from '../../lib/run-command';
import { Injector } from './frame-io';

/** Debian packages the suite needs (names as in bookworm). */
export const PACKAGES = [
  'iptables',
  'ebtables',
  'conntrack',
  'iproute2',
  'socat',
  'vsftpd',
  'iputils-ping',
  'python3',
  'procps',
  'ipset',
  'nftables',
] as const;

const REQUIRED_FILES = [
  '/usr/sbin/iptables',
  '/usr/sbin/iptables-save',
  '/usr/sbin/ebtables',
  '/usr/sbin/conntrack',
  '/usr/sbin/ip',
  '/usr/bin/socat',
  '/usr/sbin/vsftpd',
  '/usr/bin/ping',
  '/usr/bin/python3',
  '/usr/sbin/sysctl',
  '/usr/sbin/ipset',
  '/usr/sbin/nft',
];

/**
 * Why the suite cannot run here, or null when it can (root, Linux, a network namespace can be
 * created). Synchronous: Vitest decides skips while collecting.
 */
export function whyUnavailable(prefix: string): string | null {
  if (process.env.NWFS_KERNEL_DIFF === 'skip') return 'NWFS_KERNEL_DIFF=skip';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  const probe = `${prefix}probe`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error) return `cannot run ip (${add.error.message}); install iproute2`;
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** Installs the packages when one of their files is missing (`apt-get update` once, dpkg lock timeout). */
export async function ensurePackages(log: (s: string) => void): Promise<void> {
  const missing = REQUIRED_FILES.filter((f) => !existsSync(f));
  if (missing.length === 0) return;
  log(`kernel-diff: installing ${PACKAGES.join(' ')} (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runCommand('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], {
    env,
    timeoutMs: 900_000,
  });
  await runCommand(
    'apt-get',
    ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...PACKAGES],
    {
      env,
      timeoutMs: 900_000,
    },
  );
  const still = REQUIRED_FILES.filter((f) => !existsSync(f));
  if (still.length)
    throw new Error(`kernel-diff: still missing after apt-get install: ${still.join(', ')}`);
}

/**
 * Deletes namespaces a previous run of this suite left behind when it was killed before its
 * teardown (`nwfs-kd-<pid>-…` whose process is gone), stopping the processes it had started
 * in them (by PID). Namespaces of a live run are left alone.
 */
export async function sweepStaleNamespaces(log: (s: string) => void): Promise<void> {
  const r = await runCommand('ip', ['netns', 'list'], { allowFailure: true });
  for (const line of r.stdout.split('\n')) {
    const m = /^(nwfs-kd-(\d+)-\S+)/.exec(line);
    if (!m) continue;
    const [name, pidText] = [m[1] as string, m[2] as string];
    let alive = true;
    try {
      process.kill(Number(pidText), 0);
    } catch {
      alive = false;
    }
    if (alive) continue;
    const pids = await runCommand('ip', ['netns', 'pids', name], { allowFailure: true });
    for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await runCommand('ip', ['netns', 'del', name], { allowFailure: true });
    log(`kernel-diff: removed ${name}, left behind by a run that was killed`);
  }
}

export type NsRole = 'client' | 'host' | 'guest';

export interface TestbedOptions {
  mode: 'inject' | 'apps';
  vmMac: string;
  vmIp: string;
  peerMac: string;
  peerIp: string;
  /** Prefix length of the endpoints' subnet in `apps` mode. */
  prefixLen: number;
}

/** One conntrack entry as `conntrack -L -o extended` prints it, reduced to what is compared. */
export interface KernelConn {
  proto: string;
  state: string | null;
  orig: {
    src: string;
    dst: string;
    sport?: number;
    dport?: number;
    type?: number;
    code?: number;
    id?: number;
  };
  reply: {
    src: string;
    dst: string;
    sport?: number;
    dport?: number;
    type?: number;
    code?: number;
    id?: number;
  };
  flags: string[];
  helper: string | null;
  raw: string;
}

/** A per-rule packet counter read from the kernel. */
export interface KernelCounter {
  table: string;
  chain: string;
  /** 0-based rule index within the chain. */
  index: number;
  packets: number;
  /** The rule text as the tool prints it (for reports). */
  text: string;
}

/** A running three-namespace bed. Always `destroy()` it (finally / afterAll). */
export class Testbed {
  readonly ns: Record<NsRole, string>;
  private readonly children = new Set<MachineProcess>();
  private created: string[] = [];
  bridgeAddress: string | null = null;
  private agentP: Promise<Injector> | null = null;
  /** Whether the raw-table FTP helper rule is in place (a fresh namespace has none). */
  private helperRule = false;

  private constructor(
    readonly prefix: string,
    readonly opts: TestbedOptions,
    /** Where the namespaces and programs live: this host, or a guest kernel. */
    readonly machine: Machine,
  ) {
    this.ns = { client: `${prefix}client`, host: `${prefix}host`, guest: `${prefix}guest` };
  }

  /** Builds the namespaces, links and bridge; tears down what it made if a step fails. */
  static async create(
    prefix: string,
    opts: TestbedOptions,
    machine: Machine = LOCAL_MACHINE,
  ): Promise<Testbed> {
    const bed = new Testbed(prefix, opts, machine);
    try {
      await bed.build();
    } catch (e) {
      await bed.destroy();
      throw e;
    }
    return bed;
  }

  /**
   * Few programs, since each costs a guest kernel under TCG about half a second: one `ip -batch`
   * makes the namespaces and every link in place, one per namespace sets them up, and the bed's
   * agent (started meanwhile) writes the sysctls.
   */
  private async build(): Promise<void> {
    const { client, host, guest } = this.ns;
    const o = this.opts;
    const agent = this.agent();
    agent.catch(() => undefined);
    this.created.push(client, host, guest);
    await this.machine.run('ip', ['-batch', '-'], {
      input: [
        ...[client, host, guest].map((n) => `netns add ${n}`),
        `link add br0 netns ${host} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`,
        `link add vnet0 netns ${host} type veth peer name eth0 netns ${guest}`,
        `link add eth0 netns ${host} type veth peer name eth0 netns ${client}`,
        '',
      ].join('\n'),
    });
    const a = await agent;
    // No IPv6 chatter (DAD, router solicitations, MLD) on the test links: set before they are up.
    for (const n of [client, host, guest])
      await a.request({
        op: 'write-sysctls',
        netns: n,
        values: { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 },
      });
    const batches: [string, string[]][] = [
      [
        host,
        [
          'link set lo up',
          'link set vnet0 master br0',
          'link set eth0 master br0',
          'link set br0 up',
          'link set vnet0 up',
          'link set eth0 up',
        ],
      ],
      ...([
        [guest, o.vmMac, o.vmIp],
        [client, o.peerMac, o.peerIp],
      ].map(([n, mac, ip]) => [
        n as string,
        [
          'link set lo up',
          `link set eth0 address ${mac}`,
          'link set eth0 up',
          o.mode === 'apps' ? `addr add ${ip}/${o.prefixLen} dev eth0` : 'link set eth0 promisc on',
        ],
      ]) as [string, string[]][]),
    ];
    for (const [n, lines] of batches)
      await this.machine.run('ip', ['-n', n, '-batch', '-'], { input: lines.join('\n') + '\n' });
    // br_netfilter's switches are per network namespace on current kernels.
    const bridgeSysctl = {
      op: 'write-sysctls',
      netns: host,
      values: {
        'net.bridge.bridge-nf-call-iptables': 1,
        'net.bridge.bridge-nf-call-ip6tables': 1,
        'net.bridge.bridge-nf-call-arptables': 1,
      },
    };
    await a.request(bridgeSysctl).catch(async () => {
      await this.machine.run('modprobe', ['br_netfilter'], { allowFailure: true });
      await a.request(bridgeSysctl).catch((e: Error) => {
        throw new Error(
          `kernel-diff: bridge netfilter unavailable (no net.bridge sysctls): ${e.message}`,
        );
      });
    });
    await a
      .request({
        op: 'write-sysctls',
        netns: host,
        values: { 'net.netfilter.nf_conntrack_acct': 1 },
      })
      .catch(() => undefined);
    if (o.mode === 'inject')
      await a.request({ op: 'ports', ports: { vm: `${guest}:eth0`, peer: `${client}:eth0` } });
  }

  /** Runs a program inside one of the namespaces. */
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    opts?: RunOptions,
  ): Promise<CommandResult> {
    return this.machine.run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  host(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    return this.exec(this.ns.host, cmd, args, opts);
  }

  /** Starts a long-running program in a namespace; `destroy` kills it by PID. */
  spawnIn(role: NsRole, cmd: string, args: readonly string[]): MachineProcess {
    return this.spawn('ip', ['netns', 'exec', this.ns[role], cmd, ...args]);
  }

  /** Starts a long-running program on the machine itself; `destroy` kills it by PID. */
  spawn(cmd: string, args: readonly string[]): MachineProcess {
    const child = this.machine.spawn(cmd, args);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills one child this bed started (by PID) and waits for it. */
  async stop(child: MachineProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    if (!child.kill(signal)) return;
    const t = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 2000);
    await done;
    clearTimeout(t);
  }

  /**
   * Stops every process inside one of the bed's namespaces (all of them were started by this
   * suite: servers and the sessions they forked), by PID, and waits until none is left.
   */
  async killAllIn(role: NsRole): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const r = await this.machine.run('ip', ['netns', 'pids', this.ns[role]], {
        allowFailure: true,
      });
      const pids = r.stdout.split(/\s+/).filter(Boolean);
      if (pids.length === 0) return;
      await this.machine.run('kill', ['-KILL', ...pids], { allowFailure: true });
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** Runs the project's compiled script in the host namespace. */
  async applyScript(script: string): Promise<void> {
    const r = await this.host('sh', ['-s'], {
      input: script,
      allowFailure: true,
      timeoutMs: 120_000,
    });
    if (r.code !== 0)
      throw new Error(
        `kernel-diff: the compiled script failed in ${this.ns.host} (exit ${r.code})\n${r.stderr}${r.stdout}`,
      );
  }

  /**
   * Loads an `nft -f` script (the nftables backend's `--format script`) in the host namespace; the
   * kernel's refusal (nft's message) instead of throwing, since a kernel without a module refuses
   * some rules by design.
   */
  async applyNftScript(script: string): Promise<{ ok: true } | { ok: false; stderr: string }> {
    const r = await (
      await this.agent()
    ).request<{ ok: boolean; stderr: string }>({
      op: 'nft',
      script,
    });
    // `flush ruleset` also empties the raw table iptables-nft keeps the helper rule in.
    if (/^\s*flush\s+ruleset\b/m.test(script)) this.helperRule = false;
    return r.ok ? { ok: true } : { ok: false, stderr: r.stderr };
  }

  /**
   * The bed's `frame-io.py serve` process in its host namespace (started on first use; `destroy`
   * stops it): the injector in `inject` mode, and in both modes what each scenario asks of the
   * host namespace (conntrack, sysctls, nft) without starting a program for it.
   */
  agent(): Promise<Injector> {
    this.agentP ??= Injector.spawn(this);
    return this.agentP;
  }

  /** Gives br0 an address (REJECT needs one to send its ICMP error), or removes it. */
  async setBridgeAddress(cidr: string | null): Promise<void> {
    if (this.bridgeAddress === cidr) return;
    if (this.bridgeAddress)
      await this.host('ip', ['addr', 'del', this.bridgeAddress, 'dev', 'br0']);
    if (cidr) await this.host('ip', ['addr', 'add', cidr, 'dev', 'br0']);
    this.bridgeAddress = cidr;
  }

  /** Writes /proc/sys/net/netfilter/NAME values in the host namespace. */
  async readSysctl(name: string): Promise<number> {
    const r = await (
      await this.agent()
    ).request<{ values: Record<string, string> }>({ op: 'sysctl', names: [name] });
    return Number(r.values[name]);
  }

  /**
   * Prepares the host for one scenario: empties conntrack (entries and expectations), adds or
   * removes the raw-table FTP helper rule, writes the sysctls. With `renewConnlimit`, the filter
   * table is saved and restored, so every connlimit match starts with empty counts: nf_conncount
   * keeps its own list of connections per source, which `conntrack -F` does not empty and which
   * it cleans at most 8 stale entries per packet, so counts would otherwise carry over from the
   * previous scenario. Programs are started only for the iptables parts (the helper rule only
   * when it changes); the rest is one request to the bed's agent.
   */
  async prepareScenario(
    ftpHelper: boolean,
    sysctl: Readonly<Record<string, number>>,
    renewConnlimit = false,
  ): Promise<void> {
    const helper = 'PREROUTING -p tcp --dport 21 -j CT --helper ftp';
    const lines = [
      renewConnlimit
        ? 'iptables-save -t filter > /tmp/.nwfs-kd-$$ && iptables-restore -w < /tmp/.nwfs-kd-$$; rc=$?; rm -f /tmp/.nwfs-kd-$$; [ $rc = 0 ] || exit 1'
        : '',
      ftpHelper !== this.helperRule
        ? `while iptables -w -t raw -D ${helper} 2>/dev/null; do :; done`
        : '',
      ftpHelper && !this.helperRule ? `iptables -w -t raw -A ${helper} || exit 1` : '',
    ].filter(Boolean);
    if (lines.length) await this.host('sh', ['-c', [...lines, 'exit 0'].join('\n')]);
    this.helperRule = ftpHelper;
    await (await this.agent()).request({ op: 'prepare', sysctl });
  }

  /** The conntrack table (`conntrack -L -o extended`, as the bed's agent formats it). */
  async conntrackList(): Promise<KernelConn[]> {
    const r = await (await this.agent()).request<{ table: string[] }>({ op: 'conntrack' });
    return r.table.filter((l) => /^ipv[46]\s/.test(l)).map(parseConntrackLine);
  }

  /** The pending expectations (`conntrack -L expect`, as the bed's agent formats them). */
  async expectationList(): Promise<string[]> {
    const r = await (await this.agent()).request<{ expect: string[] }>({ op: 'conntrack' });
    return r.expect.filter((l) => l.trim());
  }

  /**
   * Per-rule packet counters of iptables filter (`iptables -L -v -x`) and ebtables nat
   * (`ebtables -L --Lc`; ebtables cannot zero them, so callers take differences).
   */
  async counters(): Promise<KernelCounter[]> {
    const sep = '=====kernel-diff=====';
    const r = await this.host(
      'sh',
      [
        '-c',
        `iptables -w -t filter -L -v -x -n; echo ${sep}; ip6tables -w -t filter -L -v -x -n; echo ${sep}; ebtables -t nat -L --Lc`,
      ],
      { allowFailure: true },
    );
    const [v4 = '', v6 = '', eb = ''] = r.stdout.split(sep + '\n');
    const out: KernelCounter[] = [];
    for (const [text, table] of [
      [v4, 'iptables/filter'],
      [v6, 'ip6tables/filter'],
    ] as const) {
      let chain = '';
      let index = 0;
      for (const line of text.split('\n')) {
        const m = /^Chain (\S+)/.exec(line);
        if (m) {
          chain = m[1] as string;
          index = 0;
          continue;
        }
        const c = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
        if (c && chain)
          out.push({
            table,
            chain,
            index: index++,
            packets: Number(c[1]),
            text: (c[3] as string).trim(),
          });
      }
    }
    let chain = '';
    let index = 0;
    for (const line of eb.split('\n')) {
      const m = /^Bridge chain: ([^,]+),/.exec(line);
      if (m) {
        chain = m[1] as string;
        index = 0;
        continue;
      }
      const c = /^(.*) , pcnt = (\d+) -- bcnt = \d+/.exec(line);
      if (c && chain)
        out.push({
          table: 'ebtables/nat',
          chain,
          index: index++,
          packets: Number(c[2]),
          text: (c[1] as string).trim(),
        });
    }
    return out;
  }

  /** Kills every process this bed started (by PID) and deletes the namespaces. Never throws. */
  async destroy(): Promise<void> {
    await this.agentP?.catch(() => undefined);
    for (const c of [...this.children]) await this.stop(c, 'SIGKILL').catch(() => undefined);
    if (this.created.length)
      await this.machine
        .run('ip', ['-force', '-batch', '-'], {
          input: this.created.map((n) => `netns del ${n}\n`).join(''),
          allowFailure: true,
        })
        .catch(() => undefined);
    this.created = [];
  }
}

/** Parses one `conntrack -L -o extended` line. */
export function parseConntrackLine(line: string): KernelConn {
  const words = line.trim().split(/\s+/);
  // ipv4 2 tcp 6 431999 ESTABLISHED src=… or ipv4 2 icmp 1 29 src=…
  const proto = words[2] ?? '?';
  let i = 5;
  let state: string | null = null;
  if (words[i] && !words[i]!.includes('=') && !words[i]!.startsWith('['))
    state = words[i++] as string;
  const tuples: Record<string, string>[] = [{}, {}];
  const flags: string[] = [];
  let helper: string | null = null;
  let which = 0;
  for (; i < words.length; i++) {
    const w = words[i] as string;
    if (w.startsWith('[')) {
      flags.push(w.replace(/[[\]]/g, ''));
      continue;
    }
    const eq = w.indexOf('=');
    if (eq < 0) continue;
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (k === 'helper') helper = v;
    else if (['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'].includes(k)) {
      if (k === 'src' && tuples[which]!.src !== undefined) which = 1;
      if (tuples[which]![k] === undefined) tuples[which]![k] = v;
    }
  }
  const tuple = (t: Record<string, string>) => {
    const o: KernelConn['orig'] = { src: t.src ?? '', dst: t.dst ?? '' };
    for (const k of ['sport', 'dport', 'type', 'code', 'id'] as const)
      if (t[k] !== undefined) o[k] = Number(t[k]);
    return o;
  };
  return {
    proto,
    state,
    orig: tuple(tuples[0]!),
    reply: tuple(tuples[1]!),
    flags,
    helper,
    raw: line.trim(),
  };
}

/**
 * Whether this kernel has `nf_conntrack_bridge`: a `ct state` rule in a bridge table loads in a
 * throw-away namespace (the kernel refuses it with EPROTO without the module, KERNEL-FACTS N1).
 */
export async function probeBridgeConntrack(machine: Machine = LOCAL_MACHINE): Promise<boolean> {
  const table =
    'table bridge nwfs_probe {\n\tchain p {\n\t\ttype filter hook prerouting priority 0; policy accept;\n\t\tether type ip ct state established accept\n\t}\n}\n';
  const r = await machine.run('unshare', ['--net', '--', 'nft', '-f', '-'], {
    input: table,
    allowFailure: true,
    timeoutMs: 60_000,
  });
  if (r.code === 0) return true;
  if (/Protocol error/.test(r.stderr)) return false;
  throw new Error(`kernel-diff: cannot probe nf_conntrack_bridge: ${r.stderr}`);
}
