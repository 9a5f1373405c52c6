import { readFileSync } from 'node:fs';
import {
  BACKENDS,
  DEFAULT_BACKEND,
  compileFilter,
  getBackend,
  isBackendId,
} from '../../core/compile';
import { HOST_SYSCTLS, simSettingsOf } from '../../core/host';
import type { HostProfile } from '../../core/host';
import type { HostSettings, PacketTrace } from '../../core/netfilter/bridge-host';
import { parseIpv4 } from '../../core/model/libvirt-syntax';
import { getScenario, SCENARIOS } from '../../core/sim/scenarios';
import { runScenario } from '../../core/sim/run-scenario';
import type { CounterView } from '../../core/sim/run-scenario';
import { runCaptures, traceJsonLine } from '../../core/sim/run-captures';
import type { ConnView } from '../../core/conntrack/conntrack';
import { resolveLimits } from '../../core/model/limits';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, PROCESS_IO } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  checkIfaceName,
  checkMacAddress,
  collectParams,
  loadFilterWorkspace,
  LIBVIRT_OPTION_USAGE,
  parseCliOptions,
  printDiagnostic,
  printWorkspaceDiagnostic,
  readLibvirtOption,
} from '../filter-workspace';
import type { OptionSpec } from '../filter-workspace';
import { HOST_OPTIONS, HOST_USAGE, loadHostProfile } from '../host-options';

export const SIMULATE_USAGE = `Usage: nwfilter-studio simulate FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                                 [--param NAME=VALUE]... [--backend NAME] [--host HOST.json] [--ftp-helper]
                                 [--bridge-address CIDR] [--ipset NAME[:TYPE]=MEMBER,...]...
                                 [--sysctl NAME=VALUE]... (--scenario NAME | --from-vm A.pcap [--to-vm B.pcap]) [--json]
                                 [--libvirt VERSION]

Compile the filter in FILE.xml as libvirt installs it for one interface and run packets through a
simulated bridge host (ebtables nat, conntrack, iptables FORWARD/INPUT), as the Linux kernel
would: for every packet its conntrack state, its fate and the XML rule that decided.

  --scenario NAME     a named scenario (list them with \`nwfilter-studio scenarios\`); the VM's
                      addresses come from --param IP=… and --mac
  --from-vm A.pcap    frames the VM sent (captured on its port); with --to-vm B.pcap, frames
                      towards it. Merged by timestamp; the timestamps drive the clock
${HOST_USAGE}
  --json              one JSON object per packet per line instead of a table
  --filters, --iface, --mac, --param, --backend   as for \`compile\`
${LIBVIRT_OPTION_USAGE}

A binding libvirt cannot instantiate is reported at its rule and nothing is simulated (exit 1).
`;

const OPTIONS: OptionSpec = {
  '--filters': 'list',
  '--libvirt': 'value',
  '--iface': 'value',
  '--mac': 'value',
  '--param': 'list',
  '--backend': 'value',
  ...HOST_OPTIONS,
  '--scenario': 'value',
  '--from-vm': 'value',
  '--to-vm': 'value',
  '--json': 'flag',
};

/** Says which of the profile's sysctls the run cannot reflect (set to other than the kernel's default). */
function noteUnmodelledSysctls(io: CliIo, profile: HostProfile): void {
  const all = [profile.sysctls, ...profile.events.map((e) => e.sysctls)];
  const seen = new Set<string>();
  for (const sysctls of all)
    for (const [key, value] of Object.entries(sysctls)) {
      const info = HOST_SYSCTLS.find((s) => s.key === key);
      if (!info || info.effect === 'modelled' || seen.has(key) || Number(value) === info.default)
        continue;
      seen.add(key);
      io.stderr(
        `nwfilter-studio simulate: note: ${info.full}=${value}: ${info.effect === 'no-effect' ? 'no effect on verdicts' : 'not modelled'} (${info.why})\n`,
      );
    }
}

interface Row {
  trace: PacketTrace;
  time: string;
  label: string;
}

