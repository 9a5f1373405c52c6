/**
 * The proof that the no-trace walk (`detail: false`: per-chain dispatch index, only the
 * predicates the index has not decided) is the traced linear walk minus its visit lists: two
 * hosts run the same frames in lockstep, one with traces and one without, and after every frame
 * the verdict, deciding rule, notes, per-rule counters, conntrack table and expectations must be
 * identical. Filters: random rule sets (port-heavy, with connlimit, negations, clean-traffic),
 * libvirt's xml2firewall corpus, the kernel test bed's filters and the benchmark's filters.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSimFilterXml } from '../../../bench/make-filter-xml';
import { TraceGenerator } from '../../../bench/make-trace';
import type { Ruleset } from '../compile/ebiptables/ir';
import { compileFilter } from '../compile/compile-filter';
import { HARNESS_PARAMS, corpusDir } from '../compile/testing/libvirt-harness';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { ruleXmlArb } from '../lint/testing/probe-arbitraries';
import type { FilterDoc } from '../model/types';
import { DEFAULT_HOSTS, SCENARIOS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { BridgeHost } from './bridge-host';
import type { HostSettings, PacketTrace, Side } from './bridge-host';
import type { EthernetFrame, L4Packet } from './packet';
import {
  buildAh,
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpv6Echo,
  buildIpv4,
  buildIpv6,
  buildSctp,
  buildTcp,
  buildUdp,
  sctpInitChunk,
} from './packet-build';

interface Feed {
  frame: EthernetFrame;
  side: Side;
  t: number;
  toHost?: boolean;
}

const VM = DEFAULT_HOSTS.vm;
const builtin = (name: string) => getBuiltinFilter(name)?.doc;

function mustParse(xml: string): FilterDoc {
  const r = parseFilterXml(xml);
  if (!r.doc) throw new Error(`does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.doc;
}

function compileDoc(
  doc: FilterDoc,
  params: Record<string, string[]> = { IP: [VM.ip] },
  lookupDocs: FilterDoc[] = [doc],
): Ruleset | null {
  const res = compileFilter(createWorkspaceLookup(lookupDocs, builtin), doc.name, {
    iface: 'vnet0',
    mac: VM.mac,
    params,
  });
  return res.ruleset;
}

/** What a caller can see of a trace, minus what only the traced mode builds (hooks, summary). */
function outcome(t: PacketTrace) {
  return {
    i: t.i,
    t: t.t,
    side: t.side,
    path: t.path,
    verdict: t.verdict,
    rule: t.rule,
    provenance: t.provenance,
    error: t.error,
    ctstate: t.ctstate,
    ctdir: t.ctdir,
    notes: t.notes,
    hostCopy: t.hostCopy,
  };
}

/**
 * Runs `feed` through a traced and an untraced host in lockstep and throws at the first frame
 * where anything observable differs. Returns the number of frames compared.
 */
function lockstep(
  ruleset: Ruleset,
  feed: Iterable<Feed>,
  settings: HostSettings = {},
  stateEvery = 1,
): number {
  const traced = new BridgeHost(ruleset, settings);
  const fast = new BridgeHost(ruleset, settings);
  let n = 0;
  let last = 0;
  for (const f of feed) {
    // Each host gets its own copy: nothing may leak between them through a shared frame.
    const a = traced.step(structuredClone(f.frame), f.side, f.t, { toHost: f.toHost === true });
    const b = fast.step(structuredClone(f.frame), f.side, f.t, {
      toHost: f.toHost === true,
      detail: false,
    });
    expect(b.hooks).toEqual([]);
    expect(outcome(b), `frame ${n}`).toEqual(outcome(a));
    if (n % stateEvery === 0) {
      expect(fast.counters(), `counters after frame ${n}`).toEqual(traced.counters());
      expect(fast.table(f.t), `conntrack after frame ${n}`).toEqual(traced.table(f.t));
      expect(fast.expectations(f.t), `expectations after frame ${n}`).toEqual(
        traced.expectations(f.t),
      );
    }
    last = f.t;
    n++;
  }
  expect(fast.counters()).toEqual(traced.counters());
  expect(fast.table(last)).toEqual(traced.table(last));
  return n;
}

