/**
 * Pitfalls of libvirt's translation of a rule into ebtables/iptables: attributes it drops, ICMP
 * rules that never meet their packets, ports mirrored by direction='inout', DSCP matched on the
 * replies too. What libvirt installs is the compiled ruleset (checked against real libvirt in
 * tests/libvirt-diff); what the kernel then does with it is checked in tests/kernel-diff.
 */
import { layerOf } from '../compile/ebiptables/compile-ebiptables';
import type { Provenance, Ruleset } from '../compile/ebiptables/ir';
import type { FilterLookup, RuleInstance } from '../instantiate/types';
import type { DroppedAttribute, Rule } from '../model/types';
import type { Report } from './check-rules';
import { ipProbe } from './check-probes';
import type { VmIdentity } from './check-probes';
import { describeDecider, portRange, summarizeRule } from './describe-rule';
import { LINT_CODES } from './lint-codes';
import type { ProbePacket } from './probe-packet';
import { probePath } from './probe-packet';
import type { LintRef } from './types';
import { applyLibvirtFixups } from '../model/apply-libvirt-fixups';
import { getElementSpec } from '../model/attributes';
import { collect, defineCheck } from './lint-check';
import { walkFilterTree } from './walk-filter-tree';

function at(p: Pick<Provenance, 'filter' | 'ruleIndex' | 'entryIndex'>): LintRef {
  return { filter: p.filter, ruleIndex: p.ruleIndex, entryIndex: p.entryIndex };
}

function ruleIndexOf(lookup: FilterLookup, filter: string, entryIndex: number): number | null {
  const doc = lookup(filter);
  if (!doc || doc.entries[entryIndex]?.kind !== 'rule') return null;
  let n = 0;
  for (let i = 0; i < entryIndex; i++) if (doc.entries[i]?.kind === 'rule') n++;
  return n;
}

const RANGE_ATTRS = ['srcipfrom', 'srcipto', 'dstipfrom', 'dstipto'];

/**
 * NWF516: match attributes libvirt drops while reading a rule: `read` — written in the XML the
 * document came from (the parser records them, `ParseResult.dropped`); `written` — still in the
 * document (an ipset with ipsetflags on <tcp>, as the rule form can make it, or as libvirt itself
 * writes back an ipset given alone), so the XML written for it loses them when libvirt reads it.
 */
