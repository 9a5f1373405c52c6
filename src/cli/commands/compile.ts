import { NFT_BACKEND_LABEL, compileFilter, nftablesBackend, printedText } from '../../core/compile';
import { findMissingIpsets, missingIpsetDiagnostic } from '../../core/host';
import { parseIpv4 } from '../../core/model';
import { EXIT_INVALID, EXIT_OK, PROCESS_IO } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  BACKEND_OPTION,
  BACKEND_USAGE,
  BINDING_OPTIONS,
  BINDING_USAGE,
  instantiateOptionsOf,
  openBindingWorkspace,
  parseCommandLine,
  printBindingDiagnostics,
  readBackendOption,
  readBinding,
} from '../command-line';
import { LIBVIRT_OPTION_USAGE, printWorkspaceDiagnostic } from '../filter-workspace';
import type { OptionSpec } from '../filter-workspace';
import { loadHostProfile } from '../host-options';

export const COMPILE_USAGE = `Usage: nwfilter-studio compile FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                                [--param NAME=VALUE]... [--learned-ip ADDR] [--backend NAME]
                                [--format FORMAT] [--libvirt VERSION] [--host HOST.json]
                                [--ipset NAME[:TYPE]=MEMBER,...]...

Instantiate the filter in FILE.xml for one interface, as libvirt does when the filter is bound to
it, and print the firewall commands libvirt runs (the ebtables/iptables/ip6tables commands with
the default backend).

${BINDING_USAGE}
  --learned-ip ADDR   the IPv4 address libvirt learned for the VM: the rules it rebuilds once it
                      knows it (without IP and without this option, a filter that needs IP
                      gives the rules libvirt installs while it learns; see CTRL_IP_LEARNING)
${BACKEND_USAGE}
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
  ...BINDING_OPTIONS,
  ...BACKEND_OPTION,
  '--learned-ip': 'value',
  '--format': 'value',
  '--host': 'value',
  '--ipset': 'list',
};

/**
 * `nwfilter-studio compile`: parse FILE.xml (and the --filters directories), instantiate it for
 * one interface and print libvirt's commands. Returns the exit status (0, or 1 on any error).
 */
export function runCompile(args: readonly string[], io: CliIo = PROCESS_IO): number {
  const line = parseCommandLine('compile', COMPILE_USAGE, args, io, OPTIONS, 1, 'compiled');
  if (typeof line === 'number') return line;
  const { opts, usage } = line;
  const binding = readBinding(opts, opts.positionals[0] as string);
  if (typeof binding === 'string') return usage(binding);
  const backend = readBackendOption(opts);
  if (typeof backend === 'string') return usage(backend);
  const format = opts.values.get('--format') ?? (backend.formats[0]?.id as string);
  if (!backend.formats.some((f) => f.id === format))
    return usage(
      `--format must be one of ${backend.formats.map((f) => `'${f.id}'`).join(', ')} for --backend ${backend.id}`,
    );
  const { params } = binding;
  const learned = opts.values.get('--learned-ip');
  if (learned !== undefined) {
    // libvirt learns IPv4 addresses only, and only when the binding has no IP of its own.
    if (parseIpv4(learned) === null) return usage(`--learned-ip ${learned}: not an IPv4 address`);
    if (params['IP']) return usage('--learned-ip: the binding already has --param IP');
    params['IP'] = [learned];
  }
  // Only a described host can lack a set: without --host/--ipset compile does not guess.
  const hostGiven = opts.values.has('--host') || opts.lists.has('--ipset');
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return usage(host.usage);
  if ('invalid' in host) return EXIT_INVALID;

  const file = binding.file;
  const ws = openBindingWorkspace(io, binding);
  if (!ws) return EXIT_INVALID;
  const root = ws.root.doc;
  const res = compileFilter(ws.lookup, root.name, instantiateOptionsOf(io, binding), backend);
  // Instantiation diagnostics point at the entry they are about, else at the root file.
  const errors = printBindingDiagnostics(io, ws, file, res.diagnostics);
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
        backend.learning
          .printArgs(res.ruleset)
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
