/**
 * FTP through the filter: the data connection an FTP control connection announces is RELATED
 * only when the host assigns the conntrack helper, NEW otherwise. Both checks ask the compiled
 * rules what happens to that data connection's first packet (a probe), so a filter that accepts
 * it some other way is not flagged.
 */
import type { Ruleset } from '../compile/ebiptables/ir';
import type { RuleInstance } from '../instantiate/types';
import type { ProtocolName, Rule } from '../model/types';
import type { Report } from './check-rules';
import { ipProbe } from './check-probes';
import type { VmIdentity } from './check-probes';
import { describeDecider, portRange, statesOf, summarizeRule } from './describe-rule';
import { LINT_CODES } from './lint-codes';
import { probePath } from './probe-packet';
import type { LintRef } from './types';
import { collect, defineCheck, probeOf } from './lint-check';

/** The client's port of the active-mode data connection (any unprivileged port). */
const ACTIVE_CLIENT_PORT = 40101;
/** A passive-mode data port when no rule names one (vsftpd picks any unprivileged port). */
const PASSIVE_PORT = 30000;
const HELPER_RULE = 'iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp';

/** Protocols whose RELATED packets only a helper's expectation makes (ICMP errors are RELATED without one). */
const L4_NUMBER: Partial<Record<ProtocolName, number>> = {
  tcp: 6,
  'tcp-ipv6': 6,
  udp: 17,
  'udp-ipv6': 17,
  sctp: 132,
  'sctp-ipv6': 132,
  udplite: 136,
  'udplite-ipv6': 136,
};

function at(p: { filter: string; ruleIndex: number; entryIndex: number }): LintRef {
  return { filter: p.filter, ruleIndex: p.ruleIndex, entryIndex: p.entryIndex };
}

function isIpt(rule: Rule): boolean {
  return (
    rule.protocol !== null && (rule.protocol in L4_NUMBER || /^(all|icmp)/.test(rule.protocol))
  );
}

function isTcp(rule: Rule): boolean {
  return rule.protocol === 'tcp' || rule.protocol === 'tcp-ipv6';
}

function coversPort(rule: Rule, start: string, end: string, port: number): boolean {
  const r = portRange(rule, start, end);
  return r !== null && r.lo <= port && port <= r.hi;
}

/** The accept rule that lets FTP control connections in to the VM (a server in the VM), if any. */
function ftpControlAccept(instances: readonly RuleInstance[]): RuleInstance | undefined {
  return instances.find((i) => {
    const r = i.rule;
    const st = statesOf(r);
    return (
      r.action === 'accept' &&
      r.direction !== 'out' &&
      isTcp(r) &&
      coversPort(r, 'dstportstart', 'dstportend', 21) &&
      (st === null || !r.statematch || st.includes('NEW'))
    );
  });
}

/**
 * NWF502: RELATED accepted while no helper is assigned, where the connection it is meant for is
 * then NEW and dropped. On tcp/udp/sctp/udplite rules always; on `all` rules (whose RELATED also
 * covers ICMP errors, which need no helper) only when the filter serves FTP.
 */
export function checkRelatedWithoutHelper(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  ftpHelper: boolean,
  report: Report,
): void {
  if (ftpHelper) return;
  const control = ftpControlAccept(instances);
  const seen = new Set<string>();
  for (const inst of instances) {
    const r = inst.rule;
    const key = `${inst.provenance.filter}\u0000${inst.provenance.ruleIndex}`;
    if (seen.has(key) || !r.statematch || (r.action !== 'accept' && r.action !== 'return'))
      continue;
    const st = statesOf(r);
    // A rule that also accepts NEW takes the data connection's first packet anyway.
    if (!st?.includes('RELATED') || st.includes('NEW')) continue;
    const all = r.protocol === 'all' || r.protocol === 'all-ipv6';
    const proto = all ? 6 : r.protocol ? L4_NUMBER[r.protocol] : undefined;
    if (proto === undefined || (all && !control)) continue;
    const family = /-ipv6$/.test(r.protocol ?? '') ? 6 : 4;
    const side = r.direction === 'in' ? 'to-vm' : 'from-vm';
    const sport =
      portRange(r, 'srcportstart', 'srcportend')?.lo ?? (side === 'from-vm' ? 20 : 40102);
    const dport =
      portRange(r, 'dstportstart', 'dstportend')?.lo ??
      (side === 'from-vm' ? ACTIVE_CLIENT_PORT : PASSIVE_PORT);
    const v = probePath(ruleset, side, ipProbe(vm, side, family, proto, sport, dport, 'NEW'));
    if (v.verdict !== 'drop') continue;
    seen.add(key);
    const dropped = describeDecider(instances, v.rule?.provenance);
    const what = all
      ? `${summarizeRule(r)} is what lets the active-mode FTP data connection out (the docs' second FTP solution relies on it), but only as RELATED, which the connection is only when a conntrack helper expects it.`
      : `${summarizeRule(r)} relies on the RELATED state, which a ${r.protocol} packet only gets from a conntrack helper's expectation.`;
    report({
      ...at(inst.provenance),
      code: LINT_CODES.RELATED_WITHOUT_HELPER.code,
      severity: LINT_CODES.RELATED_WITHOUT_HELPER.severity,
      message:
        `${what} No helper is assigned on this host (kernels since 4.7 no longer assign one by port, nf_conntrack_helper=0), ` +
        `so the data connection an FTP control connection announces starts as NEW: this rule does not accept its first packet and ${dropped} drops it — active FTP fails` +
        `${all ? ', under the second solution too' : ''}. ` +
        `Assign the helper on the host (${HELPER_RULE}), or accept the data connection's first packet as NEW ` +
        `(e.g. <rule action='accept' direction='out'><tcp srcportstart='20' state='NEW,ESTABLISHED'/></rule> for a server in the VM).`,
      related: v.rule?.provenance ? [at(v.rule.provenance)] : [],
    });
  }
}

