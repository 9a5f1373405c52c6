import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import { parseCliOptions } from '../filter-workspace';
import { escapeForTerminal } from '../format-diagnostic';
import { driftOfHost } from '../host/drift';
import { whyNoFirewallAccess } from '../host/firewall';
import type { BindingDrift } from '../../core';
import { checkPortdev } from '../host/names';
import { hostOptions } from './serve';

export const DRIFT_USAGE = `Usage: nwfilter-studio drift [--connect URI] [IFACE] [--json] [--netns NAME]

For each filter binding of the libvirt at URI (or only IFACE's), compare the rules the host's
kernel holds for that interface (iptables-save, ip6tables-save, ebtables-save: the interface's
chains and the jumps to them) with what the studio compiles for the binding (its filter, MAC and
parameters, the host's filters, the host's libvirt release). Prints "identical" or the differing
rules with the XML rule each belongs to. Reading the host's rules needs root.

  --connect URI   libvirt connection URI (default qemu:///system)
  --json          one JSON document: [{portdev, filter, libvirt, report}]
  --netns NAME    read the rules in network namespace NAME (see serve --help)

Exit status: 0 identical, 1 drift, 2 error (not root, libvirt unreachable, a wrong argument).`;

const OPTIONS = { '--connect': 'value', '--json': 'flag', '--netns': 'value' } as const;

/** The text form of one binding's drift. */
export function formatDrift(d: BindingDrift): string {
  const r = d.report;
  const total = r.compared.ebtables + r.compared.iptables + r.compared.ip6tables;
  const head = `${d.portdev} (filter ${d.filter}, libvirt ${d.libvirt.daemon})`;
  if (r.identical) return `${escapeForTerminal(head)}: identical (${total} rules compared)\n`;
  const out = [`${head}: drift, ${r.lines.length} rule${r.lines.length === 1 ? '' : 's'} differ`];
  let where = '';
  for (const l of r.lines) {
    const at = `${l.family} ${l.table} ${l.chain}`;
    if (at !== where) out.push(`  ${at}:`);
    where = at;
    const side = l.only === 'studio' ? 'missing on the host' : 'only on the host';
    const rule = l.rule
      ? ` ← ${l.rule.filter} rule #${l.rule.ruleIndex} (${l.rule.action} ${l.rule.direction}, priority ${l.rule.priority})`
      : '';
    out.push(`    ${l.only === 'studio' ? '-' : '+'} ${l.text}   [${side}]${rule}`);
  }
  return `${out.map(escapeForTerminal).join('\n')}\n`;
}

async function runDrift(args: readonly string[], io: CliIo): Promise<number> {
  const usage = (msg: string) => {
    io.stderr(`${escapeForTerminal(`nwfilter-studio drift: ${msg}`)}\n\n${DRIFT_USAGE}\n`);
    return EXIT_USAGE;
  };
  const opts = parseCliOptions(args, OPTIONS);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length > 1) return usage('at most one IFACE');
  const iface = opts.positionals[0];
  const badIface = iface === undefined ? null : checkPortdev(iface);
  if (badIface) return usage(badIface);
  const host = hostOptions(opts.values);
  if (typeof host === 'string') return usage(host);
  const noAccess = whyNoFirewallAccess();
  if (noAccess) {
    io.stderr(`nwfilter-studio drift: ${noAccess}\n`);
    return EXIT_USAGE;
  }
  let drift: BindingDrift[];
  try {
    drift = await driftOfHost(host.libvirt, host.firewall, iface);
  } catch (e) {
    io.stderr(
      `${escapeForTerminal(`nwfilter-studio drift: ${e instanceof Error ? e.message : String(e)}`)}\n`,
    );
    return EXIT_USAGE;
  }
  if (opts.flags.has('--json')) io.stdout(`${JSON.stringify(drift)}\n`);
  else if (drift.length === 0) io.stdout('no filter bindings on this host\n');
  else for (const d of drift) io.stdout(formatDrift(d));
  return drift.every((d) => d.report.identical) ? EXIT_OK : EXIT_INVALID;
}

export const driftCommand: CliCommand = {
  name: 'drift',
  summary: 'compare the rules a host holds for each binding with what the studio compiles',
  usage: DRIFT_USAGE,
  run: runDrift,
};
