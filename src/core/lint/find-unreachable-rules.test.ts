import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEbiptables } from '../compile/ebiptables/compile-ebiptables';
import type { IrChain, IrRule, IrTable, Ruleset } from '../compile/ebiptables/ir';
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { findUnreachableRules } from './find-unreachable-rules';
import { lintFilter } from './lint-filter';
import type { ProbePacket, Tri } from './probe-packet';
import { probePacketArb, ruleXmlArb } from './testing/probe-arbitraries';
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
    expect(f).toMatchObject({
      filter: 'f',
      ruleIndex: 1,
      entryIndex: 1,
      related: [{ filter: 'f', ruleIndex: 0, entryIndex: 0 }],
    });
    expect(f?.message).toContain(
      "rule 1 of filter 'f' (drop inout <udp>, priority 500) drops every packet",
    );
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

  it('a rule that matches nothing by itself (flags outside their mask) is reported without blaming an earlier rule', () => {
    // xt_tcpudp: (flags & mask) == comp, never true when comp has bits outside the mask.
    const doc = filter(`
      <rule action='accept' direction='in'><tcp state='NONE' flags='SYN/ALL'/></rule>
      <rule action='accept' direction='in'><tcp state='NONE' flags='SYN/SYN,ACK'/></rule>
      <rule action='accept' direction='in'><tcp state='NONE' flags='SYN,ACK/SYN'/></rule>`);
    const found = lintFilter([doc], 'f').findings.filter((x) => x.code === 'NWF501');
    expect(found.map((f) => [f.ruleIndex, f.related ?? []])).toEqual([
      [0, []],
      [1, []],
    ]);
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
    const sub = filter(
      `<rule action='return' direction='out'><ip/></rule>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.1'/></rule>`,
      "name='sub' chain='ipv4'",
    );
    const root = filter(
      `<filterref filter='sub'/>
      <rule action='drop' direction='out'><ip srcipaddr='10.0.0.2'/></rule>`,
      "name='top'",
    );
    const r = lintFilter([root, sub], 'top').findings.filter((f) => f.code === 'NWF501');
    expect(r.map((f) => [f.filter, f.ruleIndex])).toEqual([['sub', 1]]);
  });

  it('a root-chain drop before the jump covers rules of a protocol sub chain', () => {
    const sub = filter(
      `<rule action='accept' direction='out'><arp opcode='Request'/></rule>`,
      "name='sub' chain='arp' priority='-500'",
    );
    const root = filter(
      `<rule action='drop' direction='out' priority='-900'><mac protocolid='arp'/></rule>
      <filterref filter='sub'/>`,
      "name='top'",
    );
    const r = lintFilter([root, sub], 'top').findings.filter((f) => f.code === 'NWF501');
    expect(r.map((f) => [f.filter, f.ruleIndex])).toEqual([['sub', 0]]);
    // After the jump (higher priority than the chain), the same drop covers nothing in the chain.
    const late = filter(
      `<rule action='drop' direction='out' priority='-100'><mac protocolid='arp'/></rule>
      <filterref filter='sub'/>`,
      "name='top'",
    );
    expect(lintFilter([late, sub], 'top').findings.filter((f) => f.code === 'NWF501')).toEqual([]);
  });

  it('an earlier protocol chain covers a later one only when no RETURN before can hand packets back', () => {
    const v4 = filter(
      `<rule action='accept' direction='out'><ip srcipaddr='10.0.0.1'/></rule>`,
      "name='v4' chain='ipv4'",
    );
    const withReturn = filter(
      `<rule action='return' direction='out'><ip srcipaddr='10.0.0.1'/></rule>
      <rule action='drop' direction='out'><mac protocolid='ipv4'/></rule>`,
      "name='m' chain='mac'",
    );
    const top = filter(`<filterref filter='m'/><filterref filter='v4'/>`, "name='top'");
    expect(
      lintFilter([top, withReturn, v4], 'top').findings.filter((f) => f.code === 'NWF501'),
    ).toEqual([]);
    const noReturn = filter(
      `<rule action='drop' direction='out'><mac protocolid='ipv4'/></rule>`,
      "name='m' chain='mac'",
    );
    const r = lintFilter([top, noReturn, v4], 'top').findings.filter((f) => f.code === 'NWF501');
    expect(r.map((f) => [f.filter, f.ruleIndex, f.related])).toEqual([
      ['v4', 0, [{ filter: 'm', ruleIndex: 0, entryIndex: 0 }]],
    ]);
  });

  it('exact over regions: several earlier rules together cover a later one (redundant)', () => {
    const doc = filter(`
      <rule action='accept' direction='in'><tcp dstportstart='1' dstportend='100'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='101' dstportend='200'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='50' dstportend='150'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='50' dstportend='201'/></rule>`);
    expect(unreachable([doc])).toEqual([2]);
    const f = lintFilter([doc], 'f').findings.find((x) => x.code === 'NWF501');
    expect(f?.related?.map((r) => r.ruleIndex)).toEqual([0, 1]);
    expect(f?.message).toContain('is redundant');
  });

  it('exact over conntrack states: NEW, ESTABLISHED/RELATED and INVALID leave nothing for a later rule', () => {
    const doc = filter(`
      <rule action='accept' direction='in'><all state='NEW'/></rule>
      <rule action='accept' direction='in'><all state='ESTABLISHED,RELATED'/></rule>
      <rule action='drop' direction='in'><all state='INVALID'/></rule>
      <rule action='drop' direction='in'><tcp dstportstart='22' state='NEW,INVALID'/></rule>`);
    expect(unreachable([doc])).toEqual([3]);
    // Without the INVALID rule, INVALID packets still reach it.
    const open = filter(`
      <rule action='accept' direction='in'><all state='NEW'/></rule>
      <rule action='accept' direction='in'><all state='ESTABLISHED,RELATED'/></rule>
      <rule action='drop' direction='in'><tcp dstportstart='22' state='NEW,INVALID'/></rule>`);
    expect(unreachable([open])).toEqual([]);
  });

  it('rate-limit aware: a connlimit drop covers only the connections over its limit', () => {
    const doc = filter(`
      <rule action='drop' direction='in'><tcp dstportstart='22' connlimit-above='1'/></rule>
      <rule action='drop' direction='in'><tcp dstportstart='22' connlimit-above='5'/></rule>
      <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>`);
    // Over 5 connections is over 1: the second drop is dead; one connection still reaches the accept.
    expect(unreachable([doc])).toEqual([1]);
  });

  it('a rule no packet can match is reported with no earlier rule to blame', () => {
    const doc = filter(`
      <rule action='accept' direction='out'><arp hwtype='12' arpsrcmacaddr='52:54:00:00:00:01'/></rule>
      <rule action='accept' direction='out'><arp hwtype='1' arpsrcmacaddr='52:54:00:00:00:01'/></rule>`);
    const found = lintFilter([doc], 'f').findings.filter((x) => x.code === 'NWF501');
    expect(found.map((f) => [f.ruleIndex, f.related ?? []])).toEqual([[0, []]]);
    expect(found[0]?.message).toContain('no packet the host can give it meets all its matches');
  });

  it('two layers: an ebtables accept of IPv4 does not cover the iptables rules after it', () => {
    const doc = filter(`
      <rule action='accept' direction='in' priority='100'><ip/></rule>
      <rule action='drop' direction='in'><tcp dstportstart='22'/></rule>
      <rule action='accept' direction='in'><ip protocol='tcp' dstportstart='22'/></rule>`);
    // The <ip> rules share the ebtables chain: the second is covered; the <tcp> drop is not.
    expect(unreachable([doc])).toEqual([2]);
  });

  it('finds nothing in the built-in filters bound with concrete parameters', () => {
    for (const name of [
      'clean-traffic',
      'allow-dhcp-server',
      'no-ip-spoofing',
      'no-arp-spoofing',
    ]) {
      const r = lintFilter([], name, {
        mac: '52:54:00:11:22:33',
        params: { IP: ['10.0.0.2'], DHCPSERVER: ['10.0.0.1'] },
      });
      expect(
        r.findings.filter((f) => f.code === 'NWF501'),
        name,
      ).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------
// Soundness: for random rule pairs the checker flags, every random packet that
// matches a compiled rule of the later XML rule is decided before reaching it.
// ---------------------------------------------------------------------------

/** Walks a chain the way the kernel does and says whether `target` is evaluated for the packet. */
function reaches(
  table: IrTable,
  chain: IrChain,
  target: IrRule,
  p: ProbePacket,
  depth = 0,
): 'reached' | 'decided' | 'returned' | 'unknown' {
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

/**
 * Compiles the filters, and for each rule the checker flags, walks every given packet that matches
 * one of its compiled rules (with the jump into its chain) through the chains: it must be decided
 * before the rule is reached. Returns how many rules were flagged and packets checked.
 */
function checkSoundness(
  docs: FilterDoc[],
  root: string,
  packets: readonly ProbePacket[],
  context: string,
): { flagged: number; checked: number } {
  let flagged = 0;
  let checked = 0;
  const inst = instantiateFilter(docs, root, { iface: 'vnet0' });
  if (inst.diagnostics.length > 0) return { flagged, checked };
  const { ruleset, diagnostics } = compileEbiptables(inst.rules, 'vnet0');
  if (diagnostics.length > 0) return { flagged, checked };
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
          throw new Error(
            `packet ${JSON.stringify(p)} reaches flagged rule ${u.rule.filter}#${u.rule.ruleIndex} (${r}) in\n${context}`,
          );
        }
      }
    }
  }
  return { flagged, checked };
}

