import { readFileSync } from 'node:fs';

/** What a command may touch: injected so commands run in-process in tests as well as for real. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads a UTF-8 file; `-` is standard input. Throws on I/O errors (the caller reports them). */
  readText(file: string): string;
}

/** The real process: stdout, stderr and the file system. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readText: (file) => readFileSync(file === '-' ? 0 : file, 'utf8'),
};

/** One CLI command, e.g. `format`. Each lives in its own module under src/cli/commands/. */
export interface CliCommand {
  name: string;
  /** One line for `nwfilter-studio --help`. */
  summary: string;
  /** The usage text printed by `nwfilter-studio COMMAND --help` and on usage errors. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CliIo): number | Promise<number>;
}

/** Exit codes shared by all commands. */
export const EXIT_OK = 0;
/** The input is invalid (diagnostics with severity error) or a file could not be read. */
export const EXIT_INVALID = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;
