import { parseFilterXml } from '../core';
import type { Diagnostic, FilterDoc } from '../core/model';
import { InputError } from './cli-io';
import type { CliIo } from './cli-io';
import { resolveLimits } from '../core/model';

/** A file read and parsed (parsing includes libvirt's semantic checks); `doc` is null on error. */
export interface CheckedFile {
  doc: FilterDoc | null;
  diagnostics: Diagnostic[];
  /** Set when the file could not be read at all. */
  readError?: string;
}

/** Reads and parses one filter file. */
export function checkFilterFile(file: string, io: CliIo): CheckedFile {
  let text: string;
  try {
    text = io.readText(file);
  } catch (err) {
    if (err instanceof InputError) return { doc: null, diagnostics: [err.toDiagnostic()] };
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const name = file === '-' ? 'standard input' : file;
    return { doc: null, diagnostics: [], readError: `cannot read ${name}: ${reason}` };
  }
  return parseFilterXml(text, resolveLimits(io.limits).inputBytes);
}