/** The passive data port to probe: the lowest unprivileged port an in-accept names, else PASSIVE_PORT. */
function passivePort(instances: readonly RuleInstance[]): number {
  for (const i of instances) {
    const r = i.rule;
    if (r.action !== 'accept' || r.direction === 'out' || !isTcp(r)) continue;
    const range = portRange(r, 'dstportstart', 'dstportend');
    if (range && range.lo >= 1024) return range.lo;
  }
  return PASSIVE_PORT;
}

/**
 * NWF514: an FTP server in the VM whose passive-mode data connections (client → VM, RELATED with
 * the helper, NEW without) are dropped. Reported at the in-rule that accepts only ESTABLISHED
 * (the docs' second solution), else at the control accept.
 */
export function checkFtpPassive(
  instances: readonly RuleInstance[],
  ruleset: Ruleset,
  vm: VmIdentity,
  ftpHelper: boolean,
  report: Report,
): void {
  const control = ftpControlAccept(instances);
  if (!control) return;
  const family = control.rule.protocol === 'tcp-ipv6' ? 6 : 4;
  const port = passivePort(instances);
  const state = ftpHelper ? 'RELATED' : 'NEW';
  const v = probePath(ruleset, 'to-vm', ipProbe(vm, 'to-vm', family, 6, 40102, port, state));
  if (v.verdict !== 'drop') return;
  const established = instances.find((i) => {
    const r = i.rule;
    const st = statesOf(r);
    return (
      r.action === 'accept' &&
      r.direction !== 'out' &&
      r.statematch &&
      isIpt(r) &&
      (isTcp(r) || r.protocol === 'all' || r.protocol === 'all-ipv6') &&
      st !== null &&
      st.includes('ESTABLISHED') &&
      !st.includes('RELATED') &&
      !st.includes('NEW')
    );
  });
  const where = established ?? control;
  const related = [established ? control : null, v.rule]
    .map((x) => x?.provenance)
    .filter((p): p is NonNullable<typeof p> => p !== undefined && p !== null)
    .map(at);
  const why = ftpHelper
    ? 'With the helper assigned, its first packet is RELATED (the helper read the 227 reply)'
    : 'Without a helper, its first packet is NEW';
  report({
    ...at(where.provenance),
    code: LINT_CODES.FTP_PASSIVE_DROPPED.code,
    severity: LINT_CODES.FTP_PASSIVE_DROPPED.severity,
    message:
      `Passive-mode FTP to the server in the VM fails: after PASV the client opens the data connection to a port the server picks (e.g. ${port}). ` +
      `${why}, ${established ? `and ${summarizeRule(established.rule)} lets in only ESTABLISHED packets, so ` : 'so '}` +
      `${describeDecider(instances, v.rule?.provenance)} drops it${ftpHelper ? ' even though the helper is assigned' : ''}. ` +
      `Accept it: with the helper, RELATED in (<rule action='accept' direction='in'><tcp state='RELATED,ESTABLISHED'/></rule>${ftpHelper ? '' : `, after assigning it: ${HELPER_RULE}`}); ` +
      "without, NEW in on the server's passive port range (e.g. vsftpd's pasv_min_port..pasv_max_port as dstportstart/dstportend with state='NEW').",
    related,
  });
}

export const relatedWithoutHelper = defineCheck(
  'related-without-helper',
  'probe',
  ['RELATED_WITHOUT_HELPER'],
  (ctx) => {
    const p = probeOf(ctx);
    const helper = ctx.options.ftpHelper ?? false;
    return collect((r) => checkRelatedWithoutHelper(p.rules, p.ruleset, ctx.vm, helper, r));
  },
);

export const ftpPassive = defineCheck('ftp-passive', 'probe', ['FTP_PASSIVE_DROPPED'], (ctx) => {
  const p = probeOf(ctx);
  const helper = ctx.options.ftpHelper ?? false;
  return collect((r) => checkFtpPassive(p.rules, p.ruleset, ctx.vm, helper, r));
});