function ruleText(trace: PacketTrace): string {
  const r = trace.rule;
  return r ? `${r.filter}#${r.index} (prio ${r.priority}, ${r.direction})` : '-';
}

/** The readable form: one line per packet, then the conntrack table and the rules that counted. */
function printTable(
  io: CliIo,
  rows: readonly Row[],
  table: readonly ConnView[],
  counters: readonly CounterView[],
): void {
  const head = ['#', 'time', 'side', 'ctstate', 'verdict', 'rule', 'packet'];
  const body = rows.map(({ trace, time, label }) => [
    String(trace.i),
    time,
    trace.side,
    trace.ctstate ?? '-',
    trace.error ? `error: ${trace.error}` : trace.verdict,
    ruleText(trace),
    (label ? `${trace.summary}  (${label})` : trace.summary) +
      (trace.reply ? `  ⇒ REJECT sends ${trace.reply.summary}` : ''),
  ]);
  const widths = head.map((h, c) =>
    Math.max(h.length, ...body.map((r) => (c < 6 ? (r[c] as string).length : 0))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c < cells.length - 1 ? cell.padEnd(widths[c] as number) : cell))
      .join('  ');
  io.stdout(`${line(head)}\n${body.map(line).join('\n')}\n`);
  io.stdout(`\nconntrack table (${table.length}):\n`);
  for (const c of table) io.stdout(`  ${JSON.stringify(c)}\n`);
  const hit = counters.filter((c) => c.packets > 0 && c.rule);
  io.stdout(`\nrule hits (${hit.length}):\n`);
  for (const c of hit)
    io.stdout(
      `  ${c.table} ${c.chain} #${c.index}: ${c.packets} packets  ← ${c.rule?.filter}#${c.rule?.index}\n`,
    );
}

/**
 * `nwfilter-studio simulate`: compile FILE.xml and run a scenario or a pair of captures through the
 * simulated host. Exit 0 when the run completed (whatever the verdicts), 1 on invalid input or
 * when a packet reached something the simulator cannot interpret, 2 on a wrong command line.
 */
