/**
 * Checks that ask the compiled rules what happens to a typical packet: a DNS
 * query, a DHCP request, a VLAN-tagged frame, an IPv6 packet.
 */
import type { IrRule, Provenance, Ruleset } from '../compile/ebiptables/ir';
import type { RuleInstance } from '../instantiate/types';
import type { Rule } from '../model/types';
import type { Report } from './check-rules';
import { describeDecider, portRange, summarizeRule } from './describe-rule';
import { LINT_CODES } from './lint-codes';
import type { PathVerdict, ProbePacket, ProbePath } from './probe-packet';
import { probePath, walkChain } from './probe-packet';
import type { LintRef } from './types';
import { collect, defineCheck, probeOf } from './lint-check';

/** Who the VM is, for building probes (values may be placeholders such as `$IP`). */
export interface VmIdentity {
  mac: string;
  ip: string;
  ip6: string;
}

const REMOTE_MAC = '52:54:00:fe:dc:ba';
const REMOTE4 = '198.51.100.7';
const REMOTE6 = '2001:db8:ffff::7';

function refOf(p: Provenance): LintRef {
  return { filter: p.filter, ruleIndex: p.ruleIndex, entryIndex: p.entryIndex };
}

/**
 * A packet in the original direction of a connection opened by one side (from the VM to a remote
 * host, or from a remote host to the VM): its first packet (NEW, a SYN for TCP) unless `state` says
 * otherwise.
 */
export function ipProbe(
  vm: VmIdentity,
  side: 'from-vm' | 'to-vm',
  family: 4 | 6,
  proto: number,
  sport: number,
  dport: number,
  state: 'NEW' | 'RELATED' | 'ESTABLISHED' = 'NEW',
): ProbePacket {
  const vmAddr = family === 4 ? vm.ip : vm.ip6;
  const remote = family === 4 ? REMOTE4 : REMOTE6;
  const fromVm = side === 'from-vm';
  return {
    srcMac: fromVm ? vm.mac : REMOTE_MAC,
    dstMac: fromVm ? REMOTE_MAC : vm.mac,
    ethertype: family === 4 ? 0x0800 : 0x86dd,
    ip: {
      family,
      src: fromVm ? vmAddr : remote,
      dst: fromVm ? remote : vmAddr,
      proto,
      tos: 0,
      sport,
      dport,
      ...(proto === 6 ? { tcpFlags: 0x02 } : {}),
    },
    ct: { state, dir: 'Original' },
  };
}

function droppedEverywhere(verdicts: readonly PathVerdict[]): IrRule[] | null {
  if (!verdicts.every((v) => v.verdict === 'drop' && v.rule?.provenance)) return null;
  return verdicts.map((v) => v.rule as IrRule);
}

function uniqueRefs(rules: readonly IrRule[]): LintRef[] {
  const out: LintRef[] = [];
  for (const r of rules) {
    const ref = refOf(r.provenance as Provenance);
    if (!out.some((o) => o.filter === ref.filter && o.ruleIndex === ref.ruleIndex)) out.push(ref);
  }
  return out;
}

function ruleOf(instances: readonly RuleInstance[], p: Provenance): Rule | undefined {
  return instances.find(
    (i) => i.provenance.filter === p.filter && i.provenance.ruleIndex === p.ruleIndex,
  )?.rule;
}

function describeDroppers(instances: readonly RuleInstance[], rules: readonly IrRule[]): string {
  return uniqueRefs(rules)
    .map((ref) => describeDecider(instances, { filter: ref.filter, ruleIndex: ref.ruleIndex ?? 0 }))
    .join(' and ');
}

function includesPort(rule: Rule, start: string, end: string, port: number): boolean {
  const r = portRange(rule, start, end);
  return r !== null && r.lo <= port && port <= r.hi;
}

