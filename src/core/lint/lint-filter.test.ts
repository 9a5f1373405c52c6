import { describe, expect, it } from 'vitest';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { FTP_SERVER_RELATED_XML } from '../examples/ftp-server-related';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { LINT_CODES, getLintCodeInfo } from './lint-codes';
import { lintFilter, lintWorkspace } from './lint-filter';
import type { LintFinding, LintOptions } from './types';

function parse(xml: string): FilterDoc {
  const r = parseFilterXml(xml);
  if (!r.doc) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.doc;
}

function filter(body: string, attrs = "name='f'"): FilterDoc {
  return parse(`<filter ${attrs}>\n${body}\n</filter>`);
}

function lint(docs: FilterDoc | FilterDoc[], options: LintOptions = {}): LintFinding[] {
  const list = Array.isArray(docs) ? docs : [docs];
  const r = lintWorkspace(list, options);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.findings;
}

function codes(findings: LintFinding[], code: string): [string, number | null, number][] {
  return findings.filter((f) => f.code === code).map((f) => [f.filter, f.ruleIndex, f.entryIndex]);
}

const IDENTITY: LintOptions = { mac: '52:54:00:11:22:33', params: { IP: ['10.0.0.2'] } };

describe('lint registry', () => {
  it('has distinct NWF5xx codes, each found by getLintCodeInfo', () => {
    const all = Object.values(LINT_CODES).map((c) => c.code);
    expect(new Set(all).size).toBe(all.length);
    for (const c of all) {
      expect(c).toMatch(/^NWF5\d\d$/);
      expect(getLintCodeInfo(c)?.code).toBe(c);
    }
  });
});

describe('NWF502 RELATED without a helper', () => {
  const doc = parse(FTP_SERVER_RELATED_XML);
  it("flags the docs' first FTP solution when the host assigns no helper", () => {
    const f = lint(doc).filter((x) => x.code === 'NWF502');
    expect(f.map((x) => [x.filter, x.ruleIndex])).toEqual([['test-eth0', 1]]);
    expect(f[0]?.message).toContain('arrives as NEW');
    expect(f[0]?.message).toContain('CT --helper ftp');
  });
  it('is silent with ftpHelper on, and for ICMP/all rules (ICMP errors are RELATED without a helper)', () => {
    expect(codes(lint(doc, { ftpHelper: true }), 'NWF502')).toEqual([]);
    expect(codes(lint(parse(FTP_SERVER_XML)), 'NWF502')).toEqual([]);
  });
});

describe('NWF503 connlimit after the accept', () => {
  it('flags a limit ordered after the accept it should limit, linking the accept', () => {
    const f = lint(
      filter(`<rule action='accept' direction='in' priority='500'><tcp dstportstart='22'/></rule>
        <rule action='drop' direction='in' priority='600'><tcp connlimit-above='1'/></rule>`),
    ).filter((x) => x.code === 'NWF503');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ ruleIndex: 1, related: [{ filter: 'f', ruleIndex: 0 }] });
  });
  it("is silent for the docs' order (limit at 400, accept at 500) and for unrelated accepts", () => {
    expect(
      codes(
        lint(
          filter(`<rule action='drop' direction='in' priority='400'><tcp connlimit-above='1'/></rule>
            <rule action='accept' direction='in' priority='500'><tcp dstportstart='22'/></rule>
            <rule action='drop' direction='out' priority='400'><icmp connlimit-above='1'/></rule>
            <rule action='accept' direction='out' priority='500'><icmp/></rule>`),
        ),
        'NWF503',
      ),
    ).toEqual([]);
    expect(
      codes(
        lint(
          filter(`<rule action='accept' direction='in'><tcp dstportstart='80'/></rule>
            <rule action='drop' direction='in' priority='600'><tcp dstportstart='22' connlimit-above='1'/></rule>
            <rule action='accept' direction='out'><udp/></rule>`),
        ),
        'NWF503',
      ),
    ).toEqual([]);
  });
});

