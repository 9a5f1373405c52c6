import type { Provenance } from '../../instantiate/types';
import type { PrintedLinesOf } from '../backend';
import { printedText } from '../backend';
import type { IrChain, IrRule, IrTable, Ruleset } from './ir';
import { appendArgs, commandPrefix } from './rule-args';
import { escapeShell } from '../values';

/**
 * Printed output with a line map: for every line, the IR rule it prints (null for libvirt's own
 * set-up commands) and that rule's XML provenance (null also for structural rules such as the
 * root-chain links and sub-chain jumps).
 */
export type PrintedLines = PrintedLinesOf<IrRule>;

/** One command in libvirt's dry-run form: a line break before every argument starting with `-`. */
export function formatDryRunCommand(argv: readonly string[]): string[] {
  const lines: string[] = [];
  argv.forEach((arg, i) => {
    const text = escapeShell(arg);
    if (i === 0 || arg.startsWith('-')) lines.push(text);
    else lines[lines.length - 1] += ` ${text}`;
  });
  return lines.map((l, i) => (i < lines.length - 1 ? `${l} \\` : l));
}

class Out {
  readonly lines: string[] = [];
  readonly rules: (IrRule | null)[] = [];
  readonly origins: (Provenance | null)[] = [];
  cmd(argv: readonly string[], rule: IrRule | null = null): void {
    for (const l of formatDryRunCommand(argv)) {
      this.lines.push(l);
      this.rules.push(rule);
      this.origins.push(rule?.provenance ?? null);
    }
  }
}

function tempNamer(table: IrTable): (name: string) => string {
  const map = new Map(table.chains.map((c) => [c.name, c.tempName]));
  return (name) => map.get(name) ?? name;
}

function rulesBySeq(chains: readonly IrChain[]): { chain: IrChain; rule: IrRule }[] {
  return chains
    .flatMap((chain) => chain.rules.map((rule) => ({ chain, rule })))
    .sort((a, b) => a.rule.seq - b.rule.seq);
}

function printEbtables(
  out: Out,
  iface: string,
  table: IrTable | undefined,
  phase: 'setup' | 'link',
): void {
  const eb = (...args: string[]) => ['ebtables', '--concurrent', '-t', 'nat', ...args];
  const j = `libvirt-J-${iface}`;
  const p = `libvirt-P-${iface}`;
  if (phase === 'setup') {
    // Clean-up of leftovers under the temporary names (errors ignored by libvirt).
    out.cmd(eb('-D', 'PREROUTING', '-i', iface, '-j', j));
    out.cmd(eb('-D', 'POSTROUTING', '-o', iface, '-j', p));
    out.cmd(eb('-L', j));
    out.cmd(eb('-L', p));
    out.cmd(eb('-F', j));
    out.cmd(eb('-X', j));
    out.cmd(eb('-F', p));
    out.cmd(eb('-X', p));
    if (!table) return;
    const name = tempNamer(table);
    for (const c of table.chains) if (c.kind === 'iface-root') out.cmd(eb('-N', c.tempName));
    const subs = new Set(table.chains.filter((c) => c.kind === 'iface-sub').map((c) => c.name));
    for (const { chain, rule } of rulesBySeq(table.chains.filter((c) => c.kind !== 'builtin'))) {
      if (rule.target.kind === 'jump' && subs.has(rule.target.chain)) {
        const sub = name(rule.target.chain);
        out.cmd(eb('-F', sub));
        out.cmd(eb('-X', sub));
        out.cmd(eb('-N', sub));
      }
      out.cmd(eb(...appendArgs(chain.name, rule, name)), rule);
    }
    return;
  }
  if (!table) return;
  const name = tempNamer(table);
  for (const { chain, rule } of rulesBySeq(table.chains.filter((c) => c.kind === 'builtin'))) {
    out.cmd(eb(...appendArgs(chain.name, rule, name)), rule);
  }
}

