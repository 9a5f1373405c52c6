/**
 * Trust in the analysis: for random filters and random packets, the region the engine puts a
 * packet in has the verdict and the deciding rule the simulator gives that packet — as the first
 * packet of its connection (each packet long after the one before, when all state has expired), and along whole conversations (one host,
 * the packet's conntrack state taken from the simulator) for filters without connlimit, whose
 * count the point would need.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../compile/backends';
import type { Backend } from '../compile/backend';
import { compileFilter } from '../compile/compile-filter';
import type { AnyRuleset as Ruleset } from '../compile/ir';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings, PacketTrace } from '../netfilter/bridge-host';
import { buildFeed, filterArb, flowArb, frameArb } from '../netfilter/testing/random-traffic';
import type { Feed } from '../netfilter/testing/random-traffic';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { analyseRuleset } from './analyse-ruleset';
import type { AnalysisPath, RulesetAnalysis } from './analyse-ruleset';
import { outcomeAt, pointOfFrame } from './packet-point';

const VM = DEFAULT_HOSTS.vm;

function compileXml(xml: string, backend: Backend): Ruleset | null {
  const doc = parseFilterXml(xml).doc;
  if (!doc) return null;
  const res = compileFilter(
    createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc),
    doc.name,
    { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } },
    backend as Backend<unknown, Ruleset>,
  );
  return res.ruleset;
}

function pathOf(f: Feed): AnalysisPath {
  return f.toHost === true && f.side === 'from-vm' ? 'to-host' : f.side;
}

/** The engine's answer for a packet the simulator traced, and what the simulator said. */
function compare(analysis: RulesetAnalysis, f: Feed, trace: PacketTrace, conns?: number) {
  const point = pointOfFrame(f.frame, {
    state: trace.ctstate,
    dir: trace.ctdir,
    ...(conns === undefined ? {} : { conns }),
  });
  const o = outcomeAt(analysis.paths[pathOf(f)], point);
  return {
    engine: o ? { verdict: o.verdict, rule: o.rule } : null,
    simulator: { verdict: trace.verdict, rule: trace.rule },
  };
}

describe.each(BACKENDS.map((b) => [b.id, b as Backend] as const))(
  'analysis ≡ simulator (%s)',
  (_id, backend) => {
    it('random filters, ≥ 10,000 random packets: the first packet of a connection', () => {
      let packets = 0;
      let filters = 0;
      fc.assert(
        fc.property(
          filterArb,
          fc.array(flowArb, { minLength: 8, maxLength: 8 }),
          fc.array(frameArb, { minLength: 200, maxLength: 200 }),
          fc.boolean(),
          fc.boolean(),
          fc.constantFrom(true, true, true, false),
          (xml, flows, frames, ftpHelper, filterVlanTagged, callIptables) => {
            const ruleset = compileXml(xml, backend);
            if (!ruleset) return;
            filters++;
            const settings: HostSettings = {
              ftpHelper,
              filterVlanTagged,
              callIptables,
              peerPort: 'eth0',
            };
            const analysis = analyseRuleset(ruleset, settings);
            const host = new BridgeHost(ruleset, settings);
            let t = 0;
            for (const f of buildFeed(flows, frames)) {
              // 10^7 s apart: every connection, expectation and connlimit entry of the packets
              // before has expired, so each packet is the first of its connection.
              t += 1e7;
              const trace = host.step(f.frame, f.side, t, {
                toHost: f.toHost === true,
                detail: false,
              });
              expect(['NEW', 'INVALID', null]).toContain(trace.ctstate);
              const { engine, simulator } = compare(analysis, f, trace);
              expect(engine, `${xml}\n${trace.side} ${JSON.stringify(f.frame)}`).toEqual(simulator);
              packets++;
            }
          },
        ),
        { numRuns: 60, seed: 17017 },
      );
      expect(filters).toBeGreaterThan(50);
      expect(packets).toBeGreaterThanOrEqual(10_000);
    });

    it('random filters without connlimit: every packet of the conversations, in its conntrack state', () => {
      let packets = 0;
      fc.assert(
        fc.property(
          filterArb.filter((x) => !x.includes('connlimit')),
          fc.array(flowArb, { minLength: 8, maxLength: 8 }),
          fc.array(frameArb, { minLength: 60, maxLength: 120 }),
          fc.boolean(),
          (xml, flows, frames, ftpHelper) => {
            const ruleset = compileXml(xml, backend);
            if (!ruleset) return;
            const settings: HostSettings = { ftpHelper, peerPort: 'eth0' };
            const analysis = analyseRuleset(ruleset, settings);
            const host = new BridgeHost(ruleset, settings);
            for (const f of buildFeed(flows, frames)) {
              const trace = host.step(f.frame, f.side, f.t, {
                toHost: f.toHost === true,
                detail: false,
              });
              const { engine, simulator } = compare(analysis, f, trace);
              expect(engine, `${xml}\n${trace.side} ${JSON.stringify(f.frame)}`).toEqual(simulator);
              packets++;
            }
          },
        ),
        { numRuns: 30, seed: 4711 },
      );
      expect(packets).toBeGreaterThan(2_000);
    });
  },
);
