import { describe, expect, it } from 'vitest';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { LINT_CODES } from './lint-codes';
import { lintWorkspace } from './lint-filter';

const CODE = LINT_CODES.BACKEND_PARITY.code;

function parity(xml: string) {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  const r = lintWorkspace([doc], { mac: '52:54:00:11:22:33', params: { IP: ['10.0.0.2'] } });
  return r.findings.filter((f) => f.code === CODE);
}

describe('NWF530: meaning changed under the proposed nftables driver', () => {
  it('one finding per XML rule that changes, at the rule, naming what changes', () => {
    const found = parity(`<filter name='f'>
      <rule action='accept' direction='in'><all ipset='admins' ipsetflags='src'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='443'/></rule>
      <rule action='drop' direction='in'><tcp connlimit-above='2'/></rule>
      <rule action='reject' direction='inout'><all/></rule>
    </filter>`);
    expect(found.map((f) => [f.ruleIndex, f.entryIndex, f.severity])).toEqual([
      [0, 0, 'info'],
      [2, 2, 'info'],
      [3, 3, 'info'],
    ]);
    expect(found[0]?.message).toMatch(
      /proposed nftables driver \(series v5\/v6, not yet in a release\)/,
    );
    expect(found[0]?.message).toMatch(
      /'-m set --match-set admins dst' is dropped \(from-vm, to-host\)/,
    );
    expect(found[1]?.message).toMatch(/'-m connlimit --connlimit-above 2' is dropped \(to-vm\)/);
    expect(found[2]?.message).toMatch(/-j REJECT becomes drop \(from-vm, to-vm, to-host\)/);
  });

  it("explicit states: the driver adds ct direction and a reply rule (the docs' FTP server)", () => {
    const found = parity(FTP_SERVER_XML);
    // Every rule but the final drop: each state='…' accept gets a reply-direction twin.
    expect(found.map((f) => f.ruleIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(found[2]?.message).toMatch(
      /an extra rule for from-vm, to-host, '.*tcp sport 21-22 ct direction reply ct state new accept'/,
    );
  });

  it('no finding for a filter both drivers install alike (clean-traffic, default states)', () => {
    expect(
      parity(`<filter name='g'><filterref filter='clean-traffic'/>
        <rule action='accept' direction='out'><tcp dstportstart='22'/></rule>
        <rule action='accept' direction='in'><udp dstportstart='53'/></rule>
        <rule action='drop' direction='inout'><all/></rule></filter>`),
    ).toEqual([]);
  });
});
