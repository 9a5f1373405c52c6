import { analyseRuleset, cubeText, describeWitness, reachQuery } from '../../core/analysis';
import type { AnalysisPath, ReachQuery } from '../../core/analysis';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  ANALYSIS_OPTIONS,
  ANALYSIS_OPTIONS_USAGE,
  PATH_TITLE,
  compileForAnalysis,
  ruleRefText,
} from '../analysis-input';
import { parseCommandLine } from '../command-line';

export const REACH_USAGE = `Usage: nwfilter-studio reach FILE.xml [--path from-vm|to-vm|to-host] [--family ipv4|ipv6]
                              [--src ADDR] [--dst ADDR] [--proto NAME] [--sport PORTS] [--dport PORTS]
                              [--icmp-type T] [--state NEW|ESTABLISHED|RELATED] [options] [--json]

Can X reach Y? Answers for every packet the query describes (ranges allowed), exactly: yes (all
accepted), no (none), or partly, with the XML rule that decides each part and a witness packet.

  --path P            to-vm (default: traffic towards the VM), from-vm (sent by the VM, bridged)
                      or to-host (sent by the VM to the host)
  --src, --dst ADDR   10.0.0.5, 10.0.0.0/24, 10.0.0.1-10.0.0.9 or IPv6 alike (default any)
  --proto NAME        tcp, udp, icmp, … or a number (default any)
  --sport, --dport    a port or LO-HI (need --proto tcp/udp/udplite/sctp)
  --icmp-type T       an ICMP type or LO-HI (needs --proto icmp/icmpv6)
  --state S           NEW (default: the first packet of a connection; a TCP SYN), ESTABLISHED or
                      RELATED
${ANALYSIS_OPTIONS_USAGE}

Exit status: 0 yes, 1 no or partly, 2 on a wrong command line or a filter that does not compile.
`;

const OPTIONS = {
  ...ANALYSIS_OPTIONS,
  '--path': 'value',
  '--family': 'value',
  '--src': 'value',
  '--dst': 'value',
  '--proto': 'value',
  '--sport': 'value',
  '--dport': 'value',
  '--icmp-type': 'value',
  '--state': 'value',
} as const;

/** `nwfilter-studio reach`. */
export function runReach(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandLine('reach', REACH_USAGE, args, io, OPTIONS, 1);
  if (typeof parsed === 'number') return parsed;
  const { opts, usage } = parsed;
  const path = (opts.values.get('--path') ?? 'to-vm') as AnalysisPath;
  if (!(path in PATH_TITLE)) return usage(`--path is from-vm, to-vm or to-host, not '${path}'`);
  const family = opts.values.get('--family');
  if (family !== undefined && family !== 'ipv4' && family !== 'ipv6')
    return usage(`--family is ipv4 or ipv6, not '${family}'`);
  const state = opts.values.get('--state')?.toUpperCase();
  if (state !== undefined && !['NEW', 'ESTABLISHED', 'RELATED'].includes(state))
    return usage(`--state is NEW, ESTABLISHED or RELATED, not '${state}'`);
  const q: ReachQuery = {};
  if (family) q.family = family;
  if (state) q.state = state as ReachQuery['state'] & string;
  const fields: [string, keyof ReachQuery][] = [
    ['--src', 'source'],
    ['--dst', 'destination'],
    ['--proto', 'protocol'],
    ['--sport', 'sourcePort'],
    ['--dport', 'destinationPort'],
    ['--icmp-type', 'icmpType'],
  ];
  for (const [opt, key] of fields) {
    const v = opts.values.get(opt);
    if (v !== undefined) (q as Record<string, string>)[key] = v;
  }
  const file = opts.positionals[0] as string;
  const input = compileForAnalysis(io, file, opts);
  if (typeof input === 'string') return usage(input);
  if (!input) return EXIT_USAGE;
  const answer = reachQuery(analyseRuleset(input.ruleset, input.settings), path, q);
  if (typeof answer === 'string') return usage(answer);
  const parts = answer.parts.map((p) => ({
    verdict: p.verdict,
    rule: p.rule,
    region: cubeText(p.cube),
    witness: describeWitness(p.witness),
  }));
  if (opts.flags.has('--json')) {
    io.stdout(
      `${JSON.stringify({ file, path, query: q, answer: answer.answer, parts }, null, 2)}\n`,
    );
  } else {
    io.stdout(`${answer.answer} (${PATH_TITLE[path]})\n`);
    for (const p of parts)
      io.stdout(
        `  ${p.verdict} by ${ruleRefText(p.rule)}\n    region:  ${p.region}\n    witness: ${p.witness.packet}${p.witness.ctstate ? `  [${p.witness.ctstate}]` : ''}\n`,
      );
  }
  return answer.answer === 'yes' ? EXIT_OK : EXIT_INVALID;
}

export const reachCommand: CliCommand = {
  name: 'reach',
  summary: 'can X reach Y: yes / no / partly for every packet of a query, with rules and witnesses',
  usage: REACH_USAGE.trimEnd(),
  run: (args, io) => runReach(args, io),
};