describe('NWF513 connlimit on ICMP and the ICMP timeout', () => {
  const doc =
    filter(`<rule action='drop' direction='out' priority='400'><icmp connlimit-above='1'/></rule>
    <rule action='accept' direction='out' priority='500'><icmp/></rule>
    <rule action='drop' direction='in' priority='400'><tcp connlimit-above='1'/></rule>`);
  it('notes the 30 s default timeout for ICMP limits only', () => {
    const f = lint(doc).filter((x) => x.code === 'NWF513');
    expect(f.map((x) => [x.ruleIndex, x.severity])).toEqual([[0, 'info']]);
    expect(f[0]?.message).toContain('nf_conntrack_icmp_timeout (30 s)');
  });
  it('is silent once the host lowered the timeout as the docs advise', () => {
    expect(codes(lint(doc, { icmpTimeout: 3 }), 'NWF513')).toEqual([]);
  });
});

describe('NWF504 SSH without DNS', () => {
  it('flags SSH allowed in when DNS queries are dropped, linking the dropping rule', () => {
    const f = lint(
      filter(`<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
        <rule action='drop' direction='inout'><all/></rule>`),
    ).filter((x) => x.code === 'NWF504');
    expect(f.map((x) => [x.ruleIndex, x.related])).toEqual([
      [0, [{ filter: 'f', ruleIndex: 1, entryIndex: 1 }]],
    ]);
    expect(f[0]?.message).toContain("<udp dstportstart='53'/>");
  });
  it("decides for the VM's own packets when libvirt learns IP and MAC (clean-traffic without parameters)", () => {
    const doc = filter(`<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
      <filterref filter='clean-traffic'/>
      <rule action='drop' direction='inout'><all/></rule>`);
    expect(codes(lint(doc), 'NWF504')).toEqual([['f', 0, 0]]);
  });
  it('is silent when DNS is allowed out (also to one server only), when nothing drops it, or without SSH', () => {
    const base = `<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`;
    const drop = `<rule action='drop' direction='inout'><all/></rule>`;
    expect(
      codes(
        lint(
          filter(
            `${base}<rule action='accept' direction='out'><udp dstportstart='53'/></rule>${drop}`,
          ),
        ),
        'NWF504',
      ),
    ).toEqual([]);
    expect(
      codes(
        lint(
          filter(
            `${base}<rule action='accept' direction='out'><udp dstipaddr='10.0.0.1' dstportstart='53'/></rule>${drop}`,
          ),
        ),
        'NWF504',
      ),
    ).toEqual([]);
    expect(codes(lint(filter(base)), 'NWF504')).toEqual([]);
    expect(
      codes(
        lint(filter(`<rule action='accept' direction='in'><tcp dstportstart='80'/></rule>${drop}`)),
        'NWF504',
      ),
    ).toEqual([]);
  });
});

describe("NWF505 statematch='false'", () => {
  it('explains what the mirrored rule opens, for in and out rules', () => {
    const f = lint(
      filter(`<rule action='accept' direction='in' statematch='false'><tcp dstportstart='12345'/></rule>
        <rule action='accept' direction='out' statematch='false'><tcp dstportstart='80'/></rule>`),
    ).filter((x) => x.code === 'NWF505');
    expect(f.map((x) => x.ruleIndex)).toEqual([0, 1]);
    expect(f[0]?.message).toContain(
      'from the VM (source port 12345): the VM can open connections of its own',
    );
    expect(f[1]?.message).toContain(
      'to the VM (source port 80): any remote host can open connections to the VM',
    );
  });
  it('is silent for stateful rules, drop rules and layer-2 rules', () => {
    expect(
      codes(
        lint(
          filter(`<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
            <rule action='drop' direction='in' statematch='false'><tcp dstportstart='23'/></rule>
            <rule action='accept' direction='out' statematch='false'><mac protocolid='arp'/></rule>`),
        ),
        'NWF505',
      ),
    ).toEqual([]);
  });
});

