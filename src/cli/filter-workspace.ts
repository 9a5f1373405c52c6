import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { getBuiltinFilter } from '../core/library';
import type { Diagnostic, FilterDoc } from '../core/model/types';
import { parseFilterXml } from '../core/xml/parse-filter-xml';
import type { CliIo } from './cli-io';
import { formatDiagnostic } from './format-diagnostic';

/** How an option takes its value: `flag` none, `value` one (last wins), `list` one per use. */
export type OptionKind = 'flag' | 'value' | 'list';

/** The options a command accepts, by their `--name`. */
export type OptionSpec = Record<string, OptionKind>;

export interface ParsedOptions {
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
}

/**
 * Parses `args` against `spec`: `--name VALUE` and `--name=VALUE` both work, `-` is a positional
 * (standard input). Returns the error text for an unknown option or a missing value.
 */
export function parseCliOptions(args: readonly string[], spec: OptionSpec): ParsedOptions | string {
  const out: ParsedOptions = {
    positionals: [],
    flags: new Set(),
    values: new Map(),
    lists: new Map(),
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) return `unknown option '${arg}'`;
    if (kind === 'flag') {
      if (name !== arg) return `${name} takes no value`;
      out.flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else value = args[++i];
    if (value === undefined) return `${name} needs a value`;
    if (kind === 'value') out.values.set(name, value);
    else out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
  }
  return out;
}

/**
 * `--param NAME=VALUE` uses as libvirt parameters; a NAME given more than once becomes a list.
 * Returns the error text for a malformed use.
 */
export function collectParams(
  uses: readonly string[],
  option = '--param',
): Record<string, string[]> | string {
  const params: Record<string, string[]> = {};
  for (const use of uses) {
    const eq = use.indexOf('=');
    if (eq <= 0) return `${option} needs NAME=VALUE, got '${use}'`;
    (params[use.slice(0, eq)] ??= []).push(use.slice(eq + 1));
  }
  return params;
}

/** One filter file as read. */
export interface FilterSource {
  file: string;
  text: string;
  doc: FilterDoc;
}

/** A root filter plus the filters it may reference: `--filters` directories, then the built-ins. */
export interface FilterWorkspace {
  root: FilterSource | null;
  /** Resolves a filterref name as libvirt would find it on this host. */
  lookup(name: string): FilterDoc | undefined;
  /** The file a user filter came from (built-ins have none). */
  sourceOf(name: string): FilterSource | undefined;
  /** Errors met while reading: unreadable files and parse errors. Nothing is usable when > 0. */
  errors: number;
}

/**
 * Reads FILE (`-` is standard input) and every `*.xml` of `filterDirs`, reporting each read
 * failure and each diagnostic (errors and warnings) through `report` as it goes.
 */
export function loadFilterWorkspace(
  io: CliIo,
  file: string,
  filterDirs: readonly string[],
  report: (file: string, diagnostic: Diagnostic | string) => void,
): FilterWorkspace {
  let errors = 0;
  const read = (name: string): FilterSource | null => {
    let text: string;
    try {
      text = io.readText(name);
    } catch (e) {
      report(name, `cannot read file: ${(e as Error).message}`);
      errors++;
      return null;
    }
    const res = parseFilterXml(text);
    for (const d of res.diagnostics) {
      if (d.severity === 'info') continue;
      if (d.severity === 'error') errors++;
      report(name, d);
    }
    return res.doc ? { file: name, text, doc: res.doc } : null;
  };

  const root = read(file);
  const library = new Map<string, FilterSource>();
  for (const dir of filterDirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      names = readdirSync(dir)
        .filter((n) => n.endsWith('.xml'))
        .sort();
    } catch (e) {
      report(dir, `cannot read filter directory: ${(e as Error).message}`);
      errors++;
      continue;
    }
    for (const name of names) {
      const src = read(path.join(dir, name));
      if (src && !library.has(src.doc.name)) library.set(src.doc.name, src);
    }
  }
  const sourceOf = (name: string): FilterSource | undefined =>
    root && name === root.doc.name ? root : library.get(name);
  return {
    root,
    lookup: (name) => sourceOf(name)?.doc ?? getBuiltinFilter(name)?.doc,
    sourceOf,
    errors,
  };
}

/** Prints a diagnostic (or a plain error text) as `FILE:LINE:COL: severity CODE: message`. */
export function printDiagnostic(io: CliIo, file: string, diagnostic: Diagnostic | string): void {
  if (typeof diagnostic === 'string') io.stderr(`${file}: error: ${diagnostic}\n`);
  else io.stderr(`${formatDiagnostic(file, diagnostic)}\n`);
}
