/**
 * The rules libvirt's ebiptables driver installs while it learns a VM's IP address
 * (`ebiptablesApplyBasicRules`, `ebiptablesApplyDHCPOnlyRules`, `ebiptablesApplyDropAllRules`),
 * as Ruleset IR: the printers print them and the simulator executes them like any other ruleset.
 * See README.md for the facts and their sources.
 */
import { formatDryRunCommand } from '../compile/ebiptables/print-args';
import { appendArgs } from '../compile/ebiptables/rule-args';
import type { EbIpMatch, IrChain, IrRule, Match, Ruleset } from '../compile/ebiptables/ir';
import { formatMac, parseMac } from '../model/libvirt-syntax';

/** Which of the driver's learning rule sets is in force. */
export type LearningRulesKind =
  /** `CTRL_IP_LEARNING=any`: the VM may send IPv4 and ARP from its own MAC; nothing else filtered. */
  | 'basic'
  /** `CTRL_IP_LEARNING=dhcp` (and after the last lease expired): DHCP only, replies only from `DHCPSERVER`. */
  | 'dhcp-only'
  /** Learning failed (the interface went away, pcap could not start): everything is dropped. */
  | 'drop-all';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** libvirt prints a MAC as `virMacAddrFormat` does: lower-case, two digits per byte. */
export function canonicalMac(text: string): string {
  const bytes = parseMac(text);
  return bytes ? formatMac(bytes) : text.toLowerCase();
}

function rule(matches: Match[], verdict: 'ACCEPT' | 'DROP', seq: number): IrRule {
  return { matches, target: { kind: 'verdict', verdict }, provenance: null, seq };
}

/** `--ip-protocol udp --ip-sport A --ip-dport B`, spelled as the learning rules spell them. */
function dhcpPorts(sport: number, dport: number, src: string | null): EbIpMatch[] {
  const m = (field: EbIpMatch['field'], text: string, opt: string): EbIpMatch => ({
    kind: 'eb-ip',
    family: 4,
    field,
    addr: field === 'src' ? text : null,
    prefix: null,
    value: field === 'protocol' ? 17 : null,
    range: field === 'sport' || field === 'dport' ? { lo: Number(text), hi: Number(text) } : null,
    icmpType: null,
    icmpCode: null,
    text,
    negated: false,
    opt,
  });
  return [
    m('protocol', 'udp', '--ip-protocol'),
    ...(src !== null ? [m('src', src, '--ip-src')] : []),
    m('sport', String(sport), '--ip-sport'),
    m('dport', String(dport), '--ip-dport'),
  ];
}

const ipv4Proto = (text: string): Match => ({
  kind: 'eb-proto',
  ethertype: 0x0800,
  text,
  negated: false,
});

/**
 * The learning rule set `kind` for the port `iface` and the VM's `mac`. `dhcpServers` (the
 * `DHCPSERVER` parameter's values) only matters for `dhcp-only`: replies are accepted from each
 * of them, or from any source when there is none.
 */
export function learningRuleset(
  kind: LearningRulesKind,
  iface: string,
  mac: string,
  dhcpServers: readonly string[] = [],
): Ruleset {
  const vm = canonicalMac(mac);
  let seq = 0;
  const chain = (dir: 'in' | 'out', rules: IrRule[]): IrChain => ({
    name: `libvirt-${dir === 'in' ? 'I' : 'O'}-${iface}`,
    tempName: `libvirt-${dir === 'in' ? 'J' : 'P'}-${iface}`,
    kind: 'iface-root',
    dir,
    suffix: null,
    priority: null,
    rules,
  });
  const inRules: IrRule[] = [];
  const outRules: IrRule[] = [];
  if (kind === 'basic') {
    inRules.push(
      rule([{ kind: 'eb-mac', field: 'src', mac: vm, mask: null, negated: true }], 'DROP', seq++),
      rule(
        [{ kind: 'eb-proto', ethertype: 0x0800, text: 'IPv4', negated: false }],
        'ACCEPT',
        seq++,
      ),
      rule([{ kind: 'eb-proto', ethertype: 0x0806, text: 'ARP', negated: false }], 'ACCEPT', seq++),
      rule([], 'DROP', seq++),
    );
  } else if (kind === 'dhcp-only') {
    inRules.push(
      rule(
        [
          { kind: 'eb-mac', field: 'src', mac: vm, mask: null, negated: false },
          ipv4Proto('ipv4'),
          ...dhcpPorts(68, 67, null),
        ],
        'ACCEPT',
        seq++,
      ),
      rule([], 'DROP', seq++),
    );
    for (const server of dhcpServers.length > 0 ? dhcpServers : [null]) {
      for (const dst of [vm, BROADCAST]) {
        outRules.push(
          rule(
            [
              { kind: 'eb-mac', field: 'dst', mac: dst, mask: null, negated: false },
              ipv4Proto('ipv4'),
              ...dhcpPorts(67, 68, server),
            ],
            'ACCEPT',
            seq++,
          ),
        );
      }
    }
    outRules.push(rule([], 'DROP', seq++));
  } else {
    inRules.push(rule([], 'DROP', seq++));
    outRules.push(rule([], 'DROP', seq++));
  }
  const chains: IrChain[] = [];
  const link = (dir: 'in' | 'out'): IrChain => ({
    name: dir === 'in' ? 'PREROUTING' : 'POSTROUTING',
    tempName: dir === 'in' ? 'PREROUTING' : 'POSTROUTING',
    kind: 'builtin',
    dir: null,
    suffix: null,
    priority: null,
    rules: [
      {
        matches: [{ kind: 'eb-iface', dir, iface }],
        target: { kind: 'jump', chain: `libvirt-${dir === 'in' ? 'I' : 'O'}-${iface}` },
        provenance: null,
        seq: 0,
      },
    ],
  });
  chains.push(link('in'));
  if (kind !== 'basic') chains.push(link('out'));
  chains.push(chain('in', inRules));
  if (kind !== 'basic') chains.push(chain('out', outRules));
  // The links come after the chain rules in libvirt's order.
  for (const c of chains) if (c.kind === 'builtin') for (const r of c.rules) r.seq = seq++;
  return { backend: 'ebiptables', iface, tables: [{ family: 'ebtables', name: 'nat', chains }] };
}