function printIptables(out: Out, iface: string, table: IrTable): void {
  const ipt = (...args: string[]) => [...commandPrefix(table), ...args];
  const fp = `FP-${iface}`;
  const fj = `FJ-${iface}`;
  const hj = `HJ-${iface}`;
  const physIn = ['-m', 'physdev', '--physdev-in', iface];
  const physOut = ['-m', 'physdev', '--physdev-is-bridged', '--physdev-out', iface];
  // Unlink and remove leftovers under the temporary names (errors ignored).
  out.cmd(ipt('-D', 'libvirt-out', ...physOut, '-g', fp));
  out.cmd(ipt('-D', 'libvirt-out', '-m', 'physdev', '--physdev-out', iface, '-g', fp));
  out.cmd(ipt('-D', 'libvirt-in', ...physIn, '-g', fj));
  out.cmd(ipt('-D', 'libvirt-host-in', ...physIn, '-g', hj));
  for (const c of [fp, fj, hj]) {
    out.cmd(ipt('-F', c));
    out.cmd(ipt('-X', c));
  }
  // Shared root chains and their jumps from FORWARD / INPUT.
  for (const c of ['libvirt-in', 'libvirt-out', 'libvirt-in-post', 'libvirt-host-in'])
    out.cmd(ipt('-N', c));
  out.cmd(ipt('-D', 'FORWARD', '-j', 'libvirt-in'));
  out.cmd(ipt('-D', 'FORWARD', '-j', 'libvirt-out'));
  out.cmd(ipt('-D', 'FORWARD', '-j', 'libvirt-in-post'));
  out.cmd(ipt('-D', 'INPUT', '-j', 'libvirt-host-in'));
  out.cmd(ipt('-I', 'FORWARD', '1', '-j', 'libvirt-in'));
  out.cmd(ipt('-I', 'FORWARD', '2', '-j', 'libvirt-out'));
  out.cmd(ipt('-I', 'FORWARD', '3', '-j', 'libvirt-in-post'));
  out.cmd(ipt('-I', 'INPUT', '1', '-j', 'libvirt-host-in'));
  for (const c of [fp, fj, hj]) out.cmd(ipt('-N', c));
  out.cmd(ipt('-A', 'libvirt-out', ...physOut, '-g', fp));
  out.cmd(ipt('-A', 'libvirt-in', ...physIn, '-g', fj));
  out.cmd(ipt('-A', 'libvirt-host-in', ...physIn, '-g', hj));
  out.cmd(ipt('-D', 'libvirt-in-post', ...physIn, '-j', 'ACCEPT'));
  out.cmd(ipt('-A', 'libvirt-in-post', ...physIn, '-j', 'ACCEPT'));
  const name = tempNamer(table);
  for (const { chain, rule } of rulesBySeq(table.chains.filter((c) => c.kind === 'iface-root'))) {
    out.cmd(ipt(...appendArgs(chain.name, rule, name)), rule);
  }
}

/**
 * libvirt's dry-run output for instantiating the ruleset (the first of its two batches: everything
 * under temporary chain names, which is what libvirt's xml2firewall test corpus records, before
 * the common setup is stripped). One argument per line, lines ending in ` \`, shell-quoted as
 * libvirt quotes them.
 */
export function printArgs(ruleset: Ruleset): PrintedLines {
  const out = new Out();
  const eb = ruleset.tables.find((t) => t.family === 'ebtables');
  printEbtables(out, ruleset.iface, eb, 'setup');
  for (const family of ['iptables', 'ip6tables'] as const) {
    const t = ruleset.tables.find((x) => x.family === family);
    if (t) printIptables(out, ruleset.iface, t);
  }
  printEbtables(out, ruleset.iface, eb, 'link');
  return { lines: out.lines, rules: out.rules, origins: out.origins };
}

/** {@link printArgs} as one string (each line newline-terminated), as libvirt's dry-run buffer holds it. */
export function printArgsText(ruleset: Ruleset): string {
  return printedText(printArgs(ruleset));
}