export function checkDroppedAttributes(
  lookup: FilterLookup,
  filters: ReadonlySet<string>,
  dropped: Readonly<Record<string, readonly DroppedAttribute[]>>,
  source: 'read' | 'written',
  report: Report,
): void {
  for (const [filter, list] of Object.entries(dropped)) {
    if (!filters.has(filter)) continue;
    const doc = lookup(filter);
    // One finding per rule and kind: ipset with ipsetflags, a from/to pair, go together.
    const groups = new Map<string, DroppedAttribute[]>();
    for (const d of list) {
      const kind =
        d.reason === 'ipset-fixup'
          ? 'ipset'
          : RANGE_ATTRS.includes(d.attribute) && (d.element === 'ip' || d.element === 'ipv6')
            ? 'range'
            : 'unknown';
      const key = `${d.entryIndex}\u0000${kind}`;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    for (const [key, group] of groups) {
      const first = group[0] as DroppedAttribute;
      const kind = key.split('\u0000')[1];
      const ruleIndex = ruleIndexOf(lookup, filter, first.entryIndex);
      const entry = doc?.entries[first.entryIndex];
      if (ruleIndex === null || entry?.kind !== 'rule') continue;
      const rule = entry.rule;
      const verb =
        rule.action === 'accept'
          ? 'accepts'
          : rule.action === 'drop' || rule.action === 'reject'
            ? `${rule.action}s`
            : `${rule.action}s for`;
      const written = group.map((d) => `${d.attribute}='${d.value}'`).join(' ');
      let message: string;
      if (kind === 'ipset' && source === 'written') {
        message =
          `This <${first.element}> rule holds ${written}: the XML written for it (the export, and libvirt's own dumpxml, which adds ipsetflags='src' to an ipset given alone) has both, ` +
          `and libvirt drops both when it reads that XML (virNWFilterRuleDefFixupIPSet keeps them together only on <all>/<all-ipv6>): after nwfilter-define of it, or a libvirtd restart that re-reads the saved filter, the installed rule has no -m set match and ${verb} matching packets from and to every address. ` +
          `Match the set in an <all> rule (with ipsetflags), where libvirt keeps it.`;
      } else if (kind === 'ipset') {
        message =
          `libvirt drops ${written} from this <${first.element}> rule: it keeps ipset together with ipsetflags only on <all>/<all-ipv6> (virNWFilterRuleDefFixupIPSet clears both on other protocols), ` +
          `so the installed rule has no -m set match and ${verb} matching packets from and to every address, not only the set's. ` +
          `Give ipset alone (libvirt then adds ipsetflags='src'), or match the set in an <all> rule.`;
      } else if (kind === 'range') {
        const src = group.some((d) => d.attribute.startsWith('src'));
        const dst = group.some((d) => d.attribute.startsWith('dst'));
        const which = src && dst ? 'source and destination' : src ? 'source' : 'destination';
        message =
          `libvirt's <${first.element}> element (ebtables) has no address ranges: it ignores ${written}, so this rule ${verb} matching packets whatever their ${which} address. ` +
          `Use srcipaddr/srcipmask or dstipaddr/dstipmask for a prefix, or an iptables rule (<${first.element === 'ip' ? 'all' : 'all-ipv6'}> has srcipfrom/srcipto, dstipfrom/dstipto).`;
      } else {
        message = `libvirt ignores ${written}, unknown on <${first.element}>: the installed rule matches as if ${group.length > 1 ? 'they were' : 'it were'} not written.`;
      }
      report({
        filter,
        ruleIndex,
        entryIndex: first.entryIndex,
        code: LINT_CODES.ATTRIBUTE_DROPPED.code,
        severity: LINT_CODES.ATTRIBUTE_DROPPED.severity,
        message,
      });
    }
  }
}

/** ICMPv6 neighbour discovery types (RS, RA, NS, NA, redirect): conntrack leaves them UNTRACKED. */
const ND_TYPES = [133, 134, 135, 136, 137];

function icmpTypeRange(rule: Rule): { lo: number; hi: number } | null {
  const t = rule.attrs.type;
  if (!t || t.negated || !/^(0x[0-9a-f]+|\d+)$/i.test(t.value)) return null;
  const lo = Number(t.value);
  const e = rule.attrs.typeend;
  const hi = e && /^(0x[0-9a-f]+|\d+)$/i.test(e.value) ? Number(e.value) : lo;
  return { lo, hi };
}

/** A neighbour solicitation from the VM (untracked by conntrack). */
function ndProbe(vm: VmIdentity): ProbePacket {
  const p = ipProbe(vm, 'from-vm', 6, 58, 0, 0);
  const ip = { ...(p.ip as NonNullable<ProbePacket['ip']>), icmpType: 135, icmpCode: 0 };
  delete ip.sport;
  delete ip.dport;
  return { ...p, ip, ct: { state: 'UNTRACKED', dir: 'Original' } };
}

/**
 * NWF517: ICMP rules that never meet the packets they name. With a type and direction='inout'
 * libvirt installs no iptables rule at all (it skips the ICMP type in every chain of an inout
 * rule); stateful ICMPv6 neighbour-discovery accepts match NEW/ESTABLISHED, which ND never is.
 */
export function checkIcmpTypeRules(
  instances: readonly RuleInstance[],
  ruleset: Ruleset | null,
  vm: VmIdentity,
  report: Report,
): void {
  let ndDrop: ReturnType<typeof probePath> | null = null;
  const ndVerdict = () => {
    if (!ruleset) return null;
    ndDrop ??= probePath(ruleset, 'from-vm', ndProbe(vm));
    return ndDrop;
  };
  const seen = new Set<string>();
  for (const inst of instances) {
    const r = inst.rule;
    if (r.protocol !== 'icmp' && r.protocol !== 'icmpv6') continue;
    const key = `${inst.provenance.filter}\u0000${inst.provenance.ruleIndex}`;
    if (seen.has(key)) continue;
    const types = icmpTypeRange(r);
    const nd =
      r.protocol === 'icmpv6' &&
      types !== null &&
      ND_TYPES.some((t) => types.lo <= t && t <= types.hi);
    const inout = r.direction === 'inout' && r.attrs.type !== undefined;
    const stateful = r.statematch && (r.action === 'accept' || r.action === 'return');
    const st = r.attrs.state?.value.toUpperCase() ?? '';
    // state='NONE' makes libvirt leave the state match out (the rule then sees ND); any other list
    // names states ND never has: it is UNTRACKED.
    const stateless = r.attrs.state !== undefined && !/NEW|ESTABLISHED|RELATED|INVALID/.test(st);
    const ndStateful = nd && !inout && stateful && !stateless;
    if (!inout && !ndStateful) continue;
    seen.add(key);
    let message: string;
    if (inout) {
      message =
        `libvirt installs no ${r.protocol === 'icmp' ? 'iptables' : 'ip6tables'} rule at all for this ${r.protocol} rule: with a type and direction='inout' it skips the rule in every chain (FI, FO and HI), ` +
        `so ${summarizeRule(r)} never matches and the ${r.protocol === 'icmp' ? 'ICMP' : 'ICMPv6'} messages it names meet the rules after it. ` +
        `Write one rule per direction instead (direction='out' and direction='in').`;
    } else {
      message =
        `ICMPv6 neighbour discovery (types 133-137) is never NEW or ESTABLISHED: conntrack leaves it UNTRACKED, and libvirt installs this ${r.direction} rule with -m conntrack --ctstate ${st ? st.replace(/\s/g, '') : 'NEW,ESTABLISHED'}, ` +
        `so ${summarizeRule(r)} never matches a neighbour solicitation or advertisement. Use statematch='false' on it (libvirt then installs it without a state match).`;
    }
    const related: LintRef[] = [];
    if (nd) {
      const v = ndVerdict();
      if (v?.verdict === 'drop') {
        const p = v.rule?.provenance;
        const dropper = describeDecider(instances, p);
        message +=
          ` A neighbour solicitation from the VM is then dropped by ${dropper}: the VM cannot resolve any IPv6 neighbour's link-layer address, so every IPv6 flow to or from it fails. ` +
          "Accept ND per direction without state matching: <rule action='accept' direction='out' statematch='false'><icmpv6 type='135'/></rule>, the same with direction='in', and both again for type='136'.";
        if (p) related.push(at(p));
      }
    }
    report({
      ...at(inst.provenance),
      code: LINT_CODES.NO_IPTABLES_RULE.code,
      severity: LINT_CODES.NO_IPTABLES_RULE.severity,
      message,
      ...(related.length ? { related } : {}),
    });
  }
}

const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'tcp-ipv6', 'udp-ipv6', 'sctp-ipv6'];

