/**
 * The proof that the no-trace walk (`detail: false`: per-chain dispatch index, only the
 * predicates the index has not decided) is the traced linear walk minus its visit lists: two
 * hosts run the same frames in lockstep, one with traces and one without, and after every frame
 * the verdict, deciding rule, notes, per-rule counters, conntrack table and expectations must be
 * identical. Filters: random rule sets (port-heavy, with connlimit, negations, clean-traffic),
 * libvirt's xml2firewall corpus, the kernel test bed's filters and the benchmark's filters —
 * compiled for each backend (ebiptables, and nftables with its own index keys: EtherType in the
 * ethernet table, `meta l4proto` and ports in the inet table).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSimFilterXml } from '../../../bench/make-filter-xml';
import { TraceGenerator } from '../../../bench/make-trace';
import type { AnyRuleset } from '../compile/ir';
import { compileFilter } from '../compile/compile-filter';
import { getBackend } from '../compile/backends';
import type { BackendId } from '../compile/backends';
import { HARNESS_PARAMS, corpusDir } from '../compile/testing/libvirt-harness';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import type { FilterDoc } from '../model/types';
import { DEFAULT_HOSTS, SCENARIOS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { buildEthernet, buildIpv4, buildTcp, buildUdp } from '../packet';
import { BridgeHost } from './bridge-host';
import type { HostSettings, PacketTrace } from './bridge-host';
import type { PreparedChain } from './prepare-ruleset';
import { buildFeed, filterArb, flowArb, frameArb } from './testing/random-traffic';
import type { Feed } from './testing/random-traffic';

const VM = DEFAULT_HOSTS.vm;
const builtin = (name: string) => getBuiltinFilter(name)?.doc;

function mustParse(xml: string): FilterDoc {
  const r = parseFilterXml(xml);
  if (!r.doc) throw new Error(`does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.doc;
}

function compileDoc(
  backend: BackendId,
  doc: FilterDoc,
  params: Record<string, string[]> = { IP: [VM.ip] },
  lookupDocs: FilterDoc[] = [doc],
): AnyRuleset | null {
  const res = compileFilter(
    createWorkspaceLookup(lookupDocs, builtin),
    doc.name,
    { iface: 'vnet0', mac: VM.mac, params },
    getBackend(backend),
  );
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
    site: t.site,
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
  ruleset: AnyRuleset,
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

describe.each(['ebiptables', 'nftables'] as const)(
  'no-trace walk ≡ traced walk (%s)',
  (backend) => {
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
            const ruleset = doc ? compileDoc(backend, doc) : null;
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
          const ruleset = doc ? compileDoc(backend, doc) : null;
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
        const res = compileFilter(
          (n) => (n === root.name ? root : lookup(n)),
          root.name,
          { iface: 'vnet0', mac: VM.mac, params: { ...HARNESS_PARAMS, IP: [VM.ip] } },
          getBackend(backend),
        );
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
        ...new TraceGenerator(5)
          .nextChunk(600)
          .map((f) => ({ ...f, t: f.t - 1_700_000_000 + 5000 })),
      ];
      for (const [file, name] of [
        ['test-eth0.xml', 'test-eth0'],
        ['test-misc.xml', 'test-misc'],
      ] as const) {
        const doc = mustParse(readFileSync(path.join(dir, file), 'utf8'));
        expect(doc.name).toBe(name);
        const ruleset = compileDoc(backend, doc);
        if (!ruleset) throw new Error(`${file} does not compile`);
        lockstep(ruleset, feed, { ftpHelper: true, peerPort: 'vclient' });
      }
    });

    it.each([100, 1_000])('the benchmark filter with %i rules under the benchmark trace', (n) => {
      const ruleset = compileDoc(backend, mustParse(makeSimFilterXml(`sim-${n}`, n)));
      if (!ruleset) throw new Error('benchmark filter does not compile');
      const frames = new TraceGenerator(7).nextChunk(n >= 1_000 ? 1_500 : 2_500);
      lockstep(ruleset, frames, { ftpHelper: true }, n >= 1_000 ? 50 : 10);
    });
  },
);

/** Every rule of `chain` the index left out of `kept` has a protocol or port key the frame fails. */
function expectLeftOutFail(
  chain: PreparedChain,
  kept: Int32Array,
  proto: number,
  dport: number,
  sport: number,
): void {
  const set = new Set(kept);
  for (const r of chain.rules) {
    if (set.has(r.index)) continue;
    const c = r.constraint;
    expect(c.always).toBe(false);
    const fails =
      (c.proto >= 0 && c.proto !== proto) ||
      (c.dportLo >= 0 && (dport < c.dportLo || dport > c.dportHi)) ||
      (c.sportLo >= 0 && (sport < c.sportLo || sport > c.sportHi));
    expect(fails, `rule ${r.index}`).toBe(true);
  }
}

