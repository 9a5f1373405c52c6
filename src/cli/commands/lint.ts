import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { getBuiltinFilter } from '../../core/library';
import { lintFilter } from '../../core/lint';
import type { LintFinding, LintOptions } from '../../core/lint';
import type { Diagnostic, FilterDoc } from '../../core/model/types';
import { parseFilterXml } from '../../core/xml/parse-filter-xml';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';

export const LINT_USAGE = `Usage: nwfilter-studio lint FILE.xml [--filters DIR]... [--param NAME=VALUE]... [--mac MAC]
                             [--ftp-helper] [--bridge-address] [--icmp-timeout SECONDS] [--json]

Instantiate the filter in FILE.xml as libvirt binds it to an interface and report the pitfalls:
rules that can never match, RELATED without a conntrack helper, connlimit ordering, SSH without
DNS, statematch='false', clean-traffic without IP or with DHCP blocked, rules in a protocol chain
that never sees their protocol, REJECT on the bridged path, VLAN-tagged frames bypassing the
protocol rules, IPv6 left open, connlimit on ICMP with a long conntrack timeout.

  --filters DIR       directory of filter XML files that filterrefs may name (repeatable);
                      libvirt's built-in filters (clean-traffic, ...) are always available
  --param NAME=VALUE  a filter parameter; repeat a NAME to give a list (unset variables are unknown)
  --mac MAC           the VM's MAC address (the value of $MAC)
  --ftp-helper        the host assigns the FTP conntrack helper (CT --helper ftp)
  --bridge-address    the bridge has an IP address (REJECT can send its ICMP error)
  --icmp-timeout S    the host's nf_conntrack_icmp_timeout (default 30, the kernel's)
  --json              print {file, findings, diagnostics} as JSON instead of FILE:LINE:COL lines

Findings print as FILE:LINE:COL: SEVERITY NWF5nn: message, at the rule or filterref they are about.
Exit status: 0 without errors (warnings alone are fine), 1 on an error, 2 on a wrong command line.
`;

interface Parsed {
  file: string;
  filterDirs: string[];
  options: LintOptions & { params: Record<string, string[]> };
  json: boolean;
}

function parseArgs(args: readonly string[]): Parsed | string {
  const out: Parsed = { file: '', filterDirs: [], options: { params: {} }, json: false };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const eqAt = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eqAt > 0 ? [a.slice(0, eqAt), a.slice(eqAt + 1)] : [a, undefined];
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
      case '--param': {
        const v = value();
        const eq = v?.indexOf('=') ?? -1;
        if (v === null || eq <= 0) return '--param needs NAME=VALUE';
        (out.options.params[v.slice(0, eq)] ??= []).push(v.slice(eq + 1));
        break;
      }
      case '--mac': {
        const v = value();
        if (v === null || v === '') return '--mac needs a MAC address';
        out.options.mac = v;
        break;
      }
      case '--ftp-helper':
        out.options.ftpHelper = true;
        break;
      case '--bridge-address':
        out.options.bridgeHasAddress = true;
        break;
      case '--icmp-timeout': {
        const v = value();
        if (v === null || !/^\d+$/.test(v)) return '--icmp-timeout needs a number of seconds';
        out.options.icmpTimeout = Number(v);
        break;
      }
      case '--json':
        out.json = true;
        break;
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
        files.push(a);
    }
  }
  if (files.length !== 1) return files.length === 0 ? 'missing FILE.xml' : 'only one FILE.xml can be linted';
  out.file = files[0] as string;
  return out;
}

/** Source positions of a document's entries (`<rule>` / `<filterref>` start tags, document order). */
export function locateEntries(text: string, doc: FilterDoc): ({ line: number; column: number } | null)[] {
  // Blank out comments, CDATA and processing instructions, keeping offsets, so their text cannot
  // look like a tag.
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const clean = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>/g, blank);
  const offsets: number[] = [];
  for (const m of clean.matchAll(/<(rule|filterref)(?=[\s/>])/g)) offsets.push(m.index);
  if (offsets.length !== doc.entries.length) return doc.entries.map(() => null);
  return offsets.map((off) => {
    const before = text.slice(0, off);
    const line = before.split('\n').length;
    return { line, column: off - before.lastIndexOf('\n') };
  });
}

interface Source {
  file: string;
  text: string;
  doc: FilterDoc;
}

