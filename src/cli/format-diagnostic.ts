import { LIMIT_NAMES } from '../core/model';
import type { Diagnostic } from '../core/model';

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and the bidirectional
 * overrides: a terminal acts on them (an ESC sequence can retitle or clear it, a newline can
 * forge a second diagnostic), so they never reach it raw.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every character a terminal would act on written as `\xNN` / `\u{NNNN}`. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

/**
 * One diagnostic in the compiler form editors and CI annotators understand:
 * `FILE:LINE:COL: error NWF012: message`, escaped for a terminal.
 */
export function formatDiagnostic(file: string, diagnostic: Diagnostic): string {
  const { line, column, severity, code, message } = diagnostic;
  return escapeForTerminal(
    `${file}:${line}:${column}: ${severity} ${code}: ${withLimitHint(message)}`,
  );
}

const LIMIT_IN_MESSAGE = new RegExp(`limit '(${Object.values(LIMIT_NAMES).join('|')})'`);

/** A message naming one of the limits, with how to raise it on this command line. */
export function withLimitHint(message: string): string {
  const m = LIMIT_IN_MESSAGE.exec(message);
  if (!m || message.includes('--limit')) return message;
  return `${message.replace(/\.$/, '')} (raise it with --limit ${m[1]}=N)`;
}

/**
 * The diagnostics worth printing: errors and warnings, plus the `info` notes (such as "libvirt
 * writes this value as …") only when asked, since every hand-written file has some.
 */
export function selectDiagnostics(
  diagnostics: readonly Diagnostic[],
  withInfo: boolean,
): Diagnostic[] {
  return diagnostics.filter((d) => withInfo || d.severity !== 'info');
}

/** Whether any diagnostic makes the document invalid. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
