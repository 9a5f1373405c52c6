import { compileFilter } from '../core/compile';
import type { AnyRuleset as Ruleset, Backend } from '../core/compile';
import { simSettingsOf } from '../core/host';
import type { HostSettings, RuleRef } from '../core/netfilter';
import type { CliIo } from './cli-io';
import {
  BACKEND_OPTION,
  BACKEND_USAGE,
  BINDING_OPTIONS,
  BINDING_USAGE,
  instantiateOptionsOf,
  openBindingWorkspace,
  printBindingDiagnostics,
  printRefusedRules,
  readBackendOption,
  readBinding,
} from './command-line';
import { LIBVIRT_OPTION_USAGE } from './filter-workspace';
import type { OptionSpec, ParsedOptions } from './filter-workspace';
import { HOST_OPTIONS, HOST_USAGE, loadHostProfile } from './host-options';

/** The options every analysis command takes (how the filter is bound, the backend, the host). */
export const ANALYSIS_OPTIONS: OptionSpec = {
  ...BINDING_OPTIONS,
  ...BACKEND_OPTION,
  ...HOST_OPTIONS,
  '--json': 'flag',
};

export const ANALYSIS_OPTIONS_USAGE = `${BINDING_USAGE}
${BACKEND_USAGE}
${HOST_USAGE}
  --json              print JSON instead of the table
${LIBVIRT_OPTION_USAGE}`;

/** A filter file compiled for analysis, with the host it runs on. */
export interface AnalysisInput {
  ruleset: Ruleset;
  settings: HostSettings;
}

/**
 * Reads and compiles FILE as the analysis commands do (with `backend`, default `--backend`'s);
 * prints every diagnostic and returns null when the filter cannot be compiled or the host's
 * kernel refuses its rules (NWF521, at the rule), or the usage error text.
 */
export function compileForAnalysis(
  io: CliIo,
  file: string,
  opts: ParsedOptions,
  backendOverride?: Backend,
): AnalysisInput | null | string {
  const binding = readBinding(opts, file);
  if (typeof binding === 'string') return binding;
  const backend = backendOverride ?? readBackendOption(opts);
  if (typeof backend === 'string') return backend;
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return host.usage;
  if ('invalid' in host) return null;
  const ws = openBindingWorkspace(io, binding);
  if (!ws) return null;
  const compiled = compileFilter(
    ws.lookup,
    ws.root.doc.name,
    instantiateOptionsOf(io, binding),
    backend,
  );
  const errors = printBindingDiagnostics(io, ws, file, compiled.diagnostics);
  if (errors > 0 || !compiled.ruleset) return null;
  const settings: HostSettings = { iface: binding.iface, ...simSettingsOf(host.profile) };
  if (printRefusedRules(io, ws, file, compiled.ruleset, settings, 'nothing to analyse'))
    return null;
  return { ruleset: compiled.ruleset, settings };
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
