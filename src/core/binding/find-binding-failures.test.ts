import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import {
  BINDING_CODES,
  findBindingFailures,
  findRuleBindingProblems,
} from './find-binding-failures';

function doc(xml: string): FilterDoc {
  const res = parseFilterXml(xml);
  if (!res.doc) throw new Error(JSON.stringify(res.diagnostics));
  return res.doc;
}

function failuresOf(body: string, params: Record<string, string[]> = {}) {
  const f = doc(`<filter name='f'>${body}</filter>`);
  const lookup = createWorkspaceLookup([f], (n) => getBuiltinFilter(n)?.doc);
  return findBindingFailures(lookup, 'f', { iface: 'vnet0', mac: '52:54:00:11:22:33', params });
}

const codes = (body: string, params?: Record<string, string[]>) =>
  failuresOf(body, params).map((f) => f.code);

describe('findBindingFailures: bindings libvirt 9.0 refuses although nwfilter-define accepts the filter', () => {
  it("action='continue' on an iptables or ip6tables rule (-j CONTINUE), not on an ebtables rule", () => {
    expect(
      codes("<rule action='continue' direction='out'><tcp dstportstart='80'/></rule>"),
    ).toEqual([BINDING_CODES.continueInIptables]);
    expect(codes("<rule action='continue' direction='in'><all-ipv6/></rule>")).toEqual([
      BINDING_CODES.continueInIptables,
    ]);
    expect(codes("<rule action='continue' direction='out'><mac protocolid='arp'/></rule>")).toEqual(
      [],
    );
    expect(codes("<rule action='return' direction='out'><tcp dstportstart='80'/></rule>")).toEqual(
      [],
    );
  });

  it('a comment that is a variable reference, on an iptables rule, even when the variable has a value', () => {
    const rule =
      "<rule action='accept' direction='out'><tcp dstportstart='80' comment='$X'/></rule>";
    expect(codes(rule, { X: ['hello'] })).toEqual([BINDING_CODES.commentVariable]);
    // Without a value the variable itself is missing (libvirt: "unresolvable variables").
    expect(codes(rule)).toEqual([BINDING_CODES.unresolvedVariable]);
    expect(
      codes(
        "<rule action='accept' direction='out'><tcp dstportstart='80' comment='costs $5'/></rule>",
      ),
    ).toEqual([]);
  });

  it("ports on <ip>/<ipv6> with the protocol negated (match='no' negates every attribute)", () => {
    expect(
      codes(
        "<rule action='accept' direction='out'><ip protocol='tcp' dstportstart='80' match='no'/></rule>",
      ),
    ).toEqual([BINDING_CODES.portsWithoutPortProtocol]);
    expect(
      codes(
        "<rule action='accept' direction='in'><ipv6 protocol='udp' srcportstart='53' match='no'/></rule>",
      ),
    ).toEqual([BINDING_CODES.portsWithoutPortProtocol]);
    expect(
      codes("<rule action='accept' direction='out'><ip protocol='sctp' dstportstart='80'/></rule>"),
    ).toEqual([]);
  });

  it('ICMPv6 type/code on <ipv6> without protocol icmpv6, or with it negated', () => {
    expect(codes("<rule action='accept' direction='out'><ipv6 type='1'/></rule>")).toEqual([
      BINDING_CODES.icmpv6TypeWithoutIcmpv6,
    ]);
    expect(
      codes("<rule action='accept' direction='out'><ipv6 protocol='tcp' type='1'/></rule>"),
    ).toEqual([BINDING_CODES.icmpv6TypeWithoutIcmpv6]);
    expect(
      codes(
        "<rule action='accept' direction='out'><ipv6 protocol='icmpv6' type='1' match='no'/></rule>",
      ),
    ).toEqual([BINDING_CODES.icmpv6TypeWithoutIcmpv6]);
    expect(
      codes("<rule action='accept' direction='out'><ipv6 protocol='icmpv6' type='1'/></rule>"),
    ).toEqual([]);
  });

  it('STP in direction inout with a source MAC', () => {
    expect(
      codes("<rule action='drop' direction='inout'><stp srcmacaddr='52:54:00:00:00:01'/></rule>"),
    ).toEqual([BINDING_CODES.stpInoutSrcMac]);
    expect(
      codes("<rule action='drop' direction='out'><stp srcmacaddr='52:54:00:00:00:01'/></rule>"),
    ).toEqual([]);
  });

  it('points at the rule (entry index among rules and filterrefs) and at a filterref to a missing filter', () => {
    const fs = failuresOf(
      "<filterref filter='clean-traffic'/><filterref filter='nope'/><rule action='accept' direction='out'><tcp/></rule><rule action='continue' direction='out'><udp/></rule>",
      { IP: ['10.0.0.2'] },
    );
    expect(fs).toEqual([
      expect.objectContaining({
        code: BINDING_CODES.missingFilter,
        filter: 'f',
        entryIndex: 1,
        ruleIndex: null,
      }),
    ]);
    const [c] = failuresOf(
      "<filterref filter='clean-traffic'/><rule action='accept' direction='out'><tcp/></rule><rule action='continue' direction='out'><udp/></rule>",
      { IP: ['10.0.0.2'] },
    );
    expect(c).toMatchObject({
      code: BINDING_CODES.continueInIptables,
      filter: 'f',
      entryIndex: 2,
      ruleIndex: 1,
    });
    expect(c?.message).toMatch(/^rule 2 of filter 'f': .*-j CONTINUE/);
  });

  it('reports a rule once, not once per variable combination', () => {
    const fs = failuresOf(
      "<rule action='continue' direction='out'><tcp dstportstart='$P'/></rule>",
      { P: ['22', '80', '443'] },
    );
    expect(fs).toHaveLength(1);
  });

  it('the built-in filters bind without failure', () => {
    expect(
      failuresOf("<filterref filter='clean-traffic'/><filterref filter='allow-dhcpv6'/>", {
        IP: ['10.0.0.2'],
      }),
    ).toEqual([]);
  });

  it('findRuleBindingProblems works on a rule as written', () => {
    const f = doc(
      "<filter name='g'><rule action='continue' direction='out'><icmp/></rule></filter>",
    );
    const e = f.entries[0];
    if (e?.kind !== 'rule') throw new Error('no rule');
    expect(findRuleBindingProblems(e.rule).map((p) => p.code)).toEqual([
      BINDING_CODES.continueInIptables,
    ]);
  });
});

describe('compileFilter refuses a binding libvirt cannot instantiate', () => {
  it('no ruleset, one error per cause with the entry it is about', () => {
    const f = doc(
      "<filter name='f'><rule action='accept' direction='out'><tcp/></rule><rule action='continue' direction='in'><tcp dstportstart='22'/></rule></filter>",
    );
    const res = compileFilter([f], 'f', { iface: 'vnet0' });
    expect(res.ruleset).toBeNull();
    expect(res.diagnostics).toEqual([
      expect.objectContaining({
        code: BINDING_CODES.continueInIptables,
        severity: 'error',
        entry: { filter: 'f', entryIndex: 1, ruleIndex: 1 },
      }),
    ]);
  });
});
