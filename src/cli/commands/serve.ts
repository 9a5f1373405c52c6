import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_INVALID, EXIT_USAGE } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import { parseCliOptions } from '../filter-workspace';
import { escapeForTerminal } from '../format-diagnostic';
import { HostFirewall } from '../host/firewall';
import { checkNetnsName, checkUri } from '../host/names';
import { startHostServer } from '../host/server';
import { HostLibvirt } from '../host/virsh';

export const SERVE_USAGE = `Usage: nwfilter-studio serve [--connect URI] [--allow-define] [--port N] [--app DIR]
                              [--netns NAME]

Serve the studio on http://127.0.0.1:PORT/ with an API over the libvirt at URI (through virsh):
import the host's filters and bindings, show drift, and (with --allow-define) define filters
after a preview. It prints the address to open, with this run's token in its fragment.

  --connect URI    libvirt connection URI (default qemu:///system; anything virsh -c accepts)
  --allow-define   allow defining filters (read-only without it: every define is refused)
  --port N         the port on 127.0.0.1 (default: a free one)
  --app DIR        the built app (default dist/ of this checkout; npm run build makes it)
  --netns NAME     read the host's rules in network namespace NAME (a libvirtd that runs its
                   firewall commands there); default: this process's own

Security: it listens on 127.0.0.1 only; every API request needs the token (header
x-nwfilter-studio-token); requests naming another host (DNS rebinding) or from another origin
are refused; virsh runs without a shell, with checked arguments; XML goes through a file.`;

const OPTIONS = {
  '--connect': 'value',
  '--allow-define': 'flag',
  '--port': 'value',
  '--app': 'value',
  '--netns': 'value',
} as const;

/** The shared front of serve and drift: URI and namespace, checked. */
export function hostOptions(
  values: Map<string, string>,
): { libvirt: HostLibvirt; firewall: HostFirewall } | string {
  const uri = values.get('--connect') ?? 'qemu:///system';
  const badUri = checkUri(uri);
  if (badUri) return `--connect: ${badUri}`;
  const netns = values.get('--netns');
  const badNs = netns === undefined ? null : checkNetnsName(netns);
  if (badNs) return `--netns: ${badNs}`;
  return {
    libvirt: new HostLibvirt(uri),
    firewall: new HostFirewall(netns === undefined ? {} : { netns }),
  };
}

async function runServe(args: readonly string[], io: CliIo): Promise<number> {
  const usage = (msg: string) => {
    io.stderr(`${escapeForTerminal(`nwfilter-studio serve: ${msg}`)}\n\n${SERVE_USAGE}\n`);
    return EXIT_USAGE;
  };
  const opts = parseCliOptions(args, OPTIONS);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length > 0) return usage(`unexpected argument '${opts.positionals[0]}'`);
  const portText = opts.values.get('--port') ?? '0';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    return usage(`--port needs a port number (0-65535), got '${portText}'`);
  const host = hostOptions(opts.values);
  if (typeof host === 'string') return usage(host);
  const appDir = opts.values.get('--app') ?? join(import.meta.dirname, '..', '..', '..', 'dist');
  if (!existsSync(join(appDir, 'index.html'))) {
    io.stderr(
      `nwfilter-studio serve: no built app in ${escapeForTerminal(appDir)} (run \`npm run build\` first, or give --app DIR)\n`,
    );
    return EXIT_INVALID;
  }
  let server;
  try {
    server = await startHostServer({
      ...host,
      allowDefine: opts.flags.has('--allow-define'),
      appDir,
      port: Number(portText),
    });
  } catch (e) {
    io.stderr(
      `nwfilter-studio serve: cannot listen: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return EXIT_INVALID;
  }
  io.stdout(
    `nwfilter-studio serve: libvirt ${escapeForTerminal(host.libvirt.uri)}, ${opts.flags.has('--allow-define') ? 'defining allowed (--allow-define)' : 'read-only'}\n` +
      `Open ${server.url}\n`,
  );
  const stop = server;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      void stop.close().then(resolve);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  return 0;
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'serve the studio with an API over a libvirt host (import, drift, define)',
  usage: SERVE_USAGE,
  run: runServe,
};
