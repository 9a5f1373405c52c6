import { describe, expect, it } from 'vitest';
import type { Diagnostic, Rule } from '../model/types';
import { MAX_INPUT_LENGTH, parseFilterXml } from './parse-filter-xml';
import { serializeFilterXml } from './serialize-filter-xml';

/** A filter with one rule holding `inner` (the protocol element). */
function ruleDoc(
  inner: string,
  ruleAttrs = "action='accept' direction='in'",
  filterAttrs = "name='t'",
): string {
  return `<filter ${filterAttrs}>\n  <rule ${ruleAttrs}>\n    ${inner}\n  </rule>\n</filter>\n`;
}

function firstRule(text: string): Rule {
  const r = parseFilterXml(text);
  const e = r.doc?.entries[0];
  if (!e || e.kind !== 'rule') throw new Error(`no rule: ${JSON.stringify(r.diagnostics)}`);
  return e.rule;
}

function only(diags: Diagnostic[], code: string): Diagnostic {
  const found = diags.filter((d) => d.code === code);
  expect(found, JSON.stringify(diags)).toHaveLength(1);
  return found[0] as Diagnostic;
}

describe('parseFilterXml diagnostics', () => {
  it('reports malformed XML with the position of the problem', () => {
    const r = parseFilterXml(
      "<filter name='t'>\n  <rule action='accept' direction='in'>\n</filter>\n",
    );
    expect(r.doc).toBeNull();
    const d = only(r.diagnostics, 'NWF001');
    expect(d.severity).toBe('error');
    expect(d.line).toBe(3);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message).toMatch(/Malformed XML/);
  });

  it('reports a second root element and stray text as malformed', () => {
    expect(
      only(parseFilterXml("<filter name='a'/>\n<filter name='b'/>").diagnostics, 'NWF001').line,
    ).toBe(2);
    expect(only(parseFilterXml("<filter name='a'/> junk").diagnostics, 'NWF001')).toMatchObject({
      line: 1,
      column: 20,
    });
    expect(parseFilterXml("<filter name='a'/>\n<!-- ok -->\n").doc).not.toBeNull();
  });

  it('rejects a bare & and undefined entities at their position', () => {
    const bare = parseFilterXml(ruleDoc("<tcp comment='a & b'/>"));
    expect(bare.doc).toBeNull();
    const d = bare.diagnostics.find((x) => x.severity === 'error');
    expect(d?.line).toBe(3);
    expect(d?.column).toBe(21);
    const undef = parseFilterXml(ruleDoc("<tcp comment='&nbsp;'/>"));
    expect(only(undef.diagnostics, 'NWF007')).toMatchObject({ line: 3, column: 19 });
  });

  it('reports what libxml2 rejects beyond the validator: -- in comments, bad references in text', () => {
    expect(
      only(parseFilterXml("<filter name='a'>\n <!-- a -- b -->\n</filter>").diagnostics, 'NWF001'),
    ).toMatchObject({ line: 2, column: 9 });
    expect(
      only(parseFilterXml("<filter name='a'>\n  &nbsp;</filter>").diagnostics, 'NWF007'),
    ).toMatchObject({ line: 2, column: 3 });
    expect(
      only(parseFilterXml("<filter name='a'>&#0;</filter>").diagnostics, 'NWF001').column,
    ).toBe(18);
    expect(
      parseFilterXml("<filter name='a'>&amp;&#65;<![CDATA[&x;]]><!-- &y; --><!----></filter>").doc,
    ).not.toBeNull();
    expect(parseFilterXml("<filter name='a'><!-- x ---></filter>").doc).toBeNull();
    // Linear even for many references.
    const started = performance.now();
    expect(
      parseFilterXml(`<filter name='a'>${'&amp;'.repeat(400000)}</filter>`).doc,
    ).not.toBeNull();
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('rejects end tags that carry attributes or close the wrong element, as libxml2 does', () => {
    // fast-xml-parser's validator lets `</tcp a='1'/>` close <rule>; libvirt's libxml2 does not.
    const withAttrs =
      "<filter name='a'>\n  <rule action='accept' direction='in'>\n</tcp dstportstart='20'/>\n  </rule>\n</filter>";
    expect(only(parseFilterXml(withAttrs).diagnostics, 'NWF001')).toMatchObject({
      line: 3,
      column: 1,
    });
    const mismatched =
      "<filter name='a'>\n  <rule action='accept' direction='in'>\n    <tcp>\n  </rule></tcp>\n</filter>";
    const d = only(parseFilterXml(mismatched).diagnostics, 'NWF001');
    expect(d).toMatchObject({ line: 4, column: 3 });
    expect(d.message).toMatch(/closing tag 'tcp'.*'rule'/);
    // Allowed: white space before '>' in an end tag, '>' inside attribute values, comments.
    const fine =
      "<filter name='a'>\n  <rule action='accept' direction='in'>\n    <tcp comment='a > b'/><!-- </x> -->\n  </rule >\n</filter >";
    expect(parseFilterXml(fine).diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('warns about an unknown element and still parses (libvirt ignores it)', () => {
    const r = parseFilterXml(
      "<filter name='t'>\n  <bogus/>\n  <rule action='drop' direction='in'><foo/></rule>\n</filter>",
    );
    expect(r.doc).not.toBeNull();
    expect(
      r.diagnostics.filter((d) => d.code === 'NWF020').map((d) => [d.severity, d.line, d.column]),
    ).toEqual([
      ['warning', 2, 3],
      ['warning', 3, 38],
    ]);
  });

  it('warns about an unknown attribute and still parses', () => {
    const r = parseFilterXml(ruleDoc("<tcp dstportstart='22' dstport='23'/>"));
    expect(r.doc).not.toBeNull();
    const d = only(r.diagnostics, 'NWF021');
    expect(d).toMatchObject({ severity: 'warning', line: 3, column: 28 });
    expect(d.message).toContain('dstport');
    expect(d.message).toContain('dstportend');
  });

  it('records the match attributes libvirt drops (unknown ones, the ipset fix-up) by entry, and none otherwise', () => {
    const r = parseFilterXml(`<filter name='f'>
  <filterref filter='clean-traffic'/>
  <rule action='drop' direction='in'><ip srcipfrom='10.0.0.1'/></rule>
  <rule action='accept' direction='in'><tcp ipset='s' ipsetflags='src'/></rule>
  <rule action='accept' direction='in'><tcp ipset='kept'/></rule>
</filter>`);
    expect(r.doc?.entries[1]).toMatchObject({ rule: { protocol: 'ip', attrs: {} } });
    expect(r.dropped).toEqual([
      {
        entryIndex: 1,
        element: 'ip',
        attribute: 'srcipfrom',
        value: '10.0.0.1',
        reason: 'unknown',
      },
      { entryIndex: 2, element: 'tcp', attribute: 'ipset', value: 's', reason: 'ipset-fixup' },
      {
        entryIndex: 2,
        element: 'tcp',
        attribute: 'ipsetflags',
        value: 'src',
        reason: 'ipset-fixup',
      },
    ]);
    expect(parseFilterXml(ruleDoc("<tcp dstportstart='22'/>")).dropped).toBeUndefined();
  });

  it('rejects out-of-range values with code, line and column', () => {
    const r = parseFilterXml(ruleDoc("<tcp dstportstart='65536'/>"));
    expect(r.doc).toBeNull();
    const d = only(r.diagnostics, 'NWF041');
    expect(d).toMatchObject({ severity: 'error', line: 3, column: 24 });
    expect(d.message).toMatch(/65536 is out of range \(0\.\.65535\)/);
    expect(only(parseFilterXml(ruleDoc("<ip dscp='64'/>")).diagnostics, 'NWF041').message).toMatch(
      /0\.\.63/,
    );
    expect(
      only(parseFilterXml(ruleDoc("<vlan vlanid='4096'/>")).diagnostics, 'NWF041').message,
    ).toMatch(/0\.\.4095/);
    expect(
      only(parseFilterXml(ruleDoc("<tcp-ipv6 srcipmask='129'/>")).diagnostics, 'NWF041').message,
    ).toMatch(/0\.\.128/);
    expect(
      only(parseFilterXml(ruleDoc("<mac protocolid='15'/>")).diagnostics, 'NWF041').message,
    ).toMatch(/0x600/);
  });

  it('counts positions after a byte-order mark, as editors do', () => {
    const plain = ruleDoc("<tcp dstportstart='65536'/>");
    const posOf = (text: string) => {
      const d = only(parseFilterXml(text).diagnostics, 'NWF041');
      return [d.line, d.column];
    };
    expect(posOf(`\uFEFF${plain}`)).toEqual(posOf(plain));
    const malformed = "<filter name='x'>\n  <rule action='accept' direction='in'>\n</filter>\n";
    const m = (text: string) =>
      parseFilterXml(text).diagnostics.map((d) => [d.code, d.line, d.column]);
    expect(m(`\uFEFF${malformed}`)).toEqual(m(malformed));
    const doctype = "<!DOCTYPE filter>\n<filter name='x'/>\n";
    expect(parseFilterXml(`\uFEFF${doctype}`).diagnostics.map((d) => [d.line, d.column])).toEqual([
      [1, 1],
    ]);
  });

  it('rejects bad enum values and lists what is allowed', () => {
    const action = parseFilterXml(ruleDoc('<all/>', "action='allow' direction='in'"));
    expect(only(action.diagnostics, 'NWF031')).toMatchObject({ line: 2, column: 17 });
    expect(action.diagnostics[0]?.message).toMatch(/drop, reject, accept, return, continue/);
    const dir = parseFilterXml(ruleDoc('<all/>', "action='drop' direction='both'"));
    expect(only(dir.diagnostics, 'NWF033').message).toMatch(/in, out, inout/);
    const state = parseFilterXml(ruleDoc("<tcp state='NEW,OPEN'/>"));
    expect(only(state.diagnostics, 'NWF042')).toMatchObject({ line: 3, column: 17 });
    expect(
      only(parseFilterXml(ruleDoc("<ip protocol='foo'/>")).diagnostics, 'NWF042').message,
    ).toMatch(/tcp, udp/);
    expect(
      only(parseFilterXml(ruleDoc("<arp opcode='Ask'/>")).diagnostics, 'NWF042').message,
    ).toMatch(/Request/);
    expect(
      only(parseFilterXml(ruleDoc("<tcp flags='SYN'/>")).diagnostics, 'NWF042').message,
    ).toMatch(/MASK\/SET/);
  });

  it('requires action and direction', () => {
    expect(
      only(parseFilterXml(ruleDoc('<all/>', "direction='in'")).diagnostics, 'NWF030'),
    ).toMatchObject({ line: 2, column: 3 });
    expect(
      only(parseFilterXml(ruleDoc('<all/>', "action='drop'")).diagnostics, 'NWF032').severity,
    ).toBe('error');
  });

  it('refuses a DTD and never expands entities', () => {
    const r = parseFilterXml(
      "<?xml version='1.0'?>\n<!DOCTYPE filter [<!ENTITY x 'y'>]>\n<filter name='&x;'/>",
    );
    expect(r.doc).toBeNull();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'NWF002', severity: 'error', line: 2, column: 1 }),
    ]);
    expect(
      parseFilterXml("<filter name='t'>\n <!ENTITY x 'y'>\n</filter>").diagnostics[0],
    ).toMatchObject({ code: 'NWF003', line: 2, column: 2 });
    // A DOCTYPE inside a comment is just text.
    expect(parseFilterXml("<!-- <!DOCTYPE x> -->\n<filter name='t'/>").doc).not.toBeNull();
  });

  it('refuses a billion-laughs document quickly', () => {
    const entities = Array.from(
      { length: 10 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`,
    ).join('\n');
    const text = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${entities}\n]>\n<filter name="&lol10;"/>\n`;
    const started = performance.now();
    const r = parseFilterXml(text);
    expect(performance.now() - started).toBeLessThan(200);
    expect(r.doc).toBeNull();
    expect(r.diagnostics[0]).toMatchObject({ code: 'NWF002', line: 2, column: 1 });
  });

  it('refuses oversize input with a diagnostic', () => {
    const big = `<filter name='t'><!--${'x'.repeat(MAX_INPUT_LENGTH)}--></filter>`;
    const started = performance.now();
    const r = parseFilterXml(big);
    expect(performance.now() - started).toBeLessThan(500);
    expect(r).toEqual({
      doc: null,
      diagnostics: [
        expect.objectContaining({ code: 'NWF004', severity: 'error', line: 1, column: 1 }),
      ],
    });
  });

  it('refuses absurd nesting before building a tree', () => {
    const deep = `<filter name='t'>${'<rule>'.repeat(100000)}${'</rule>'.repeat(100000)}</filter>`;
    const r = parseFilterXml(deep);
    expect(r.doc).toBeNull();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'NWF001', line: 1, column: 18 + 6 * 63 }),
    ]);
  });

  it('reports a repeated attribute as malformed XML', () => {
    expect(
      only(
        parseFilterXml(ruleDoc("<tcp dstportstart='1' dstportstart='2'/>")).diagnostics,
        'NWF001',
      ).line,
    ).toBe(3);
  });

  it('refuses empty input, a wrong root and a filter without name', () => {
    expect(parseFilterXml('   ').diagnostics[0]?.code).toBe('NWF008');
    expect(parseFilterXml("\n<domain type='kvm'/>").diagnostics[0]).toMatchObject({
      code: 'NWF005',
      line: 2,
      column: 1,
    });
    expect(parseFilterXml('<filter/>').diagnostics[0]).toMatchObject({
      code: 'NWF010',
      line: 1,
      column: 1,
    });
  });

  it('never throws on non-string input', () => {
    expect(parseFilterXml(undefined as unknown as string).doc).toBeNull();
    expect(parseFilterXml(42 as unknown as string).diagnostics[0]?.code).toBe('NWF006');
  });
});