describe('NWF506/NWF507 clean-traffic', () => {
  it('flags clean-traffic without IP at the filterref (IP learning), silent with IP', () => {
    const doc = filter(
      `<rule action='accept' direction='in'><tcp dstportstart='80'/></rule>\n<filterref filter='clean-traffic'/>`,
    );
    const f = lint(doc, { mac: '52:54:00:11:22:33' }).filter((x) => x.code === 'NWF506');
    expect(f.map((x) => [x.filter, x.ruleIndex, x.entryIndex, x.severity])).toEqual([
      ['f', null, 1, 'warning'],
    ]);
    expect(f[0]?.message).toContain('learns');
    expect(codes(lint(doc, IDENTITY), 'NWF506')).toEqual([]);
    const withParam = filter(
      `<filterref filter='clean-traffic'><parameter name='IP' value='10.0.0.2'/></filterref>`,
    );
    expect(codes(lint(withParam, { mac: '52:54:00:11:22:33' }), 'NWF506')).toEqual([]);
  });
  it("is an error with CTRL_IP_LEARNING='none', and asks for DHCPSERVER with 'dhcp'", () => {
    const none = filter(
      `<filterref filter='clean-traffic'><parameter name='CTRL_IP_LEARNING' value='none'/></filterref>`,
    );
    expect(
      lint(none)
        .filter((x) => x.code === 'NWF506')
        .map((x) => x.severity),
    ).toEqual(['error']);
    const dhcp = filter(
      `<filterref filter='clean-traffic'><parameter name='CTRL_IP_LEARNING' value='dhcp'/></filterref>`,
    );
    expect(
      lint(dhcp)
        .filter((x) => x.code === 'NWF507')
        .map((x) => x.message),
    ).toEqual([expect.stringContaining('DHCPSERVER')]);
    const trusted = filter(
      `<filterref filter='clean-traffic'><parameter name='CTRL_IP_LEARNING' value='dhcp'/><parameter name='DHCPSERVER' value='10.0.0.1'/></filterref>`,
    );
    expect(codes(lint(trusted), 'NWF507')).toEqual([]);
  });
  it('flags DHCP requests dropped under clean-traffic; silent when a rule lets them out', () => {
    const ftp = lint(parse(FTP_SERVER_XML)).filter((x) => x.code === 'NWF507');
    expect(ftp.map((x) => [x.filter, x.entryIndex, x.related])).toEqual([
      ['test-eth0', 0, [{ filter: 'test-eth0', ruleIndex: 6, entryIndex: 7 }]],
    ]);
    const ok = filter(`<filterref filter='clean-traffic'/>
      <rule action='accept' direction='out' priority='100'><udp srcportstart='68' dstportstart='67'/></rule>
      <rule action='drop' direction='inout'><all/></rule>`);
    expect(codes(lint(ok), 'NWF507')).toEqual([]);
    // Plain clean-traffic lets all IPv4 out from 0.0.0.0 for DHCP.
    expect(codes(lint(filter(`<filterref filter='clean-traffic'/>`)), 'NWF507')).toEqual([]);
  });
  it('the DHCP check needs clean-traffic', () => {
    expect(
      codes(lint(filter(`<rule action='drop' direction='inout'><all/></rule>`)), 'NWF507'),
    ).toEqual([]);
  });
});

describe('NWF508/NWF509 protocol chains', () => {
  it('flags layer-2 rules in a chain that never sees their protocol', () => {
    const sub = filter(
      `<rule action='drop' direction='out'><ipv6/></rule>
       <rule action='drop' direction='out'><mac protocolid='arp'/></rule>
       <rule action='drop' direction='out'><ip srcipaddr='10.0.0.1'/></rule>
       <rule action='drop' direction='out'><mac srcmacaddr='52:54:00:00:00:01'/></rule>`,
      "name='sub' chain='ipv4-x'",
    );
    const root = filter(`<filterref filter='sub'/>`, "name='top'");
    const f = lint([root, sub]);
    expect(codes(f, 'NWF508')).toEqual([
      ['sub', 0, 0],
      ['sub', 1, 1],
    ]);
    expect(f.find((x) => x.code === 'NWF508')?.message).toContain('only for IPv4 frames');
  });
  it('explains that the chain does not apply to IP-level rules (tcp in chain arp)', () => {
    const sub = filter(
      `<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`,
      "name='sub' chain='arp'",
    );
    const f = lint([filter(`<filterref filter='sub'/>`, "name='top'"), sub]);
    expect(codes(f, 'NWF509')).toEqual([['sub', 0, 0]]);
    expect(codes(f, 'NWF508')).toEqual([]);
    expect(
      codes(
        lint(filter(`<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`)),
        'NWF509',
      ),
    ).toEqual([]);
  });
});

