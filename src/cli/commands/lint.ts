import { nftablesBackend } from '../../core/compile';
import { lintFilter } from '../../core/lint';
import { resolveLimits } from '../../core/model';
import type { LintFinding, LintOptions } from '../../core/lint';
import type { Diagnostic } from '../../core/model';
import { EXIT_INVALID, EXIT_OK } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import { BACKEND_USAGE, parseCommandLine, readBackendOption, readBinding } from '../command-line';
import type { Binding } from '../command-line';
import { LIBVIRT_OPTION_USAGE, loadFilterWorkspace, locateEntries } from '../filter-workspace';
import type { OptionSpec, ParsedOptions } from '../filter-workspace';
import { HOST_OPTIONS, HOST_USAGE, loadHostProfile } from '../host-options';
import { escapeForTerminal } from '../format-diagnostic';

export const LINT_USAGE = `Usage: nwfilter-studio lint FILE.xml [--filters DIR]... [--param NAME=VALUE]... [--mac MAC]
                             [--host HOST.json] [--ftp-helper] [--bridge-address CIDR]
                             [--ipset NAME[:TYPE]=MEMBER,...]... [--sysctl NAME=VALUE]...
                             [--icmp-timeout SECONDS] [--backend NAME] [--json]
                             [--libvirt VERSION]

Instantiate the filter in FILE.xml as libvirt binds it to an interface and report the pitfalls:
rules that can never match, RELATED without a conntrack helper, passive FTP dropped, connlimit
ordering and its end of connection, SSH without DNS, statematch='false', clean-traffic without
IP or with DHCP blocked, rules in a protocol chain that never sees their protocol, REJECT on the
bridged path, VLAN-tagged frames bypassing the protocol rules, IPv6 left open, connlimit on ICMP
with a long conntrack timeout, attributes libvirt drops (ipset, <ip> ranges), ICMP rules libvirt
installs nowhere (inout with a type) or that never see ICMPv6 neighbour discovery, inout
drop/reject on ports, DSCP matched on the replies too. Rules that make libvirt refuse the
binding although it defines the filter (continue on an iptables rule, …) are errors.

  --filters DIR       directory of filter XML files that filterrefs may name (repeatable);
                      libvirt's built-in filters (clean-traffic, ...) are always available
  --param NAME=VALUE  a filter parameter; repeat a NAME to give a list (unset variables are unknown)
  --mac MAC           the VM's MAC address (the value of $MAC)
${HOST_USAGE}
  --icmp-timeout S    short for --sysctl nf_conntrack_icmp_timeout=S (default 30, the kernel's)
${BACKEND_USAGE};
                      the checks run the simulator, which executes only ebiptables so far
  --json              print {file, findings, diagnostics} as JSON instead of FILE:LINE:COL lines
${LIBVIRT_OPTION_USAGE}

Findings print as FILE:LINE:COL: SEVERITY NWF5nn: message, at the rule or filterref they are about.
Exit status: 0 without errors (warnings alone are fine), 1 on an error, 2 on a wrong command line.
`;

export { locateEntries };

const OPTIONS: OptionSpec = {
  '--filters': 'list',
  '--libvirt': 'value',
  '--param': 'list',
  '--mac': 'value',
  ...HOST_OPTIONS,
  '--icmp-timeout': 'value',
  '--backend': 'value',
  '--json': 'flag',
};

interface Parsed {
  binding: Binding;
  options: LintOptions & { params: Record<string, string[]> };
  json: boolean;
}

function readLintOptions(opts: ParsedOptions, io: CliIo): Parsed | string | null {
  const backend = readBackendOption(opts);
  if (typeof backend === 'string') return backend;
  const binding = readBinding(opts, opts.positionals[0] as string);
  if (typeof binding === 'string') return binding;
  const options: Parsed['options'] = {
    params: binding.params,
    ...(binding.mac !== undefined ? { mac: binding.mac } : {}),
  };
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return host.usage;
  if ('invalid' in host) return null;
  if (host.profile.ftpHelper) options.ftpHelper = true;
  if (backend.id === nftablesBackend.id) {
    options.backend = nftablesBackend.id;
    options.nfConntrackBridge = host.profile.nfConntrackBridge;
  }
  if (host.profile.bridgeAddress !== null) options.bridgeHasAddress = true;
  // Only a described host has a list of sets to check the filter's against.
  if (opts.values.has('--host') || opts.lists.has('--ipset')) options.ipsets = host.profile.ipsets;
  const hostIcmpTimeout = host.profile.sysctls['nf_conntrack_icmp_timeout'];
  if (hostIcmpTimeout !== undefined) options.icmpTimeout = Number(hostIcmpTimeout);
  const timeout = opts.values.get('--icmp-timeout');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout)) return '--icmp-timeout needs a number of seconds';
    options.icmpTimeout = Number(timeout);
  }
  return { binding, options, json: opts.flags.has('--json') };
}

