import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Diagnostic } from '../core/model';
import { DIAGNOSTIC_CODES } from '../core/validate';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../core/model';
import type { Limits } from '../core/model';
import { findInvalidUtf8 } from '../core/xml';

/** What a command may touch: injected so commands run in-process in tests as well as for real. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Reads a UTF-8 file; `-` is standard input. Throws an {@link InputError} for input over
   * `limits.inputBytes` or not UTF-8, and the system's error on I/O failures.
   */
  readText(file: string): string;
  /** The limits of this run (`--limit NAME=N`); the defaults where unset. */
  limits?: Partial<Limits>;
}

/** Input refused before any work on it: too large, or not text. Carries its position when known. */
export class InputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly line = 1,
    readonly column = 1,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** The refusal as a diagnostic of the file. */
  toDiagnostic(): Diagnostic {
    const { code, message, line, column } = this;
    return { code, severity: 'error', message, line, column };
  }
}

const CHUNK = 1 << 16;

/**
 * Reads a whole file or standard input, refusing it as soon as it passes `maxBytes` (checked
 * while reading, so `/dev/zero` or a huge pipe costs at most `maxBytes`).
 */
export function readBytesCapped(file: string, maxBytes: number, limitName: string): Uint8Array {
  const fd = file === '-' ? 0 : openSync(file, 'r');
  try {
    const size = fd === 0 ? -1 : fstatSync(fd).isFile() ? fstatSync(fd).size : -1;
    const tooLarge = () =>
      new InputError(
        DIAGNOSTIC_CODES.INPUT_TOO_LARGE.code,
        `${file === '-' ? 'standard input' : file} is larger than ${maxBytes} bytes, the limit '${limitName}' (raise it with --limit ${limitName}=N)`,
      );
    if (size > maxBytes) throw tooLarge();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        // A non-blocking standard input with no data yet: wait by retrying.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge();
      chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** Decodes UTF-8 strictly: an invalid byte is an {@link InputError} at its line and column. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  const bad = findInvalidUtf8(bytes);
  if (bad) {
    throw new InputError(
      DIAGNOSTIC_CODES.INVALID_ENCODING.code,
      `invalid UTF-8: byte 0x${bad.byte.toString(16).padStart(2, '0')} at byte offset ${bad.offset} is not part of a UTF-8 character (libvirt refuses such a document)`,
      bad.line,
      bad.column,
    );
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** The real process: stdout, stderr and the file system. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readText(file) {
    const max = this.limits?.inputBytes ?? DEFAULT_LIMITS.inputBytes;
    return decodeUtf8Strict(readBytesCapped(file, max, LIMIT_NAMES.inputBytes));
  },
};

/** The exit status of a UNIX tool killed by SIGPIPE (128 + 13). */
export const EXIT_BROKEN_PIPE = 141;

/**
 * Makes a closed reader (`simulate … | head`) end the process quietly, as UNIX tools do: Node
 * ignores SIGPIPE, so a write to a closed pipe fails with EPIPE, which would otherwise surface as
 * an unhandled 'error' event and a stack trace. Other errors are rethrown.
 */
export function exitQuietlyOnBrokenPipe(
  stream: NodeJS.WritableStream,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    exit(EXIT_BROKEN_PIPE);
  });
}

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