/** Every named scenario, one after the other (their own hosts), 10 s apart. */
function scenarioFeed(): Feed[] {
  const out: Feed[] = [];
  let t0 = 1000;
  for (const s of SCENARIOS) {
    let end = t0;
    for (const f of s.build(DEFAULT_HOSTS)) {
      end = t0 + f.t;
      out.push({ frame: f.frame, side: f.side, t: end });
    }
    t0 = end + 10;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Random filters and frames. Ports and addresses come from small pools shared by the rules and
// the frames, so rules match, flows recur in both directions (conntrack sees replies) and port
// ranges start and end on the ports frames carry.
// ---------------------------------------------------------------------------------------------

const RULE_PORTS = [0, 20, 21, 22, 23, 53, 80, 443, 1023, 1024, 2000, 40000, 65535];
const PEERS4 = ['10.99.0.3', '10.0.0.1', '10.0.1.1', '192.168.1.1', '10.1.0.1'];
const PEERS6 = ['2001:db8::1', '2001:db8:1::1', 'fe80::1'];

const portRange = (name: 'src' | 'dst') =>
  fc.option(
    fc
      .tuple(
        fc.constantFrom(...RULE_PORTS),
        fc.option(fc.constantFrom(...RULE_PORTS), { nil: undefined }),
      )
      .map(([a, b]) =>
        b === undefined
          ? ` ${name}portstart='${a}'`
          : ` ${name}portstart='${Math.min(a, b)}' ${name}portend='${Math.max(a, b)}'`,
      ),
    { nil: '', freq: 3 },
  );

/** Rules the dispatch index keys on: protocol and port ranges, some negated, some with connlimit or state. */
const portRuleArb = fc
  .tuple(
    fc.constantFrom('accept', 'drop', 'reject', 'return', 'continue', 'accept', 'drop'),
    fc.constantFrom('in', 'out', 'inout'),
    fc.constantFrom(-500, 100, 500, 500, 900),
    fc.constantFrom('tcp', 'udp', 'tcp', 'sctp', 'tcp-ipv6', 'udp-ipv6', 'udplite'),
    portRange('src'),
    portRange('dst'),
    fc.constantFrom('', '', '', " match='no'"),
    fc.constantFrom('', '', '', '', " connlimit-above='1'", " connlimit-above='2'"),
    fc.constantFrom('', '', " state='NEW'", " state='ESTABLISHED'", " state='NEW,ESTABLISHED'"),
  )
  .map(([a, d, p, proto, sp, dp, neg, cl, st]) => {
    const attrs = `${sp}${dp}${neg && (sp || dp) ? neg : ''}${proto.endsWith('ipv6') || proto === 'udplite' ? '' : cl}${st}`;
    return `<rule action='${a}' direction='${d}' priority='${p}'><${proto}${attrs}/></rule>`;
  });

// The lint pool's non-contiguous MAC mask is rejected by the parser; leave it out so filters compile.
const lintRuleArb = ruleXmlArb.filter((x) => !x.includes("srcmacmask='01:00:00:00:00:00'"));

const filterArb = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof({ arbitrary: portRuleArb, weight: 3 }, { arbitrary: lintRuleArb, weight: 2 }),
      { minLength: 10, maxLength: 36 },
    ),
  )
  .map(
    ([clean, rules]) =>
      `<filter name='rnd' chain='root'>${clean ? "<filterref filter='clean-traffic'/>" : ''}${rules.join('')}</filter>`,
  );

/** A small pool of flows: frames pick one and a direction, so conversations recur. */
const flowArb = fc.record({
  proto: fc.constantFrom('tcp', 'tcp', 'udp', 'icmp', 'sctp', 'tcp6', 'udp6', 'icmp6', 'ah6'),
  peer: fc.nat(PEERS4.length - 1),
  vmPort: fc.oneof(fc.constantFrom(...RULE_PORTS), fc.integer({ min: 1, max: 65535 })),
  peerPort: fc.oneof(fc.constantFrom(...RULE_PORTS), fc.integer({ min: 1, max: 65535 })),
});

const frameArb = fc.record({
  flow: fc.nat(7),
  fromVm: fc.boolean(),
  kind: fc.constantFrom(
    'flow',
    'flow',
    'flow',
    'flow',
    'flow',
    'arp',
    'fragment',
    'vlan',
    'broadcast',
    'tohost',
    'spoofed',
  ),
  flags: fc.constantFrom('S', 'S', 'S.', '.', 'P.', 'F.', 'R'),
  seq: fc.nat(),
  dt: fc.constantFrom(0.001, 0.01, 1, 30),
});

function l4For(proto: string, sport: number, dport: number, flags: string, seq: number): L4Packet {
  if (proto.startsWith('tcp')) return buildTcp({ sport, dport, flags, seq });
  if (proto.startsWith('udp')) return buildUdp({ sport, dport, payload: new Uint8Array(8) });
  if (proto === 'sctp') return buildSctp({ sport, dport, chunks: [sctpInitChunk()] });
  // IPv6 AH: ip6tables' -p sees the next header behind it (ipv6_find_hdr), --sport/--dport see no ports.
  if (proto === 'ah6') return buildAh({ spi: sport, seq: seq % 1000, nextHeader: 6 });
  if (proto === 'icmp6') return buildIcmpv6Echo({ id: sport, seq: 1, reply: flags === 'S.' });
  return buildIcmpEcho({ id: sport, seq: 1, reply: flags === 'S.' });
}

