import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { compileFilter } from '../../core/compile';
import {
  findMissingIpsets,
  HOST_SYSCTLS,
  missingIpsetDiagnostic,
  simSettingsOf,
} from '../../core/host';
import type { HostProfile } from '../../core/host';
import type { HostSettings, PacketTrace } from '../../core/netfilter';
import { parseIpv4 } from '../../core/model';
import { getScenario, SCENARIOS } from '../../core/sim';
import { runScenario } from '../../core/sim';
import { learningRunOf, phaseText } from '../../core/sim';
import type { LearningPhase } from '../../core/sim';
import type { CounterView } from '../../core/sim';
import { runCaptures, traceJsonLine } from '../../core/sim';
import type { ByteSource } from '../../core/sim';
import type { ConnView } from '../../core/conntrack';
import { resolveLimits } from '../../core/model';
import { EXIT_INVALID, EXIT_OK, PROCESS_IO } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  BACKEND_OPTION,
  BINDING_OPTIONS,
  instantiateOptionsOf,
  openBindingWorkspace,
  parseCommandLine,
  printBindingDiagnostics,
  printRefusedRules,
  readBackendOption,
  readBinding,
} from '../command-line';
import {
  LIBVIRT_OPTION_USAGE,
  printDiagnostic,
  printWorkspaceDiagnostic,
} from '../filter-workspace';
import type { OptionSpec } from '../filter-workspace';
import { HOST_OPTIONS, HOST_USAGE, loadHostProfile } from '../host-options';
import { escapeForTerminal, withLimitHint } from '../format-diagnostic';

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
                      towards it (pcap or pcapng, Ethernet). Merged by timestamp; the timestamps
                      drive the clock. Streamed: memory does not grow with the captures.
                      Without IP, libvirt's learner reads them and the phases are printed
${HOST_USAGE}
  --json              one JSON object per packet per line instead of a table
  --filters, --iface, --mac, --param, --backend   as for \`compile\`
${LIBVIRT_OPTION_USAGE}

A binding libvirt cannot instantiate is reported at its rule and nothing is simulated (exit 1).
`;

