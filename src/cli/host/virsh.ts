import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBindingXml, parseLibvirtVersion, DEFAULT_LIBVIRT_VERSION } from '../../core';
import type { FilterBinding, LibvirtVersion } from '../../core';
import { checkFilterName, checkPortdev, checkUri, checkUuid } from './names';

/** One finished program. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one program with an argument vector: never a shell, so no argument is ever parsed again.
 * Injected so that tests can stand in for virsh and the firewall tools.
 */
export type Runner = (
  file: string,
  args: readonly string[],
  opts?: { timeoutMs?: number },
) => Promise<ProcessResult>;

/** {@link Runner} through `execFile` (no shell); a missing program is exit 127 with a message. */
export const execFileRunner: Runner = (file, args, opts = {}) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 120_000, shell: false },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const code = (err as { code?: unknown }).code;
        if (code === 'ENOENT')
          return resolve({ code: 127, stdout: '', stderr: `${file}: not found on PATH` });
        resolve({
          code: typeof code === 'number' ? code : 1,
          stdout,
          stderr: stderr || err.message,
        });
      },
    );
  });

/** A virsh command that failed: libvirt's own error text. */
export class VirshError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly libvirtMessage: string,
  ) {
    super(`virsh ${args.join(' ')}: ${libvirtMessage}`);
    this.name = 'VirshError';
  }
}

/** One filter the host holds. */
export interface HostFilter {
  name: string;
  uuid: string;
  /** `virsh nwfilter-dumpxml` of it. */
  xml: string;
}

/** One binding the host holds (a VM interface with its filter). */
export interface HostBinding {
  binding: FilterBinding;
  /** `virsh nwfilter-binding-dumpxml` of it. */
  xml: string;
}

/**
 * The libvirt behind one connection URI, through `virsh` (libvirt's own client: every libvirt
 * host has it, it speaks every URI and transport, and no maintained Node binding covers the
 * nwfilter API — see src/cli/host/README.md). Every value from a user is checked before it
 * becomes a virsh argument.
 */
export class HostLibvirt {
  constructor(
    readonly uri: string,
    private readonly run: Runner = execFileRunner,
  ) {
    const bad = checkUri(uri);
    if (bad) throw new Error(bad);
  }

  /** Runs `virsh -q -c URI ARGS…`; throws a {@link VirshError} with libvirt's message on failure. */
  async virsh(args: readonly string[]): Promise<string> {
    const r = await this.run('virsh', ['-q', '-c', this.uri, ...args]);
    if (r.code !== 0) {
      const msg = (r.stderr || r.stdout).trim().replace(/^error: /gm, '');
      throw new VirshError(args, msg || `exit ${r.code}`);
    }
    return r.stdout;
  }

  /** `nwfilter-list`: UUID and name of every filter, built-ins included. */
  async listFilters(): Promise<{ uuid: string; name: string }[]> {
    const out = await this.virsh(['nwfilter-list']);
    const list: { uuid: string; name: string }[] = [];
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f-]{36})\s+(\S.*?)\s*$/i.exec(line);
      if (m?.[1] && m[2]) list.push({ uuid: m[1], name: m[2] });
    }
    return list;
  }

  /** `nwfilter-dumpxml` by UUID (a name that is not one libvirt's schema allows still has a UUID). */
  async dumpFilter(uuid: string): Promise<string> {
    const bad = checkUuid(uuid);
    if (bad) throw new Error(bad);
    return this.virsh(['nwfilter-dumpxml', uuid]);
  }

  /** `nwfilter-dumpxml` by name. */
  async dumpFilterByName(name: string): Promise<string> {
    const bad = checkFilterName(name);
    if (bad) throw new Error(bad);
    return this.virsh(['nwfilter-dumpxml', name]);
  }

  /** Every filter with its XML (four dumpxml at a time: one virsh process each). */
  async filters(): Promise<HostFilter[]> {
    const list = await this.listFilters();
    const out: HostFilter[] = new Array<HostFilter>(list.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < list.length; i = next++) {
        const f = list[i] as { uuid: string; name: string };
        out[i] = { ...f, xml: await this.dumpFilter(f.uuid) };
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return out;
  }

  /** `nwfilter-binding-list`: the port devices with a filter. */
  async listBindings(): Promise<string[]> {
    const out = await this.virsh(['nwfilter-binding-list']);
    return out
      .split('\n')
      .map((l) => /^\s*(\S+)\s+\S/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined && checkPortdev(p) === null);
  }

  /** `nwfilter-binding-dumpxml PORTDEV`, read. */
  async binding(portdev: string): Promise<HostBinding> {
    const bad = checkPortdev(portdev);
    if (bad) throw new Error(bad);
    const xml = await this.virsh(['nwfilter-binding-dumpxml', portdev]);
    const binding = parseBindingXml(xml);
    if ('error' in binding)
      throw new VirshError(['nwfilter-binding-dumpxml', portdev], binding.error);
    return { binding, xml };
  }

  /** Every binding, read. */
  async bindings(): Promise<HostBinding[]> {
    const out: HostBinding[] = [];
    for (const p of await this.listBindings()) out.push(await this.binding(p));
    return out;
  }

  /**
   * The libvirt release of the daemon, as the studio targets it: 9.x is `9.0` (Debian 12's
   * built-in filters), anything newer the newest profile.
   */
  async version(): Promise<{ daemon: string; target: LibvirtVersion }> {
    // An nwfilter-only daemon cannot say its hypervisor version (the command fails) but virsh
    // still prints the library lines: the daemon's when it answers, else the client's.
    const r = await this.run('virsh', ['-q', '-c', this.uri, 'version', '--daemon']);
    const daemon =
      /Running against daemon:\s*(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ??
      /Using library: libvirt\s*(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ??
      'unknown';
    const major = Number(daemon.split('.')[0]);
    const target =
      Number.isFinite(major) && major <= 9
        ? (parseLibvirtVersion('9.0') ?? DEFAULT_LIBVIRT_VERSION)
        : DEFAULT_LIBVIRT_VERSION;
    return { daemon, target };
  }

  /**
   * `nwfilter-define` of `xml` through a file in a private temporary directory (virsh takes a
   * file; the XML never becomes an argument). Throws libvirt's error.
   */
  async define(xml: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'nwfs-define-'));
    try {
      const file = join(dir, 'filter.xml');
      writeFileSync(file, xml, { mode: 0o600 });
      await this.virsh(['nwfilter-define', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
