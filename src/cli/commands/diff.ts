import {
  ANALYSIS_PATHS,
  analyseRuleset,
  cubeText,
  describeCube,
  describeWitness,
  diffAnalyses,
} from '../../core/analysis';
import type { DiffSide } from '../../core/analysis';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  ANALYSIS_OPTIONS,
  ANALYSIS_OPTIONS_USAGE,
  PATH_TITLE,
  compileForAnalysis,
  ruleRefText,
} from '../analysis-input';
import { parseCommandLine, readBackendOption } from '../command-line';

export const DIFF_USAGE = `Usage: nwfilter-studio diff OLD.xml NEW.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                             [--param NAME=VALUE]... [--backend NAME] [--against-backend NAME]
                             [--host HOST.json] [--ftp-helper] ... [--json] [--libvirt VERSION]

Compare two versions of a filter over all packets (not sampled): the exact regions of the header
space (per path, with the conntrack state as a dimension) whose verdict differs, each with a
witness packet and the XML rules that decide it before and after. Both files are bound with the
same parameters and host.

  --against-backend NAME  compile OLD.xml with this backend (NEW.xml with --backend): with the
                      same file twice, what behaves differently between two backends, e.g.
                      diff web.xml web.xml --against-backend ebiptables --backend nftables

${ANALYSIS_OPTIONS_USAGE}

Exit status: 0 when the two are equivalent, 1 when they differ, 2 on a wrong command line, a
filter that does not compile or a host that cannot install it (NWF521).
`;

const OPTIONS = { ...ANALYSIS_OPTIONS, '--against-backend': 'value' } as const;

const EXIT_DIFFERENT = 1;
const EXIT_TROUBLE = 2;

function sideText(s: DiffSide): string {
  return `${s.verdict} (${ruleRefText(s.rule)})`;
}

/** `nwfilter-studio diff`. */
export function runDiff(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandLine('diff', DIFF_USAGE, args, io, OPTIONS, 2);
  if (typeof parsed === 'number') return parsed;
  const { opts, usage } = parsed;
  const [oldFile, newFile] = opts.positionals as [string, string];
  let oldBackend;
  if (opts.values.has('--against-backend')) {
    const b = readBackendOption(opts, '--against-backend');
    if (typeof b === 'string') return usage(b);
    oldBackend = b;
  }
  const before = compileForAnalysis(io, oldFile, opts, oldBackend);
  if (typeof before === 'string') return usage(before);
  const after = compileForAnalysis(io, newFile, opts);
  if (typeof after === 'string') return usage(after);
  if (!before || !after) return EXIT_TROUBLE;
  const diff = diffAnalyses(
    analyseRuleset(before.ruleset, before.settings),
    analyseRuleset(after.ruleset, after.settings),
  );
  if (opts.flags.has('--json')) {
    const regions = diff.map((d) => ({
      path: d.path,
      region: describeCube(d.cube),
      witness: describeWitness(d.witness),
      before: { verdict: d.before.verdict, rule: d.before.rule, hooks: d.before.hooks },
      after: { verdict: d.after.verdict, rule: d.after.rule, hooks: d.after.hooks },
    }));
    io.stdout(
      `${JSON.stringify({ old: oldFile, new: newFile, backends: { old: before.ruleset.backend, new: after.ruleset.backend }, equivalent: diff.length === 0, regions }, null, 2)}\n`,
    );
  } else if (diff.length === 0) {
    io.stdout('equivalent: no packet changes its verdict\n');
  } else {
    io.stdout(`${diff.length} region${diff.length === 1 ? '' : 's'} change verdict:\n`);
    for (const path of ANALYSIS_PATHS) {
      const here = diff.filter((d) => d.path === path);
      if (here.length === 0) continue;
      io.stdout(`\n${PATH_TITLE[path]}:\n`);
      for (const d of here) {
        const w = describeWitness(d.witness);
        io.stdout(
          `  ${sideText(d.before)} → ${sideText(d.after)}\n    region:  ${cubeText(d.cube)}\n    witness: ${w.packet}${w.ctstate ? `  [${w.ctstate}]` : ''}\n`,
        );
      }
    }
  }
  return diff.length === 0 ? EXIT_OK : EXIT_DIFFERENT;
}

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'the exact packets whose verdict differs between two versions of a filter',
  usage: DIFF_USAGE.trimEnd(),
  run: (args, io) => runDiff(args, io),
};