const OPTIONS: OptionSpec = {
  ...BINDING_OPTIONS,
  ...BACKEND_OPTION,
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

/** The deciding XML rule, and under nftables the installed rule: table, chain and kernel handle. */
function ruleText(trace: PacketTrace): string {
  const r = trace.rule;
  const site = trace.site;
  const where = site
    ? ` [${site.table.replace('/', ' ')} ${site.chain} handle ${site.handle}]`
    : '';
  // No XML rule but a site: a rule the driver writes itself (its learning rules).
  if (!r) return site ? `(libvirt's own rule)${where}` : '-';
  return `${r.filter}#${r.index} (prio ${r.priority}, ${r.direction})${where}`;
}

const HEAD = ['#', 'time', 'side', 'ctstate', 'verdict', 'rule', 'packet'];
/** Column widths of a capture replay's table, fixed because rows print as they come. */
const STREAM_WIDTHS = [6, 17, 7, 11, 7, 32];
/** Output is written in chunks of about this many characters. */
const CHUNK = 1 << 16;
/** At most this many unsupported packets are named one by one. */
const MAX_ERRORS_LISTED = 20;

/**
 * Prints packets as they are simulated — a table (one line per packet, then the conntrack table
 * and the rules that counted) or JSON lines — keeping nothing per packet but a count, so a replay
 * of any length runs in constant memory.
 */
class TracePrinter {
  private out = '';
  private readonly errors: string[] = [];
  private errorCount = 0;

  constructor(
    private readonly io: CliIo,
    private readonly json: boolean,
    private readonly widths: readonly number[] = STREAM_WIDTHS,
  ) {
    if (!json) this.write(this.line(HEAD));
  }

  private line(cells: readonly string[]): string {
    return `${cells.map((cell, c) => (c < cells.length - 1 ? cell.padEnd(this.widths[c] ?? 0) : cell)).join('  ')}\n`;
  }

  private write(text: string): void {
    this.out += text;
    if (this.out.length >= CHUNK) this.flush();
  }

  private flush(): void {
    if (this.out) this.io.stdout(this.out);
    this.out = '';
  }

  /** A change of the rules in force (IP learning): a line of its own, before the packets it concerns. */
  phase(p: LearningPhase): void {
    if (this.json) {
      this.write(
        `${JSON.stringify({ phase: p.kind, step: p.step, t: +p.t.toFixed(6), addresses: p.addresses, text: phaseText(p, 0) })}\n`,
      );
      return;
    }
    this.write(`-- ${phaseText(p, 0)}\n`);
  }

  row(trace: PacketTrace, time: string, label = ''): void {
    if (trace.error) {
      this.errorCount++;
      if (this.errors.length < MAX_ERRORS_LISTED)
        this.errors.push(`packet ${trace.i}: unsupported by the simulator: ${trace.error}`);
    }
    if (this.json) {
      this.write(`${traceJsonLine(trace, time)}\n`);
      return;
    }
    this.write(this.line(cellsOf(trace, time, label)));
  }

  /** Ends the output; returns how many packets the simulator could not interpret. */
  finish(table: readonly ConnView[], counters: readonly CounterView[]): number {
    if (!this.json) {
      this.write(`\nconntrack table (${table.length}):\n`);
      for (const c of table) this.write(`  ${JSON.stringify(c)}\n`);
      const hit = counters.filter((c) => c.packets > 0 && c.rule);
      this.write(`\nrule hits (${hit.length}):\n`);
      for (const c of hit)
        this.write(
          `  ${c.table} ${c.chain} #${c.index}${c.handle === undefined ? '' : ` handle ${c.handle}`}: ${c.packets} packets  ← ${c.rule?.filter}#${c.rule?.index}\n`,
        );
    }
    this.flush();
    for (const e of this.errors) this.io.stderr(`${escapeForTerminal(e)}\n`);
    if (this.errorCount > this.errors.length)
      this.io.stderr(`… and ${this.errorCount - this.errors.length} more unsupported packets\n`);
    return this.errorCount;
  }
}

function cellsOf(trace: PacketTrace, time: string, label: string): string[] {
  return [
    String(trace.i),
    time,
    trace.side,
    trace.ctstate ?? '-',
    trace.error ? `error: ${trace.error}` : trace.verdict,
    ruleText(trace),
    (label ? `${trace.summary}  (${label})` : trace.summary) +
      (trace.reply ? `  ⇒ REJECT sends ${trace.reply.summary}` : ''),
  ];
}

/** A capture file read through its descriptor, never whole. */
function fileSource(fd: number): ByteSource {
  return { read: (into, position) => readSync(fd, into, 0, into.length, position) };
}

/**
 * `nwfilter-studio simulate`: compile FILE.xml and run a scenario or a pair of captures through the
 * simulated host. Exit 0 when the run completed (whatever the verdicts), 1 on invalid input or
 * when a packet reached something the simulator cannot interpret, 2 on a wrong command line.
 */
export function runSimulate(args: readonly string[], io: CliIo = PROCESS_IO): number {
  const line = parseCommandLine('simulate', SIMULATE_USAGE, args, io, OPTIONS, 1, 'simulated');
  if (typeof line === 'number') return line;
  const { opts, usage } = line;
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
  const binding = readBinding(opts, opts.positionals[0] as string);
  if (typeof binding === 'string') return usage(binding);
  const { file, iface, mac, params } = binding;
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return usage(host.usage);
  if ('invalid' in host) return EXIT_INVALID;
  noteUnmodelledSysctls(io, host.profile);
  const vmIp = params['IP']?.[0];
  if (scenario && vmIp !== undefined && parseIpv4(vmIp) === null) {
    return usage(
      `--param IP=${vmIp}: the scenario sends from the VM's address, and this is not an IPv4 address`,
    );
  }
  const backend = readBackendOption(opts);
  if (typeof backend === 'string') return usage(backend);

  const ws = openBindingWorkspace(io, binding);
  if (!ws) return EXIT_INVALID;
  const compileWith = (p: Record<string, readonly string[]>) =>
    compileFilter(ws.lookup, ws.root.doc.name, instantiateOptionsOf(io, binding, p), backend);
  const compiled = compileWith(params);
  const learning = learningRunOf(
    compiled,
    (ips) => compileWith({ ...params, IP: ips }),
    host.profile,
  );
  const errors = printBindingDiagnostics(io, ws, file, compiled.diagnostics);
  // No traffic through a binding that would never exist: libvirt refuses it, so say why instead.
  if (errors > 0 || !compiled.ruleset) {
    io.stderr(
      `nwfilter-studio simulate: nothing simulated: libvirt would not bind filter '${ws.root.doc.name}' to ${iface} (see above)\n`,
    );
    return EXIT_INVALID;
  }

  const missing = findMissingIpsets(compiled.ruleset, host.profile.ipsets);
  for (const m of missing) {
    const d = missingIpsetDiagnostic(m);
    printWorkspaceDiagnostic(io, ws, file, {
      ...d,
      message: `nothing to simulate, the binding cannot be instantiated: ${d.message}`,
    });
  }
  if (missing.length > 0) return EXIT_INVALID;
  if (printRefusedRules(io, ws, file, compiled.ruleset, host.profile, 'nothing to simulate'))
    return EXIT_INVALID;
  const settings: HostSettings = { iface, ...simSettingsOf(host.profile) };
  const json = opts.flags.has('--json');
  let printer: TracePrinter;
  let table: ConnView[];
  let counters: CounterView[];
  if (scenario) {
    const run = runScenario(compiled.ruleset, scenario, {
      hosts: {
        vm: { ...(vmIp !== undefined ? { ip: vmIp } : {}), ...(mac !== undefined ? { mac } : {}) },
      },
      settings,
      ...(learning ? { learning } : {}),
    });
    const rows = run.steps.map((s) => cellsOf(s.trace, s.trace.t.toFixed(6), s.label));
    printer = new TracePrinter(
      io,
      json,
      HEAD.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length))),
    );
    const phases = run.phases ?? [];
    let next = 0;
    const phasesUpTo = (step: number) => {
      for (; next < phases.length && (phases[next] as LearningPhase).step <= step; next++)
        printer.phase(phases[next] as LearningPhase);
    };
    run.steps.forEach((s, k) => {
      phasesUpTo(k);
      printer.row(s.trace, s.trace.t.toFixed(6), s.label);
    });
    phasesUpTo(Infinity);
    table = run.table;
    counters = run.counters;
    for (const s of run.skipped)
      io.stderr(
        `not sent: frame ${s.index} (${s.label}): the frame it answers was not delivered\n`,
      );
  } else {
    const fds: number[] = [];
    const open = (name: string): ByteSource | null => {
      try {
        const fd = openSync(name, 'r');
        fds.push(fd);
        if (fstatSync(fd).isDirectory()) throw new Error('is a directory');
        return fileSource(fd);
      } catch (e) {
        printDiagnostic(io, name, `cannot read file: ${(e as Error).message}`);
        return null;
      }
    };
    try {
      const a = open(fromVm as string);
      const b = toVm === undefined ? undefined : open(toVm);
      if (!a || b === null) return EXIT_INVALID;
      printer = new TracePrinter(io, json);
      const p = printer;
      const run = runCaptures(
        compiled.ruleset,
        { fromVm: a, ...(b ? { toVm: b } : {}) },
        settings,
        {
          // The table and the JSON lines need no rule visits: the fast walk gives the same results.
          detail: false,
          maxFrames: resolveLimits(io.limits).frames,
          onStep: (s) => p.row(s.trace, s.time),
          ...(learning ? { learning, onPhase: (ph: LearningPhase) => p.phase(ph) } : {}),
        },
      );
      let bad = 0;
      for (const d of run.diagnostics) {
        const name = d.source === 'from-vm' ? (fromVm as string) : (toVm as string);
        printDiagnostic(io, name, `${d.code}: ${withLimitHint(d.message)}`);
        if (d.record < 0 || d.code === 'FRAME_LIMIT') bad++;
      }
      if (bad > 0 && run.frames === 0) return EXIT_INVALID;
      table = run.table;
      counters = run.counters;
      if (run.stoppedAtLimit) {
        printer.finish(table, counters);
        return EXIT_INVALID;
      }
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
  return printer.finish(table, counters) > 0 ? EXIT_INVALID : EXIT_OK;
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a scenario or pcap captures through the compiled filter, packet by packet',
  usage: SIMULATE_USAGE.trimEnd(),
  run: runSimulate,
};
