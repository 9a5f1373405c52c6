import {
  BACKENDS,
  DEFAULT_BACKEND,
  NFT_BACKEND_LABEL,
  compileFilter,
  getBackend,
  isBackendId,
  nftablesBackend,
  printedText,
} from '../../core/compile';
import { findMissingIpsets, missingIpsetDiagnostic } from '../../core/host';
import { parseIpv4, resolveLimits } from '../../core/model';
import { printLearningArgs } from '../../core/learning';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, PROCESS_IO } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  checkIfaceName,
  checkMacAddress,
  collectParams,
  loadFilterWorkspace,
  LIBVIRT_OPTION_USAGE,
  parseCliOptions,
  printDiagnostic,
  printWorkspaceDiagnostic,
  readLibvirtOption,
} from '../filter-workspace';
import type { OptionSpec } from '../filter-workspace';
import { loadHostProfile } from '../host-options';

export const COMPILE_USAGE = `Usage: nwfilter-studio compile FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                                [--param NAME=VALUE]... [--learned-ip ADDR] [--backend NAME]
                                [--format FORMAT] [--libvirt VERSION] [--host HOST.json]
                                [--ipset NAME[:TYPE]=MEMBER,...]...

Instantiate the filter in FILE.xml for one interface, as libvirt does when the filter is bound to
it, and print the firewall commands libvirt runs (the ebtables/iptables/ip6tables commands with
the default backend).

  --filters DIR       directory of filter XML files that filterrefs may name (repeatable);
                      libvirt's built-in filters (clean-traffic, …) are always available
  --iface IFACE       interface name (default vnet0)
  --mac MAC           the VM's MAC address (the value of $MAC)
  --param NAME=VALUE  a filter parameter; repeat a NAME to give a list
  --learned-ip ADDR   the IPv4 address libvirt learned for the VM: the rules it rebuilds once it
                      knows it (without IP and without this option, a filter that needs IP
                      gives the rules libvirt installs while it learns; see CTRL_IP_LEARNING)
  --backend NAME      libvirt's firewall backend: ${BACKENDS.map((b) => b.id).join(', ')} (default ${DEFAULT_BACKEND})
  --format args       libvirt's dry-run command list under its temporary chain names (default)
  --format script     a shell script that installs the final chains, rules and jumps
  --format ebtables   the script's ebtables part (iptables, ip6tables: theirs)
${LIBVIRT_OPTION_USAGE}
  --host HOST.json    the host profile (README, "The host profile"); compile reads its ipsets
  --ipset NAME[:TYPE]=MEMBER[,MEMBER...]  a set the host has (members may be empty: NAME=)

A binding libvirt cannot instantiate (e.g. action 'continue' on an iptables rule) is an error at
the rule that causes it: nothing on stdout, exit 1. With --host or --ipset the host is known, and a
rule naming a set it lacks is such an error too (NWF520: iptables refuses the rule, libvirt rolls
the binding back).

With --backend nftables (libvirt's proposed nftables driver, series v5/v6, not yet in a release):
  --format args       the driver's dry-run nft commands, as its test harness captures them (default)
  --format script     an nft -f file that installs the final tables, maps, chains and rules
`;

const OPTIONS: OptionSpec = {
  '--filters': 'list',
  '--libvirt': 'value',
  '--iface': 'value',
  '--mac': 'value',
  '--param': 'list',
  '--learned-ip': 'value',
  '--format': 'value',
  '--backend': 'value',
  '--host': 'value',
  '--ipset': 'list',
};

/**
 * `nwfilter-studio compile`: parse FILE.xml (and the --filters directories), instantiate it for
 * one interface and print libvirt's commands. Returns the exit status (0, or 1 on any error).
 */
