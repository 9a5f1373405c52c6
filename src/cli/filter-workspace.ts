import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_LIBVIRT_VERSION,
  LIBVIRT_VERSIONS,
  getBuiltinFilter,
  parseLibvirtVersion,
} from '../core/library';
import type { LibvirtVersion } from '../core/library';
import { parseMac } from '../core/model';
import type { Diagnostic, DroppedAttribute, FilterDoc } from '../core/model';
import { parseFilterXml } from '../core/xml';
import { InputError } from './cli-io';
import type { CliIo } from './cli-io';
import { resolveLimits } from '../core/model';
import { escapeForTerminal, formatDiagnostic } from './format-diagnostic';

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

/** libvirt's VALID_VARNAME and VALID_VARVALUE (nwfilter_params.h). */
const VAR_NAME = /^[A-Za-z0-9_]+$/;
const VAR_VALUE = /^[A-Za-z0-9_.:]+$/;

/**
 * `--param NAME=VALUE` uses as libvirt parameters; a NAME given more than once becomes a list.
 * Names and values are checked as libvirt's virNWFilterParseParamAttributes checks a binding's
 * parameters (it silently drops the others, so a filter would quietly miss them). Returns the
 * error text for a malformed use.
 */
export function collectParams(
  uses: readonly string[],
  option = '--param',
): Record<string, string[]> | string {
  // No prototype: a parameter may be called `constructor`, `toString` or `__proto__`.
  const params = Object.create(null) as Record<string, string[]>;
  for (const use of uses) {
    const eq = use.indexOf('=');
    if (eq <= 0) return `${option} needs NAME=VALUE, got '${use}'`;
    const name = use.slice(0, eq);
    const value = use.slice(eq + 1);
    if (!VAR_NAME.test(name)) {
      return `${option} ${use}: a parameter name has only letters, digits and '_' (libvirt ignores any other)`;
    }
    if (!VAR_VALUE.test(value)) {
      return `${option} ${use}: libvirt accepts only letters, digits, '_', '.' and ':' in a parameter value${value === '' ? ' (and no empty value)' : ''}, and ignores the parameter otherwise`;
    }
    const list = params[name];
    if (list) list.push(value);
    else params[name] = [value];
  }
  return params;
}

/** Linux's IFNAMSIZ less the terminating NUL. */
const IFNAME_MAX_BYTES = 15;

/**
 * Why `name` cannot be an interface name, or null: the kernel's dev_valid_name (1 to 15 bytes,
 * not `.` or `..`, no `/`, `:` or white space) plus iptables' wildcard `+`, which would make
 * `--physdev-out vnet+` match every port whose name starts with `vnet`.
 */
export function checkIfaceName(name: string): string | null {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0) return '--iface needs an interface name';
  if (bytes > IFNAME_MAX_BYTES)
    return `--iface: an interface name has at most ${IFNAME_MAX_BYTES} bytes (Linux's IFNAMSIZ), this one ${bytes}`;
  if (name === '.' || name === '..') return `--iface: '${name}' is not an interface name`;
  if (/[/:\s]/.test(name))
    return "--iface: an interface name has no '/', ':', spaces or other white space (Linux refuses them)";
  if (name.includes('+'))
    return "--iface: '+' is iptables' and ebtables' wildcard: the rules would match every interface with that prefix";
  return null;
}

/** Why `mac` cannot be a VM's MAC address, or null (libvirt's virMacAddrParse, unicast only). */
export function checkMacAddress(mac: string): string | null {
  const bytes = parseMac(mac);
  if (!bytes || mac.trim() !== mac)
    return `--mac: '${mac}' is not a MAC address (six hex bytes joined by ':', e.g. 52:54:00:12:34:56)`;
  if (((bytes[0] as number) & 1) === 1)
    return `--mac: ${mac} is a multicast address; libvirt requires a unicast MAC for an interface`;
  return null;
}

/** The `--libvirt VERSION` line of the commands' usage texts. */
export const LIBVIRT_OPTION_USAGE = `  --libvirt VERSION   the libvirt release to target: ${LIBVIRT_VERSIONS.map((v) => v.label).join(', ')};
                      default ${DEFAULT_LIBVIRT_VERSION}. Its built-in filters are what filterrefs name`;

/** Reads `--libvirt VERSION` (absent: the newest release), or the error text for an unknown one. */
export function readLibvirtOption(
  opts: ParsedOptions,
): { version: LibvirtVersion } | { error: string } {
  const text = opts.values.get('--libvirt');
  if (text === undefined) return { version: DEFAULT_LIBVIRT_VERSION };
  const version = parseLibvirtVersion(text);
  if (version) return { version };
  const known = LIBVIRT_VERSIONS.map((v) => v.id).join(', ');
  return { error: `unknown libvirt version '${text}' (known: ${known}, latest)` };
}

/** One filter file as read. */
export interface FilterSource {
  file: string;
  text: string;
  doc: FilterDoc;
  /** Its warnings; a `--filters` file's are printed only when the root references it. */
  warnings: Diagnostic[];
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
  /** Per filter name, the match attributes its file held that libvirt drops (for lint). */
  dropped: Record<string, DroppedAttribute[]>;
  /**
   * Reports the warnings of the `--filters` files the root's filterref tree reaches (directly or
   * through other filters), each once: a warning about a file the filter never uses is noise.
   */
  reportReferencedWarnings(): void;
}