/**
 * The commands libvirt runs to install a learning rule set, in its dry-run form (one argument
 * per line, as `compile --format args` prints every command sequence): the teardown of whatever
 * the port had (`ebiptablesAllTeardown`, errors ignored), the chains under their temporary
 * names, the links, and the renames to the final names. Checked against real libvirt 9.0's
 * command log (testdata/).
 */
export function printLearningArgs(ruleset: Ruleset): string[] {
  const iface = ruleset.iface;
  const out: string[] = [];
  const cmd = (...argv: string[]) => out.push(...formatDryRunCommand(argv));
  const eb = (...a: string[]) => cmd('ebtables', '--concurrent', '-t', 'nat', ...a);
  const physOut = ['-m', 'physdev', '--physdev-is-bridged', '--physdev-out', iface];
  const physIn = ['-m', 'physdev', '--physdev-in', iface];
  // ebiptablesAllTeardown: first the temporary chains (…TearNewRules), then the final ones.
  for (const t of ['iptables', 'ip6tables']) {
    const ipt = (...a: string[]) => cmd(t, '-w', ...a);
    ipt('-D', 'libvirt-out', ...physOut, '-g', `FP-${iface}`);
    ipt('-D', 'libvirt-out', '-m', 'physdev', '--physdev-out', iface, '-g', `FP-${iface}`);
    ipt('-D', 'libvirt-in', ...physIn, '-g', `FJ-${iface}`);
    ipt('-D', 'libvirt-host-in', ...physIn, '-g', `HJ-${iface}`);
    for (const c of ['FP', 'FJ', 'HJ']) {
      ipt('-F', `${c}-${iface}`);
      ipt('-X', `${c}-${iface}`);
    }
  }
  const ebTeardown = (i: string, o: string) => {
    eb('-D', 'PREROUTING', '-i', iface, '-j', `libvirt-${i}-${iface}`);
    eb('-D', 'POSTROUTING', '-o', iface, '-j', `libvirt-${o}-${iface}`);
    eb('-L', `libvirt-${i}-${iface}`);
    eb('-L', `libvirt-${o}-${iface}`);
    eb('-F', `libvirt-${i}-${iface}`);
    eb('-X', `libvirt-${i}-${iface}`);
    eb('-F', `libvirt-${o}-${iface}`);
    eb('-X', `libvirt-${o}-${iface}`);
  };
  ebTeardown('J', 'P');
  for (const t of ['iptables', 'ip6tables']) {
    const ipt = (...a: string[]) => cmd(t, '-w', ...a);
    ipt('-D', 'libvirt-out', ...physOut, '-g', `FO-${iface}`);
    ipt('-D', 'libvirt-out', '-m', 'physdev', '--physdev-out', iface, '-g', `FO-${iface}`);
    ipt('-D', 'libvirt-in', ...physIn, '-g', `FI-${iface}`);
    ipt('-D', 'libvirt-host-in', ...physIn, '-g', `HI-${iface}`);
    ipt('-D', 'libvirt-in-post', ...physIn, '-j', 'ACCEPT');
    for (const c of ['FO', 'FI', 'HI']) {
      ipt('-F', `${c}-${iface}`);
      ipt('-X', `${c}-${iface}`);
    }
  }
  ebTeardown('I', 'O');
  const table = ruleset.tables.find((t) => t.family === 'ebtables');
  if (!table) return out;
  const temp = new Map(table.chains.map((c) => [c.name, c.tempName]));
  const name = (n: string) => temp.get(n) ?? n;
  const roots = table.chains.filter((c) => c.kind === 'iface-root');
  for (const c of roots) eb('-N', c.tempName);
  const all = table.chains
    .flatMap((chain) => chain.rules.map((r) => ({ chain, r })))
    .sort((a, b) => a.r.seq - b.r.seq);
  for (const { chain, r } of all) eb(...appendArgs(chain.name, r, name));
  for (const c of roots) eb('-E', c.tempName, c.name);
  return out;
}
