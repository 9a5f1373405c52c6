import type { Provenance } from '../../instantiate/types';
import { printedText } from '../backend';
import type { IrChain, IrRule, IrTable, Ruleset, TableFamily } from './ir';
import type { PrintedLines } from './print-args';
import { appendArgs, commandPrefix } from './rule-args';

/** Characters a shell passes through unquoted: A-Z a-z 0-9 _ @ % + = : , . / - */
const PLAIN_CHAR = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-')
  PLAIN_CHAR[ch.charCodeAt(0)] = 1;

/** Same test as /^[A-Za-z0-9_@%+=:,./-]+$/ without a regular expression per argument. */
function isPlainArg(arg: string): boolean {
  if (arg.length === 0) return false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c >= 128 || PLAIN_CHAR[c] !== 1) return false;
  }
  return true;
}

/**
 * Quote one argument for a POSIX shell so that it reaches the program verbatim as ONE argument.
 * Single quotes protect everything but `'` itself (written `'\''`); a newline is spliced in as
 * `"$NL"` so that every command stays on one line of the script (the line map stays 1:1).
 */
export function quoteScriptArg(arg: string): string {
  if (isPlainArg(arg)) return arg;
  return arg
    .split('\n')
    .map((part) => `'${part.replace(/'/g, "'\\''")}'`)
    .join('"$NL"');
}

class Script {
  readonly lines: string[] = [];
  readonly rules: (IrRule | null)[] = [];
  readonly origins: (Provenance | null)[] = [];
  /** Per line, the front end whose section printed it (null for the header). */
  readonly families: (TableFamily | null)[] = [];
  /** The section being printed. */
  family: TableFamily | null = null;
  usesNewline = false;
  line(text: string, rule: IrRule | null = null): void {
    this.lines.push(text);
    this.rules.push(rule);
    this.origins.push(rule?.provenance ?? null);
    this.families.push(this.family);
  }
  cmd(argv: readonly string[], opts: { rule?: IrRule | null; ignoreErrors?: boolean } = {}): void {
    if (argv.some((a) => a.includes('\n'))) this.usesNewline = true;
    const text = argv.map(quoteScriptArg).join(' ');
    this.line(opts.ignoreErrors ? `${text} 2>/dev/null || true` : text, opts.rule ?? null);
  }
}

function rulesBySeq(chains: readonly IrChain[]): { chain: IrChain; rule: IrRule }[] {
  return chains
    .flatMap((chain) => chain.rules.map((rule) => ({ chain, rule })))
    .sort((a, b) => a.rule.seq - b.rule.seq);
}

const same = (n: string) => n;

function scriptEbtables(s: Script, table: IrTable): void {
  s.family = table.family;
  const eb = (...args: string[]) => [...commandPrefix(table), ...args];
  s.line(
    '# ebtables, table nat: per-interface chains, their rules, then the jumps that enable them',
  );
  for (const c of table.chains)
    if (c.kind === 'iface-root' || c.kind === 'iface-sub') s.cmd(eb('-N', c.name));
  for (const { chain, rule } of rulesBySeq(table.chains.filter((c) => c.kind !== 'builtin'))) {
    s.cmd(eb(...appendArgs(chain.name, rule, same)), { rule });
  }
  for (const { chain, rule } of rulesBySeq(table.chains.filter((c) => c.kind === 'builtin'))) {
    s.cmd(eb(...appendArgs(chain.name, rule, same)), { rule });
  }
}