function parseOrNull(xml: string): FilterDoc | null {
  const parsed = parseFilterXml(xml);
  return parsed.doc && !parsed.diagnostics.some((d) => d.severity === 'error') ? parsed.doc : null;
}

describe('NWF501 soundness (property)', () => {
  it('every packet matching a flagged rule is decided before it is reached (one root filter)', () => {
    let flagged = 0;
    let checked = 0;
    fc.assert(
      fc.property(
        fc.array(ruleXmlArb, { minLength: 2, maxLength: 4 }),
        fc.array(probePacketArb, { minLength: 150, maxLength: 150 }),
        (rules, packets) => {
          const doc = parseOrNull(`<filter name='f'>${rules.join('')}</filter>`);
          if (!doc) return;
          const r = checkSoundness([doc], 'f', packets, rules.join('\n'));
          flagged += r.flagged;
          checked += r.checked;
        },
      ),
      { numRuns: 600, seed: 5011 },
    );
    // The property is not vacuous: rules were flagged and packets reached their match sets.
    expect(flagged).toBeGreaterThan(40);
    expect(checked).toBeGreaterThan(500);
  });

  it('the same across protocol chains (root rules around the jump, earlier sub chains)', () => {
    let flagged = 0;
    let checked = 0;
    const chainArb = fc.constantFrom('ipv4', 'arp', 'ipv6', 'mac', 'rarp', 'ipv4-b', 'arp-b');
    const prioArb = fc.constantFrom(
      '',
      " priority='-900'",
      " priority='-600'",
      " priority='-100'",
      " priority='200'",
    );
    fc.assert(
      fc.property(
        fc.array(ruleXmlArb, { minLength: 1, maxLength: 3 }),
        fc.array(
          fc.tuple(chainArb, prioArb, fc.array(ruleXmlArb, { minLength: 1, maxLength: 3 })),
          { minLength: 1, maxLength: 2 },
        ),
        fc.array(probePacketArb, { minLength: 120, maxLength: 120 }),
        (rootRules, subs, packets) => {
          const names = subs.map((_, i) => `sub${i}`);
          const subDocs = subs.map(([chain, prio, rules], i) =>
            parseOrNull(
              `<filter name='${names[i]}' chain='${chain}'${prio}>${rules.join('')}</filter>`,
            ),
          );
          if (subDocs.some((d) => d === null)) return;
          const root = parseOrNull(
            `<filter name='top'>${rootRules.join('')}${names.map((n) => `<filterref filter='${n}'/>`).join('')}</filter>`,
          );
          if (!root) return;
          const context = [
            rootRules.join('\n'),
            ...subs.map(([c, p, r]) => `chain ${c}${p}:\n${r.join('\n')}`),
          ].join('\n');
          const r = checkSoundness([root, ...(subDocs as FilterDoc[])], 'top', packets, context);
          flagged += r.flagged;
          checked += r.checked;
        },
      ),
      { numRuns: 500, seed: 5013 },
    );
    expect(flagged).toBeGreaterThan(40);
    expect(checked).toBeGreaterThan(300);
  });
});

function compiledRulesOf(
  ruleset: Ruleset,
  filterName: string,
  ruleIndex: number,
): { table: IrTable; rule: IrRule }[] {
  const out: { table: IrTable; rule: IrRule }[] = [];
  for (const table of ruleset.tables) {
    for (const c of table.chains) {
      for (const r of c.rules)
        if (r.provenance?.filter === filterName && r.provenance.ruleIndex === ruleIndex)
          out.push({ table, rule: r });
    }
  }
  return out;
}
