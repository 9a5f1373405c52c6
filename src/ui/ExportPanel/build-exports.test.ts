import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../core/examples';
import { serializeFilterXml } from '../../core/xml';
import { parseFilterXml } from '../../core/xml';
import { buildExports, virshText } from './build-exports';

const settings = {
  ftpHelper: false,
  sysctl: {},
  params: { IP: ['10.99.0.2'], MAC: ['52:54:00:11:22:33'], DNS: ['10.0.0.53', '10.0.0.54'] },
};

describe('buildExports', () => {
  const doc = parseFilterXml(EXAMPLES[0]!.xml).doc!;
  const exp = buildExports(doc, serializeFilterXml(doc), [doc], settings);
  const byId = (id: string) => exp.texts.find((t) => t.id === id)!;

  it('offers every format, with one origin per line', () => {
    expect(exp.problems).toEqual([]);
    expect(exp.texts.map((t) => t.id)).toEqual([
      'xml',
      'args',
      'script',
      'ebtables',
      'iptables',
      'ip6tables',
      'virsh',
    ]);
    for (const t of exp.texts) expect(t.origins).toHaveLength(t.lines.length);
  });

  it('the per-tool parts are exactly the script commands of that tool', () => {
    const script = byId('script');
    const commands = script.lines.filter(
      (l) => !l.startsWith('#') && /^(ebtables|iptables|ip6tables) /.test(l),
    );
    const parts = ['ebtables', 'iptables', 'ip6tables'].flatMap((f) =>
      byId(f).lines.filter((l) => !l.startsWith('#')),
    );
    expect(parts.sort()).toEqual([...commands].sort());
    for (const f of ['ebtables', 'iptables', 'ip6tables'])
      for (const l of byId(f).lines) if (!l.startsWith('#')) expect(l.split(' ')[0]).toBe(f);
  });

  it('lines keep their rule: the final drop (entry 7) gives the DROP lines of FI/FO/HI', () => {
    const script = byId('iptables');
    const drops = script.lines.filter(
      (_, i) => script.origins[i]?.entryIndex === 7 && script.origins[i]?.filter === 'test-eth0',
    );
    expect(drops).toEqual([
      'iptables -w -A FI-vnet0 -p all -j DROP',
      'iptables -w -A FO-vnet0 -p all -j DROP',
      'iptables -w -A HI-vnet0 -p all -j DROP',
    ]);
  });

  it('the XML is the canonical serialization', () => {
    expect(byId('xml').lines.join('\n') + '\n').toBe(serializeFilterXml(doc));
  });

  it('iptables scripts have no handles', () => {
    for (const t of exp.texts) expect(t.handles).toBeUndefined();
  });
});

describe('buildExports under nftables', () => {
  const doc = parseFilterXml(EXAMPLES[0]!.xml).doc!;
  const exp = buildExports(doc, serializeFilterXml(doc), [doc], {
    ...settings,
    backend: 'nftables',
  });
  const script = exp.texts.find((t) => t.id === 'script')!;

  it("the nft script's rule lines carry the handles the simulator's traces show, one per rule", () => {
    expect(script.handles).toHaveLength(script.lines.length);
    const ruleLines = script.lines.flatMap((l, i) =>
      /^\t\t(?!#|type |elements )\S/.test(l) ? [{ line: l, handle: script.handles?.[i] }] : [],
    );
    expect(ruleLines.length).toBeGreaterThan(5);
    for (const r of ruleLines) expect(r.handle).toBeGreaterThan(0);
    // Per table the handles grow down the script (chains and maps took the first ones).
    const inet = script.lines.findIndex((l) => l.startsWith('table bridge libvirt_nwfilter_inet'));
    const inetHandles = (script.handles ?? []).slice(inet).filter((h): h is number => h !== null);
    expect(inetHandles).toEqual([...inetHandles].sort((a, b) => a - b));
    // libvirt's own command sequence (temporary chains) is not what the handles describe.
    expect(exp.texts.find((t) => t.id === 'args')?.handles).toBeUndefined();
  });
});

describe('virshText', () => {
  it('defines the filter and binds it with its parameters (lists as repeated parameters, MAC on the interface)', () => {
    const doc = parseFilterXml(
      "<filter name='web&amp;co'><rule action='accept' direction='in'><all/></rule></filter>",
    ).doc!;
    const text = virshText(doc, settings).join('\n');
    expect(text).toContain('virsh nwfilter-define web&co.xml');
    expect(text).toContain("<mac address='52:54:00:11:22:33'/>");
    expect(text).toContain("<filterref filter='web&amp;co'>");
    expect(text).toContain(
      "<parameter name='DNS' value='10.0.0.53'/>\n    <parameter name='DNS' value='10.0.0.54'/>",
    );
    expect(text).not.toContain("name='MAC'");
  });
});
