/**
 * Checks on the instantiated rules themselves (libvirt's order, variables
 * substituted): connlimit order and timeouts, statematch, protocol chains,
 * REJECT.
 */
import { layerOf } from '../compile/ebiptables/compile-ebiptables';
import { MAC_PROTOCOL_NAMES } from '../model/attributes';
import { numberOf } from '../compile/values';
import type { RuleInstance } from '../instantiate/types';
import type { Ruleset } from '../compile/ebiptables/ir';
import type { Rule } from '../model/types';
import { ipProbe } from './check-probes';
import type { VmIdentity } from './check-probes';
import { describeRuleRef, portRange, statesOf, summarizeRule } from './describe-rule';
import { LINT_CODES } from './lint-codes';
import { probePath } from './probe-packet';
import type { LintFinding } from './types';
import { collect, defineCheck, probeOf } from './lint-check';

/** Where a check reports: a finding without `root` (the caller adds it). */
export type Report = (f: Omit<LintFinding, 'root'>) => void;

function at(inst: RuleInstance) {
  return {
    filter: inst.provenance.filter,
    ruleIndex: inst.provenance.ruleIndex,
    entryIndex: inst.provenance.entryIndex,
  };
}

function isIpLayer(rule: Rule): boolean {
  return layerOf(rule) !== 'ebtables';
}

function directionsOverlap(a: Rule, b: Rule): boolean {
  return a.direction === b.direction || a.direction === 'inout' || b.direction === 'inout';
}

function protocolsOverlap(a: Rule, b: Rule): boolean {
  if (a.protocol === b.protocol) return true;
  if (layerOf(a) !== layerOf(b)) return false;
  return (
    a.protocol === 'all' ||
    a.protocol === 'all-ipv6' ||
    b.protocol === 'all' ||
    b.protocol === 'all-ipv6'
  );
}

function rangesOverlap(a: Rule, b: Rule, start: string, end: string): boolean {
  const ra = portRange(a, start, end);
  const rb = portRange(b, start, end);
  return !ra || !rb || (ra.lo <= rb.hi && rb.lo <= ra.hi);
}

/**
 * Whether a rule's state match leaves out a connection's first packet (a list without NEW), so
 * every connection still reaches the rules after it (NONE and statematch='false' match any state).
 */
function skipsNewConnections(rule: Rule): boolean {
  const states = statesOf(rule);
  return rule.statematch && states !== null && !states.includes('NEW') && !states.includes('NONE');
}

/** A connlimit drop that comes after an accept of the same connections never limits them. */
export function checkConnlimitOrder(
  instances: readonly RuleInstance[],
  report: Report,
): Set<string> {
  const flagged = new Set<string>();
  instances.forEach((d, i) => {
    const dr = d.rule;
    if (!dr.attrs['connlimit-above'] || (dr.action !== 'drop' && dr.action !== 'reject')) return;
    for (let j = 0; j < i; j++) {
      const a = instances[j] as RuleInstance;
      const ar = a.rule;
      if (ar.action !== 'accept' || !directionsOverlap(ar, dr) || !protocolsOverlap(ar, dr))
        continue;
      // connlimit decides on a connection's first packet; an accept of established packets only
      // (NWF515's advice) lets that packet on to the limit.
      if (skipsNewConnections(ar)) continue;
      if (
        !rangesOverlap(ar, dr, 'dstportstart', 'dstportend') ||
        !rangesOverlap(ar, dr, 'srcportstart', 'srcportend')
      )
        continue;
      const key = `${d.provenance.filter}\u0000${d.provenance.ruleIndex}`;
      if (flagged.has(key)) return;
      flagged.add(key);
      report({
        ...at(d),
        code: LINT_CODES.CONNLIMIT_AFTER_ACCEPT.code,
        severity: LINT_CODES.CONNLIMIT_AFTER_ACCEPT.severity,
        message:
          `This connlimit-above='${dr.attrs['connlimit-above']?.value}' ${dr.action} rule (priority ${dr.priority}) is evaluated after ${describeRuleRef(a.provenance)} ` +
          `(${summarizeRule(ar)}, priority ${ar.priority}), which accepts the same connections: the first matching rule decides, so those connections are accepted before the limit is checked and the limit never applies to them. ` +
          'Give the connlimit rule a lower priority than the accept (the docs use 400 for the limit and 500 for the accept).',
        related: [at(a)],
      });
      return;
    }
  });
  return flagged;
}