describe('parseFilterXml canonical values (as libvirt stores them)', () => {
  it('canonicalizes MAC addresses, masks and IPv6 addresses', () => {
    const rule = firstRule(
      ruleDoc(
        "<ip srcmacaddr='1:2:3:4:5:6' srcmacmask='FF:ff:ff:ff:ff:0' srcipaddr='10.1.2.3' srcipmask='255.255.128.0' dstipaddr='10.1' dstipmask='8'/>",
      ),
    );
    expect(rule.attrs).toEqual({
      srcmacaddr: { value: '01:02:03:04:05:06', negated: false },
      srcmacmask: { value: 'ff:ff:ff:ff:ff:00', negated: false },
      srcipaddr: { value: '10.1.2.3', negated: false },
      srcipmask: { value: '17', negated: false },
      dstipaddr: { value: '10.0.0.1', negated: false },
      dstipmask: { value: '8', negated: false },
    });
    const v6 = firstRule(
      ruleDoc(
        "<tcp-ipv6 srcipaddr='2001:DB8:0:0:0:0:0:1' srcipmask='ffff:ffff::' dstipaddr='::FFFF:10.1.2.3'/>",
      ),
    );
    expect(v6.attrs.srcipaddr?.value).toBe('2001:db8::1');
    expect(v6.attrs.srcipmask?.value).toBe('32');
    expect(v6.attrs.dstipaddr?.value).toBe('::ffff:10.1.2.3');
    // A zone is kept as written (libvirt prints it through the host's interface names).
    expect(
      firstRule(ruleDoc("<tcp-ipv6 srcipaddr='FE80:0::1%eth0'/>")).attrs.srcipaddr?.value,
    ).toBe('fe80::1%eth0');
    expect(parseFilterXml(ruleDoc("<tcp-ipv6 srcipaddr='fe80::1%'/>")).doc).toBeNull();
  });

  it('keeps hex numbers in hex and decimal ones in decimal', () => {
    const rule = firstRule(ruleDoc("<udp srcportstart='0X1F' srcportend='31' dscp='0x0a'/>"));
    expect(rule.attrs.srcportstart?.value).toBe('0x1f');
    expect(rule.attrs.srcportend?.value).toBe('31');
    expect(rule.attrs.dscp?.value).toBe('0xa');
    expect(firstRule(ruleDoc("<stp type='ff' root-cost='4294967295'/>")).attrs).toMatchObject({
      type: { value: '0xff' },
      'root-cost': { value: '4294967295' },
    });
  });

  it('names protocols, opcodes and ethertypes as libvirt prints them', () => {
    expect(firstRule(ruleDoc("<ip protocol='0x11'/>")).attrs.protocol?.value).toBe('udp');
    expect(firstRule(ruleDoc("<ip protocol='TCP'/>")).attrs.protocol?.value).toBe('tcp');
    expect(firstRule(ruleDoc("<ip protocol='0x12'/>")).attrs.protocol?.value).toBe('0x12');
    expect(firstRule(ruleDoc("<arp opcode='2'/>")).attrs.opcode?.value).toBe('Reply');
    expect(firstRule(ruleDoc("<arp opcode='0x10'/>")).attrs.opcode?.value).toBe('16');
    expect(firstRule(ruleDoc("<mac protocolid='2048'/>")).attrs.protocolid?.value).toBe('ipv4');
    expect(firstRule(ruleDoc("<mac protocolid='0x1234'/>")).attrs.protocolid?.value).toBe('0x1234');
    expect(firstRule(ruleDoc("<vlan encap-protocol='ARP'/>")).attrs['encap-protocol']?.value).toBe(
      'arp',
    );
  });

  it('normalizes state, tcp flags, ipset flags and booleans', () => {
    expect(
      firstRule(ruleDoc("<tcp state='related,new' flags='syn,ack/ALL'/>")).attrs,
    ).toMatchObject({
      state: { value: 'NEW,RELATED' },
      flags: { value: 'SYN,ACK/ALL' },
    });
    expect(firstRule(ruleDoc("<tcp state='NEW,NONE' flags='PSH/'/>")).attrs).toMatchObject({
      state: { value: 'NONE' },
      flags: { value: 'PSH/NONE' },
    });
    expect(
      firstRule(ruleDoc("<all ipset='x' ipsetflags='SRC,dSt'/>")).attrs.ipsetflags?.value,
    ).toBe('src,dst');
    expect(firstRule(ruleDoc("<arp gratuitous='yes'/>")).attrs.gratuitous?.value).toBe('true');
    expect(firstRule(ruleDoc("<arp gratuitous='on'/>")).attrs.gratuitous?.value).toBe('false');
  });

  it("reads statematch='0' as false and defaults priority to 500", () => {
    const rule = firstRule(ruleDoc('<all/>', "action='accept' direction='in' statematch='0'"));
    expect(rule).toMatchObject({ statematch: false, priority: 500 });
    expect(
      firstRule(
        ruleDoc('<all/>', "action='accept' direction='in' statematch='FALSE' priority='-1000'"),
      ),
    ).toMatchObject({ statematch: false, priority: -1000 });
  });

  it('ignores an out-of-range rule priority as libvirt does, with a warning', () => {
    const r = parseFilterXml(ruleDoc('<all/>', "action='accept' direction='in' priority='1001'"));
    expect(r.doc?.entries[0]).toMatchObject({ rule: { priority: 500 } });
    expect(only(r.diagnostics, 'NWF034')).toMatchObject({
      severity: 'warning',
      line: 2,
      column: 50,
    });
  });

  it('reads variables and prints them as libvirt does', () => {
    const rule = firstRule(
      ruleDoc("<tcp srcipaddr='$A[ @0 ] ' dstipaddr='$B[ 3]' srcportstart='$P[@2]' comment='$C'/>"),
    );
    expect(rule.attrs).toMatchObject({
      srcipaddr: { value: '$A' },
      dstipaddr: { value: '$B[3]' },
      srcportstart: { value: '$P[@2]' },
      comment: { value: '$C' },
    });
    expect(
      only(parseFilterXml(ruleDoc("<tcp srcipaddr='$A[@1001]'/>")).diagnostics, 'NWF043').message,
    ).toMatch(/1000/);
    expect(
      only(parseFilterXml(ruleDoc("<tcp srcipaddr='$A-B'/>")).diagnostics, 'NWF043').severity,
    ).toBe('error');
  });

  it('decodes entities and normalizes whitespace in attribute values as libxml2 does', () => {
    const rule = firstRule(
      ruleDoc("<tcp comment='a&#9;b\tc\r\nd &lt;&gt;&amp;&apos;&quot; e>f'/>"),
    );
    expect(rule.attrs.comment?.value).toBe('a\tb c d <>&\'" e>f');
  });

  it('truncates comments to 256 bytes with a warning', () => {
    const r = parseFilterXml(ruleDoc(`<all comment='${'é'.repeat(200)}'/>`));
    const value =
      r.doc?.entries[0]?.kind === 'rule' ? r.doc.entries[0].rule.attrs.comment?.value : undefined;
    expect(value).toBe('é'.repeat(128));
    expect(only(r.diagnostics, 'NWF045').severity).toBe('warning');
  });

  it('reads the chain, its default priority and the uuid', () => {
    const doc = (attrs: string, inner = '') =>
      parseFilterXml(`<filter ${attrs}>${inner}</filter>`).doc;
    expect(doc("name='a'")).toMatchObject({ chain: 'root', chainPriority: 0, uuid: null });
    expect(doc("name='a' chain='ipv4-xyz'")).toMatchObject({
      chain: 'ipv4-xyz',
      chainPriority: -700,
    });
    expect(doc("name='a' chain='mac'")?.chainPriority).toBe(-800);
    expect(doc("name='a' chain='stp-x'")?.chainPriority).toBe(0);
    expect(doc("name='a' chain='arp' priority='-1'")?.chainPriority).toBe(-1);
    expect(doc("name='a'", '<uuid> 5C6D49AF-b071-6127-b4ec-6f8ed4b55335 </uuid>')?.uuid).toBe(
      '5c6d49af-b071-6127-b4ec-6f8ed4b55335',
    );
  });

  it('rejects bad chains, chain priorities and uuids', () => {
    const diags = (attrs: string, inner = '') =>
      parseFilterXml(`<filter ${attrs}>${inner}</filter>`).diagnostics;
    expect(diags("name='a' chain='rooty'")[0]).toMatchObject({
      code: 'NWF011',
      line: 1,
      column: 25,
    });
    expect(diags("name='a' chain='ipv4-toolongname'")[0]?.code).toBe('NWF011');
    expect(diags("name='a' chain='tcp'")[0]?.message).toMatch(
      /mac, vlan, stp, arp, rarp, ipv4 or ipv6/,
    );
    expect(diags("name='a' chain='ipv4' priority='1001'")[0]?.code).toBe('NWF012');
    expect(diags("name='a' chain='ipv4' priority='x'")[0]?.code).toBe('NWF012');
    expect(diags("name='a'", '<uuid>1234</uuid>')[0]?.code).toBe('NWF013');
    // libvirt drops a priority given without a chain.
    expect(diags("name='a' priority='-300'")[0]).toMatchObject({
      code: 'NWF014',
      severity: 'warning',
    });
  });

  it('sorts and groups filterref parameters, dropping invalid ones with a warning', () => {
    const r = parseFilterXml(
      "<filter name='a'><filterref filter='b'><parameter name='Z' value='1'/><parameter name='A' value='2'/><parameter name='Z' value='3'/><parameter name='bad-name' value='x'/><parameter name='E' value=''/></filterref></filter>",
    );
    expect(r.doc?.entries[0]).toEqual({
      kind: 'filterref',
      ref: {
        filter: 'b',
        params: [
          { name: 'A', value: '2' },
          { name: 'Z', value: '1' },
          { name: 'Z', value: '3' },
        ],
      },
    });
    expect(r.diagnostics.filter((d) => d.code === 'NWF061')).toHaveLength(2);
  });
});

