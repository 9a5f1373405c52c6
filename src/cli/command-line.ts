import { BACKENDS, DEFAULT_BACKEND, getBackend, isBackendId } from '../core/compile';
import type { AnyRuleset, Backend } from '../core/compile';
import { describeMissingKernelFeature, findMissingKernelFeatures } from '../core/host';
import type { HostSettings } from '../core/netfilter';
import type { InstantiateOptions } from '../core/instantiate';
import type { LibvirtVersion } from '../core/library';
import { resolveLimits } from '../core/model';
import type { Diagnostic } from '../core/model';
import { EXIT_OK, EXIT_USAGE } from './cli-io';
import type { CliIo } from './cli-io';
import {
  checkIfaceName,
  checkMacAddress,
  collectParams,
  loadFilterWorkspace,
  locateEntries,
  parseCliOptions,
  printDiagnostic,
  printWorkspaceDiagnostic,
  readLibvirtOption,
} from './filter-workspace';
import type { FilterSource, FilterWorkspace, OptionSpec, ParsedOptions } from './filter-workspace';

/**
 * A command's line: `--help` answered, its options parsed against `spec` and its FILE.xml
 * positionals counted (`files`). Returns the options and a `usage` reporter (the message and the
 * usage text on stderr, exit 2), or the exit status when the line is already answered or wrong.
 * `verb` ends the "only one FILE.xml can be …" message.
 */
export function parseCommandLine(
  command: string,
  usageText: string,
  args: readonly string[],
  io: CliIo,
  spec: OptionSpec,
  files: 1 | 2,
  verb?: string,
): { opts: ParsedOptions; usage: (msg: string) => number } | number {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(usageText);
    return EXIT_OK;
  }
  const usage = (msg: string): number => {
    io.stderr(`nwfilter-studio ${command}: ${msg}\n\n${usageText}`);
    return EXIT_USAGE;
  };
  const opts = parseCliOptions(args, spec);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length !== files) {
    if (files === 2) return usage('give OLD.xml and NEW.xml');
    if (opts.positionals.length === 0) return usage('missing FILE.xml');
    return usage(verb ? `only one FILE.xml can be ${verb}` : 'only one FILE.xml');
  }
  return { opts, usage };
}

/** The options that say how a filter is bound to an interface, shared by the commands that bind. */
export const BINDING_OPTIONS: OptionSpec = {
  '--filters': 'list',
  '--libvirt': 'value',
  '--iface': 'value',
  '--mac': 'value',
  '--param': 'list',
};

/** Their usage lines (`--libvirt` has its own, LIBVIRT_OPTION_USAGE). */
export const BINDING_USAGE = `  --filters DIR       directory of filter XML files that filterrefs may name (repeatable);
                      libvirt's built-in filters (clean-traffic, …) are always available
  --iface IFACE       the VM's interface (default vnet0)
  --mac MAC           the VM's MAC address (the value of $MAC)
  --param NAME=VALUE  a filter parameter, e.g. IP=10.0.0.5; repeat a NAME to give a list`;

/** The `--backend NAME` option. */
export const BACKEND_OPTION: OptionSpec = { '--backend': 'value' };

/** Its usage line. */
export const BACKEND_USAGE = `  --backend NAME      libvirt's firewall backend: ${BACKENDS.map((b) => b.id).join(', ')} (default ${DEFAULT_BACKEND})`;

/**
 * The backend `--backend` (or another backend option, `--against-backend`) names (absent: the
 * default), or the error text for an unknown one.
 */
export function readBackendOption(opts: ParsedOptions, option = '--backend'): Backend | string {
  const id = opts.values.get(option) ?? DEFAULT_BACKEND;
  if (!isBackendId(id))
    return `${option} must be one of ${BACKENDS.map((b) => `'${b.id}'`).join(', ')}`;
  return getBackend(id);
}

/** A filter file and how it is bound, as the command line gives them. */
export interface Binding {
  file: string;
  filterDirs: string[];
  iface: string;
  mac?: string;
  /** A prototype-less record (collectParams): a parameter may be called `constructor`. */
  params: Record<string, string[]>;
  libvirt: LibvirtVersion;
}

/**
 * The binding of FILE by {@link BINDING_OPTIONS}, each value checked as libvirt checks it, or the
 * error text of the first bad one.
 */
export function readBinding(opts: ParsedOptions, file: string): Binding | string {
  const iface = opts.values.get('--iface') ?? 'vnet0';
  const badIface = checkIfaceName(iface);
  if (badIface) return badIface;
  const params = collectParams(opts.lists.get('--param') ?? []);
  if (typeof params === 'string') return params;
  const mac = opts.values.get('--mac');
  const badMac = mac === undefined ? null : checkMacAddress(mac);
  if (badMac) return badMac;
  const libvirt = readLibvirtOption(opts);
  if ('error' in libvirt) return libvirt.error;
  return {
    file,
    filterDirs: opts.lists.get('--filters') ?? [],
    iface,
    ...(mac !== undefined ? { mac } : {}),
    params,
    libvirt: libvirt.version,
  };
}

/**
 * Reads the binding's file and `--filters` directories, printing every problem, and the warnings
 * of the files the filter references. Null when anything could not be read or parsed.
 */
export function openBindingWorkspace(
  io: CliIo,
  b: Binding,
): (FilterWorkspace & { root: FilterSource }) | null {
  const ws = loadFilterWorkspace(
    io,
    b.file,
    b.filterDirs,
    (f, d) => printDiagnostic(io, f, d),
    b.libvirt,
  );
  if (!ws.root || ws.errors > 0) return null;
  ws.reportReferencedWarnings();
  return ws as FilterWorkspace & { root: FilterSource };
}

/** What instantiating the filter needs, the `--limit expansion` included; `params` may replace the binding's. */
export function instantiateOptionsOf(
  io: CliIo,
  b: Binding,
  params: Record<string, readonly string[]> = b.params,
): InstantiateOptions {
  return {
    iface: b.iface,
    ...(b.mac !== undefined ? { mac: b.mac } : {}),
    params,
    maxExpansion: resolveLimits(io.limits).expansion,
  };
}

/**
 * Prints the warnings and errors of binding the filter, each at the entry it is about; returns
 * how many were errors (the binding does not exist when > 0).
 */
export function printBindingDiagnostics(
  io: CliIo,
  ws: Pick<FilterWorkspace, 'sourceOf'>,
  file: string,
  diagnostics: readonly Diagnostic[],
): number {
  let errors = 0;
  for (const d of diagnostics) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') errors++;
    printWorkspaceDiagnostic(io, ws, file, d);
  }
  return errors;
}

/**
 * NWF521 at each rule whose compiled rules the host's kernel refuses (nftables `ct` without
 * `nf_conntrack_bridge`), saying what is not done (`nothing to simulate`); true when there was one:
 * libvirt cannot apply the filter, so no packet meets it.
 */
export function printRefusedRules(
  io: CliIo,
  ws: { root: FilterSource },
  file: string,
  ruleset: AnyRuleset,
  host: Pick<HostSettings, 'nfConntrackBridge'>,
  what: string,
): boolean {
  const refused = findMissingKernelFeatures(ruleset, host);
  if (refused.length === 0) return false;
  const where = locateEntries(ws.root.text, ws.root.doc);
  for (const m of refused) {
    const pos = m.provenance.filter === ws.root.doc.name ? where[m.provenance.entryIndex] : null;
    io.stderr(
      `${file}:${pos?.line ?? 1}:${pos?.column ?? 1}: error NWF521: ${what}, the filter cannot be applied: ${describeMissingKernelFeature(m)}\n`,
    );
  }
  return true;
}