type Flow = { proto: string; peer: number; vmPort: number; peerPort: number };
type FrameSpec = {
  flow: number;
  fromVm: boolean;
  kind: string;
  flags: string;
  seq: number;
  dt: number;
};

function buildFeed(flows: Flow[], frames: FrameSpec[]): Feed[] {
  let t = 100;
  return frames.map((r): Feed => {
    t += r.dt;
    const flow = flows[r.flow % flows.length] as Flow;
    const v6 = flow.proto.endsWith('6');
    const peerMac = '52:54:00:aa:bb:cc';
    const side: Side = r.fromVm ? 'from-vm' : 'to-vm';
    if (r.kind === 'arp') {
      const arp = r.fromVm
        ? buildArp({ op: 1, sha: VM.mac, spa: VM.ip, tpa: PEERS4[flow.peer] as string })
        : buildArp({ op: 2, sha: peerMac, spa: PEERS4[flow.peer] as string, tpa: VM.ip });
      return {
        frame: buildEthernet(
          { src: r.fromVm ? VM.mac : peerMac, dst: r.fromVm ? 'ff:ff:ff:ff:ff:ff' : VM.mac },
          arp,
        ),
        side,
        t,
      };
    }
    const vmIp = r.kind === 'spoofed' ? '10.0.0.2' : VM.ip;
    const [sport, dport] = r.fromVm ? [flow.vmPort, flow.peerPort] : [flow.peerPort, flow.vmPort];
    const l4 = l4For(flow.proto, sport, dport, r.flags, r.seq);
    if (r.kind === 'broadcast' && !v6) {
      // A bridged broadcast: forwarded, and a copy passed up to the host's INPUT chain.
      const dst = flow.peer % 2 === 0 ? '255.255.255.255' : '224.0.0.1';
      const ip = buildIpv4({ src: r.fromVm ? vmIp : (PEERS4[flow.peer] as string), dst }, l4);
      return {
        frame: buildEthernet(
          {
            src: r.fromVm ? VM.mac : peerMac,
            dst: dst === '224.0.0.1' ? '01:00:5e:00:00:01' : 'ff:ff:ff:ff:ff:ff',
          },
          ip,
        ),
        side,
        t,
      };
    }
    const peer6 = PEERS6[flow.peer % PEERS6.length] as string;
    const ip = v6
      ? buildIpv6({ src: r.fromVm ? 'fd00::2' : peer6, dst: r.fromVm ? peer6 : 'fd00::2' }, l4)
      : buildIpv4(
          {
            src: r.fromVm ? vmIp : (PEERS4[flow.peer] as string),
            dst: r.fromVm ? (PEERS4[flow.peer] as string) : vmIp,
          },
          l4,
        );
    if (r.kind === 'fragment' && ip.kind === 'ipv4') {
      // A non-first fragment: no ports for --sport/--dport.
      ip.fragOffset = 185;
      ip.flags = 0;
    }
    const eth = {
      src: r.fromVm ? VM.mac : peerMac,
      dst: r.fromVm ? peerMac : VM.mac,
      ...(r.kind === 'vlan' ? { vlan: { vid: 10 } } : {}),
    };
    return { frame: buildEthernet(eth, ip), side, t, toHost: r.kind === 'tohost' };
  });
}

