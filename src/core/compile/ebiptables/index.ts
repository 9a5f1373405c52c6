/** libvirt's ebiptables backend: ebtables + iptables + ip6tables (`nwfilter_ebiptables_driver.c`). */
import type { Backend, ExportFormat, PrintOptions } from '../backend';
import { compileEbiptables } from './compile-ebiptables';
import type { Match, Ruleset } from './ir';
import { printArgs } from './print-args';
import { printScript, printScriptPart } from './print-script';
import { ebiptablesSim } from './sim';
import { conjoinMatches } from '../../analysis/backend-analysis';
import { matchRegion } from '../../analysis/match-region';
import { learningRuleset, printLearningArgs } from '../../learning/learning-rules';

export * from './ir';
export { COMPILE_CODES, compileEbiptables, layerOf } from './compile-ebiptables';
export type { CompileResult } from './compile-ebiptables';
export { formatDryRunCommand, printArgs, printArgsText } from './print-args';
export type { PrintedLines } from './print-args';
export { printScript, printScriptPart, printScriptText, quoteScriptArg } from './print-script';
export { appendArgs, commandPrefix, matchArgs, targetArgs } from './rule-args';
export { escapeShell } from '../values';
export { ebiptablesSim } from './sim';

const FORMATS: readonly ExportFormat[] = [
  { id: 'args', title: 'libvirt commands', fileSuffix: '.args' },
  { id: 'script', title: 'Shell script', fileSuffix: '.sh' },
  { id: 'ebtables', title: 'ebtables', fileSuffix: '-ebtables.sh' },
  { id: 'iptables', title: 'iptables', fileSuffix: '-iptables.sh' },
  { id: 'ip6tables', title: 'ip6tables', fileSuffix: '-ip6tables.sh' },
];

/** The ebiptables backend, as registered in `backends.ts`. */
export const ebiptablesBackend: Backend<Match, Ruleset> & { readonly id: 'ebiptables' } = {
  id: 'ebiptables',
  label: 'ebtables + iptables',
  compile: compileEbiptables,
  formats: FORMATS,
  print(ruleset: Ruleset, format: string, options: PrintOptions = {}) {
    switch (format) {
      case 'args':
        return printArgs(ruleset);
      case 'script':
        return printScript(ruleset, options);
      case 'ebtables':
      case 'iptables':
      case 'ip6tables':
        return printScriptPart(ruleset, format);
      default:
        throw new Error(`ebiptables: no export format '${format}'`);
    }
  },
  sim: ebiptablesSim,
  learning: {
    rules: learningRuleset,
    printArgs: printLearningArgs,
    describeBasic: (mac) =>
      `from the VM only IPv4 and ARP with source MAC ${mac}, everything to the VM passes, no iptables rules`,
  },
  analysis: {
    ruleRegion: (matches, ipsets) => conjoinMatches(matches.map((m) => matchRegion(m, ipsets))),
  },
};
