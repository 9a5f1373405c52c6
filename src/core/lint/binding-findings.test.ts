import { describe, expect, it } from 'vitest';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { lintFilter } from './lint-filter';

function lint(body: string, params: Record<string, string[]> = {}) {
  const res = parseFilterXml(`<filter name='f'>${body}</filter>`);
  if (!res.doc) throw new Error(JSON.stringify(res.diagnostics));
  return lintFilter([res.doc], 'f', { mac: '52:54:00:11:22:33', params });
}

describe('lint: bindings libvirt cannot instantiate are errors at the rule', () => {
  it('continue on an iptables rule (NWF331), at its entry; none for continue on an ebtables rule', () => {
    const r = lint(
      "<rule action='accept' direction='in'><tcp dstportstart='22'/></rule><rule action='continue' direction='out'><udp dstportstart='53'/></rule>",
    );
    expect(r.findings.filter((f) => f.code === 'NWF331')).toEqual([
      expect.objectContaining({ severity: 'error', filter: 'f', entryIndex: 1, ruleIndex: 1 }),
    ]);
    const ok = lint("<rule action='continue' direction='out'><mac protocolid='arp'/></rule>");
    expect(ok.findings.some((f) => f.code === 'NWF331')).toBe(false);
  });

  it('a variable comment is an error even when the variable is unbound (stand-in value)', () => {
    const r = lint(
      "<rule action='accept' direction='out'><tcp dstportstart='22' comment='$NOTE'/></rule>",
    );
    expect(r.findings.map((f) => f.code)).toContain('NWF332');
  });

  it('a protocol from an unbound variable is unknown: no NWF334; a negated port protocol is NWF333', () => {
    const unknown = lint(
      "<rule action='accept' direction='out'><ipv6 protocol='$P' type='135'/></rule>",
    );
    expect(unknown.findings.some((f) => f.code === 'NWF334')).toBe(false);
    const bound = lint(
      "<rule action='accept' direction='out'><ipv6 protocol='$P' type='135'/></rule>",
      {
        P: ['tcp'],
      },
    );
    expect(bound.findings.filter((f) => f.code === 'NWF334')).toHaveLength(1);
    const negated = lint(
      "<rule action='drop' direction='out'><ip protocol='tcp' dstportstart='25' match='no'/></rule>",
    );
    expect(negated.findings.filter((f) => f.code === 'NWF333')).toHaveLength(1);
  });

  it('STP inout with a source MAC: one finding at the rule, not also a diagnostic at 1:1', () => {
    const r = lint(
      "<rule action='drop' direction='inout'><stp srcmacaddr='52:54:00:00:00:01'/></rule>",
    );
    expect(r.findings.filter((f) => f.code === 'NWF321')).toHaveLength(1);
    expect(r.diagnostics.some((d) => d.code === 'NWF321')).toBe(false);
  });
});
