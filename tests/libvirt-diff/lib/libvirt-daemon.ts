import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
  symlinkSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './netns-pool';
import { runCommand, type CommandResult } from '../../lib/run-command';

/** A firewall command libvirt ran, as its debug log records it (shell-quoted by libvirt). */
export interface LoggedCommand {
  text: string;
  /** libvirt ran it, it failed, and libvirt ignored the failure (the -D/-F/-X of absent chains). */
  ignoredFailure: boolean;
}

/** Parameters of one filter binding (`virsh nwfilter-binding-create`). */
export interface BindingSpec {
  filter: string;
  mac: string;
  /** Repeated names form a list, in order. */
  params: readonly (readonly [string, string])[];
}

const DRIVER = '/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_nwfilter.so';
const FIREWALL_TOOLS = ['iptables', 'ip6tables', 'ebtables'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Escapes text for an XML attribute value in single quotes. */
export function escapeXmlAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

/** Builds the filter binding XML for the port vnet0. */
export function buildBindingXml(b: BindingSpec, portdev = 'vnet0'): string {
  const params = b.params
    .map(([n, v]) => `    <parameter name='${escapeXmlAttr(n)}' value='${escapeXmlAttr(v)}'/>`)
    .join('\n');
  return [
    '<filterbinding>',
    '  <owner><name>nwfs-libvirt-diff</name><uuid>8c3b1f4e-2d7a-4c55-9e0b-6a1d2f3e4b5c</uuid></owner>',
    `  <portdev name='${portdev}'/>`,
    `  <mac address='${escapeXmlAttr(b.mac)}'/>`,
    `  <filterref filter='${escapeXmlAttr(b.filter)}'>`,
    params,
    '  </filterref>',
    '</filterbinding>',
    '',
  ].join('\n');
}

/**
 * Real libvirtd (Debian's 9.0) with only the nwfilter driver, running inside the namespace
 * `home` and a private mount namespace whose /etc, /var and /run are overlays backed by
 * `stateDir`, so the host's files are never written.
 *
 * libvirtd runs its firewall commands in its own network namespace. To get a *fresh* namespace
 * per binding without restarting the daemon, the overlay /etc points the alternatives links of
 * iptables/ip6tables/ebtables at small wrappers that `nsenter` the namespace named in
 * `stateDir/target` before exec'ing the real tool. libvirt still decides every command; only
 * the namespace they land in changes. The port vnet0 must exist in `home` too: libvirt silently
 * skips instantiation for a port device it cannot see.
 */
export class LibvirtDaemon {
  readonly uri: string;
  private constructor(
    readonly pid: number,
    readonly stateDir: string,
    private readonly exited: Promise<void>,
  ) {
    this.uri = `nwfilter+unix:///system?socket=${join(stateDir, 'sock', 'libvirt-sock')}`;
  }

  /** Starts the daemon and waits until its socket answers. */
  static async start(home: Netns, stateDir: string): Promise<LibvirtDaemon> {
    for (const d of [
      'etc.up',
      'etc.wk',
      'var.up',
      'var.wk',
      'run.up',
      'run.wk',
      'sock',
      'log',
      'drivers',
      'wrap',
    ]) {
      mkdirSync(join(stateDir, d), { recursive: true });
    }
    symlinkSync(DRIVER, join(stateDir, 'drivers', 'libvirt_driver_nwfilter.so'));
    writeFileSync(
      join(stateDir, 'libvirtd.conf'),
      [
        `unix_sock_dir = "${stateDir}/sock"`,
        'unix_sock_rw_perms = "0700"',
        'auth_unix_rw = "none"',
        'auth_unix_ro = "none"',
        'log_filters = "1:util.firewall 3:*"',
        `log_outputs = "1:file:${stateDir}/log/libvirtd.log"`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(stateDir, 'target'), '');
    for (const tool of FIREWALL_TOOLS) {
      // libvirt 9.0 runs /usr/sbin/<tool>; Debian makes that a link to /etc/alternatives/<tool>,
      // which is what the overlay redirects.
      if (readlinkSync(`/usr/sbin/${tool}`) !== `/etc/alternatives/${tool}`) {
        throw new Error(
          `/usr/sbin/${tool} is not Debian's alternatives link; the namespace redirection needs it`,
        );
      }
      // The alternatives link names the variant (iptables-nft / -legacy); exec'ing it by that
      // name keeps xtables-multi's argv[0] dispatch working.
      const real = readlinkSync(`/etc/alternatives/${tool}`);
      const wrapper = join(stateDir, 'wrap', tool);
      writeFileSync(
        wrapper,
        [
          '#!/bin/sh',
          "# libvirt-diff: run libvirt's firewall command in the current test case's namespace",
          // `read` is a builtin: one process less per firewall command (clean-traffic runs ~170)
          `t=; read -r t < '${stateDir}/target' 2>/dev/null`,
          'if [ "$t" = discard ]; then exit 0; fi',
          `if [ -n "$t" ]; then exec /usr/bin/nsenter --net="/proc/$t/ns/net" '${real}' "$@"; fi`,
          `exec '${real}' "$@"`,
          '',
        ].join('\n'),
      );
      chmodSync(wrapper, 0o755);
    }
    const inner = join(import.meta.dirname, '..', 'sh', 'libvirtd-inner.sh');
    const child = spawn(
      'ip',
      ['netns', 'exec', home.name, 'unshare', '-m', '--propagation', 'private', inner, stateDir],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    if (child.pid === undefined) throw new Error('cannot spawn libvirtd');
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    // ip netns exec, unshare and the inner script all exec, so this PID is libvirtd's.
    const daemon = new LibvirtDaemon(child.pid, stateDir, exited);
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) break;
      const r = await daemon.virsh(['nwfilter-list'], true);
      if (r.code === 0) return daemon;
      await sleep(100);
    }
    await daemon.stop();
    const log = existsSync(join(stateDir, 'log', 'libvirtd.log'))
      ? readFileSync(join(stateDir, 'log', 'libvirtd.log'), 'utf8')
      : '';
    throw new Error(
      `libvirtd did not come up; log tail:\n${log.split('\n').slice(-20).join('\n')}`,
    );
  }

  /** Runs virsh against this daemon's socket. */
  virsh(args: readonly string[], allowFailure = false): Promise<CommandResult> {
    return runCommand('virsh', ['-q', '-c', this.uri, ...args], {
      allowFailure,
      timeoutMs: 60_000,
    });
  }

  /**
   * Sends libvirt's following firewall commands into the namespace of this process (null: its
   * own; 'discard': nowhere, each command succeeding silently — for the teardown of a binding
   * whose namespace is about to be deleted anyway, which would only cost time).
   */
  redirectFirewallTo(target: number | null | 'discard'): void {
    writeFileSync(join(this.stateDir, 'target'), target === null ? '' : String(target));
  }

  /** Defines (or redefines) a filter from a file. */
  async defineFilter(file: string): Promise<void> {
    await this.virsh(['nwfilter-define', file]);
  }

  /**
   * Replaces a filter that already exists (a built-in) for a while: libvirt refuses a define of
   * an existing name without its UUID, so the UUID is injected. Returns a function restoring it.
   */
  async redefineFilter(name: string, xml: string): Promise<() => Promise<void>> {
    const original = (await this.virsh(['nwfilter-dumpxml', name])).stdout;
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(original)?.[1];
    if (!uuid) throw new Error(`no uuid in the dumpxml of ${name}`);
    const withUuid = xml.replace(/<filter\b[^>]*>/, (open) => `${open}\n  <uuid>${uuid}</uuid>`);
    const file = join(this.stateDir, `redefine-${name}.xml`);
    writeFileSync(file, withUuid);
    await this.virsh(['nwfilter-define', file]);
    return async () => {
      writeFileSync(file, original);
      await this.virsh(['nwfilter-define', file]);
    };
  }

  /** Creates a binding; returns libvirt's error text on failure. */
  async createBinding(spec: BindingSpec): Promise<string | null> {
    const file = join(this.stateDir, 'binding.xml');
    writeFileSync(file, buildBindingXml(spec));
    const r = await this.virsh(['nwfilter-binding-create', file], true);
    return r.code === 0 ? null : (r.stderr || r.stdout).trim();
  }

  async deleteBinding(): Promise<void> {
    await this.virsh(['nwfilter-binding-delete', 'vnet0'], true);
  }

  /** The firewall commands libvirt has run so far, from its debug log. */
  loggedCommands(): LoggedCommand[] {
    const file = join(this.stateDir, 'log', 'libvirtd.log');
    if (!existsSync(file)) return [];
    // An entry starts with a timestamp; anything else continues the previous entry (a comment
    // containing a newline spans lines).
    const entries: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}: /.test(line) || entries.length === 0)
        entries.push(line);
      else entries[entries.length - 1] = `${entries[entries.length - 1] ?? ''}\n${line}`;
    }
    const out: LoggedCommand[] = [];
    for (const e of entries) {
      const m = /Applying rule '([\s\S]*)'$/.exec(e);
      const prev = out[out.length - 1];
      if (m?.[1] !== undefined) out.push({ text: m[1], ignoredFailure: false });
      else if (prev && /Ignoring error running command/.test(e)) prev.ignoredFailure = true;
    }
    return out;
  }

  /** Stops the daemon (by its PID only) and waits for it to exit. */
  async stop(): Promise<void> {
    const alive = () => {
      try {
        process.kill(this.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (!alive()) return;
    process.kill(this.pid, 'SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done && alive()) {
      process.kill(this.pid, 'SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
    }
  }
}
