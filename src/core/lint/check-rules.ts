/**
 * Checks on the instantiated rules themselves (libvirt's order, variables
 * substituted): conntrack helper, connlimit order, statematch, protocol
 * chains, REJECT.
 */
import { layerOf } from '../compile/compile-ebiptables';
import { ETHERTYPE_NAMES, numberOf } from '../compile/values';
import type { RuleInstance } from '../instantiate/types';
import type { ProtocolName, Rule } from '../model/types';
import { describeRuleRef, portRange, summarizeRule } from './describe-rule';
import { LINT_CODES } from './lint-codes';
import type { LintFinding } from './types';

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

/** Protocols whose RELATED packets only a helper's expectation makes (ICMP errors are RELATED without one, so icmp and all are left out). */
const HELPER_PROTOCOLS: readonly (ProtocolName | null)[] = [
  'tcp',
  'udp',
  'sctp',
  'udplite',
  'tcp-ipv6',
  'udp-ipv6',
  'sctp-ipv6',
  'udplite-ipv6',
];

/** RELATED accepted on a connection type that only a conntrack helper can make RELATED. */
export function checkRelatedWithoutHelper(
  instances: readonly RuleInstance[],
  ftpHelper: boolean,
  report: Report,
): void {
  if (ftpHelper) return;
  for (const inst of instances) {
    const r = inst.rule;
    if (!isIpLayer(r) || !r.statematch || (r.action !== 'accept' && r.action !== 'return'))
      continue;
    if (!HELPER_PROTOCOLS.includes(r.protocol)) continue;
    const state = r.attrs.state;
    if (
      !state ||
      !state.value
        .toUpperCase()
        .split(',')
        .map((s) => s.trim())
        .includes('RELATED')
    )
      continue;
    report({
      ...at(inst),
      code: LINT_CODES.RELATED_WITHOUT_HELPER.code,
      severity: LINT_CODES.RELATED_WITHOUT_HELPER.severity,
      message:
        `${summarizeRule(r)} relies on the RELATED state, which a ${r.protocol} packet only gets from a conntrack helper's expectation. ` +
        'No helper is assigned on this host (kernels since 4.7 no longer assign them by port, nf_conntrack_helper=0), so the data connection an FTP control connection announces arrives as NEW and this rule does not accept it: active FTP fails. ' +
        "Assign the helper on the host (iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp) or accept the data connection as NEW (the docs' second FTP solution).",
    });
  }
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

/** Rules whose protocol the chain of their filter never sees, and IP-level rules whose chain is ignored. */
export function checkChainProtocols(instances: readonly RuleInstance[], report: Report): void {
  for (const inst of instances) {
    const r = inst.rule;
    if (inst.chain === 'root' || r.protocol === null) continue;
    const spec = CHAIN_PROTOCOLS.find((c) => inst.chain.startsWith(c.prefix));
    if (!spec) continue;
    if (isIpLayer(r)) {
      report({
        ...at(inst),
        code: LINT_CODES.CHAIN_IGNORED.code,
        severity: LINT_CODES.CHAIN_IGNORED.severity,
        message:
          `The chain '${inst.chain}' does not apply to <${r.protocol}> rules: libvirt installs them in the interface's ${layerOf(r)} chains (FI/FO/HI) for all ${r.protocol} traffic, ` +
          `so this rule is not limited to ${spec.frames}; and since its filter is not a root-chain filter it is sorted after every root-chain rule, whatever its priority. Put it in a filter without a chain (root).`,
      });
      continue;
    }
    let never = !spec.elements.includes(r.protocol);
    const pid = r.attrs.protocolid;
    if (!never && r.protocol === 'mac' && pid && !pid.negated && spec.ethertype !== null) {
      const n = numberOf(pid.value, ETHERTYPE_NAMES);
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
        'The docs lower the timeout on the host: echo 3 > /proc/sys/net/netfilter/nf_conntrack_icmp_timeout.',
    });
  }
}
