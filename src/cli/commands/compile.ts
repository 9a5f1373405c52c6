import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { compileFilter } from '../../core/compile/compile-filter';
import { printArgsText } from '../../core/compile/print-args';
import { printScriptText } from '../../core/compile/print-script';
import { getBuiltinFilter } from '../../core/library';
import type { Diagnostic, FilterDoc } from '../../core/model/types';
import { parseFilterXml } from '../../core/xml/parse-filter-xml';

/** Where the command writes (and, optionally, how it reads files; `-` is standard input). */
export interface CompileIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readText?: (file: string) => string;
}

const defaultIo: CompileIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** Exit status for invalid input (diagnostics, unreadable files) and for a wrong command line. */
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

export const COMPILE_USAGE = `Usage: nwfilter-studio compile FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                                [--param NAME=VALUE]... [--format args|script]

Instantiate the filter in FILE.xml for one interface, as libvirt does when the filter is bound to
it, and print the ebtables/iptables/ip6tables commands libvirt runs.

  --filters DIR       directory of filter XML files that filterrefs may name (repeatable);
                      libvirt's built-in filters (clean-traffic, …) are always available
  --iface IFACE       interface name (default vnet0)
  --mac MAC           the VM's MAC address (the value of $MAC)
  --param NAME=VALUE  a filter parameter; repeat a NAME to give a list
  --format args       libvirt's dry-run command list under its temporary chain names (default)
  --format script     a shell script that installs the final chains, rules and jumps
`;

interface Parsed {
  file: string;
  filterDirs: string[];
  iface: string;
  mac?: string;
  params: Record<string, string[]>;
  format: 'args' | 'script';
}

function parseArgs(args: readonly string[]): Parsed | string {
  const out: Parsed = { file: '', filterDirs: [], iface: 'vnet0', params: {}, format: 'args' };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | null => {
      if (inline !== undefined) return inline;
      const v = args[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    switch (flag) {
      case '--filters': {
        const v = value();
        if (v === null) return '--filters needs a directory';
        out.filterDirs.push(v);
        break;
      }
      case '--iface': {
        const v = value();
        if (v === null || v === '') return '--iface needs an interface name';
        out.iface = v;
        break;
      }
      case '--mac': {
        const v = value();
        if (v === null) return '--mac needs a MAC address';
        out.mac = v;
        break;
      }
      case '--param': {
        const v = value();
        const eq = v?.indexOf('=') ?? -1;
        if (v === null || eq <= 0) return '--param needs NAME=VALUE';
        const name = v.slice(0, eq);
        (out.params[name] ??= []).push(v.slice(eq + 1));
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'args' && v !== 'script') return "--format must be 'args' or 'script'";
        out.format = v;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
        files.push(a);
    }
  }
  if (files.length !== 1) return files.length === 0 ? 'missing FILE.xml' : 'only one FILE.xml can be compiled';
  out.file = files[0] as string;
  return out;
}

function report(io: CompileIo, file: string, diags: readonly Diagnostic[]): number {
  let errors = 0;
  for (const d of diags) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') errors++;
    io.stderr(`${file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}\n`);
  }
  return errors;
}

/**
 * `nwfilter-studio compile`: parse FILE.xml (and the --filters directories), instantiate it for
 * one interface and print libvirt's commands. Returns the exit status (0, or 1 on any error).
 */
export async function runCompile(args: readonly string[], io: CompileIo = defaultIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(COMPILE_USAGE);
    return 0;
  }
  const opts = parseArgs(args);
  if (typeof opts === 'string') {
    io.stderr(`nwfilter-studio compile: ${opts}\n\n${COMPILE_USAGE}`);
    return EXIT_USAGE;
  }

  let errors = 0;
  const read = (file: string): FilterDoc | null => {
    let text: string;
    try {
      text = io.readText ? io.readText(file) : readFileSync(file, 'utf8');
    } catch (e) {
      io.stderr(`${file}: error: cannot read file: ${(e as Error).message}\n`);
      errors++;
      return null;
    }
    const res = parseFilterXml(text);
    errors += report(io, file, res.diagnostics);
    return res.doc && !res.diagnostics.some((d) => d.severity === 'error') ? res.doc : null;
  };

  const root = read(opts.file);
  const library = new Map<string, { doc: FilterDoc; file: string }>();
  for (const dir of opts.filterDirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      names = readdirSync(dir).filter((n) => n.endsWith('.xml')).sort();
    } catch (e) {
      io.stderr(`${dir}: error: cannot read filter directory: ${(e as Error).message}\n`);
      errors++;
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const doc = read(file);
      if (doc && !library.has(doc.name)) library.set(doc.name, { doc, file });
    }
  }
  if (!root || errors > 0) return EXIT_INVALID;

  const lookup = (name: string): FilterDoc | undefined =>
    name === root.name ? root : (library.get(name)?.doc ?? getBuiltinFilter(name)?.doc);
  const res = compileFilter(lookup, root.name, {
    iface: opts.iface,
    ...(opts.mac !== undefined ? { mac: opts.mac } : {}),
    params: opts.params,
  });
  // Instantiation diagnostics have no source position of their own: they point at the root file.
  if (report(io, opts.file, res.diagnostics) > 0 || !res.ruleset) return EXIT_INVALID;
  io.stdout(opts.format === 'script' ? printScriptText(res.ruleset, { filterName: root.name }) : printArgsText(res.ruleset));
  return 0;
}

/** The `compile` command in the shape src/cli/commands/index.ts registers. */
export const compileCommand = {
  name: 'compile',
  summary: 'print the ebtables/iptables commands libvirt runs for a filter (args or script)',
  usage: COMPILE_USAGE.trimEnd(),
  run: (args: string[], io: CompileIo) => runCompile(args, io),
};
