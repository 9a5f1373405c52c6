/**
 * Real applications through the bridge: servers and clients in the guest and client namespaces
 * (socat for the SSH-like TCP and DNS-like UDP services, vsftpd for FTP, ping), both bridge
 * ports captured in the host namespace, every captured frame's kernel fate compared with the
 * verdict of `simulate --from-vm … --to-vm … --json` on the same capture.
 *
 * Each flow gets a fresh bed, so nothing a failed flow leaves behind (vsftpd retrying its data
 * connection, a conntrack entry) reaches the next one.
 */
import type { BackendId } from '../../../src/core/compile';
import { findMissingKernelFeatures } from '../../../src/core/host';
import type { MissingKernelFeature } from '../../../src/core/host';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame } from '../../../src/core/packet';
import type { EthernetFrame } from '../../../src/core/packet';
import { summarizeFrame } from '../../../src/core/packet';
import { BRIDGE_CIDR, PEER, VM } from '../scenarios';
import { compareCounters, compareFrames, compareTables, type ScenarioResult } from './compare';
import { PortCapture, PYTHON, PYTHON_ARGS, type Side } from './frame-io';
import {
  compileRuleset,
  loadBridgeHost,
  simulateCli,
  simulateCliAvailable,
  simulateFrames,
  type SimVerdict,
} from './simulator';
import { Testbed } from './testbed';
import type { Machine } from '../../lib/machine';

const PY = join(import.meta.dirname, '..', 'py');

export type FlowName =
  | 'ssh-in'
  | 'dns-out'
  | 'ping-out'
  | 'ping-in'
  | 'ftp-active'
  | 'ftp-passive'
  | 'telnet-in'
  | 'smtp-out'
  | 'udp54-out';

export interface AppFlow {
  name: FlowName;
  ftpHelper?: boolean;
}

export interface AppCase {
  id: string;
  filter: string;
  bridgeAddress?: string;
  flows: AppFlow[];
  /** The backends it runs under (default both; see `KernelCase.backends`). */
  backends?: readonly BackendId[];
}

export const APP_CASES: readonly AppCase[] = [
  {
    id: 'apps: ftp-new-established',
    filter: 'kd-ftp-new-established',
    flows: [
      { name: 'ssh-in' },
      { name: 'dns-out' },
      { name: 'ping-out' },
      { name: 'ping-in' },
      { name: 'ftp-active' },
      { name: 'ftp-active', ftpHelper: true },
      { name: 'ftp-passive' },
      { name: 'ftp-passive', ftpHelper: true },
    ],
  },
  {
    id: 'apps: ftp-related',
    filter: 'kd-ftp-related',
    flows: [
      { name: 'ftp-active' },
      { name: 'ftp-active', ftpHelper: true },
      { name: 'ftp-passive', ftpHelper: true },
      { name: 'ping-in' },
    ],
  },
  {
    id: 'apps: reject+bridge-address',
    filter: 'kd-reject',
    bridgeAddress: BRIDGE_CIDR,
    flows: [
      { name: 'telnet-in' },
      { name: 'smtp-out' },
      { name: 'udp54-out' },
      { name: 'ssh-in' },
      { name: 'ping-in' },
    ],
  },
  {
    id: 'apps: nft-stateless',
    filter: 'kd-nft-stateless',
    backends: ['nftables'],
    flows: [
      { name: 'ssh-in' },
      { name: 'dns-out' },
      { name: 'ping-out' },
      { name: 'ping-in' },
      { name: 'ftp-active' },
      { name: 'ftp-passive' },
    ],
  },
];

