import { readFileSync } from 'node:fs';
import { LIMIT_NAMES } from '../core/model';
import type { Limits } from '../core/model';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, PROCESS_IO, type CliIo } from './cli-io';
import { COMMANDS } from './commands';
import { escapeForTerminal } from './format-diagnostic';

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
    'Every command takes --limit NAME=N (repeatable) to raise a limit that protects the machine:',
    `  ${Object.values(LIMIT_NAMES).join(', ')} (defaults and costs: docs/limits.md)`,
    '',
  ].join('\n');
}

/**
 * Takes the `--limit NAME=N` uses out of `args` (any command, anywhere on the line). Returns the
 * error text for an unknown name or a value that is not a positive integer.
 */
export function extractLimits(
  args: readonly string[],
): { rest: string[]; limits: Partial<Limits> } | string {
  const rest: string[] = [];
  const limits: Partial<Limits> = {};
  const byName = new Map(Object.entries(LIMIT_NAMES).map(([key, name]) => [name, key]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    let use: string | undefined;
    if (arg === '--limit') {
      use = args[++i];
      if (use === undefined) return '--limit needs NAME=N';
    } else if (arg.startsWith('--limit=')) {
      use = arg.slice('--limit='.length);
    } else {
      rest.push(arg);
      continue;
    }
    const eq = use.indexOf('=');
    const key = byName.get(use.slice(0, eq)) as keyof Limits | undefined;
    if (eq <= 0 || key === undefined) {
      return `--limit needs NAME=N with NAME one of ${[...byName.keys()].join(', ')}, got '${use}'`;
    }
    const value = use.slice(eq + 1);
    if (!/^[1-9][0-9]{0,14}$/.test(value)) return `--limit ${use}: N must be a positive integer`;
    limits[key] = Number(value);
  }
  return { rest, limits };
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
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
    io.stderr(
      `${escapeForTerminal(`${PROGRAM}: unknown command '${name}'`)}\n\n${await renderHelp()}`,
    );
    return EXIT_USAGE;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${command.usage}\n`);
    return EXIT_OK;
  }
  const extracted = extractLimits(args);
  if (typeof extracted === 'string') {
    io.stderr(`${escapeForTerminal(`${PROGRAM} ${name}: ${extracted}`)}\n`);
    return EXIT_USAGE;
  }
  return command.run(extracted.rest, { ...io, limits: { ...io.limits, ...extracted.limits } });
}

/**
 * Runs the CLI with `argv` (without node and the script) and resolves to the exit code.
 * Never calls process.exit, so tests can run it in-process with their own io. Never throws: a
 * failure no command foresaw is one line on stderr (exit 1); its stack trace only with
 * NWFILTER_STUDIO_DEBUG=1 in the environment.
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    const what =
      e instanceof RangeError &&
      /call stack|allocation|Invalid (array|string) length/i.test(e.message)
        ? `the input is too large to process (${e.message})`
        : e instanceof Error
          ? e.message
          : String(e);
    io.stderr(
      `${escapeForTerminal(`${PROGRAM}: internal error: ${what}`)}\n` +
        (process.env['NWFILTER_STUDIO_DEBUG'] === '1' && e instanceof Error && e.stack
          ? `${e.stack}\n`
          : `(this is a bug; NWFILTER_STUDIO_DEBUG=1 shows the details)\n`),
    );
    return EXIT_INVALID;
  }
}