/** SSH accepted towards the VM while its DNS queries are dropped. */
export function checkSshWithoutDns(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  report: Report,
): void {
  const ssh = instances.find((i) => {
    const r = i.rule;
    return (
      r.action === 'accept' &&
      (r.protocol === 'tcp' || r.protocol === 'tcp-ipv6') &&
      r.direction !== 'out' &&
      includesPort(r, 'dstportstart', 'dstportend', 22)
    );
  });
  if (!ssh) return;
  const family = ssh.rule.protocol === 'tcp-ipv6' ? 6 : 4;
  // Any rule accepting UDP out to port 53 (to some server) counts as "DNS allowed": the probe's
  // made-up server address must not turn a server-specific rule into a false alarm.
  const dnsRule = instances.some((i) => {
    const r = i.rule;
    if (r.action !== 'accept' || r.direction === 'in') return false;
    const udp =
      r.protocol === 'udp' ||
      r.protocol === 'udp-ipv6' ||
      r.protocol === 'all' ||
      r.protocol === 'all-ipv6' ||
      ((r.protocol === 'ip' || r.protocol === 'ipv6') &&
        (r.attrs.protocol?.value === 'udp' || r.attrs.protocol?.value === '17'));
    return udp && (!r.attrs.dstportstart || includesPort(r, 'dstportstart', 'dstportend', 53));
  });
  if (dnsRule) return;
  const probe = ipProbe(vm, 'from-vm', family, 17, 33333, 53);
  const dropped = droppedEverywhere([
    probePath(ruleset, 'from-vm', probe),
    probePath(ruleset, 'from-vm-to-host', probe),
  ]);
  if (!dropped) return;
  report({
    filter: ssh.provenance.filter,
    ruleIndex: ssh.provenance.ruleIndex,
    entryIndex: ssh.provenance.entryIndex,
    code: LINT_CODES.SSH_WITHOUT_DNS.code,
    severity: LINT_CODES.SSH_WITHOUT_DNS.severity,
    message:
      `SSH to the VM is allowed, but the VM's DNS queries (udp to port 53) are dropped by ${describeDroppers(instances, dropped)}. ` +
      "It matters when the VM's sshd looks up the connecting client's name: with UseDNS yes in sshd_config every login then waits until that lookup times out (the docs' 'ssh client seems to hang'). " +
      'UseDNS has defaulted to no since OpenSSH 6.8 (2015), so a current sshd with the default configuration is not affected; older ones, and any with UseDNS yes, are. ' +
      "Allow DNS out: <rule action='accept' direction='out'><udp dstportstart='53'/></rule>.",
    related: uniqueRefs(dropped),
  });
}

/** The VM's DHCP requests dropped under clean-traffic. Reported at `at` (the clean-traffic filterref). */
export function checkDhcpBlocked(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  at: LintRef,
  learning: boolean,
  report: Report,
): void {
  const probe: ProbePacket = {
    srcMac: vm.mac,
    dstMac: 'ff:ff:ff:ff:ff:ff',
    ethertype: 0x0800,
    ip: {
      family: 4,
      src: '0.0.0.0',
      dst: '255.255.255.255',
      proto: 17,
      tos: 0,
      sport: 68,
      dport: 67,
    },
    ct: { state: 'NEW', dir: 'Original' },
  };
  const dropped = droppedEverywhere([
    probePath(ruleset, 'from-vm', probe),
    probePath(ruleset, 'from-vm-to-host', probe),
  ]);
  if (!dropped) return;
  const byEbtables = dropped.some((r) =>
    ruleset.tables.some(
      (t) => t.family === 'ebtables' && t.chains.some((c) => c.rules.includes(r)),
    ),
  );
  const fix = byEbtables
    ? "Reference allow-dhcp (any server) or allow-dhcp-server with DHCPSERVER='…' so the request is accepted before that rule."
    : "allow-dhcp only acts in ebtables; accept the request at the IP level too, e.g. <rule action='accept' direction='out' priority='100'><udp srcportstart='68' dstportstart='67'/></rule>.";
  report({
    ...at,
    code: LINT_CODES.CLEAN_TRAFFIC_DHCP.code,
    severity: LINT_CODES.CLEAN_TRAFFIC_DHCP.severity,
    message:
      `The VM's DHCP requests (udp 68→67 from 0.0.0.0) are dropped by ${describeDroppers(instances, dropped)}: a VM that configures itself by DHCP gets no address under this filter` +
      `${learning ? ', and libvirt never learns one for IP' : ''}. ${fix}`,
    related: uniqueRefs(dropped),
  });
}

const L3_ETHERTYPES = [0x0800, 0x86dd, 0x0806, 0x8035];

/** ebtables rules of one direction that drop by IPv4/ARP/IPv6 protocol, which an 802.1Q-tagged frame never meets. */
function protectiveRules(ruleset: Ruleset, dir: 'in' | 'out'): IrRule[] {
  const out: IrRule[] = [];
  for (const t of ruleset.tables) {
    for (const c of t.chains) {
      if (c.dir !== dir || c.kind === 'builtin' || c.kind === 'libvirt-root') continue;
      for (const r of c.rules) {
        if (
          !r.provenance ||
          r.target.kind !== 'verdict' ||
          (r.target.verdict !== 'DROP' && r.target.verdict !== 'REJECT')
        )
          continue;
        if (t.family !== 'ebtables') continue;
        const sub =
          c.kind === 'iface-sub' &&
          ['ipv4', 'ipv6', 'arp', 'rarp'].some((p) => (c.suffix ?? '').startsWith(p));
        const l3 = r.matches.some(
          (m) => m.kind === 'eb-proto' && !m.negated && L3_ETHERTYPES.includes(m.ethertype),
        );
        if (sub || l3) out.push(r);
      }
    }
  }
  return out;
}

