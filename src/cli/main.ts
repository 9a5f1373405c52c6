import { readFileSync } from 'node:fs';
import { EXIT_OK, EXIT_USAGE, PROCESS_IO, type CliIo } from './cli-io';
import { COMMANDS } from './commands';

const PROGRAM = 'nwfilter-studio';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function renderHelp(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `usage: ${PROGRAM} COMMAND [ARGS...]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${PROGRAM} COMMAND --help\` for a command's usage.`,
    '',
  ].join('\n');
}

/**
 * Runs the CLI with `argv` (without node and the script) and resolves to the exit code.
 * Never calls process.exit, so tests can run it in-process with their own io.
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const help = await renderHelp();
    if (name === undefined) {
      io.stderr(help);
      return EXIT_USAGE;
    }
    io.stdout(help);
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${readVersion()}\n`);
    return EXIT_OK;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(`${PROGRAM}: unknown command '${name}'\n\n${await renderHelp()}`);
    return EXIT_USAGE;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${command.usage}\n`);
    return EXIT_OK;
  }
  return command.run(args, io);
}
