import { SCENARIOS } from '../../core/sim';
import { EXIT_OK, EXIT_USAGE } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';

export const SCENARIOS_USAGE = `Usage: nwfilter-studio scenarios [--long]

List the simulator's scenarios (for \`simulate --scenario NAME\`); --long adds each explanation.`;

function runScenarios(args: readonly string[], io: CliIo): number {
  const long = args.includes('--long');
  const unknown = args.find((a) => a !== '--long');
  if (unknown !== undefined) {
    io.stderr(`nwfilter-studio scenarios: unknown argument '${unknown}'\n\n${SCENARIOS_USAGE}\n`);
    return EXIT_USAGE;
  }
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  for (const s of SCENARIOS) {
    io.stdout(`${s.name.padEnd(width)}  ${s.title}\n`);
    if (long) io.stdout(`${' '.repeat(width + 2)}${s.explanation}\n\n`);
  }
  return EXIT_OK;
}

export const scenariosCommand: CliCommand = {
  name: 'scenarios',
  summary: "list the simulator's scenarios",
  usage: SCENARIOS_USAGE,
  run: runScenarios,
};