function formatLine(file: string, line: number, column: number, severity: string, code: string, message: string): string {
  return `${file}:${line}:${column}: ${severity} ${code}: ${message}`;
}

/**
 * `nwfilter-studio lint`: parse FILE.xml (and the --filters directories), lint it and print the
 * findings. Returns the exit status.
 */
export function runLint(args: readonly string[], io: CliIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(LINT_USAGE);
    return EXIT_OK;
  }
  const opts = parseArgs(args);
  if (typeof opts === 'string') {
    io.stderr(`nwfilter-studio lint: ${opts}\n\n${LINT_USAGE}`);
    return EXIT_USAGE;
  }

  let errors = 0;
  const printed: string[] = [];
  const parseErrors: { file: string; diagnostic: Diagnostic }[] = [];
  const read = (file: string): Source | null => {
    let text: string;
    try {
      text = io.readText(file);
    } catch (e) {
      io.stderr(`${file}: error: cannot read file: ${(e as Error).message}\n`);
      errors++;
      return null;
    }
    const res = parseFilterXml(text);
    for (const d of res.diagnostics) {
      if (d.severity !== 'error') continue;
      errors++;
      parseErrors.push({ file, diagnostic: d });
      printed.push(formatLine(file, d.line, d.column, d.severity, d.code, d.message));
    }
    return res.doc ? { file, text, doc: res.doc } : null;
  };

  const root = read(opts.file);
  const library = new Map<string, Source>();
  for (const dir of opts.filterDirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      names = readdirSync(dir)
        .filter((n) => n.endsWith('.xml'))
        .sort();
    } catch (e) {
      io.stderr(`${dir}: error: cannot read filter directory: ${(e as Error).message}\n`);
      errors++;
      continue;
    }
    for (const name of names) {
      const src = read(path.join(dir, name));
      if (src && !library.has(src.doc.name)) library.set(src.doc.name, src);
    }
  }

  let findings: LintFinding[] = [];
  let diagnostics: Diagnostic[] = [];
  const sourceOf = (name: string): Source | undefined => (root && name === root.doc.name ? root : library.get(name));
  if (root) {
    const lookup = (name: string): FilterDoc | undefined => sourceOf(name)?.doc ?? getBuiltinFilter(name)?.doc;
    const res = lintFilter(lookup, root.doc.name, opts.options);
    findings = res.findings;
    diagnostics = res.diagnostics.filter((d) => d.severity !== 'info');
  }

  // Instantiation diagnostics have no position of their own: they point at the root file.
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    printed.push(formatLine(opts.file, d.line, d.column, d.severity, d.code, d.message));
  }
  const positions = new Map<string, ({ line: number; column: number } | null)[]>();
  const located = findings.map((f) => {
    const src = sourceOf(f.filter);
    let pos: { line: number; column: number } | null = null;
    if (src) {
      if (!positions.has(src.file)) positions.set(src.file, locateEntries(src.text, src.doc));
      pos = positions.get(src.file)?.[f.entryIndex] ?? null;
    }
    // A finding inside a built-in filter is reported at the root file, naming the filter.
    const where = src ? '' : ` [in built-in filter '${f.filter}', ${f.ruleIndex === null ? `entry ${f.entryIndex + 1}` : `rule ${f.ruleIndex + 1}`}]`;
    if (f.severity === 'error') errors++;
    return { ...f, file: src?.file ?? opts.file, line: pos?.line ?? 1, column: pos?.column ?? 1, where };
  });

  if (opts.json) {
    const out = {
      file: opts.file,
      findings: located.map(({ where: _where, ...f }) => f),
      diagnostics: [...parseErrors.map((p) => ({ file: p.file, ...p.diagnostic })), ...diagnostics.map((d) => ({ file: opts.file, ...d }))],
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    for (const line of printed) io.stdout(`${line}\n`);
    for (const f of located) io.stdout(`${formatLine(f.file, f.line, f.column, f.severity, f.code, f.message)}${f.where}\n`);
  }
  return errors > 0 ? EXIT_INVALID : EXIT_OK;
}

/** The `lint` command as src/cli/commands/index.ts registers it. */
export const lintCommand: CliCommand = {
  name: 'lint',
  summary: 'report pitfalls of a filter (unreachable rules, RELATED without helper, IPv6 left open, ...)',
  usage: LINT_USAGE.trimEnd(),
  run: (args, io) => runLint(args, io),
};