function fmtPorts(r: { lo: number; hi: number }): string {
  return r.lo === r.hi ? `port ${r.lo}` : `ports ${r.lo}-${r.hi}`;
}

/**
 * NWF518: drop/reject with direction='inout' and ports. libvirt mirrors the rule for the VM's
 * outgoing packets (source and destination swapped), so it covers the ports on the VM's side
 * of the connection only.
 */
export function checkInoutPorts(instances: readonly RuleInstance[], report: Report): void {
  const seen = new Set<string>();
  for (const inst of instances) {
    const r = inst.rule;
    if (r.direction !== 'inout' || (r.action !== 'drop' && r.action !== 'reject')) continue;
    if (!r.protocol || !PORT_PROTOCOLS.includes(r.protocol)) continue;
    const dp = portRange(r, 'dstportstart', 'dstportend');
    const sp = portRange(r, 'srcportstart', 'srcportend');
    if (!dp && !sp) continue;
    const key = `${inst.provenance.filter}\u0000${inst.provenance.ruleIndex}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const proto = r.protocol.replace(/-ipv6$/, '');
    const covered: string[] = [];
    const missed: string[] = [];
    if (dp) {
      covered.push(
        `${proto} to the VM's ${fmtPorts(dp)}, and the VM's packets from its ${fmtPorts(dp)} (its answers)`,
      );
      missed.push(`the VM's own connections to ${fmtPorts(dp)} of other hosts`);
    }
    if (sp) {
      covered.push(
        `${proto} to the VM from a remote ${fmtPorts(sp)}, and the VM's packets to a remote ${fmtPorts(sp)}`,
      );
      missed.push(`packets the VM sends from its own ${fmtPorts(sp)}`);
    }
    const fix = dp
      ? `<rule action='${r.action}' direction='out'><${r.protocol} dstportstart='${dp.lo}'${dp.hi !== dp.lo ? ` dstportend='${dp.hi}'` : ''}/></rule>`
      : `<rule action='${r.action}' direction='out'><${r.protocol} srcportstart='${(sp as { lo: number }).lo}'/></rule>`;
    report({
      ...at(inst.provenance),
      code: LINT_CODES.INOUT_PORTS.code,
      severity: LINT_CODES.INOUT_PORTS.severity,
      message:
        `With direction='inout' libvirt installs this ${r.action} for the VM's outgoing packets with source and destination swapped (as for an answer), so it covers ${covered.join('; ')}. ` +
        `It does not cover ${missed.join(', ')}: those pass on to the next rules. To ${r.action} them too, add ${fix}.`,
    });
  }
}

/**
 * NWF519: a stateful accept with dscp. libvirt puts the dscp match on the rule that lets the
 * replies back as well, so a reply with another DSCP (usually 0) is not accepted by it.
 */