function scriptIptables(s: Script, table: IrTable): void {
  s.family = table.family;
  const ipt = (...args: string[]) => [...commandPrefix(table), ...args];
  s.line(
    `# ${table.family}, table filter: libvirt's shared root chains (kept if they already exist)`,
  );
  const roots = table.chains.filter((c) => c.kind === 'libvirt-root');
  for (const c of roots) s.cmd(ipt('-N', c.name), { ignoreErrors: true });
  // libvirt deletes and re-inserts the jumps so that they sit at the top of FORWARD / INPUT.
  const builtinRules = rulesBySeq(table.chains.filter((c) => c.kind === 'builtin'));
  for (const { chain, rule } of builtinRules) {
    s.cmd(ipt('-D', chain.name, ...appendArgs(chain.name, rule, same).slice(2)), {
      ignoreErrors: true,
    });
  }
  const position = new Map<string, number>();
  for (const { chain, rule } of builtinRules) {
    const pos = (position.get(chain.name) ?? 0) + 1;
    position.set(chain.name, pos);
    s.cmd(ipt('-I', chain.name, String(pos), ...appendArgs(chain.name, rule, same).slice(2)), {
      rule,
    });
  }
  s.line(`# ${table.family}: the interface's chains and rules`);
  const own = table.chains.filter((c) => c.kind === 'iface-root');
  for (const c of own) s.cmd(ipt('-N', c.name));
  for (const { chain, rule } of rulesBySeq(own)) {
    s.cmd(ipt(...appendArgs(chain.name, rule, same)), { rule });
  }
  s.line(`# ${table.family}: send the interface's traffic to its chains`);
  for (const { chain, rule } of rulesBySeq(roots)) {
    if (chain.name === 'libvirt-in-post') {
      s.cmd(ipt('-D', chain.name, ...appendArgs(chain.name, rule, same).slice(2)), {
        ignoreErrors: true,
      });
    }
    s.cmd(ipt(...appendArgs(chain.name, rule, same)), { rule });
  }
}

/**
 * A complete POSIX shell script that, run as root on a host where none of libvirt's chains for the
 * interface exist, creates the chains, rules and jumps libvirt leaves installed (final chain names:
 * libvirt-I/O-IF, I-IF-…, FI/FO/HI-IF and the shared libvirt-in/out/in-post/host-in chains).
 * Every argument is quoted so that no comment or name can break out of its argument.
 */
export function printScript(ruleset: Ruleset, opts: { filterName?: string } = {}): PrintedLines {
  return scriptOf(ruleset, opts).printed;
}

/**
 * The lines of {@link printScript} that one front end's section prints (its commands and their
 * section comments): what to run with that tool alone.
 */
export function printScriptPart(ruleset: Ruleset, family: TableFamily): PrintedLines {
  const { printed, families } = scriptOf(ruleset, {});
  const keep = (_: unknown, i: number) => families[i] === family;
  return {
    lines: printed.lines.filter(keep),
    rules: printed.rules.filter(keep),
    origins: printed.origins.filter(keep),
  };
}

function scriptOf(
  ruleset: Ruleset,
  opts: { filterName?: string },
): { printed: PrintedLines; families: (TableFamily | null)[] } {
  const body = new Script();
  const eb = ruleset.tables.find((t) => t.family === 'ebtables');
  if (eb) scriptEbtables(body, eb);
  for (const family of ['iptables', 'ip6tables'] as const) {
    const t = ruleset.tables.find((x) => x.family === family);
    if (t) scriptIptables(body, t);
  }
  const head = new Script();
  head.line('#!/bin/sh');
  head.line(
    `# The ebtables/iptables rules libvirt's nwfilter driver installs for interface ${quoteScriptArg(ruleset.iface).replace(/\n/g, ' ')}` +
      (opts.filterName !== undefined ? ` (filter ${JSON.stringify(opts.filterName)})` : '') +
      '.',
  );
  head.line(
    '# Generated by nwfilter-studio. Run as root on a host where these chains do not exist yet.',
  );
  head.line('set -e');
  if (body.usesNewline) {
    head.line("NL='");
    head.line("'");
  }
  if (ruleset.tables.length === 0) head.line('# (the filter produces no rules)');
  return {
    printed: {
      lines: [...head.lines, ...body.lines],
      rules: [...head.rules, ...body.rules],
      origins: [...head.origins, ...body.origins],
    },
    families: [...head.families, ...body.families],
  };
}

/** {@link printScript} as text. */
export function printScriptText(ruleset: Ruleset, opts: { filterName?: string } = {}): string {
  return printedText(printScript(ruleset, opts));
}