export function runCompile(args: readonly string[], io: CliIo = PROCESS_IO): number {
  const usage = (msg: string): number => {
    io.stderr(`nwfilter-studio compile: ${msg}\n\n${COMPILE_USAGE}`);
    return EXIT_USAGE;
  };
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(COMPILE_USAGE);
    return EXIT_OK;
  }
  const opts = parseCliOptions(args, OPTIONS);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length !== 1) {
    return usage(
      opts.positionals.length === 0 ? 'missing FILE.xml' : 'only one FILE.xml can be compiled',
    );
  }
  const file = opts.positionals[0] as string;
  const iface = opts.values.get('--iface') ?? 'vnet0';
  const badIface = checkIfaceName(iface);
  if (badIface) return usage(badIface);
  const backendId = opts.values.get('--backend') ?? DEFAULT_BACKEND;
  if (!isBackendId(backendId))
    return usage(`--backend must be one of ${BACKENDS.map((b) => `'${b.id}'`).join(', ')}`);
  const backend = getBackend(backendId);
  const format = opts.values.get('--format') ?? (backend.formats[0]?.id as string);
  if (!backend.formats.some((f) => f.id === format))
    return usage(
      `--format must be one of ${backend.formats.map((f) => `'${f.id}'`).join(', ')} for --backend ${backend.id}`,
    );
  const params = collectParams(opts.lists.get('--param') ?? []);
  if (typeof params === 'string') return usage(params);
  const mac = opts.values.get('--mac');
  const badMac = mac === undefined ? null : checkMacAddress(mac);
  if (badMac) return usage(badMac);
  const learned = opts.values.get('--learned-ip');
  if (learned !== undefined) {
    // libvirt learns IPv4 addresses only, and only when the binding has no IP of its own.
    if (parseIpv4(learned) === null) return usage(`--learned-ip ${learned}: not an IPv4 address`);
    if (params['IP']) return usage('--learned-ip: the binding already has --param IP');
    params['IP'] = [learned];
  }
  const libvirt = readLibvirtOption(opts);
  if ('error' in libvirt) return usage(libvirt.error);
  // Only a described host can lack a set: without --host/--ipset compile does not guess.
  const hostGiven = opts.values.has('--host') || opts.lists.has('--ipset');
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return usage(host.usage);
  if ('invalid' in host) return EXIT_INVALID;

  const ws = loadFilterWorkspace(
    io,
    file,
    opts.lists.get('--filters') ?? [],
    (f, d) => printDiagnostic(io, f, d),
    libvirt.version,
  );
  if (!ws.root || ws.errors > 0) return EXIT_INVALID;
  ws.reportReferencedWarnings();
  const root = ws.root.doc;
  const res = compileFilter(
    ws.lookup,
    root.name,
    {
      iface,
      ...(mac !== undefined ? { mac } : {}),
      params,
      maxExpansion: resolveLimits(io.limits).expansion,
    },
    backend,
  );
  // Instantiation diagnostics point at the entry they are about, else at the root file.
  let errors = 0;
  for (const d of res.diagnostics) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') errors++;
    printWorkspaceDiagnostic(io, ws, file, d);
  }
  if (errors > 0 || !res.ruleset) return EXIT_INVALID;
  if (hostGiven) {
    const missing = findMissingIpsets(res.ruleset, host.profile.ipsets);
    for (const m of missing) printWorkspaceDiagnostic(io, ws, file, missingIpsetDiagnostic(m));
    if (missing.length > 0) return EXIT_INVALID;
  }
  // The args form must stay byte-identical to the driver's, so the label goes to stderr.
  if (backend.id === nftablesBackend.id) io.stderr(`note: ${NFT_BACKEND_LABEL}\n`);
  if (res.learning) {
    const note = res.diagnostics.find((d) => d.severity === 'info' && d.code === 'NWF308');
    if (note) io.stderr(`note: ${note.message}\n`);
    if (format === 'args') {
      io.stdout(
        printLearningArgs(res.ruleset as Parameters<typeof printLearningArgs>[0])
          .map((l) => `${l}\n`)
          .join(''),
      );
      return EXIT_OK;
    }
  }
  io.stdout(printedText(backend.print(res.ruleset, format, { filterName: root.name })));
  return EXIT_OK;
}

/** The `compile` command in the shape src/cli/commands/index.ts registers. */
export const compileCommand: CliCommand = {
  name: 'compile',
  summary: 'print the firewall commands libvirt runs for a filter (args, script, …)',
  usage: COMPILE_USAGE.trimEnd(),
  run: runCompile,
};