/**
 * Reads FILE (`-` is standard input) and every `*.xml` of `filterDirs`, reporting each read
 * failure and each error through `report` as it goes, and FILE's warnings; the warnings of the
 * `filterDirs` files wait for {@link FilterWorkspace.reportReferencedWarnings}. Filterrefs the
 * files do not define resolve to the built-in filters of libvirt `libvirt`.
 */
export function loadFilterWorkspace(
  io: CliIo,
  file: string,
  filterDirs: readonly string[],
  report: (file: string, diagnostic: Diagnostic | string) => void,
  libvirt: LibvirtVersion = DEFAULT_LIBVIRT_VERSION,
): FilterWorkspace {
  let errors = 0;
  const dropped: Record<string, DroppedAttribute[]> = {};
  const read = (name: string, deferWarnings: boolean): FilterSource | null => {
    let text: string;
    try {
      text = io.readText(name);
    } catch (e) {
      report(
        name,
        e instanceof InputError ? e.toDiagnostic() : `cannot read file: ${(e as Error).message}`,
      );
      errors++;
      return null;
    }
    const res = parseFilterXml(text, resolveLimits(io.limits).inputBytes);
    const warnings: Diagnostic[] = [];
    for (const d of res.diagnostics) {
      if (d.severity === 'info') continue;
      if (d.severity === 'error') errors++;
      if (d.severity === 'warning' && deferWarnings) warnings.push(d);
      else report(name, d);
    }
    if (res.doc && res.dropped) dropped[res.doc.name] ??= res.dropped;
    return res.doc ? { file: name, text, doc: res.doc, warnings } : null;
  };

  const root = read(file, false);
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
      const src = read(path.join(dir, name), true);
      if (src && !library.has(src.doc.name)) library.set(src.doc.name, src);
    }
  }
  const sourceOf = (name: string): FilterSource | undefined =>
    root && name === root.doc.name ? root : library.get(name);
  const lookup = (name: string): FilterDoc | undefined =>
    sourceOf(name)?.doc ?? getBuiltinFilter(name, libvirt)?.doc;
  const reportReferencedWarnings = (): void => {
    if (!root) return;
    const seen = new Set<string>([root.doc.name]);
    const queue: FilterDoc[] = [root.doc];
    for (let doc = queue.shift(); doc; doc = queue.shift()) {
      for (const e of doc.entries) {
        if (e.kind !== 'filterref' || seen.has(e.ref.filter)) continue;
        seen.add(e.ref.filter);
        const src = library.get(e.ref.filter);
        for (const d of src?.warnings ?? []) report(src?.file ?? e.ref.filter, d);
        const child = lookup(e.ref.filter);
        if (child) queue.push(child);
      }
    }
  };
  return { root, lookup, sourceOf, errors, dropped, reportReferencedWarnings };
}

/** Prints a diagnostic (or a plain error text) as `FILE:LINE:COL: severity CODE: message`. */
export function printDiagnostic(io: CliIo, file: string, diagnostic: Diagnostic | string): void {
  if (typeof diagnostic === 'string')
    io.stderr(`${escapeForTerminal(`${file}: error: ${diagnostic}`)}\n`);
  else io.stderr(`${formatDiagnostic(file, diagnostic)}\n`);
}

/** Source positions of a document's entries (`<rule>` / `<filterref>` start tags, document order). */
export function locateEntries(
  text: string,
  doc: FilterDoc,
): ({ line: number; column: number } | null)[] {
  // Blank out comments, CDATA and processing instructions, keeping offsets, so their text cannot
  // look like a tag.
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const clean = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>/g, blank);
  const offsets: number[] = [];
  for (const m of clean.matchAll(/<(rule|filterref)(?=[\s/>])/g)) offsets.push(m.index);
  if (offsets.length !== doc.entries.length) return doc.entries.map(() => null);
  // One pass over the text for all entries (offsets ascend), not one slice per entry.
  let line = 1;
  let lineStart = 0;
  let at = 0;
  return offsets.map((off) => {
    for (; at < off; at++) {
      if (text.charCodeAt(at) === 10) {
        line++;
        lineStart = at + 1;
      }
    }
    return { line, column: off - lineStart + 1 };
  });
}

/**
 * Prints a diagnostic of the root file or of instantiating it. One that names the workspace entry
 * it is about (`entry`) is printed at that rule or filterref in the file it came from; inside a
 * built-in filter (no file) at the root file, naming the filter and the entry.
 */
export function printWorkspaceDiagnostic(
  io: CliIo,
  ws: Pick<FilterWorkspace, 'sourceOf'>,
  rootFile: string,
  d: Diagnostic,
): void {
  const src = d.entry ? ws.sourceOf(d.entry.filter) : undefined;
  if (!d.entry || !src) {
    const where = d.entry
      ? ` [in built-in filter '${d.entry.filter}', ${d.entry.ruleIndex === null ? `entry ${d.entry.entryIndex + 1}` : `rule ${d.entry.ruleIndex + 1}`}]`
      : '';
    io.stderr(`${formatDiagnostic(rootFile, d)}${where}\n`);
    return;
  }
  const pos = locateEntries(src.text, src.doc)[d.entry.entryIndex];
  io.stderr(
    `${formatDiagnostic(src.file, { ...d, line: pos?.line ?? 1, column: pos?.column ?? 1 })}\n`,
  );
}
