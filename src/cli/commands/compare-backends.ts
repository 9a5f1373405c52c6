import { NFT_BACKEND_LABEL } from '../../core/compile';
import { simSettingsOf } from '../../core/host';
import type { Diagnostic } from '../../core/model';
import type { HostSettings } from '../../core/netfilter';
import type { DiffSide } from '../../core/analysis';
import { compareBackends, compareBehaviour, compareRegions, scenarioRuns } from '../../core/parity';
import type {
  BehaviourComparison,
  PacketFate,
  ParityPath,
  RegionComparison,
  RuleParity,
} from '../../core/parity';
import { ANALYSIS_PATH_TITLES } from '../../core/analysis';
import { DEFAULT_HOSTS } from '../../core/sim';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CliIo } from '../cli-io';
import {
  BINDING_OPTIONS,
  BINDING_USAGE,
  instantiateOptionsOf,
  openBindingWorkspace,
  parseCommandLine,
  printBindingDiagnostics,
  readBinding,
} from '../command-line';
import { LIBVIRT_OPTION_USAGE, locateEntries } from '../filter-workspace';
import type { FilterWorkspace, OptionSpec } from '../filter-workspace';
import { escapeForTerminal } from '../format-diagnostic';
import { HOST_OPTIONS, HOST_USAGE, loadHostProfile } from '../host-options';

export const COMPARE_BACKENDS_USAGE = `Usage: nwfilter-studio compare-backends FILE.xml [--filters DIR]... [--iface IFACE] [--mac MAC]
                             [--param NAME=VALUE]... [--host HOST.json] [--ftp-helper] ...
                             [--libvirt VERSION] [--json]

Bind the filter in FILE.xml once and compile it for both of libvirt's nwfilter backends: the
ebtables/iptables driver of every libvirt release, and libvirt's proposed nftables driver
(series v5/v6, not yet in a release). Print what behaves differently:
  - every XML rule whose installed rules differ (a test the nftables driver drops, adds or
    changes, another verdict such as REJECT written as drop, a rule only one driver installs),
    on each path (from-vm, to-vm, to-host), at the rule's FILE:LINE:COL;
  - every scenario packet whose verdict or conntrack state differs, with the XML rule that
    decided on each side (both rule sets run on the simulated bridge host, as simulate does;
    the host options describe it);
  - over all packets, not only the scenarios': every region of the header space whose verdict
    differs (the exact analysis, as \`diff --against-backend\`), with a witness packet.

${BINDING_USAGE}
${HOST_USAGE}
  --json              print {file, nftables, same, bindings, rules, packets, regions} as JSON
${LIBVIRT_OPTION_USAGE}

Exit status: 0 when both backends give the filter the same meaning, 1 when they differ, 2 on a
wrong command line or a filter that does not instantiate.
`;

const OPTIONS: OptionSpec = {
  ...BINDING_OPTIONS,
  ...HOST_OPTIONS,
  '--json': 'flag',
};

const EXIT_DIFFERENT = 1;
const EXIT_TROUBLE = 2;

interface Where {
  file: string;
  line: number;
  column: number;
  /** For a rule of a built-in filter: which one (the position is the root file's). */
  builtin: string | null;
}

/** Positions of the entries of the workspace's filters, each file scanned once. */
function locator(ws: FilterWorkspace, rootFile: string) {
  const cache = new Map<string, ({ line: number; column: number } | null)[]>();
  return (filter: string, entryIndex: number, ruleIndex: number): Where => {
    const src = ws.sourceOf(filter);
    if (!src)
      return { file: rootFile, line: 1, column: 1, builtin: `${filter}, rule ${ruleIndex + 1}` };
    let list = cache.get(src.file);
    if (!list) {
      list = locateEntries(src.text, src.doc);
      cache.set(src.file, list);
    }
    const pos = list[entryIndex];
    return { file: src.file, line: pos?.line ?? 1, column: pos?.column ?? 1, builtin: null };
  };
}

const pathsText = (paths: readonly ParityPath[]) => paths.join(', ');

function fateText(f: PacketFate | null): string {
  if (!f) return 'not sent';
  const rule = f.rule ? `${f.rule.filter}#${f.rule.index}` : 'no filter rule';
  return `${f.verdict}${f.ctstate ? ` ${f.ctstate}` : ''} (${rule})`;
}

function errorView(ws: FilterWorkspace, rootFile: string, d: Diagnostic) {
  const at = d.entry
    ? locator(ws, rootFile)(d.entry.filter, d.entry.entryIndex, d.entry.ruleIndex ?? 0)
    : null;
  return {
    file: at?.file ?? rootFile,
    line: at?.line ?? d.line,
    column: at?.column ?? d.column,
    code: d.code,
    message: d.message,
  };
}