function mirrored(rule: Rule): string {
  const sp = portRange(rule, 'srcportstart', 'srcportend');
  const dp = portRange(rule, 'dstportstart', 'dstportend');
  const fmt = (r: { lo: number; hi: number }) =>
    r.lo === r.hi ? `port ${r.lo}` : `ports ${r.lo}-${r.hi}`;
  const parts: string[] = [];
  if (dp) parts.push(`source ${fmt(dp)}`);
  if (sp) parts.push(`destination ${fmt(sp)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** statematch='false' on an accepting IP-level rule. */
export function checkStatematchFalse(instances: readonly RuleInstance[], report: Report): void {
  for (const inst of instances) {
    const r = inst.rule;
    if (r.statematch || !isIpLayer(r) || (r.action !== 'accept' && r.action !== 'return')) continue;
    let message: string;
    if (r.direction === 'inout') {
      message = `${summarizeRule(r)}: without the state match this rule accepts matching packets in both directions in every conntrack state, INVALID ones included; either side may open connections.`;
    } else {
      const towards = r.direction === 'in' ? 'to the VM' : 'from the VM';
      const back = r.direction === 'in' ? 'from the VM' : 'to the VM';
      const opener =
        r.direction === 'in'
          ? 'the VM can open connections of its own'
          : 'any remote host can open connections to the VM';
      const normal =
        r.direction === 'in'
          ? 'NEW and ESTABLISHED in, only ESTABLISHED back out'
          : 'NEW and ESTABLISHED out, only ESTABLISHED back in';
      message =
        `${summarizeRule(r)}: libvirt installs this rule without a conntrack state match in both directions. Packets ${towards} that match it pass in any state (INVALID ones too), ` +
        `and so do the mirrored packets ${back}${mirrored(r)}: ${opener} that way, which the default state match (${normal}) would block.`;
    }
    report({
      ...at(inst),
      code: LINT_CODES.STATEMATCH_FALSE.code,
      severity: LINT_CODES.STATEMATCH_FALSE.severity,
      message,
    });
  }
}

/** Chain prefixes with the layer-2 protocol elements their sub chain can see (libvirt's prefix order). */
const CHAIN_PROTOCOLS: readonly {
  prefix: string;
  frames: string;
  ethertype: number | null;
  elements: readonly string[];
}[] = [
  {
    prefix: 'ipv4',
    frames: 'IPv4 frames (ebtables -p 0x0800)',
    ethertype: 0x0800,
    elements: ['ip', 'mac'],
  },
  {
    prefix: 'ipv6',
    frames: 'IPv6 frames (ebtables -p 0x86dd)',
    ethertype: 0x86dd,
    elements: ['ipv6', 'mac'],
  },
  {
    prefix: 'arp',
    frames: 'ARP frames (ebtables -p 0x0806)',
    ethertype: 0x0806,
    elements: ['arp', 'mac'],
  },
  {
    prefix: 'rarp',
    frames: 'RARP frames (ebtables -p 0x8035)',
    ethertype: 0x8035,
    elements: ['rarp', 'mac'],
  },
  {
    prefix: 'mac',
    frames: 'all frames',
    ethertype: null,
    elements: ['mac', 'vlan', 'stp', 'arp', 'rarp', 'ip', 'ipv6'],
  },
  {
    prefix: 'vlan',
    frames: '802.1Q frames (ebtables -p 0x8100)',
    ethertype: 0x8100,
    elements: ['vlan', 'mac'],
  },
  {
    prefix: 'stp',
    frames: 'STP frames (to 01:80:c2:00:00:00)',
    ethertype: null,
    elements: ['stp', 'mac'],
  },
];

/**
 * Rules whose protocol the chain of their filter never sees (each reported), and IP-level rules
 * whose chain is ignored (reported once per filter, at its first such rule, listing the others).
 */
export function checkChainProtocols(instances: readonly RuleInstance[], report: Report): void {
  const ignored = new Map<string, { chain: string; frames: string; rules: RuleInstance[] }>();
  for (const inst of instances) {
    const r = inst.rule;
    if (inst.chain === 'root' || r.protocol === null) continue;
    const spec = CHAIN_PROTOCOLS.find((c) => inst.chain.startsWith(c.prefix));
    if (!spec) continue;
    if (isIpLayer(r)) {
      const group = ignored.get(inst.provenance.filter) ?? {
        chain: inst.chain,
        frames: spec.frames,
        rules: [],
      };
      if (!group.rules.some((g) => g.provenance.ruleIndex === inst.provenance.ruleIndex))
        group.rules.push(inst);
      ignored.set(inst.provenance.filter, group);
      continue;
    }
    let never = !spec.elements.includes(r.protocol);
    const pid = r.attrs.protocolid;
    if (!never && r.protocol === 'mac' && pid && !pid.negated && spec.ethertype !== null) {
      const n = numberOf(pid.value, MAC_PROTOCOL_NAMES);
      never = Number.isInteger(n) && n !== spec.ethertype;
    }
    if (!never) continue;
    report({
      ...at(inst),
      code: LINT_CODES.CHAIN_NEVER_SEES_PROTOCOL.code,
      severity: LINT_CODES.CHAIN_NEVER_SEES_PROTOCOL.severity,
      message: `This <${r.protocol}${r.protocol === 'mac' && pid ? ` protocolid='${pid.value}'` : ''}> rule is in chain '${inst.chain}', which libvirt enters only for ${spec.frames}: it never sees the frames it describes and can never match. Move it to a filter whose chain fits its protocol, or to the root chain.`,
    });
  }
  for (const [filter, g] of ignored) {
    const [first, ...rest] = [...g.rules].sort(
      (a, b) => a.provenance.ruleIndex - b.provenance.ruleIndex,
    ) as [RuleInstance, ...RuleInstance[]];
    const list = [first, ...rest]
      .map((i) => `rule ${i.provenance.ruleIndex + 1} (<${i.rule.protocol}>)`)
      .join(', ');
    const tables = [...new Set([first, ...rest].map((i) => layerOf(i.rule)))].join('/');
    report({
      ...at(first),
      code: LINT_CODES.CHAIN_IGNORED.code,
      severity: LINT_CODES.CHAIN_IGNORED.severity,
      message:
        `The chain '${g.chain}' of filter '${filter}' does not apply to its IP-level rules — ${list}: libvirt installs them in the interface's ${tables} chains (FI/FO/HI) for all traffic of their protocol, ` +
        `so they are not limited to ${g.frames}; and since the filter is not a root-chain filter they are sorted after every root-chain rule, whatever their priority. Put them in a filter without a chain (root).`,
      ...(rest.length ? { related: rest.map(at) } : {}),
    });
  }
}