export function checkDscpReplies(
  instances: readonly RuleInstance[],
  ruleset: Ruleset | null,
  vm: VmIdentity,
  report: Report,
): void {
  if (!ruleset) return;
  const seen = new Set<string>();
  for (const inst of instances) {
    const r = inst.rule;
    const dscp = r.attrs.dscp;
    if (!dscp || dscp.negated || !r.statematch || r.direction === 'inout') continue;
    if ((r.action !== 'accept' && r.action !== 'return') || layerOf(r) === 'ebtables') continue;
    const value = Number(dscp.value);
    if (!Number.isInteger(value) || value === 0) continue;
    const key = `${inst.provenance.filter}\u0000${inst.provenance.ruleIndex}`;
    if (seen.has(key)) continue;
    const family = /-ipv6$/.test(r.protocol ?? '') ? 6 : 4;
    const proto =
      { tcp: 6, udp: 17, sctp: 132, udplite: 136, icmp: 1, icmpv6: 58 }[
        (r.protocol ?? '').replace(/-ipv6$/, '')
      ] ?? 6;
    // The reply travels the other way, its ports swapped.
    const side = r.direction === 'in' ? 'from-vm' : 'to-vm';
    const sport = portRange(r, 'dstportstart', 'dstportend')?.lo ?? 40000;
    const dport = portRange(r, 'srcportstart', 'srcportend')?.lo ?? 40001;
    const reply = ipProbe(vm, side, family, proto, sport, dport, 'ESTABLISHED');
    reply.ct = { state: 'ESTABLISHED', dir: 'Reply' };
    if (reply.ip) {
      reply.ip = { ...reply.ip, tos: 0 };
      if (proto === 6) reply.ip.tcpFlags = 0x12;
      if (proto === 1 || proto === 58) {
        reply.ip.icmpType = proto === 1 ? 0 : 129;
        reply.ip.icmpCode = 0;
      }
    }
    const v = probePath(ruleset, side, reply);
    if (v.verdict !== 'drop') continue;
    seen.add(key);
    const p = v.rule?.provenance;
    report({
      ...at(inst.provenance),
      code: LINT_CODES.DSCP_REPLIES.code,
      severity: LINT_CODES.DSCP_REPLIES.severity,
      message:
        `libvirt installs the dscp='${dscp.value}' match on both rules it makes of this one: the one for the packets ${r.direction === 'in' ? 'to' : 'from'} the VM and the one that lets their replies ${r.direction === 'in' ? 'out' : 'in'} (state ESTABLISHED). ` +
        `A reply with another DSCP — most hosts answer with 0, whatever they received — is not accepted by it, and ${describeDecider(instances, p)} drops it: connections opened under this rule stall after their first packet. ` +
        `Accept the replies separately, e.g. <rule action='accept' direction='${r.direction === 'in' ? 'out' : 'in'}'><all state='ESTABLISHED'/></rule>.`,
      ...(p ? { related: [at(p)] } : {}),
    });
  }
}

/**
 * Attributes libvirt drops: recorded by the parser (options.dropped), or still in a document
 * built another way (the rule form can put ipset and ipsetflags on a <tcp> rule).
 */
export const droppedAttributes = defineCheck(
  'dropped-attributes',
  'tree',
  ['ATTRIBUTE_DROPPED'],
  (ctx) => {
    const inTree = new Set([ctx.root.name]);
    const held: Record<string, DroppedAttribute[]> = {};
    walkFilterTree(ctx.lookup, ctx.root, ctx.vars, {
      ref(_doc, _ref, _e, child) {
        if (child) inTree.add(child.name);
      },
      rule(doc, rule, entryIndex) {
        const spec = rule.protocol ? getElementSpec(rule.protocol) : undefined;
        if (!spec?.ipsetFixup || !(rule.attrs.ipset || rule.attrs.ipsetflags)) return;
        const fixed = applyLibvirtFixups(spec, rule.attrs).attrs;
        for (const name of ['ipset', 'ipsetflags'] as const) {
          const written = rule.attrs[name];
          if (written && !fixed[name])
            (held[doc.name] ??= []).push({
              entryIndex,
              element: spec.name,
              attribute: name,
              value: written.value,
              reason: 'ipset-fixup',
            });
        }
      },
    });
    return collect((r) => {
      checkDroppedAttributes(ctx.lookup, inTree, ctx.options.dropped ?? {}, 'read', r);
      checkDroppedAttributes(ctx.lookup, inTree, held, 'written', r);
    });
  },
);

export const inoutPorts = defineCheck('inout-ports', 'instances', ['INOUT_PORTS'], (ctx) =>
  collect((r) => checkInoutPorts(ctx.instances, r)),
);

export const icmpTypeRules = defineCheck(
  'icmp-type-rules',
  'compiled',
  ['NO_IPTABLES_RULE'],
  (ctx) => collect((r) => checkIcmpTypeRules(ctx.instances, ctx.probe?.ruleset ?? null, ctx.vm, r)),
);

export const dscpReplies = defineCheck('dscp-replies', 'compiled', ['DSCP_REPLIES'], (ctx) =>
  collect((r) => checkDscpReplies(ctx.instances, ctx.probe?.ruleset ?? null, ctx.vm, r)),
);