export function runSimulate(args: readonly string[], io: CliIo = PROCESS_IO): number {
  const usage = (msg: string): number => {
    io.stderr(`nwfilter-studio simulate: ${msg}\n\n${SIMULATE_USAGE}`);
    return EXIT_USAGE;
  };
  const opts = parseCliOptions(args, OPTIONS);
  if (typeof opts === 'string') return usage(opts);
  if (opts.positionals.length !== 1) {
    return usage(
      opts.positionals.length === 0 ? 'missing FILE.xml' : 'only one FILE.xml can be simulated',
    );
  }
  const file = opts.positionals[0] as string;
  const scenarioName = opts.values.get('--scenario');
  const fromVm = opts.values.get('--from-vm');
  const toVm = opts.values.get('--to-vm');
  if ((scenarioName === undefined) === (fromVm === undefined)) {
    return usage('give either --scenario NAME or --from-vm A.pcap');
  }
  if (toVm !== undefined && fromVm === undefined) return usage('--to-vm needs --from-vm');
  const scenario = scenarioName === undefined ? undefined : getScenario(scenarioName);
  if (scenarioName !== undefined && !scenario) {
    return usage(
      `unknown scenario '${scenarioName}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  }
  const params = collectParams(opts.lists.get('--param') ?? []);
  if (typeof params === 'string') return usage(params);
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return usage(host.usage);
  if ('invalid' in host) return EXIT_INVALID;
  noteUnmodelledSysctls(io, host.profile);
  const iface = opts.values.get('--iface') ?? 'vnet0';
  const badIface = checkIfaceName(iface);
  if (badIface) return usage(badIface);
  const mac = opts.values.get('--mac');
  const badMac = mac === undefined ? null : checkMacAddress(mac);
  if (badMac) return usage(badMac);
  const vmIp = params['IP']?.[0];
  if (scenario && vmIp !== undefined && parseIpv4(vmIp) === null) {
    return usage(
      `--param IP=${vmIp}: the scenario sends from the VM's address, and this is not an IPv4 address`,
    );
  }
  const backendId = opts.values.get('--backend') ?? DEFAULT_BACKEND;
  if (!isBackendId(backendId))
    return usage(`--backend must be one of ${BACKENDS.map((b) => `'${b.id}'`).join(', ')}`);
  const libvirt = readLibvirtOption(opts);
  if ('error' in libvirt) return usage(libvirt.error);

  const ws = loadFilterWorkspace(
    io,
    file,
    opts.lists.get('--filters') ?? [],
    (f, d) => printDiagnostic(io, f, d),
    libvirt.version,
  );
  if (!ws.root || ws.errors > 0) return EXIT_INVALID;
  ws.reportReferencedWarnings();
  const compiled = compileFilter(
    ws.lookup,
    ws.root.doc.name,
    {
      iface,
      ...(mac !== undefined ? { mac } : {}),
      params,
      maxExpansion: resolveLimits(io.limits).expansion,
    },
    getBackend(backendId),
  );
  let errors = 0;
  for (const d of compiled.diagnostics) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') errors++;
    printWorkspaceDiagnostic(io, ws, file, d);
  }
  // No traffic through a binding that would never exist: libvirt refuses it, so say why instead.
  if (errors > 0 || !compiled.ruleset) {
    io.stderr(
      `nwfilter-studio simulate: nothing simulated: libvirt would not bind filter '${ws.root.doc.name}' to ${iface} (see above)\n`,
    );
    return EXIT_INVALID;
  }

  const settings: HostSettings = { iface, ...simSettingsOf(host.profile) };
  let rows: Row[];
  let table: ConnView[];
  let counters: CounterView[];
  if (scenario) {
    const run = runScenario(compiled.ruleset, scenario, {
      hosts: {
        vm: { ...(vmIp !== undefined ? { ip: vmIp } : {}), ...(mac !== undefined ? { mac } : {}) },
      },
      settings,
    });
    rows = run.steps.map((s) => ({ trace: s.trace, time: s.trace.t.toFixed(6), label: s.label }));
    table = run.table;
    counters = run.counters;
    for (const s of run.skipped)
      io.stderr(
        `not sent: frame ${s.index} (${s.label}): the frame it answers was not delivered\n`,
      );
  } else {
    const read = (name: string): Uint8Array | null => {
      try {
        return readFileSync(name);
      } catch (e) {
        printDiagnostic(io, name, `cannot read file: ${(e as Error).message}`);
        return null;
      }
    };
    const a = read(fromVm as string);
    const b = toVm === undefined ? undefined : read(toVm);
    if (!a || b === null) return EXIT_INVALID;
    const run = runCaptures(compiled.ruleset, { fromVm: a, ...(b ? { toVm: b } : {}) }, settings);
    let bad = 0;
    for (const d of run.diagnostics) {
      const name = d.source === 'from-vm' ? (fromVm as string) : (toVm as string);
      printDiagnostic(io, name, `${d.code}: ${d.message}`);
      if (d.record < 0) bad++;
    }
    if (bad > 0 && run.steps.length === 0) return EXIT_INVALID;
    rows = run.steps.map((s) => ({ trace: s.trace, time: s.time, label: '' }));
    table = run.table;
    counters = run.counters;
  }

  if (opts.flags.has('--json')) {
    io.stdout(rows.map((r) => `${traceJsonLine(r.trace, r.time)}\n`).join(''));
  } else {
    printTable(io, rows, table, counters);
  }
  const failed = rows.filter((r) => r.trace.error);
  for (const r of failed)
    io.stderr(`packet ${r.trace.i}: unsupported by the simulator: ${r.trace.error}\n`);
  return failed.length > 0 ? EXIT_INVALID : EXIT_OK;
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a scenario or pcap captures through the compiled filter, packet by packet',
  usage: SIMULATE_USAGE.trimEnd(),
  run: runSimulate,
};