/** REJECT: no ICMP error on the bridged path without a bridge address; ebtables has no REJECT at all. */
export function checkReject(
  instances: readonly RuleInstance[],
  bridgeHasAddress: boolean,
  report: Report,
): void {
  for (const inst of instances) {
    const r = inst.rule;
    if (r.action !== 'reject') continue;
    if (!isIpLayer(r)) {
      report({
        ...at(inst),
        code: LINT_CODES.REJECT_BRIDGED.code,
        severity: LINT_CODES.REJECT_BRIDGED.severity,
        message: `ebtables has no REJECT target: libvirt installs this <${r.protocol}> rule as DROP, so the sender gets no error and waits for its own timeout.`,
      });
      continue;
    }
    if (bridgeHasAddress) continue;
    report({
      ...at(inst),
      code: LINT_CODES.REJECT_BRIDGED.code,
      severity: LINT_CODES.REJECT_BRIDGED.severity,
      message:
        'REJECT on bridged traffic: the kernel sends its ICMP error (or TCP reset) through the IP stack, and with no IP address on the bridge none goes out. ' +
        'For the other side this rule behaves like DROP: connection attempts hang until they time out instead of failing at once. Only packets to the host itself (HI chain) get the error.',
    });
  }
}

/** connlimit on ICMP: a ping's conntrack entry outlives the ping by nf_conntrack_icmp_timeout. */
export function checkConnlimitIcmpTimeout(
  instances: readonly RuleInstance[],
  icmpTimeout: number,
  report: Report,
): void {
  // The docs' advice is 3 seconds; at that order the effect is negligible.
  if (icmpTimeout <= 3) return;
  for (const inst of instances) {
    const r = inst.rule;
    if (!r.attrs['connlimit-above'] || (r.protocol !== 'icmp' && r.protocol !== 'icmpv6')) continue;
    report({
      ...at(inst),
      code: LINT_CODES.CONNLIMIT_ICMP_TIMEOUT.code,
      severity: LINT_CODES.CONNLIMIT_ICMP_TIMEOUT.severity,
      message:
        `An ICMP "connection" stays in the host's conntrack table for nf_conntrack_icmp_timeout (${icmpTimeout} s) after its last packet, so a ping the user has stopped still counts against connlimit-above='${r.attrs['connlimit-above']?.value}' and a new one is refused until it expires. ` +
        'The docs lower the timeout on the host (echo 3 > /proc/sys/net/netfilter/nf_conntrack_icmp_timeout), but the kernel reads the timeout only when a packet refreshes an entry: ' +
        `an entry that exists when the value is lowered keeps the deadline it was given (up to ${icmpTimeout} s) until its next packet, so a ping that already stopped still blocks new ones that long; pings still running, and new ones, get the lower timeout from their next packet on.`,
    });
  }
}

const CLOSING_PROTOCOLS = ['tcp', 'tcp-ipv6', 'all', 'all-ipv6'];

/** The TCP element of a rule's family (the hot drop concerns TCP connections only). */
function tcpOf(protocol: string): string {
  return protocol.endsWith('-ipv6') ? 'tcp-ipv6' : 'tcp';
}

