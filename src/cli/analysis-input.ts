import { compileFilter } from '../core/compile';
import type { AnyRuleset as Ruleset } from '../core/compile';
import type { HostSettings, RuleRef } from '../core/netfilter';
import { EXIT_USAGE } from './cli-io';
import type { CliIo } from './cli-io';
import {
  collectParams,
  loadFilterWorkspace,
  parseCliOptions,
  printDiagnostic,
} from './filter-workspace';
import type { OptionSpec, ParsedOptions } from './filter-workspace';

/** The options every analysis command takes (how the filter is bound, and the host). */
export const ANALYSIS_OPTIONS: OptionSpec = {
  '--filters': 'list',
  '--iface': 'value',
  '--mac': 'value',
  '--param': 'list',
  '--ftp-helper': 'flag',
  '--json': 'flag',
};

export const ANALYSIS_OPTIONS_USAGE = `  --filters DIR       directory of filter XML files that filterrefs may name (repeatable)
  --iface IFACE       the VM's interface (default vnet0)
  --mac MAC           the VM's MAC address (the value of $MAC)
  --param NAME=VALUE  a filter parameter, e.g. IP=10.0.0.5 (repeat a NAME for a list)
  --ftp-helper        the host assigns the FTP conntrack helper (IPv4 is then always tracked)
  --json              print JSON instead of the table`;

/** A filter file compiled for analysis, with the host it runs on. */
export interface AnalysisInput {
  ruleset: Ruleset;
  settings: HostSettings;
}

/**
 * Reads and compiles FILE as the analysis commands do; prints every diagnostic and returns
 * null when the filter cannot be compiled, or the usage error text.
 */
export function compileForAnalysis(
  io: CliIo,
  file: string,
  opts: ParsedOptions,
): AnalysisInput | null | string {
  const params = collectParams(opts.lists.get('--param') ?? []);
  if (typeof params === 'string') return params;
  const iface = opts.values.get('--iface') ?? 'vnet0';
  const mac = opts.values.get('--mac');
  const ws = loadFilterWorkspace(io, file, opts.lists.get('--filters') ?? [], (f, d) =>
    printDiagnostic(io, f, d),
  );
  if (!ws.root || ws.errors > 0) return null;
  const compiled = compileFilter(ws.lookup, ws.root.doc.name, {
    iface,
    ...(mac !== undefined ? { mac } : {}),
    params,
  });
  let errors = 0;
  for (const d of compiled.diagnostics) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') errors++;
    printDiagnostic(io, file, d);
  }
  if (errors > 0 || !compiled.ruleset) return null;
  return {
    ruleset: compiled.ruleset,
    settings: { iface, ...(opts.flags.has('--ftp-helper') ? { ftpHelper: true } : {}) },
  };
}

/** How the commands title each path. */
export { ANALYSIS_PATH_TITLES as PATH_TITLE } from '../core/analysis';

/** A rule reference as the tables print it: `filter#index`. */
export function ruleRefText(r: RuleRef | null): string {
  return r ? `${r.filter}#${r.index}` : '-';
}

/** Left-aligned columns, two spaces apart, each line indented by `indent`. */
export function formatColumns(head: string[], rows: string[][], indent: string): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, c) => (c < cells.length - 1 ? cell.padEnd(widths[c] as number) : cell))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/**
 * The command line of an analysis command: its options parsed and the number of files checked.
 * Returns the options and a `usage` reporter (message + usage text on stderr, exit 2), or the
 * exit status when the command line is wrong.
 */
export function parseAnalysisArgs(
  command: string,
  usageText: string,
  args: readonly string[],
  io: CliIo,
  spec: OptionSpec,
  files: 1 | 2,
): { opts: ParsedOptions; usage: (msg: string) => number } | number {
  const usage = (msg: string): number => {
    io.stderr(`nwfilter-studio ${command}: ${msg}\n\n${usageText}`);
    return EXIT_USAGE;
  };
  const opts = parseCliOptions(args, spec);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length !== files) {
    if (files === 2) return usage('give OLD.xml and NEW.xml');
    return usage(opts.positionals.length === 0 ? 'missing FILE.xml' : 'only one FILE.xml');
  }
  return { opts, usage };
}