describe('parseFilterXml libvirt quirks', () => {
  it('copies the negation of srcportstart onto dstportstart, even when srcportstart is absent', () => {
    const r = parseFilterXml(ruleDoc("<tcp match='no' dstportstart='22' srcipaddr='1.2.3.4'/>"));
    const rule = r.doc?.entries[0]?.kind === 'rule' ? r.doc.entries[0].rule : null;
    expect(rule?.attrs).toEqual({
      srcipaddr: { value: '1.2.3.4', negated: true },
      dstportstart: { value: '22', negated: false },
    });
    expect(only(r.diagnostics, 'NWF048')).toMatchObject({
      severity: 'warning',
      line: 3,
      column: 35,
    });
    expect(
      serializeFilterXml(
        r.doc ?? { name: '', chain: 'root', chainPriority: 0, uuid: null, entries: [] },
      ),
    ).toContain("<tcp dstportstart='22'/>\n    <tcp match='no' srcipaddr='1.2.3.4'/>");
  });

  it('applies the ipset fix-up: ipset alone gets src, ipset with flags is dropped except on <all>', () => {
    expect(firstRule(ruleDoc("<tcp ipset='s'/>")).attrs).toEqual({
      ipset: { value: 's', negated: false },
      ipsetflags: { value: 'src', negated: false },
    });
    const r = parseFilterXml(ruleDoc("<udp ipset='s' ipsetflags='dst'/>"));
    expect(r.doc?.entries[0]).toMatchObject({ rule: { attrs: {} } });
    expect(r.diagnostics.filter((d) => d.code === 'NWF046')).toHaveLength(2);
    expect(firstRule(ruleDoc("<all ipset='s' ipsetflags='dst'/>")).attrs.ipsetflags?.value).toBe(
      'dst',
    );
  });

  it('ignores a second, different protocol element with a warning', () => {
    const r = parseFilterXml(ruleDoc("<tcp dstportstart='1'/><udp dstportstart='2'/>"));
    expect(r.doc?.entries[0]).toMatchObject({
      rule: { protocol: 'tcp', attrs: { dstportstart: { value: '1' } } },
    });
    expect(only(r.diagnostics, 'NWF023').severity).toBe('warning');
  });

  it('requires tcp, udp, dccp or sctp for ports on <ip>', () => {
    expect(
      only(parseFilterXml(ruleDoc("<ip dstportstart='22'/>")).diagnostics, 'NWF044'),
    ).toMatchObject({ severity: 'error', line: 3, column: 23 });
    expect(parseFilterXml(ruleDoc("<ip protocol='icmp' dstportstart='22'/>")).doc).toBeNull();
    expect(parseFilterXml(ruleDoc("<ip protocol='33' dstportstart='22'/>")).doc).not.toBeNull();
    expect(parseFilterXml(ruleDoc("<ipv6 protocol='$P' dstportstart='22'/>")).doc).toBeNull();
  });

  it('keeps the dstipto of -ipv6 elements an IPv4 address, as libvirt declares it', () => {
    expect(firstRule(ruleDoc("<all-ipv6 dstipto='10.0.0.1'/>")).attrs.dstipto?.value).toBe(
      '10.0.0.1',
    );
    expect(parseFilterXml(ruleDoc("<all-ipv6 dstipto='::1'/>")).doc).toBeNull();
  });
});