/**
 * connlimit on TCP and the end of a connection: the packet that moves a counted connection to
 * TIME_WAIT or CLOSE is hot-dropped when it reaches the connlimit rule (KERNEL-FACTS L1).
 */
export function checkConnlimitClosing(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  report: Report,
): void {
  const seen = new Set<string>();
  for (const inst of instances) {
    const r = inst.rule;
    if (!r.attrs['connlimit-above'] || !r.protocol || !CLOSING_PROTOCOLS.includes(r.protocol))
      continue;
    if (r.action !== 'drop' && r.action !== 'reject') continue;
    // libvirt installs the connlimit match only in the chains of the rule's own direction.
    if (r.direction === 'inout') continue;
    const key = `${inst.provenance.filter}\u0000${inst.provenance.ruleIndex}`;
    if (seen.has(key)) continue;
    // The closing ACK of a connection the remote host opened to the VM (or the VM opened out):
    // silent when an earlier rule decides it before it reaches the limit.
    const side = r.direction === 'in' ? 'to-vm' : 'from-vm';
    const family = /-ipv6$/.test(r.protocol) ? 6 : 4;
    const port = portRange(r, 'dstportstart', 'dstportend')?.lo ?? 22;
    const ack = ipProbe(vm, side, family, 6, 40022, port, 'ESTABLISHED');
    if (ack.ip) ack.ip.tcpFlags = 0x10;
    const v = probePath(ruleset, side, ack);
    const p = v.rule?.provenance;
    if (
      v.verdict !== 'unknown' ||
      p?.filter !== inst.provenance.filter ||
      p.ruleIndex !== inst.provenance.ruleIndex
    )
      continue;
    seen.add(key);
    const towards = r.direction === 'in' ? 'to the VM' : 'from the VM';
    const other = r.direction === 'in' ? 'the VM' : 'the remote host';
    // Rules of equal priority keep document order, so the lowest priority still works first.
    const fixPriority = Math.max(-1000, r.priority - 100);
    report({
      ...at(inst),
      code: LINT_CODES.CONNLIMIT_CLOSING.code,
      severity: LINT_CODES.CONNLIMIT_CLOSING.severity,
      message:
        `When a TCP connection this rule counts closes, the packet ${towards} that closes it (the last ACK after both FINs, or a RST) reaches this rule with the connection already in TIME_WAIT/CLOSE, which nf_conncount no longer counts; ` +
        `if no other connection from that address is open the count is 0, and xt_connlimit drops a packet outright on a count of 0 — whatever connlimit-above says, and without any rule counter moving. ` +
        `So does every retransmission: ${other} never gets the last ACK and keeps retransmitting its FIN until it gives up (LAST_ACK). ` +
        `Accept the established packets before the limit, e.g. <rule action='accept' direction='${r.direction}' priority='${fixPriority}'><${tcpOf(r.protocol)} state='ESTABLISHED'/></rule> (placed before this rule): ` +
        "the closing ACK and its retransmissions then pass, and the limit still counts every new connection — a second concurrent connection's SYN is still dropped (both checked on the kernel).",
    });
  }
}

export const connlimitAfterAccept = defineCheck(
  'connlimit-after-accept',
  'instances',
  ['CONNLIMIT_AFTER_ACCEPT'],
  (ctx) => collect((r) => checkConnlimitOrder(ctx.instances, r)),
);

export const connlimitIcmpTimeout = defineCheck(
  'connlimit-icmp-timeout',
  'instances',
  ['CONNLIMIT_ICMP_TIMEOUT'],
  (ctx) =>
    collect((r) => checkConnlimitIcmpTimeout(ctx.instances, ctx.options.icmpTimeout ?? 30, r)),
);

export const statematchFalse = defineCheck(
  'statematch-false',
  'instances',
  ['STATEMATCH_FALSE'],
  (ctx) => collect((r) => checkStatematchFalse(ctx.instances, r)),
);

export const chainProtocols = defineCheck(
  'chain-protocols',
  'instances',
  ['CHAIN_NEVER_SEES_PROTOCOL', 'CHAIN_IGNORED'],
  (ctx) => collect((r) => checkChainProtocols(ctx.instances, r)),
);

export const rejectBridged = defineCheck('reject-bridged', 'instances', ['REJECT_BRIDGED'], (ctx) =>
  collect((r) => checkReject(ctx.instances, ctx.options.bridgeHasAddress ?? false, r)),
);

export const connlimitClosing = defineCheck(
  'connlimit-closing',
  'probe',
  ['CONNLIMIT_CLOSING'],
  (ctx) => {
    const p = probeOf(ctx);
    return collect((r) => checkConnlimitClosing(p.rules, p.ruleset, ctx.vm, r));
  },
);