/** Where the XML rule that decided a packet is: `filter#ruleIndex` → its entry index. */
function decidingEntry(ws: FilterWorkspace, f: PacketFate | null) {
  if (!f?.rule) return null;
  const doc = ws.lookup(f.rule.filter);
  let n = -1;
  const entryIndex =
    doc?.entries.findIndex((e) => e.kind === 'rule' && ++n === f.rule?.index) ?? -1;
  return { ...f.rule, entryIndex: entryIndex < 0 ? null : entryIndex };
}

/** `nwfilter-studio compare-backends`. */
export function runCompareBackends(args: readonly string[], io: CliIo): number {
  const line = parseCommandLine(
    'compare-backends',
    COMPARE_BACKENDS_USAGE,
    args,
    io,
    OPTIONS,
    1,
    'compared',
  );
  if (typeof line === 'number') return line;
  const { opts, usage } = line;
  const binding = readBinding(opts, opts.positionals[0] as string);
  if (typeof binding === 'string') return usage(binding);
  const { file, iface, mac, params } = binding;
  const host = loadHostProfile(io, opts);
  if ('usage' in host) return usage(host.usage);
  if ('invalid' in host) return EXIT_TROUBLE;

  const ws = openBindingWorkspace(io, binding);
  if (!ws) return EXIT_TROUBLE;
  const settings: HostSettings = { iface, ...simSettingsOf(host.profile) };
  const hosts = {
    vm: { ip: params['IP']?.[0] ?? DEFAULT_HOSTS.vm.ip, mac: mac ?? DEFAULT_HOSTS.vm.mac },
    remote: { ...DEFAULT_HOSTS.remote },
  };
  // Without IP libvirt learns it: the rules after learning the scenarios' VM address.
  const cmp = compareBackends(ws.lookup, ws.root.doc.name, instantiateOptionsOf(io, binding), {
    address: hosts.vm.ip,
    host: settings,
  });
  if (printBindingDiagnostics(io, ws, file, cmp.diagnostics) > 0) return EXIT_TROUBLE;
  const packets: BehaviourComparison =
    cmp.ebiptables.ruleset && cmp.nftables.ruleset
      ? compareBehaviour(
          cmp.ebiptables.ruleset,
          cmp.nftables.ruleset,
          scenarioRuns(hosts, settings),
          cmp.learning?.runs,
        )
      : { available: false, reason: 'a backend cannot bind the filter (see bindings)' };
  const regions: RegionComparison =
    cmp.ebiptables.ruleset && cmp.nftables.ruleset
      ? compareRegions(cmp.ebiptables.ruleset, cmp.nftables.ruleset, settings)
      : { available: false, reason: 'a backend cannot bind the filter (see bindings)' };
  const bindingDiffers = (cmp.ebiptables.ruleset === null) !== (cmp.nftables.ruleset === null);
  const packetDiffs = packets.available ? packets.differences.length : 0;
  const regionDiffs = regions.available ? regions.regions.length : 0;
  const learningDiffers =
    cmp.learning !== undefined &&
    cmp.learning.whileLearning.ebiptables !== cmp.learning.whileLearning.nftables;
  const same =
    !bindingDiffers &&
    !learningDiffers &&
    cmp.rules.length === 0 &&
    packetDiffs === 0 &&
    regionDiffs === 0;
  const where = locator(ws, file);

  if (opts.flags.has('--json')) {
    const side = (s: { ruleset: unknown; errors: Diagnostic[] }) => ({
      binds: s.ruleset !== null,
      errors: s.errors.map((d) => errorView(ws, file, d)),
    });
    const out = {
      file,
      nftables: NFT_BACKEND_LABEL,
      same,
      bindings: { ebiptables: side(cmp.ebiptables), nftables: side(cmp.nftables) },
      ...(cmp.learning
        ? {
            learning: {
              mode: cmp.learning.plan.mode,
              address: cmp.learning.address,
              whileLearning: cmp.learning.whileLearning,
            },
          }
        : {}),
      rules: cmp.rules.map((r) => {
        const w = where(r.filter, r.entryIndex, r.ruleIndex);
        return { file: w.file, line: w.line, column: w.column, ...r };
      }),
      packets: packets.available
        ? {
            ...packets,
            differences: packets.differences.map((p) => ({
              ...p,
              ebiptables: p.ebiptables && {
                ...p.ebiptables,
                rule: decidingEntry(ws, p.ebiptables),
              },
              nftables: p.nftables && { ...p.nftables, rule: decidingEntry(ws, p.nftables) },
            })),
          }
        : packets,
      regions: regions.available
        ? {
            available: true,
            problems: regions.problems,
            regions: regions.regions.map((r) => ({
              path: r.path,
              region: r.region,
              witness: r.witness,
              ebiptables: { verdict: r.before.verdict, rule: r.before.rule },
              nftables: { verdict: r.after.verdict, rule: r.after.rule },
            })),
          }
        : regions,
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return same ? EXIT_OK : EXIT_DIFFERENT;
  }

  const lines: string[] = [`nftables: ${NFT_BACKEND_LABEL}`, ''];
  for (const [name, s] of [
    ['ebiptables', cmp.ebiptables],
    ['nftables', cmp.nftables],
  ] as const) {
    for (const d of s.errors) {
      const e = errorView(ws, file, d);
      lines.push(
        `${e.file}:${e.line}:${e.column}: ${name} cannot bind the filter: ${e.code}: ${e.message}`,
      );
    }
  }
  if (bindingDiffers) lines.push('');
  if (cmp.learning) {
    const l = cmp.learning;
    lines.push(
      `The binding has no IP: libvirt learns it (CTRL_IP_LEARNING=${l.plan.mode}). Rules are compared as they are once it learned ${l.address}; the packets run through each driver's learning phases.`,
      learningDiffers
        ? 'While learning the drivers install different rules:'
        : 'While learning both drivers install the same rules:',
      `  ebiptables: ${l.whileLearning.ebiptables}`,
      `  nftables:   ${l.whileLearning.nftables}`,
      '',
    );
  }
  lines.push(
    cmp.rules.length === 0
      ? 'Rules: both drivers install the same tests and verdicts for every XML rule.'
      : `Rules: ${cmp.rules.length} XML rule${cmp.rules.length === 1 ? ' is' : 's are'} installed differently:`,
  );
  for (const r of cmp.rules)
    lines.push(...ruleLines(r, where(r.filter, r.entryIndex, r.ruleIndex)));
  lines.push('');
  if (!packets.available) lines.push(`Packets: ${packets.reason.replace(/\.?$/, '.')}`);
  else {
    lines.push(
      packets.differences.length === 0
        ? `Packets: all ${packets.packets} packets of ${packets.runs} scenarios meet the same verdict and conntrack state.`
        : `Packets: ${packets.differences.length} of ${packets.packets} packets (${packets.runs} scenarios) behave differently:`,
    );
    for (const p of packets.differences) {
      lines.push(`  ${p.run} #${p.index + 1} ${p.label}: ${p.summary}`);
      lines.push(`    ebiptables: ${fateText(p.ebiptables)}`);
      lines.push(`    nftables:   ${fateText(p.nftables)}`);
    }
  }
  lines.push('', ...regionLines(regions));
  io.stdout(lines.map((l) => `${escapeForTerminal(l)}\n`).join(''));
  return same ? EXIT_OK : EXIT_DIFFERENT;
}

const sideText = (s: DiffSide) =>
  `${s.verdict} (${s.rule ? `${s.rule.filter}#${s.rule.index}` : 'no filter rule'})`;

/** The regions section: every region of the header space whose verdict differs. */
function regionLines(regions: RegionComparison): string[] {
  if (!regions.available) return [`All packets: ${regions.reason.replace(/\.?$/, '.')}`];
  const out = [
    regions.regions.length === 0
      ? 'All packets: every packet meets the same verdict under both (exact analysis).'
      : `All packets: ${regions.regions.length} region${regions.regions.length === 1 ? '' : 's'} of the header space meet another verdict (exact analysis):`,
  ];
  for (const r of regions.regions) {
    out.push(
      `  ${ANALYSIS_PATH_TITLES[r.path]}: ebiptables ${sideText(r.before)} → nftables ${sideText(r.after)}`,
    );
    out.push(`    region:  ${r.region}`);
    out.push(
      `    witness: ${r.witness.packet}${r.witness.ctstate ? `  [${r.witness.ctstate}]` : ''}`,
    );
  }
  for (const p of regions.problems) out.push(`  (${p})`);
  return out;
}

function ruleLines(r: RuleParity, w: Where): string[] {
  const head = `${w.file}:${w.line}:${w.column}: rule ${r.ruleIndex + 1} (${r.action} ${r.direction} ${r.protocol})${
    w.builtin ? ` [in built-in filter ${w.builtin}]` : ''
  }${r.bindings.length ? ` with ${r.bindings.join('; ')}` : ''}`;
  const out = [head];
  for (const c of r.changes) {
    out.push(`  ${c.kind}${c.slot ? ` ${c.slot}` : ''} [${pathsText(c.paths)}]`);
    out.push(`    ebiptables: ${c.ebiptables ?? '—'}`);
    out.push(`    nftables:   ${c.nftables ?? '—'}`);
    out.push(`    ${c.why}`);
  }
  return out;
}

/** The `compare-backends` command as src/cli/commands/index.ts registers it. */
export const compareBackendsCommand: CliCommand = {
  name: 'compare-backends',
  summary: "what behaves differently under libvirt's proposed nftables driver (rules and packets)",
  usage: COMPARE_BACKENDS_USAGE.trimEnd(),
  run: (args, io) => runCompareBackends(args, io),
};
