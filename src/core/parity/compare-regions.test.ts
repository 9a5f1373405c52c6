import { describe, expect, it } from 'vitest';
import { pointOfFrame } from '../analysis/packet-point';
import { witnessReplay } from '../analysis/analysis-view';
import { cubeContains, cubesOverlap } from '../analysis/space';
import type { AnalysisPath } from '../analysis/analyse-ruleset';
import { analyseRuleset } from '../analysis/analyse-ruleset';
import { cubeText } from '../analysis/describe-region';
import { diffAnalyses } from '../analysis/diff';
import type { AnyRuleset } from '../compile/ir';
import { EXAMPLES } from '../examples/examples';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace } from '../netfilter/bridge-host';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { scenarioRuns } from './compare-behaviour';
import { compareRegions } from './compare-regions';
import { compileBoth } from './testing/compile-both';
import { PARITY_FILTERS } from './testing/parity-filters';

const HOST: HostSettings = { ipsets: { admins: { type: 'hash:ip', members: ['10.1.0.1'] } } };

/** Every scenario's packets through one rule set, as the parity comparison runs them. */
function traces(ruleset: AnyRuleset, run: ReturnType<typeof scenarioRuns>[number]) {
  const host = new BridgeHost(ruleset, run.settings);
  const delivered = new Set<number>();
  const out = new Map<number, PacketTrace>();
  run.frames.forEach((f, i) => {
    if (f.requires && !f.requires.every((r) => delivered.has(r))) return;
    const t = host.step(f.frame, f.side, f.t, { toHost: f.toHost === true });
    if (t.verdict === 'accept') delivered.add(i);
    out.set(i, t);
  });
  return out;
}

const FILTERS: [string, string][] = [
  ['rej', PARITY_FILTERS.rej],
  ['web', PARITY_FILTERS.web],
  ['ftp-server', EXAMPLES.find((e) => e.id === 'ftp-server')?.xml ?? ''],
  ...EXAMPLES.filter((e) => e.id !== 'ftp-server')
    .slice(0, 6)
    .map((e): [string, string] => [e.id, e.xml]),
];

describe('compareRegions: ebiptables against nftables over all packets', () => {
  const totals = { checked: 0, replayed: 0 };
  it.each(FILTERS)(
    '%s: every scenario packet whose verdict differs lies in a reported region with both verdicts',
    (_name, xml) => {
      const { eb, nft } = compileBoth(xml);
      const cmp = compareRegions(eb, nft, HOST);
      if (!cmp.available) throw new Error(cmp.reason);
      // The regions compareRegions words, with their cubes.
      const diff = diffAnalyses(analyseRuleset(eb, HOST), analyseRuleset(nft, HOST));
      expect(cmp.regions.map((r) => r.region)).toEqual(diff.map((d) => cubeText(d.cube)));
      // Disjoint: no packet has two answers (merging the walk's pieces keeps the union exact).
      diff.forEach((d, i) =>
        diff.slice(i + 1).forEach((e) => {
          if (d.path === e.path) expect(cubesOverlap(d.cube, e.cube), d.path).toBe(false);
        }),
      );
      let checked = 0;
      for (const run of scenarioRuns(DEFAULT_HOSTS, HOST)) {
        const a = traces(eb, run);
        const b = traces(nft, run);
        run.frames.forEach((f, i) => {
          const x = a.get(i);
          const y = b.get(i);
          if (!x || !y || x.verdict === y.verdict) return;
          if (x.error || y.error) return;
          // A point needs one conntrack view; a side that does not track the packet's family
          // judges it whatever its state. connlimit counts differently on each side: leave out.
          if (x.ctstate !== null && y.ctstate !== null && x.ctstate !== y.ctstate) return;
          if (/connlimit/.test(xml)) return;
          const ct = x.ctstate !== null ? x : y;
          const point = pointOfFrame(f.frame, { state: ct.ctstate, dir: ct.ctdir });
          const path: AnalysisPath = f.toHost ? 'to-host' : f.side;
          const region = diff.find((r) => r.path === path && cubeContains(r.cube, point));
          const where = `${run.name}#${i} ${x.summary}`;
          expect(region, where).toBeDefined();
          expect(region?.before.verdict, where).toBe(x.verdict);
          expect(region?.after.verdict, where).toBe(y.verdict);
          checked++;
        });
      }
      // Each witness a single packet can show replays with both claimed verdicts.
      let replayed = 0;
      for (const r of cmp.regions) {
        const w = witnessReplay(r.path, r.point);
        if (typeof w === 'string') continue;
        const run = (rs: AnyRuleset) =>
          new BridgeHost(rs, HOST).step(structuredClone(w.frame), w.side, 1, {
            toHost: w.toHost,
          });
        const x = run(eb);
        const y = run(nft);
        const want = r.witness.ctstate ?? 'INVALID';
        if ((x.ctstate ?? want) !== want || (y.ctstate ?? want) !== want) continue;
        expect([x.verdict, y.verdict], `${r.path} ${r.region}`).toEqual([
          r.before.verdict,
          r.after.verdict,
        ]);
        expect(x.verdict).not.toBe(y.verdict);
        replayed++;
      }
      totals.checked += checked;
      totals.replayed += replayed;
    },
  );

  it('checked scenario packets and replayed witnesses of those filters', () => {
    // rej 42 + 5, web 41 + 2, ftp-server 2 + 1 when written.
    expect(totals.checked).toBeGreaterThan(60);
    expect(totals.replayed).toBeGreaterThan(5);
  });
});

describe('compareRegions in a view', () => {
  it('leaves rule sets with more regions than the view compares to the command line', () => {
    const { eb, nft } = compileBoth(PARITY_FILTERS.rej);
    const all = compareRegions(eb, nft, HOST);
    expect(all.available).toBe(true);
    const capped = compareRegions(eb, nft, HOST, 10);
    expect(capped).toEqual({
      available: false,
      reason: expect.stringMatching(
        /^the rule sets have up to \d+ regions, more than this view compares \(10\); `nwfilter-studio diff FILE FILE --against-backend ebiptables --backend nftables` lists them$/,
      ),
    });
  });
});

describe('compareRegions on clean-traffic: the ARP and RARP fields', () => {
  it('every region is an ARP or RARP one, and each witness replays with both verdicts', () => {
    const { eb, nft } = compileBoth(`<filter name='ct'><filterref filter='clean-traffic'/>
      <rule action='accept' direction='out'><tcp dstportstart='22'/></rule>
      <rule action='drop' direction='inout'><all/></rule></filter>`);
    const cmp = compareRegions(eb, nft, HOST);
    if (!cmp.available) throw new Error(cmp.reason);
    expect(cmp.regions.length).toBeGreaterThan(0);
    for (const r of cmp.regions) {
      // ebtables' ARP matches read the addresses only with Ethernet/IPv4 lengths; nft reads
      // them at their offsets whatever the lengths say.
      expect(r.region).toMatch(/^eth=(arp|rarp) /);
      const w = witnessReplay(r.path, r.point);
      if (typeof w === 'string') throw new Error(`${r.region}: ${w}`);
      const run = (rs: AnyRuleset) =>
        new BridgeHost(rs, HOST).step(structuredClone(w.frame), w.side, 1, { toHost: w.toHost });
      expect([run(eb).verdict, run(nft).verdict], r.region).toEqual([
        r.before.verdict,
        r.after.verdict,
      ]);
    }
  });
});