describe('NWF510 REJECT', () => {
  it('flags REJECT on bridged traffic unless the bridge has an address; ebtables REJECT always', () => {
    const doc = filter(`<rule action='reject' direction='in'><tcp dstportstart='23'/></rule>
      <rule action='reject' direction='out'><mac protocolid='ipv6'/></rule>
      <rule action='drop' direction='in'><tcp dstportstart='24'/></rule>`);
    expect(codes(lint(doc), 'NWF510').map((x) => x[1])).toEqual([0, 1]);
    expect(codes(lint(doc, { bridgeHasAddress: true }), 'NWF510').map((x) => x[1])).toEqual([1]);
  });
});

describe('NWF511 VLAN-tagged frames', () => {
  it('flags ebtables protocol rules that a tagged frame bypasses', () => {
    const doc = filter(
      `<rule action='drop' direction='out'><ip srcipaddr='10.0.0.2' match='no'/></rule>`,
    );
    const f = lint(doc).filter((x) => x.code === 'NWF511');
    expect(f.map((x) => x.ruleIndex)).toEqual([0]);
    expect(f[0]?.message).toContain('from the VM');
  });
  it('is silent when tagged frames are dropped, under clean-traffic, and for filters without layer-2 protocol rules', () => {
    const dropped = filter(`<rule action='drop' direction='out' priority='-900'><vlan/></rule>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.2' match='no'/></rule>`);
    expect(codes(lint(dropped), 'NWF511')).toEqual([]);
    expect(codes(lint(filter(`<filterref filter='clean-traffic'/>`), IDENTITY), 'NWF511')).toEqual(
      [],
    );
    expect(
      codes(lint(filter(`<rule action='drop' direction='inout'><all/></rule>`)), 'NWF511'),
    ).toEqual([]);
  });
});

describe('NWF512 IPv6 left open', () => {
  it('flags the IPv4 catch-all drop when IPv6 passes', () => {
    const f = lint(
      filter(
        `<rule action='accept' direction='in'><tcp dstportstart='80'/></rule><rule action='drop' direction='inout'><all/></rule>`,
      ),
    ).filter((x) => x.code === 'NWF512');
    expect(f.map((x) => x.ruleIndex)).toEqual([1]);
    expect(f[0]?.message).toContain('to the VM and from the VM');
  });
  it('is silent when IPv6 is dropped too (ip6tables or layer 2) and when IPv4 is open', () => {
    const both = filter(
      `<rule action='drop' direction='inout'><all/></rule><rule action='drop' direction='inout'><all-ipv6/></rule>`,
    );
    expect(codes(lint(both), 'NWF512')).toEqual([]);
    expect(
      codes(
        lint(
          filter(
            `<filterref filter='clean-traffic'/><rule action='drop' direction='inout'><all/></rule>`,
          ),
          IDENTITY,
        ),
        'NWF512',
      ),
    ).toEqual([]);
    expect(
      codes(
        lint(filter(`<rule action='accept' direction='in'><tcp dstportstart='80'/></rule>`)),
        'NWF512',
      ),
    ).toEqual([]);
  });
});

describe('lintWorkspace / lintFilter', () => {
  it('lints the filters nobody references as roots and reports shared findings once', () => {
    const sub = filter(
      `<rule action='accept' direction='out' statematch='false'><udp dstportstart='53'/></rule>`,
      "name='dns'",
    );
    const a = filter(`<filterref filter='dns'/>`, "name='vm-a'");
    const b = filter(`<filterref filter='dns'/>`, "name='vm-b'");
    const f = lintWorkspace([sub, a, b]).findings.filter((x) => x.code === 'NWF505');
    expect(f.map((x) => [x.filter, x.root])).toEqual([['dns', 'vm-a']]);
  });
  it('reports a missing root or filterref as diagnostics, not exceptions', () => {
    expect(lintFilter([], 'nope').diagnostics.map((d) => d.code)).toEqual(['NWF305']);
    const r = lintFilter([filter(`<filterref filter='missing'/>`)], 'f');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['NWF301']);
  });
  it('is deterministic and clean for a tidy filter', () => {
    const tidy = filter(`<filterref filter='clean-traffic'/>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
      <rule action='accept' direction='out'><udp dstportstart='53'/></rule>
      <rule action='accept' direction='out' priority='100'><udp srcportstart='68' dstportstart='67'/></rule>
      <rule action='drop' direction='inout'><all/></rule>`);
    expect(lint(tidy, IDENTITY)).toEqual([]);
    expect(lintWorkspace([tidy], IDENTITY)).toEqual(lintWorkspace([tidy], IDENTITY));
  });
});
