import {
  ALLOWED_IP_COLUMNS,
  ALLOWED_L2_COLUMNS,
  allowedIpCells,
  allowedL2Cells,
  allowedTraffic,
  analyseRuleset,
} from '../../core/analysis';
import type { AllowedIpRow, AllowedL2Row, AllowedReport } from '../../core/analysis';
import { EXIT_INVALID, EXIT_OK } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  ANALYSIS_OPTIONS,
  ANALYSIS_OPTIONS_USAGE,
  PATH_TITLE,
  compileForAnalysis,
  formatColumns,
  ruleRefText,
} from '../analysis-input';
import { parseCommandLine } from '../command-line';

export const ALLOWED_USAGE = `Usage: nwfilter-studio allowed FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                                [--param NAME=VALUE]... [--backend NAME] [--host HOST.json]
                                [--ftp-helper] ... [--json] [--libvirt VERSION]

The exact set of traffic the filter in FILE.xml lets through, computed over all packets (not
sampled) from the rules libvirt installs: for each path (from the VM, bridged; to the VM; from
the VM to the host) the new connections accepted, what is accepted only as part of an
ESTABLISHED/RELATED connection, and the layer-2 traffic (ARP, other EtherTypes) that passes.
Each row names the XML rules that accept it (filter#index).

${ANALYSIS_OPTIONS_USAGE}

Exit status: 0, 1 when the filter does not compile, the host cannot install it (NWF521) or it has
rules the analysis cannot model, 2 on a wrong command line.
`;

const rulesText = (r: { rules: AllowedIpRow['rules'] }) =>
  r.rules.map(ruleRefText).join(' ') || '(policy)';

function ipTable(rows: AllowedIpRow[]): string {
  if (rows.length === 0) return '    (nothing)';
  return formatColumns(
    [...ALLOWED_IP_COLUMNS, 'RULES'],
    rows.map((r) => [...allowedIpCells(r), rulesText(r)]),
    '    ',
  );
}

function l2Table(rows: AllowedL2Row[]): string {
  if (rows.length === 0) return '    (nothing)';
  return formatColumns(
    [...ALLOWED_L2_COLUMNS, 'RULES'],
    rows.map((r) => [...allowedL2Cells(r), rulesText(r)]),
    '    ',
  );
}

/** The report as the readable tables. */
export function formatAllowed(report: AllowedReport): string {
  const out: string[] = [];
  for (const p of report.paths) {
    out.push(`${PATH_TITLE[p.path]}:`);
    out.push('  new connections:', ipTable(p.newConnections));
    out.push('  accepted only as ESTABLISHED/RELATED:', ipTable(p.establishedOnly));
    out.push('  layer 2 (not IPv4/IPv6):', l2Table(p.layer2), '');
  }
  const untracked = (['ipv4', 'ipv6'] as const).filter((f) => !report.tracking[f]);
  if (untracked.length > 0)
    out.push(
      `conntrack does not track ${untracked.join(' or ')} (no rule needs it): every packet of it is judged alone.`,
    );
  return `${out.join('\n')}\n`;
}

/** `nwfilter-studio allowed`. */
export function runAllowed(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandLine('allowed', ALLOWED_USAGE, args, io, ANALYSIS_OPTIONS, 1);
  if (typeof parsed === 'number') return parsed;
  const { opts, usage } = parsed;
  const file = opts.positionals[0] as string;
  const input = compileForAnalysis(io, file, opts);
  if (typeof input === 'string') return usage(input);
  if (!input) return EXIT_INVALID;
  const report = allowedTraffic(analyseRuleset(input.ruleset, input.settings));
  if (opts.flags.has('--json')) io.stdout(`${JSON.stringify({ file, ...report }, null, 2)}\n`);
  else io.stdout(formatAllowed(report));
  for (const u of report.unsupported)
    io.stderr(`${file}: error: the analysis cannot model rule ${ruleRefText(u.rule)}: ${u.why}\n`);
  return report.unsupported.length > 0 ? EXIT_INVALID : EXIT_OK;
}

export const allowedCommand: CliCommand = {
  name: 'allowed',
  summary: 'the exact traffic a filter lets through (new connections, established-only, layer 2)',
  usage: ALLOWED_USAGE.trimEnd(),
  run: (args, io) => runAllowed(args, io),
};
