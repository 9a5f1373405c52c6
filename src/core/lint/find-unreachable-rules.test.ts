import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEbiptables } from '../compile/compile-ebiptables';
import type { IrChain, IrRule, IrTable, Ruleset } from '../compile/ir';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { findUnreachableRules } from './find-unreachable-rules';
import { lintFilter } from './lint-filter';
import type { ProbePacket, Tri } from './probe-packet';
import { evaluateMatches } from './probe-packet';

function parse(xml: string): FilterDoc {
  const r = parseFilterXml(xml);
  if (!r.doc) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.doc;
}

function filter(rules: string, attrs = "name='f'"): FilterDoc {
  return parse(`<filter ${attrs}>\n${rules}\n</filter>`);
}

/** Rule indexes (0-based) NWF501 reports in filter 'f'. */
function unreachable(docs: FilterDoc[], params: Record<string, string[]> = {}): number[] {
  const r = lintFilter(docs, docs[0]?.name ?? 'f', { params });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.findings.filter((f) => f.code === 'NWF501').map((f) => f.ruleIndex as number);
}

describe('NWF501 unreachable rules', () => {
  it('flags a rule whose match set an earlier accept contains (mask, subset address)', () => {
    const doc = filter(`
      <rule action='accept' direction='in'><tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='22'/></rule>
      <rule action='accept' direction='in'><tcp srcipaddr='10.1.2.3' dstportstart='22'/></rule>
      <rule action='accept' direction='in'><tcp srcipaddr='11.1.2.3' dstportstart='22'/></rule>`);
    expect(unreachable([doc])).toEqual([1]);
  });

  it('links the finding to the earlier rule and explains the order', () => {
    const doc = filter(`
      <rule action='drop' direction='inout'><udp/></rule>
      <rule action='accept' direction='out'><udp dstportstart='53'/></rule>`);
    const f = lintFilter([doc], 'f').findings.find((x) => x.code === 'NWF501');
    expect(f).toMatchObject({ filter: 'f', ruleIndex: 1, entryIndex: 1, related: [{ filter: 'f', ruleIndex: 0, entryIndex: 0 }] });
    expect(f?.message).toContain("rule 1 of filter 'f' (drop inout <udp>, priority 500) drops every packet");
  });

  it('does not flag when the earlier rule is narrower (port range, mask)', () => {
    const doc = filter(`
      <rule action='accept' direction='in'><tcp dstportstart='20' dstportend='22'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='1' dstportend='1024'/></rule>
      <rule action='drop' direction='in'><tcp srcipaddr='10.0.0.0' srcipmask='24'/></rule>
      <rule action='drop' direction='in'><tcp srcipaddr='10.0.0.0' srcipmask='16'/></rule>`);
    expect(unreachable([doc])).toEqual([]);
  });

  it('handles negation: an earlier excluded address covers a disjoint one', () => {
    const doc = filter(`
      <rule action='drop' direction='out'><tcp srcipaddr='10.0.0.0' srcipmask='8' match='no'/></rule>
      <rule action='accept' direction='out'><tcp srcipaddr='192.168.1.1'/></rule>
      <rule action='accept' direction='out'><tcp srcipaddr='10.9.9.9'/></rule>`);
    expect(unreachable([doc])).toEqual([1]);
  });

  it('uses priorities, not document order', () => {
    const doc = filter(`
      <rule action='accept' direction='in' priority='500'><tcp dstportstart='80'/></rule>
      <rule action='drop' direction='in' priority='100'><tcp/></rule>`);
    expect(unreachable([doc])).toEqual([0]);
  });

  it('needs every direction covered: an in accept does not shadow an inout rule, an inout drop shadows an in rule', () => {
    const a = filter(`
      <rule action='accept' direction='in'><udp/></rule>
      <rule action='accept' direction='inout'><udp dstportstart='53'/></rule>`);
    expect(unreachable([a])).toEqual([]);
    const b = filter(`
      <rule action='drop' direction='inout'><udp/></rule>
      <rule action='accept' direction='in'><udp dstportstart='53'/></rule>`);
    expect(unreachable([b])).toEqual([1]);
  });

  it('no false alarm on state: a NEW-only accept does not shadow the default NEW,ESTABLISHED rule', () => {
    const doc = filter(`
      <rule action='accept' direction='in'><tcp dstportstart='22' state='NEW'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`);
    expect(unreachable([doc])).toEqual([]);
  });

  it("statematch='false' on the earlier rule covers every state; on the later rule it does not get covered by a stateful one", () => {
    const a = filter(`
      <rule action='accept' direction='in' statematch='false'><tcp dstportstart='22'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`);
    expect(unreachable([a])).toEqual([1]);
    const b = filter(`
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
      <rule action='accept' direction='in' statematch='false'><tcp dstportstart='22'/></rule>`);
    expect(unreachable([b])).toEqual([]);
  });

  it('no false alarm on flags, connlimit or ipset in the earlier rule', () => {
    const doc = filter(`
      <rule action='drop' direction='in'><tcp flags='SYN/SYN'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
      <rule action='drop' direction='out'><tcp connlimit-above='2'/></rule>
      <rule action='accept' direction='out'><tcp dstportstart='80'/></rule>
      <rule action='drop' direction='in'><all ipset='blocked' ipsetflags='src'/></rule>
      <rule action='accept' direction='in'><udp dstportstart='53'/></rule>`);
    expect(unreachable([doc])).toEqual([]);
  });

  it("libvirt installs a drop without state match in every chain, so an 'in' drop also covers an inout rule", () => {
    const doc = filter(`
      <rule action='drop' direction='in'><udp/></rule>
      <rule action='accept' direction='inout'><udp dstportstart='53'/></rule>`);
    expect(unreachable([doc])).toEqual([1]);
  });

  it('identical flags do cover', () => {
    const doc = filter(`
      <rule action='drop' direction='in'><tcp flags='SYN/SYN'/></rule>
      <rule action='drop' direction='in'><tcp flags='SYN/SYN' dstportstart='22'/></rule>`);
    expect(unreachable([doc])).toEqual([1]);
  });

  it('treats unbound variables as unknown, and bound ones by their value', () => {
    const doc = filter(`
      <rule action='drop' direction='out'><tcp srcipaddr='$IP'/></rule>
      <rule action='accept' direction='out'><tcp srcipaddr='10.0.0.5' dstportstart='80'/></rule>`);
    expect(unreachable([doc])).toEqual([]);
    expect(unreachable([doc], { IP: ['10.0.0.5'] })).toEqual([1]);
    expect(unreachable([doc], { IP: ['10.0.0.6'] })).toEqual([]);
    // A list: only the instance with 10.0.0.5 covers; the rule is dead because one earlier instance covers it.
    expect(unreachable([doc], { IP: ['10.0.0.6', '10.0.0.5'] })).toEqual([1]);
  });

  it('does not treat continue as deciding, and a sub-chain return only ends its own chain', () => {
    const a = filter(`
      <rule action='continue' direction='in'><tcp/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`);
    expect(unreachable([a])).toEqual([]);
    const sub = filter(`<rule action='return' direction='out'><ip/></rule>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.1'/></rule>`, "name='sub' chain='ipv4'");
    const root = filter(`<filterref filter='sub'/>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.2'/></rule>`, "name='top'");
    const r = lintFilter([root, sub], 'top').findings.filter((f) => f.code === 'NWF501');
    expect(r.map((f) => [f.filter, f.ruleIndex])).toEqual([['sub', 1]]);
  });

  it('a root-chain drop before the jump covers rules of a protocol sub chain', () => {
    const sub = filter(`<rule action='accept' direction='out'><arp opcode='Request'/></rule>`, "name='sub' chain='arp' priority='-500'");
    const root = filter(`<rule action='drop' direction='out' priority='-900'><mac protocolid='arp'/></rule>
      <filterref filter='sub'/>`, "name='top'");
    const r = lintFilter([root, sub], 'top').findings.filter((f) => f.code === 'NWF501');
    expect(r.map((f) => [f.filter, f.ruleIndex])).toEqual([['sub', 0]]);
    // After the jump (higher priority than the chain), the same drop covers nothing in the chain.
    const late = filter(`<rule action='drop' direction='out' priority='-100'><mac protocolid='arp'/></rule>
      <filterref filter='sub'/>`, "name='top'");
    expect(lintFilter([late, sub], 'top').findings.filter((f) => f.code === 'NWF501')).toEqual([]);
  });

  it('finds nothing in the built-in filters bound with concrete parameters', () => {
    for (const name of ['clean-traffic', 'allow-dhcp-server', 'no-ip-spoofing', 'no-arp-spoofing']) {
      const r = lintFilter([], name, { mac: '52:54:00:11:22:33', params: { IP: ['10.0.0.2'], DHCPSERVER: ['10.0.0.1'] } });
      expect(r.findings.filter((f) => f.code === 'NWF501'), name).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------
// Soundness: for random rule pairs the checker flags, every random packet that
// matches a compiled rule of the later XML rule is decided before reaching it.
// ---------------------------------------------------------------------------

const IP4 = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.1.0.1', '192.168.1.1', '0.0.0.0'];
const IP6 = ['2001:db8::1', '2001:db8::2', '2001:db8:1::1', 'fe80::1'];
const MACS = ['52:54:00:11:22:33', '52:54:00:11:22:34', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01'];
const PORTS = [0, 22, 53, 80, 1023, 1024, 65535];

const neg = fc.constantFrom('', '', '', " match='no'");
const portAttrs = (name: 'src' | 'dst') =>
  fc.option(
    fc.tuple(fc.constantFrom(...PORTS), fc.option(fc.constantFrom(...PORTS), { nil: undefined })).map(([a, b]) =>
      b === undefined ? `${name}portstart='${a}'` : `${name}portstart='${Math.min(a, b)}' ${name}portend='${Math.max(a, b)}'`,
    ),
    { nil: '', freq: 2 },
  );
const ipAttrs = (pool: string[], name: 'src' | 'dst', masks: number[]) =>
  fc.option(
    fc.tuple(fc.constantFrom(...pool), fc.option(fc.constantFrom(...masks), { nil: undefined })).map(([a, m]) =>
      m === undefined ? `${name}ipaddr='${a}'` : `${name}ipaddr='${a}' ${name}ipmask='${m}'`,
    ),
    { nil: '', freq: 2 },
  );

const protoElement = fc.oneof(
  fc
    .tuple(fc.constantFrom('tcp', 'udp'), ipAttrs(IP4, 'src', [8, 16, 24, 32]), ipAttrs(IP4, 'dst', [16, 24]), portAttrs('src'), portAttrs('dst'), neg)
    .map(([p, a, b, c, d, n]) => `<${p} ${a} ${b} ${c} ${d}${n && (a || b || c || d) ? n : ''}/>`),
  fc.tuple(fc.constantFrom('', "flags='SYN/SYN'", "flags='SYN,ACK/SYN'", "flags='ALL/NONE'"), portAttrs('dst')).map(([f, d]) => `<tcp ${f} ${d}/>`),
  fc.tuple(fc.constantFrom('', "type='8'", "type='0'", "type='3' code='1'", "type='255'")).map(([t]) => `<icmp ${t}/>`),
  fc.tuple(ipAttrs(IP4, 'src', [8, 24]), fc.constantFrom('', '', "state='NEW'", "state='ESTABLISHED'", "state='NEW,ESTABLISHED'", "state='RELATED,ESTABLISHED'")).map(([a, s]) => `<all ${a} ${s}/>`),
  fc.tuple(ipAttrs(IP6, 'src', [64, 128]), portAttrs('dst')).map(([a, d]) => `<tcp-ipv6 ${a} ${d}/>`),
  fc
    .tuple(ipAttrs(IP4, 'src', [8, 24, 32]), fc.constantFrom('', "protocol='udp' dstportstart='53'", "protocol='tcp'", "protocol='tcp' dstportstart='22' dstportend='80'", "protocol='icmp'"), neg)
    .map(([a, p, n]) => `<ip ${a} ${p}${n && a ? n : ''}/>`),
  fc
    .tuple(fc.constantFrom(...MACS), fc.constantFrom('', "srcmacmask='ff:ff:ff:00:00:00'", "srcmacmask='01:00:00:00:00:00'"), fc.constantFrom('', "protocolid='ipv4'", "protocolid='arp'", "protocolid='ipv6'"), neg)
    .map(([m, k, p, n]) => `<mac srcmacaddr='${m}' ${k} ${p}${n}/>`),
  fc.tuple(fc.constantFrom('', "opcode='Request'", "opcode='Reply'"), ipAttrs(IP4, 'src', [24, 32]).map((s) => s.replace(/src/g, 'arpsrc'))).map(([o, a]) => `<arp ${o} ${a}/>`),
);

const ruleXml = fc
  .tuple(
    fc.constantFrom('accept', 'drop', 'reject', 'return', 'continue', 'accept', 'drop'),
    fc.constantFrom('in', 'out', 'inout'),
    fc.constantFrom(100, 500, 500, 500, 900),
    fc.constantFrom('', '', '', '', " statematch='false'"),
    protoElement,
  )
  .map(([a, d, p, s, el]) => `<rule action='${a}' direction='${d}' priority='${p}'${s}>${el}</rule>`);

function randomPacket(): fc.Arbitrary<ProbePacket> {
  const ip4 = fc.constantFrom(...IP4, '10.0.0.77', '10.200.0.1', '8.8.8.8');
  const ip6 = fc.constantFrom(...IP6, '2001:db8::99');
  const mac = fc.constantFrom(...MACS, '52:54:00:99:99:99', '01:80:c2:00:00:00');
  const port = fc.oneof(fc.constantFrom(...PORTS, 21, 81, 443), fc.integer({ min: 0, max: 65535 }));
  return fc
    .record({
      kind: fc.constantFrom('ip4', 'ip4', 'ip6', 'arp', 'other'),
      srcMac: mac,
      dstMac: mac,
      src4: ip4,
      dst4: ip4,
      src6: ip6,
      dst6: ip6,
      proto: fc.constantFrom(6, 17, 1, 58, 2),
      sport: port,
      dport: port,
      flags: fc.integer({ min: 0, max: 63 }),
      icmpType: fc.constantFrom(0, 3, 8, 11),
      icmpCode: fc.constantFrom(0, 1, 2),
      state: fc.constantFrom('NEW', 'ESTABLISHED', 'RELATED', 'INVALID') as fc.Arbitrary<'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID'>,
      dir: fc.constantFrom('Original', 'Reply') as fc.Arbitrary<'Original' | 'Reply'>,
      opcode: fc.constantFrom(1, 2),
    })
    .map((r): ProbePacket => {
      const base = { srcMac: r.srcMac, dstMac: r.dstMac, ct: { state: r.state, dir: r.dir } };
      if (r.kind === 'arp') {
        return { ...base, ethertype: 0x0806, arp: { htype: 1, opcode: r.opcode, ptype: 0x0800, ipSrc: r.src4, ipDst: r.dst4, macSrc: r.srcMac, macDst: r.dstMac } };
      }
      if (r.kind === 'other') return { ...base, ethertype: 0x88cc };
      const v6 = r.kind === 'ip6';
      const proto = v6 && r.proto === 1 ? 58 : !v6 && r.proto === 58 ? 1 : r.proto;
      return {
        ...base,
        ethertype: v6 ? 0x86dd : 0x0800,
        ip: {
          family: v6 ? 6 : 4,
          src: v6 ? r.src6 : r.src4,
          dst: v6 ? r.dst6 : r.dst4,
          proto,
          tos: 0,
          ...(proto === 6 || proto === 17 ? { sport: r.sport, dport: r.dport } : {}),
          ...(proto === 6 ? { tcpFlags: r.flags } : {}),
          ...(proto === 1 || proto === 58 ? { icmpType: r.icmpType, icmpCode: r.icmpCode } : {}),
        },
      };
    });
}

/** Walks a chain the way the kernel does and says whether `target` is evaluated for the packet. */
function reaches(table: IrTable, chain: IrChain, target: IrRule, p: ProbePacket, depth = 0): 'reached' | 'decided' | 'returned' | 'unknown' {
  if (depth > 8) return 'unknown';
  for (const rule of chain.rules) {
    if (rule === target) return 'reached';
    const hit: Tri = evaluateMatches(rule.matches, p);
    if (hit === 'unknown') return 'unknown';
    const t = rule.target;
    if (t.kind === 'verdict') {
      if (t.verdict === 'CONTINUE' || !hit) continue;
      return t.verdict === 'RETURN' ? 'returned' : 'decided';
    }
    if (!hit) continue;
    const sub = table.chains.find((c) => c.name === t.chain);
    if (!sub) return 'unknown';
    const r = reaches(table, sub, target, p, depth + 1);
    if (r !== 'returned') return r;
  }
  return 'returned';
}

/** The chain a packet starts in for a compiled rule: the root chain of its direction. */
function entryChain(table: IrTable, rule: IrRule): { chain: IrChain; prefix: IrRule[] } | null {
  const holder = table.chains.find((c) => c.rules.includes(rule));
  if (!holder) return null;
  if (holder.kind === 'iface-root') return { chain: holder, prefix: [] };
  const root = table.chains.find((c) => c.kind === 'iface-root' && c.dir === holder.dir);
  const jump = root?.rules.find((r) => r.target.kind === 'jump' && r.target.chain === holder.name);
  return root && jump ? { chain: root, prefix: [jump] } : null;
}

describe('NWF501 soundness (property)', () => {
  it('every packet matching a flagged rule is decided before it is reached', () => {
    let flagged = 0;
    let checked = 0;
    fc.assert(
      fc.property(fc.array(ruleXml, { minLength: 2, maxLength: 4 }), fc.array(randomPacket(), { minLength: 150, maxLength: 150 }), (rules, packets) => {
        const parsed = parseFilterXml(`<filter name='f'>${rules.join('')}</filter>`);
        if (!parsed.doc || parsed.diagnostics.some((d) => d.severity === 'error')) return;
        const inst = instantiateFilter([parsed.doc], 'f', { iface: 'vnet0' });
        if (inst.diagnostics.length > 0) return;
        const { ruleset, diagnostics } = compileEbiptables(inst.rules, 'vnet0');
        if (diagnostics.length > 0) return;
        for (const u of findUnreachableRules(ruleset)) {
          flagged++;
          for (const { table, rule } of compiledRulesOf(ruleset, u.rule.filter, u.rule.ruleIndex)) {
            const entry = entryChain(table, rule);
            expect(entry).not.toBeNull();
            if (!entry) continue;
            const effective = [...entry.prefix.flatMap((j) => j.matches), ...rule.matches];
            for (const p of packets) {
              if (evaluateMatches(effective, p) !== true) continue;
              checked++;
              const r = reaches(table, entry.chain, rule, p);
              if (r !== 'decided' && r !== 'returned') {
                throw new Error(`packet ${JSON.stringify(p)} reaches flagged rule ${u.rule.ruleIndex} (${r}) in\n${rules.join('\n')}`);
              }
            }
          }
        }
      }),
      { numRuns: 700, seed: 5011 },
    );
    // The property is not vacuous: rules were flagged and packets reached their match sets.
    expect(flagged).toBeGreaterThan(40);
    expect(checked).toBeGreaterThan(500);
  });
});

function compiledRulesOf(ruleset: Ruleset, filterName: string, ruleIndex: number): { table: IrTable; rule: IrRule }[] {
  const out: { table: IrTable; rule: IrRule }[] = [];
  for (const table of ruleset.tables) {
    for (const c of table.chains) {
      for (const r of c.rules) if (r.provenance?.filter === filterName && r.provenance.ruleIndex === ruleIndex) out.push({ table, rule: r });
    }
  }
  return out;
}