describe('dispatch index', () => {
  it('leaves out the rules of the 1,000-rule benchmark chain a frame cannot match', () => {
    const ruleset = compileDoc('ebiptables', mustParse(makeSimFilterXml('sim-1000', 1_000)));
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
    expectLeftOutFail(fi, ssh, 6, 40000, 22);
  });
});

describe('dispatch index (nftables)', () => {
  const ruleset = compileDoc('nftables', mustParse(makeSimFilterXml('sim-1000', 1_000)));
  if (!ruleset) throw new Error('benchmark filter does not compile');

  it('indexes the ethernet table by EtherType and the inet table by meta l4proto and ports (ICMP: type and code)', () => {
    const host = new BridgeHost(ruleset);
    const inet = host.prepared.tables.get('bridge/libvirt_nwfilter_inet')?.chains.get('vnet0-in');
    if (!inet?.index) throw new Error('vnet0-in has no dispatch index');
    // A TCP segment to port 2000 from 40000: rules without a protocol or port key, or whose
    // protocol is TCP and whose ranges hold the ports.
    const tcp = inet.index.candidates(6, 2000, 40000);
    expect(tcp.length).toBeGreaterThan(0);
    expect(tcp.length).toBeLessThan(inet.rules.length / 3);
    expectLeftOutFail(inet, tcp, 6, 2000, 40000);
    // An echo request (ICMP type 8, code 0): the type and code are its keys.
    const echo = inet.index.candidates(1, 0, 8);
    expect(echo.length).toBeLessThan(inet.rules.length / 3);
    expectLeftOutFail(inet, echo, 1, 0, 8);
    // The index decides `meta l4proto` and the port test: the walk no longer evaluates them.
    const keyed = inet.rules.find((r) => r.constraint.proto === 6 && r.constraint.dportLo >= 0);
    expect(keyed && keyed.fastPreds.length).toBe((keyed?.preds.length ?? 0) - 2);
    const eth = host.prepared.tables.get('bridge/libvirt_nwfilter_ethernet');
    const keys = [...(eth?.chains.values() ?? [])].flatMap((c) => c.rules.map((r) => r.constraint));
    expect(keys.some((k) => k.proto === 0x0806)).toBe(true);
  });

  it("a port test without its rule's protocol key stays a predicate (nft's implicit l4proto dependency)", () => {
    // The driver always writes `meta l4proto` before a port test; without it (here removed by
    // hand) `tcp dport 1000` still means TCP, so the index may prune by the port but not decide it.
    const doc = mustParse(
      `<filter name='ports'>${Array.from(
        { length: 10 },
        (_, i) => `<rule action='drop' direction='in'><tcp dstportstart='${1000 + i}'/></rule>`,
      ).join('')}</filter>`,
    );
    const rs = compileDoc('nftables', doc) as AnyRuleset;
    for (const t of rs.tables)
      for (const c of t.chains)
        for (const r of c.rules)
          r.matches = r.matches.filter(
            (m) => (m as { selector: string }).selector !== 'meta l4proto',
          );
    const frames: Feed[] = [];
    for (let i = 0; i < 10; i++)
      for (const l4 of [
        buildUdp({ sport: 5000, dport: 1000 + i }),
        buildTcp({ sport: 5000, dport: 1000 + i, flags: 0x02 }),
      ])
        frames.push({
          frame: buildEthernet(
            { src: DEFAULT_HOSTS.remote.mac, dst: VM.mac },
            buildIpv4({ src: DEFAULT_HOSTS.remote.ip, dst: VM.ip }, l4),
          ),
          side: 'to-vm',
          t: frames.length,
        });
    expect(lockstep(rs, frames)).toBe(20);
    const fast = new BridgeHost(rs);
    const verdicts = frames.map((f) => fast.step(f.frame, f.side, f.t, { detail: false }).verdict);
    expect(verdicts).toEqual(frames.map((_, i) => (i % 2 === 0 ? 'accept' : 'drop')));
  });
});
