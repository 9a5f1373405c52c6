import type { Diagnostic } from '../core/model/types';

/**
 * One diagnostic in the compiler form editors and CI annotators understand:
 * `FILE:LINE:COL: error NWF012: message`.
 */
export function formatDiagnostic(file: string, diagnostic: Diagnostic): string {
  const { line, column, severity, code, message } = diagnostic;
  return `${file}:${line}:${column}: ${severity} ${code}: ${message}`;
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
