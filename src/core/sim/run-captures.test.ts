import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { encodeFrame } from '../packet/packet-encode';
import { writePcap } from './pcap';
import type { PcapRecord } from './pcap';
import { runCaptures, traceJsonLine } from './run-captures';
import { DEFAULT_HOSTS, getScenario } from './scenarios';
import { runScenario } from './run-scenario';
import { learningRunOf } from './learning-timeline';

function ruleset() {
  const { doc } = parseFilterXml(FTP_SERVER_XML);
  const res = compileFilter(
    createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc),
    doc!.name,
    { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params: { IP: [DEFAULT_HOSTS.vm.ip] } },
  );
  return res.ruleset!;
}

describe('runCaptures', () => {
  it('merges the two captures by timestamp and agrees with the scenario run', () => {
    const sc = getScenario('ssh')!;
    const frames = sc.build(DEFAULT_HOSTS);
    const base = 1763740000;
    const rec = (i: number): PcapRecord => {
      const us = Math.round(frames[i]!.t * 1e6) + 123 + i;
      const data = encodeFrame(frames[i]!.frame);
      return { tsSec: base + Math.floor(us / 1e6), tsFrac: us % 1e6, origLen: data.length, data };
    };
    const from = frames.map((_, i) => i).filter((i) => frames[i]!.side === 'from-vm');
    const to = frames.map((_, i) => i).filter((i) => frames[i]!.side === 'to-vm');
    const run = runCaptures(ruleset(), {
      fromVm: writePcap(from.map(rec)),
      toVm: writePcap(to.map(rec)),
    });
    expect(run.diagnostics).toEqual([]);
    const sim = runScenario(ruleset(), sc);
    expect(
      run.steps.map((s) => `${s.trace.verdict} ${s.trace.ctstate} ${s.trace.summary}`),
    ).toEqual(sim.steps.map((s) => `${s.trace.verdict} ${s.trace.ctstate} ${s.trace.summary}`));
    expect(run.table.map((c) => c.state)).toEqual(['TIME_WAIT']);
    const line = traceJsonLine(run.steps[0]!.trace, run.steps[0]!.time);
    expect(line).toBe(
      '{"i":0,"t":1763740000.000123,"side":"to-vm","summary":"10.99.0.3:40022 → 10.99.0.2:22 TCP [S] seq=100000 win=64240","ctstate":"NEW","verdict":"accept","rule":{"filter":"test-eth0","index":2,"priority":500,"direction":"in"}}',
    );
    expect(JSON.parse(line).t).toBe(1763740000.000123);
  });

  it('reports unreadable files and frames instead of failing', () => {
    const run = runCaptures(ruleset(), {
      fromVm: new Uint8Array(30),
      toVm: writePcap([{ tsSec: 1, tsFrac: 0, origLen: 5, data: new Uint8Array(5) }]),
    });
    expect(run.diagnostics.map((d) => d.code)).toEqual(['PCAP_BAD_MAGIC', 'FRAME_UNDECODABLE']);
    expect(run.steps).toEqual([]);
  });

  it('learns from the captures as libvirt does, with the same phases as the scenario run', () => {
    const { doc } = parseFilterXml(FTP_SERVER_XML);
    const lookup = createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc);
    const compile = (params: Record<string, readonly string[]>) =>
      compileFilter(lookup, doc!.name, { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params });
    const params = { CTRL_IP_LEARNING: ['dhcp'] };
    const compiled = compile(params);
    const learning = learningRunOf(compiled, (ips) => compile({ ...params, IP: [...ips] }))!;
    const sc = getScenario('dhcp-lease-expiry')!;
    const frames = sc.build(DEFAULT_HOSTS);
    const rec = (side: string) =>
      frames
        .filter((f) => f.side === side)
        .map((f): PcapRecord => {
          const us = Math.round(f.t * 1e6);
          const data = encodeFrame(f.frame);
          return { tsSec: Math.floor(us / 1e6), tsFrac: us % 1e6, origLen: data.length, data };
        });
    const captures = { fromVm: writePcap(rec('from-vm')), toVm: writePcap(rec('to-vm')) };
    const run = runCaptures(compiled.ruleset!, captures, {}, { learning });
    const sim = runScenario(compiled.ruleset!, sc, { learning });
    const phase = (p: { kind: string; step: number }) => `${p.kind}@${p.step}`;
    // The renewal is dropped (UDP 68 → 67 NEW is not in the filter), so the lease ends at 30 s.
    expect(run.phases!.map(phase)).toEqual([
      'learning@0',
      'learned@4',
      'rebuilt@4',
      'expired@8',
      'learning@8',
    ]);
    // The capture also holds the renewal's ACK the scenario never sends (its REQUEST was
    // dropped): phases are compared by the packet they precede.
    const before =
      (steps: { trace: { summary: string } }[]) => (p: { kind: string; step: number }) =>
        `${p.kind} before ${steps[p.step]?.trace.summary}`;
    expect(run.phases!.map(before(run.steps))).toEqual(sim.phases!.map(before(sim.steps)));
    // Streaming: each phase arrives before the step it concerns.
    const order: string[] = [];
    runCaptures(
      compiled.ruleset!,
      captures,
      {},
      {
        learning,
        onStep: (s) => order.push(`#${s.trace.i}`),
        onPhase: (p) => order.push(p.kind),
      },
    );
    expect(order.slice(0, 8)).toEqual([
      'learning',
      '#0',
      '#1',
      '#2',
      '#3',
      'learned',
      'rebuilt',
      '#4',
    ]);
    expect(order.indexOf('expired')).toBe(order.indexOf('#8') - 2);
  });
});