export interface AppContext {
  prefix: string;
  /** Where the test beds live (this host or a guest kernel). */
  machine: Machine;
  tmp: string;
  filtersDir: string;
  params: Record<string, string[]>;
  compileScript: (filter: string, backend: BackendId) => Promise<string>;
  backend: BackendId;
  /** Whether the kernel has nf_conntrack_bridge (nftables backend). */
  nfConntrackBridge: boolean;
  /** Called when the kernel refuses the rule set as the simulator predicts (nothing to run). */
  refused: (stderr: string, missing: readonly MissingKernelFeature[]) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the servers a flow needs; resolves once they listen. */
async function startServers(bed: Testbed, flow: FlowName, tmp: string): Promise<void> {
  const wait: [string, string][] = [];
  switch (flow) {
    case 'ssh-in':
    case 'telnet-in': {
      const port = flow === 'ssh-in' ? 22 : 23;
      bed.spawnIn('guest', 'socat', [
        `TCP4-LISTEN:${port},bind=${VM.ip},reuseaddr`,
        'SYSTEM:echo SSH-2.0-kernel-diff-guest; sleep 0.5',
      ]);
      wait.push([bed.ns.guest, `:${port}`]);
      break;
    }
    case 'smtp-out':
      bed.spawnIn('client', 'socat', [
        `TCP4-LISTEN:25,bind=${PEER.ip},reuseaddr`,
        'SYSTEM:echo 220 smtp',
      ]);
      wait.push([bed.ns.client, ':25']);
      break;
    case 'dns-out':
    case 'udp54-out': {
      const port = flow === 'dns-out' ? 53 : 54;
      bed.spawnIn('client', 'socat', [
        `UDP4-RECVFROM:${port},bind=${PEER.ip}`,
        'SYSTEM:echo dns-reply-kernel-diff',
      ]);
      await sleep(300);
      return;
    }
    case 'ftp-active':
    case 'ftp-passive': {
      const root = join(tmp, 'ftproot');
      mkdirSync(root, { recursive: true, mode: 0o755 });
      writeFileSync(join(root, 'hello.txt'), 'hello from the guest ftp server\n');
      const conf = join(tmp, 'vsftpd.conf');
      writeFileSync(
        conf,
        [
          'listen=YES',
          'listen_ipv6=NO',
          `listen_address=${VM.ip}`,
          'background=NO',
          'anonymous_enable=YES',
          'no_anon_password=YES',
          `anon_root=${root}`,
          'local_enable=NO',
          'write_enable=NO',
          'connect_from_port_20=YES',
          'port_enable=YES',
          'pasv_enable=YES',
          'pasv_min_port=30000',
          'pasv_max_port=30010',
          `pasv_address=${VM.ip}`,
          'secure_chroot_dir=/var/run/vsftpd/empty',
          'seccomp_sandbox=NO',
          'xferlog_enable=NO',
          'connect_timeout=5',
          'data_connection_timeout=5',
          'pam_service_name=vsftpd',
          '',
        ].join('\n'),
      );
      await bed.machine.run('mkdir', ['-p', '/var/run/vsftpd/empty']);
      bed.spawnIn('guest', 'vsftpd', [conf]);
      wait.push([bed.ns.guest, ':21']);
      break;
    }
    case 'ping-out':
    case 'ping-in':
      return;
  }
  // Asked of the bed's agent (/proc/net/tcp), not of `ss`: a program start per poll is slow on a
  // guest kernel under TCG.
  const agent = await bed.agent();
  for (const [netns, port] of wait)
    await agent.request({ op: 'listening', netns, port: Number(port.slice(1)), timeout_ms: 5000 });
}

/** Runs the client side of a flow; resolves to whether it succeeded (for the report). */
async function runClient(bed: Testbed, flow: FlowName): Promise<boolean> {
  const opts = { allowFailure: true, timeoutMs: 20_000 };
  const tcp = (ns: string, addr: string) =>
    bed.exec(
      ns,
      'sh',
      ['-c', `timeout 4 socat -T2 - TCP4:${addr},connect-timeout=3 </dev/null`],
      opts,
    );
  switch (flow) {
    case 'ssh-in':
    case 'telnet-in':
      return /SSH-2.0/.test(
        (await tcp(bed.ns.client, `${VM.ip}:${flow === 'ssh-in' ? 22 : 23}`)).stdout,
      );
    case 'smtp-out':
      return /220/.test((await tcp(bed.ns.guest, `${PEER.ip}:25`)).stdout);
    case 'dns-out':
    case 'udp54-out': {
      const port = flow === 'dns-out' ? 53 : 54;
      const r = await bed.exec(
        bed.ns.guest,
        'sh',
        ['-c', `echo query | timeout 3 socat -T2 - UDP4:${PEER.ip}:${port}`],
        opts,
      );
      return /dns-reply/.test(r.stdout);
    }
    case 'ping-out':
      return (
        (await bed.exec(bed.ns.guest, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', PEER.ip], opts))
          .code === 0
      );
    case 'ping-in':
      return (
        (await bed.exec(bed.ns.client, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', VM.ip], opts))
          .code === 0
      );
    case 'ftp-active':
    case 'ftp-passive': {
      const mode = flow === 'ftp-active' ? 'active' : 'passive';
      const r = await bed.exec(
        bed.ns.client,
        PYTHON,
        [...PYTHON_ARGS, join(PY, 'ftp-client.py'), VM.ip, PEER.ip, mode, 'hello.txt'],
        opts,
      );
      return r.code === 0 && /hello from the guest/.test(r.stdout);
    }
  }
}

/** Runs every flow of one app case; one ScenarioResult per flow. */
export async function runAppCase(app: AppCase, ctx: AppContext): Promise<ScenarioResult[]> {
  const nft = ctx.backend === 'nftables';
  const script = await ctx.compileScript(app.filter, ctx.backend);
  const file = join(ctx.filtersDir, `${app.filter}.xml`);
  const ruleset = compileRuleset(file, ctx.filtersDir, VM.mac, ctx.params, ctx.backend);
  const hostHas = { nfConntrackBridge: ctx.nfConntrackBridge };
  const predictedRefusal = nft ? findMissingKernelFeatures(ruleset, hostHas) : [];
  const Host = await loadBridgeHost();
  const useCli = simulateCliAvailable();
  const out: ScenarioResult[] = [];
  let n = 0;
  for (const flow of app.flows) {
    const name = `${flow.name}${flow.ftpHelper ? '+helper' : ''}`;
    const bed = await Testbed.create(
      `${ctx.prefix}${n++}-`,
      {
        mode: 'apps',
        vmMac: VM.mac,
        vmIp: VM.ip,
        peerMac: PEER.mac,
        peerIp: PEER.ip,
        prefixLen: 24,
      },
      ctx.machine,
    );
    try {
      if (nft) {
        const loaded = await bed.applyNftScript(script);
        if (loaded.ok !== (predictedRefusal.length === 0))
          throw new Error(
            loaded.ok
              ? `the kernel loaded the nftables rule set of ${app.filter}, the simulator predicted a refusal`
              : `the kernel refused the nftables rule set of ${app.filter}, the simulator expected it to load:\n${loaded.stderr}`,
          );
        if (!loaded.ok) {
          ctx.refused(loaded.stderr, predictedRefusal);
          return out;
        }
      } else await bed.applyScript(script);
      if (app.bridgeAddress) {
        await bed.setBridgeAddress(app.bridgeAddress);
        // As in the scenario runs: no ARP from the host (its requests and the answers addressed to
        // br0 would be host traffic, not bridged frames) and no ICMP rate limiting.
        await bed.host('sh', [
          '-c',
          `ip neigh replace ${VM.ip} lladdr ${VM.mac} dev br0 nud permanent && ip neigh replace ${PEER.ip} lladdr ${PEER.mac} dev br0 nud permanent && sysctl -qw net.ipv4.icmp_ratemask=0`,
        ]);
      }
      await bed.prepareScenario(flow.ftpHelper === true, {});
      await startServers(bed, flow.name, ctx.tmp);
      const before = nft ? [] : await bed.counters();
      const cap = await PortCapture.start(bed);
      const ok = await runClient(bed, flow.name);
      // Servers and their sessions stop before the capture does, so that nothing (vsftpd
      // retrying its data connection …) crosses the bridge between the capture's end and the
      // counter snapshot.
      await bed.killAllIn('guest');
      await bed.killAllIn('client');
      const run = await cap.stop();
      const [after, table] = [nft ? [] : await bed.counters(), await bed.conntrackList()];

      // Ingress frames in bridge order, with distinct microsecond timestamps so that the
      // simulator's merge of the two pcaps by time reproduces this order exactly.
      const ingress: {
        side: Side;
        bytes: Uint8Array;
        t: number;
        frame: EthernetFrame | null;
        delivered: boolean;
      }[] = [];
      let lastUs = 0;
      for (const f of run.fates) {
        let us = Math.round(f.t * 1e6);
        if (us <= lastUs) us = lastUs + 1;
        lastUs = us;
        const bytes = new Uint8Array(Buffer.from(f.hex, 'hex'));
        ingress.push({
          side: f.side,
          bytes,
          t: us / 1e6,
          frame: decodeFrame(bytes),
          delivered: f.delivered,
        });
      }
      const summaries = ingress.map((f) =>
        f.frame ? summarizeFrame(f.frame) : 'undecodable frame',
      );
      const settings = { ftpHelper: flow.ftpHelper === true, ...(nft ? hostHas : {}) };
      let verdicts: SimVerdict[] | null = null;
      let reproduce: string | undefined;
      const otherDiff: string[] = [];
      const decodable = ingress.filter(
        (f): f is typeof f & { frame: EthernetFrame } => f.frame !== null,
      );
      if (decodable.length !== ingress.length)
        otherDiff.push(
          `${ingress.length - decodable.length} captured frame(s) the project cannot decode`,
        );
      const inproc = Host
        ? simulateFrames(
            Host,
            ruleset,
            decodable,
            settings,
            (ingress[ingress.length - 1]?.t ?? 0) + 0.3,
          )
        : null;
      if (useCli) {
        const dir = join(ctx.tmp);
        const r = await simulateCli(
          dir,
          file,
          ctx.filtersDir,
          VM.mac,
          ctx.params,
          ingress,
          settings,
          ctx.backend,
        );
        verdicts = r.verdicts;
        reproduce = r.command;
        if (verdicts.length !== ingress.length)
          otherDiff.push(
            `simulate printed ${verdicts.length} verdicts for ${ingress.length} captured frames`,
          );
        verdicts.forEach((v, i) => {
          if (summaries[i] !== undefined && v.summary && v.summary !== summaries[i])
            otherDiff.push(
              `frame #${i}: simulate summarised "${v.summary}" where the capture has "${summaries[i]}" (merge order differs)`,
            );
        });
      } else if (inproc) {
        verdicts = inproc.verdicts;
        reproduce = '(in-process BridgeHost; the simulate command is not there yet)';
      }
      const result: ScenarioResult = {
        caseId: nft ? `nftables ${app.id}` : app.id,
        scenario: `${name} [${ok ? 'app succeeded' : 'app failed'}]`,
        title: `real ${flow.name} through the bridge${flow.ftpHelper ? ' with the CT helper rule' : ''}`,
        rows: compareFrames(
          run.fates.map((f) => ({ ...f })),
          summaries,
          verdicts,
        ),
        tableDiff: inproc?.table ? compareTables(table, inproc.table) : [],
        counterDiff:
          inproc?.counters && run.hostFrames.length === 0 && !nft
            ? compareCounters(before, after, inproc.counters)
            : [],
        otherDiff,
        hostFrames: run.hostFrames.map((h) => {
          const f = decodeFrame(new Uint8Array(Buffer.from(h.hex, 'hex')));
          return `${h.port === 'vm' ? 'to the VM' : 'to the remote host'}: ${f ? summarizeFrame(f) : h.hex.slice(0, 40)}`;
        }),
        compared: verdicts !== null,
        ...(reproduce ? { reproduce } : {}),
      };
      out.push(result);
    } finally {
      await bed.destroy();
    }
  }
  return out;
}