function formatLine(
  file: string,
  line: number,
  column: number,
  severity: string,
  code: string,
  message: string,
): string {
  return escapeForTerminal(`${file}:${line}:${column}: ${severity} ${code}: ${message}`);
}

/**
 * `nwfilter-studio lint`: parse FILE.xml (and the --filters directories), lint it and print the
 * findings. Returns the exit status.
 */
export function runLint(args: readonly string[], io: CliIo): number {
  const line = parseCommandLine('lint', LINT_USAGE, args, io, OPTIONS, 1, 'linted');
  if (typeof line === 'number') return line;
  const opts = readLintOptions(line.opts, io);
  if (opts === null) return EXIT_INVALID;
  if (typeof opts === 'string') return line.usage(opts);
  const { file, filterDirs, libvirt } = opts.binding;

  const printed: string[] = [];
  const parseErrors: { file: string; diagnostic: Diagnostic }[] = [];
  const ws = loadFilterWorkspace(
    io,
    file,
    filterDirs,
    (at, d) => {
      if (typeof d === 'string') io.stderr(`${escapeForTerminal(`${at}: error: ${d}`)}\n`);
      else if (d.severity === 'error') {
        parseErrors.push({ file: at, diagnostic: d });
        printed.push(formatLine(at, d.line, d.column, d.severity, d.code, d.message));
      }
    },
    libvirt,
  );
  let errors = ws.errors;
  let findings: LintFinding[] = [];
  let diagnostics: Diagnostic[] = [];
  const sourceOf = ws.sourceOf;
  if (ws.root) {
    const res = lintFilter(ws.lookup, ws.root.doc.name, {
      ...opts.options,
      maxExpansion: resolveLimits(io.limits).expansion,
      dropped: ws.dropped,
    });
    findings = res.findings;
    diagnostics = res.diagnostics.filter((d) => d.severity !== 'info');
  }

  // Instantiation diagnostics have no position of their own: they point at the root file.
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    printed.push(formatLine(file, d.line, d.column, d.severity, d.code, d.message));
  }
  const positions = new Map<string, ({ line: number; column: number } | null)[]>();
  const located = findings.map((f) => {
    const src = sourceOf(f.filter);
    let pos: { line: number; column: number } | null = null;
    if (src) {
      if (!positions.has(src.file)) positions.set(src.file, locateEntries(src.text, src.doc));
      pos = positions.get(src.file)?.[f.entryIndex] ?? null;
    }
    // A finding inside a built-in filter is reported at the root file, naming the filter.
    const where = src
      ? ''
      : ` [in built-in filter '${f.filter}', ${f.ruleIndex === null ? `entry ${f.entryIndex + 1}` : `rule ${f.ruleIndex + 1}`}]`;
    if (f.severity === 'error') errors++;
    return {
      ...f,
      file: src?.file ?? file,
      line: pos?.line ?? 1,
      column: pos?.column ?? 1,
      where,
    };
  });

  if (opts.json) {
    const out = {
      file: file,
      findings: located.map(({ where: _where, ...f }) => f),
      diagnostics: [
        ...parseErrors.map((p) => ({ file: p.file, ...p.diagnostic })),
        ...diagnostics.map((d) => ({ file: file, ...d })),
      ],
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    for (const line of printed) io.stdout(`${line}\n`);
    for (const f of located)
      io.stdout(
        `${formatLine(f.file, f.line, f.column, f.severity, f.code, f.message)}${escapeForTerminal(f.where)}\n`,
      );
  }
  return errors > 0 ? EXIT_INVALID : EXIT_OK;
}

/** The `lint` command as src/cli/commands/index.ts registers it. */
export const lintCommand: CliCommand = {
  name: 'lint',
  summary:
    'report pitfalls of a filter (unreachable rules, RELATED without helper, IPv6 left open, ...)',
  usage: LINT_USAGE.trimEnd(),
  run: (args, io) => runLint(args, io),
};