/** VLAN-tagged frames that pass the ebtables chains while IPv4/ARP/IPv6 rules exist for that direction. */
export function checkVlanBypass(ruleset: Ruleset, vm: VmIdentity, report: Report): void {
  const eb = ruleset.tables.find((t) => t.family === 'ebtables');
  for (const dir of ['in', 'out'] as const) {
    const guards = protectiveRules(ruleset, dir);
    const first = guards[0];
    if (!first?.provenance) continue;
    const fromVm = dir === 'in';
    const probe: ProbePacket = {
      srcMac: fromVm ? vm.mac : REMOTE_MAC,
      dstMac: fromVm ? REMOTE_MAC : vm.mac,
      ethertype: 0x8100,
      vlan: { id: 10, encap: 0x0800 },
    };
    const chainName = `libvirt-${fromVm ? 'I' : 'O'}-${ruleset.iface}`;
    const outcome = eb ? walkChain(eb, chainName, probe) : null;
    if (outcome && (outcome.kind === 'drop' || outcome.kind === 'unknown')) continue;
    report({
      ...refOf(first.provenance),
      code: LINT_CODES.VLAN_BYPASS.code,
      severity: LINT_CODES.VLAN_BYPASS.severity,
      message:
        `An 802.1Q-tagged frame ${fromVm ? 'from' : 'to'} the VM has EtherType 0x8100, so ebtables' protocol selectors (-p ipv4/arp/ipv6 and the jumps into the ipv4/arp/ipv6 chains) never look at the IPv4, ARP or IPv6 inside it, ` +
        "and br_netfilter does not hand tagged frames to iptables (bridge-nf-filter-vlan-tagged=0): such frames pass this rule and the filter's other protocol rules unchecked wherever the bridge forwards tagged frames. " +
        `Drop them unless the VM needs VLANs: <rule action='drop' direction='${fromVm ? 'out' : 'in'}'><vlan/></rule>, or reference no-other-l2-traffic.`,
      related: uniqueRefs(guards.slice(1, 4)),
    });
  }
}

/** IPv4 filtered (a probe dropped) while the same IPv6 packet passes. */
export function checkIpv6Open(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  report: Report,
): void {
  const sides: { side: 'from-vm' | 'to-vm'; path: ProbePath; text: string }[] = [
    { side: 'to-vm', path: 'to-vm', text: 'to the VM' },
    { side: 'from-vm', path: 'from-vm', text: 'from the VM' },
  ];
  const byRule = new Map<string, { rule: IrRule; sides: string[] }>();
  for (const s of sides) {
    const v4 = probePath(ruleset, s.path, ipProbe(vm, s.side, 4, 6, 40000, 31337));
    if (v4.verdict !== 'drop' || !v4.rule?.provenance) continue;
    const v6 = probePath(ruleset, s.path, ipProbe(vm, s.side, 6, 6, 40000, 31337));
    if (v6.verdict !== 'pass') continue;
    const p = v4.rule.provenance;
    const k = `${p.filter}\u0000${p.ruleIndex}`;
    const e = byRule.get(k) ?? { rule: v4.rule, sides: [] };
    e.sides.push(s.text);
    byRule.set(k, e);
  }
  for (const { rule, sides: dirs } of byRule.values()) {
    const p = rule.provenance as Provenance;
    const summary = ruleOf(instances, p);
    report({
      ...refOf(p),
      code: LINT_CODES.IPV6_OPEN.code,
      severity: LINT_CODES.IPV6_OPEN.severity,
      message:
        `IPv4 traffic ${dirs.join(' and ')} that no rule allows is dropped here${summary ? ` (${summarizeRule(summary)})` : ''}, but IPv6 is not filtered: the same connection over IPv6 passes every chain. ` +
        "Filter IPv6 as well (tcp-ipv6, udp-ipv6, icmpv6 rules ending in <rule action='drop' direction='inout'><all-ipv6/></rule>) or drop the IPv6 EtherType at layer 2 (<mac protocolid='ipv6'/>, as no-other-l2-traffic does).",
    });
  }
}

export const sshWithoutDns = defineCheck('ssh-without-dns', 'probe', ['SSH_WITHOUT_DNS'], (ctx) => {
  const p = probeOf(ctx);
  return collect((r) => checkSshWithoutDns(p.rules, p.ruleset, ctx.vm, r));
});

export const dhcpBlocked = defineCheck('dhcp-blocked', 'probe', ['CLEAN_TRAFFIC_DHCP'], (ctx) => {
  const p = probeOf(ctx);
  return collect((r) => {
    for (const c of ctx.cleanTraffic)
      checkDhcpBlocked(p.rules, p.ruleset, ctx.vm, c.at, c.learning, r);
  });
});

export const vlanBypass = defineCheck('vlan-bypass', 'probe', ['VLAN_BYPASS'], (ctx) =>
  collect((r) => checkVlanBypass(probeOf(ctx).ruleset, ctx.vm, r)),
);

export const ipv6Open = defineCheck('ipv6-open', 'probe', ['IPV6_OPEN'], (ctx) => {
  const p = probeOf(ctx);
  return collect((r) => checkIpv6Open(p.rules, p.ruleset, ctx.vm, r));
});