describe('no-trace walk ≡ traced walk', () => {
  it('random filters and frames: same verdicts, deciders, notes, counters and conntrack state after every frame', () => {
    let compared = 0;
    let skipped = 0;
    fc.assert(
      fc.property(
        filterArb,
        fc.array(flowArb, { minLength: 8, maxLength: 8 }),
        fc.array(frameArb, { minLength: 30, maxLength: 70 }),
        fc.boolean(),
        fc.boolean(),
        (xml, flows, frames, ftpHelper, filterVlanTagged) => {
          const doc = parseFilterXml(xml).doc;
          const ruleset = doc ? compileDoc(doc) : null;
          if (!ruleset) {
            skipped++;
            return;
          }
          compared += lockstep(ruleset, buildFeed(flows, frames), {
            ftpHelper,
            filterVlanTagged,
            peerPort: 'eth0',
          });
        },
      ),
      { numRuns: 80, seed: 81021 },
    );
    // The generators must mostly produce filters that compile, or the property says little.
    expect(skipped).toBeLessThan(8);
    expect(compared).toBeGreaterThan(3000);
  });

  it('random filters under the named scenarios (FTP helper on)', () => {
    const feed = scenarioFeed();
    fc.assert(
      fc.property(filterArb, (xml) => {
        const doc = parseFilterXml(xml).doc;
        const ruleset = doc ? compileDoc(doc) : null;
        if (ruleset) lockstep(ruleset, feed, { ftpHelper: true });
      }),
      { numRuns: 12, seed: 4242 },
    );
  });

  it('libvirt xml2firewall corpus filters (harness variables, an ipset on the host)', () => {
    const dir = path.join(corpusDir(), 'xml2firewall');
    const files = readFileSync(path.join(dir, 'CASES.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t')[1] as string);
    const docs = new Map<string, FilterDoc>();
    const load = (file: string): FilterDoc | undefined => {
      try {
        return parseFilterXml(readFileSync(path.join(dir, file), 'utf8')).doc ?? undefined;
      } catch {
        return undefined;
      }
    };
    const lookup = (name: string) => docs.get(name) ?? load(`${name}.xml`);
    const random = new TraceGenerator(3).nextChunk(250);
    const feed = [
      ...scenarioFeed(),
      ...random.map((f) => ({ ...f, t: f.t - 1_700_000_000 + 5000 })),
    ];
    let filters = 0;
    for (const file of files) {
      const root = load(file);
      if (!root) continue;
      docs.set(root.name, root);
      const res = compileFilter((n) => (n === root.name ? root : lookup(n)), root.name, {
        iface: 'vnet0',
        mac: VM.mac,
        params: { ...HARNESS_PARAMS, IP: [VM.ip] },
      });
      if (!res.ruleset) continue;
      lockstep(
        res.ruleset,
        feed,
        {
          ftpHelper: true,
          ipsets: { tck_test: { type: 'hash:ip', members: ['10.99.0.3', '10.100.0.1'] } },
        },
        7,
      );
      filters++;
    }
    expect(filters).toBeGreaterThan(20);
  });

  it('kernel test bed filters (connlimit, reject, statematch=false)', () => {
    const dir = fileURLToPath(new URL('./testdata', import.meta.url));
    const feed = [
      ...scenarioFeed(),
      ...new TraceGenerator(5).nextChunk(600).map((f) => ({ ...f, t: f.t - 1_700_000_000 + 5000 })),
    ];
    for (const [file, name] of [
      ['test-eth0.xml', 'test-eth0'],
      ['test-misc.xml', 'test-misc'],
    ] as const) {
      const doc = mustParse(readFileSync(path.join(dir, file), 'utf8'));
      expect(doc.name).toBe(name);
      const ruleset = compileDoc(doc);
      if (!ruleset) throw new Error(`${file} does not compile`);
      lockstep(ruleset, feed, { ftpHelper: true, peerPort: 'vclient' });
    }
  });

  it.each([100, 1_000])('the benchmark filter with %i rules under the benchmark trace', (n) => {
    const ruleset = compileDoc(mustParse(makeSimFilterXml(`sim-${n}`, n)));
    if (!ruleset) throw new Error('benchmark filter does not compile');
    const frames = new TraceGenerator(7).nextChunk(n >= 1_000 ? 1_500 : 2_500);
    lockstep(ruleset, frames, { ftpHelper: true }, n >= 1_000 ? 50 : 10);
  });
});

describe('dispatch index', () => {
  it('leaves out the rules of the 1,000-rule benchmark chain a frame cannot match', () => {
    const ruleset = compileDoc(mustParse(makeSimFilterXml('sim-1000', 1_000)));
    if (!ruleset) throw new Error('benchmark filter does not compile');
    const host = new BridgeHost(ruleset);
    const fi = host.prepared.tables.get('iptables/filter')?.chains.get('FI-vnet0');
    if (!fi?.index) throw new Error('FI-vnet0 has no dispatch index');
    // An SSH reply from the VM: only rules without a port test, or whose ranges hold 22 / 40000.
    const ssh = fi.index.candidates(6, 40000, 22);
    expect(ssh.length).toBeGreaterThan(0);
    expect(ssh.length).toBeLessThan(fi.rules.length / 20);
    expect([...ssh]).toEqual([...ssh].sort((a, b) => a - b));
    // Every rule the index leaves out has a protocol or port test the frame fails.
    const kept = new Set(ssh);
    for (const r of fi.rules) {
      if (kept.has(r.index)) continue;
      const c = r.constraint;
      expect(c.always).toBe(false);
      const fails =
        (c.proto >= 0 && c.proto !== 6) ||
        (c.dportLo >= 0 && (40000 < c.dportLo || 40000 > c.dportHi)) ||
        (c.sportLo >= 0 && (22 < c.sportLo || 22 > c.sportHi));
      expect(fails, `rule ${r.index}`).toBe(true);
    }
  });
});
