import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../examples';
import { buildEthernet, buildIcmpEcho, buildIpv4, buildTcp } from '../packet/packet-build';
import { encodeFrame } from '../packet/packet-encode';
import type { L4Packet } from '../packet/packet';
import { writePcap } from './pcap';
import { SCENARIOS } from './scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { answerAnalysis } from '../analysis';
import { compareVersions, compileFor, runSimulation } from './run-simulation';
import type { SimSettings } from './run-simulation';

const ftp = parseFilterXml(EXAMPLES[0]!.xml).doc!;
const settings: SimSettings = {
  ftpHelper: false,
  sysctl: {},
  params: { IP: ['10.99.0.2'], MAC: ['52:54:00:11:22:33'] },
};
const set = { filters: [ftp], root: ftp.name };

describe('runSimulation', () => {
  it('active FTP without the helper: the data SYN is NEW and dropped by the final rule (entry 8)', () => {
    const r = runSimulation(set, settings, { kind: 'scenario', name: 'ftp-active' });
    expect(r.problems).toEqual([]);
    // The server retries its data SYN (ten, all dropped), then answers 425 instead of 150/226.
    expect(r.skipped).toEqual([]);
    expect(r.steps.filter((s) => s.label.startsWith('data SYN'))).toHaveLength(10);
    expect(r.steps.map((s) => s.label)).toContain('425');
    expect(r.steps.map((s) => s.label)).not.toContain('226');
    const syn = r.steps.find((s) => s.label === 'data SYN')!;
    expect(syn.trace.ctstate).toBe('NEW');
    expect(syn.trace.verdict).toBe('drop');
    expect(syn.trace.provenance).toMatchObject({ filter: 'test-eth0', entryIndex: 7 });
    // Snapshots per packet: before the first packet nothing, after it the control connection.
    expect(r.steps[0]!.table).toHaveLength(1);
    expect(syn.expectations).toEqual([]);
    // Hits: the final drop decided the ten data SYNs; the in rule for 21-22 accepted the control SYN.
    expect(r.hits['test-eth0#7']).toBe(10);
    expect(r.hits['test-eth0#3']).toBe(1);
  });

  it('active FTP with the helper: an expectation after PORT, the data SYN RELATED and accepted', () => {
    const r = runSimulation(
      set,
      { ...settings, ftpHelper: true },
      { kind: 'scenario', name: 'ftp-active' },
    );
    expect(r.steps).toHaveLength(42);
    const port = r.steps.find((s) => s.label === 'PORT')!;
    expect(port.expectations).toHaveLength(1);
    const syn = r.steps.find((s) => s.label === 'data SYN')!;
    expect(syn.trace.ctstate).toBe('RELATED');
    expect(syn.trace.verdict).toBe('accept');
  });

  it('custom packets: SYN to port 80 accepted, ping towards the VM dropped, SYN from the VM to 25 dropped', () => {
    const base = {
      src: '',
      dst: '',
      sport: 40000,
      dport: 80,
      flags: 'SYN',
      icmpType: 8,
      icmpCode: 0,
      t: 0,
    };
    const r = runSimulation(set, settings, {
      kind: 'custom',
      packets: [
        { ...base, side: 'to-vm', proto: 'tcp' },
        { ...base, side: 'to-vm', proto: 'icmp', t: 1 },
        { ...base, side: 'from-vm', proto: 'tcp', dport: 25, t: 2 },
      ],
    });
    expect(r.steps.map((s) => [s.trace.ctstate, s.trace.verdict])).toEqual([
      ['NEW', 'accept'],
      ['NEW', 'drop'],
      ['NEW', 'drop'],
    ]);
    expect(r.steps[0]!.trace.summary).toContain('10.99.0.3:40000 → 10.99.0.2:80');
  });

  it('a pcap: sides from the VM MAC, timestamps relative to the first record', () => {
    const vm = { src: '52:54:00:11:22:33', dst: '52:54:00:aa:bb:cc' };
    const remote = { src: vm.dst, dst: vm.src };
    const frame = (eth: { src: string; dst: string }, src: string, dst: string, l4: L4Packet) =>
      encodeFrame(buildEthernet(eth, buildIpv4({ src, dst }, l4)));
    const records = [
      frame(vm, '10.99.0.2', '10.99.0.3', buildIcmpEcho({ id: 1, seq: 1 })),
      frame(remote, '10.99.0.3', '10.99.0.2', buildIcmpEcho({ id: 1, seq: 1, reply: true })),
      frame(
        remote,
        '10.99.0.3',
        '10.99.0.2',
        buildTcp({ sport: 1234, dport: 23, flags: 'SYN', seq: 9 }),
      ),
      // 40 s later: the ping's entry has expired (30 s ICMP timeout), so this reply is INVALID.
      frame(remote, '10.99.0.3', '10.99.0.2', buildIcmpEcho({ id: 1, seq: 1, reply: true })),
    ].map((data, i) => ({
      tsSec: 1_700_000_000 + [0, 0, 80, 120][i]!,
      tsFrac: i === 1 ? 1000 : 0,
      data,
      origLen: data.length,
    }));
    const r = runSimulation(set, settings, {
      kind: 'pcap',
      name: 'x.pcap',
      bytes: writePcap(records),
    });
    expect(r.problems).toEqual([]);
    expect(r.steps.map((s) => [s.trace.side, s.trace.t, s.trace.ctstate, s.trace.verdict])).toEqual(
      [
        ['from-vm', 0, 'NEW', 'accept'],
        ['to-vm', 0.001, 'ESTABLISHED', 'accept'],
        ['to-vm', 80, 'NEW', 'drop'],
        ['to-vm', 120, 'INVALID', 'drop'],
      ],
    );
    expect(r.steps[1]!.table.filter((c) => c.proto === 'icmp')).toHaveLength(1);
    expect(r.steps[2]!.table.filter((c) => c.proto === 'icmp')).toEqual([]);
  });

  it('reports a broken pcap and a missing variable instead of throwing', () => {
    const bad = runSimulation(set, settings, {
      kind: 'pcap',
      name: 'x.pcap',
      bytes: new Uint8Array([1, 2, 3]),
    });
    expect(bad.steps).toEqual([]);
    expect(bad.problems.join(' ')).toMatch(/PCAP/);
    const withVar = parseFilterXml(
      "<filter name='v'><rule action='accept' direction='in'><tcp dstportstart='$PORT'/></rule></filter>",
    ).doc!;
    const r = runSimulation({ filters: [withVar], root: 'v' }, settings, {
      kind: 'scenario',
      name: 'ssh',
    });
    expect(r.steps).toEqual([]);
    // A variable without a value is a binding libvirt refuses: reported at its rule.
    expect(r.failures).toEqual([
      expect.objectContaining({ code: 'NWF303', filter: 'v', entryIndex: 0, ruleIndex: 0 }),
    ]);
    expect(r.failures[0]?.message).toContain('PORT');
    expect(r.missingParams).toEqual(['PORT']);
    const ok = runSimulation(
      { filters: [withVar], root: 'v' },
      { ...settings, params: { ...settings.params, PORT: ['22'] } },
      { kind: 'scenario', name: 'ssh' },
    );
    expect(ok.problems).toEqual([]);
    expect(ok.failures).toEqual([]);
    expect(ok.steps.length).toBeGreaterThan(0);
  });

  it('sends no packet through a binding libvirt refuses (continue on an iptables rule)', () => {
    const cont = parseFilterXml(
      "<filter name='c'><rule action='accept' direction='in'><tcp/></rule><rule action='continue' direction='out'><tcp dstportstart='22'/></rule></filter>",
    ).doc!;
    const r = runSimulation({ filters: [cont], root: 'c' }, settings, {
      kind: 'scenario',
      name: 'ssh',
    });
    expect(r.steps).toEqual([]);
    expect(r.failures).toEqual([
      expect.objectContaining({ code: 'NWF331', filter: 'c', entryIndex: 1, ruleIndex: 1 }),
    ]);
  });
});

describe('compareVersions', () => {
  it('the same filter changes nothing; removing the 21-22 rule drops FTP and SSH towards the VM', () => {
    const same = compareVersions(set, set, settings);
    expect(same.rows).toEqual([]);
    expect(same.scenarios).toBe(SCENARIOS.length);
    const without = { ...ftp, entries: ftp.entries.filter((_, i) => i !== 3) };
    const diff = compareVersions(set, { filters: [without], root: ftp.name }, settings);
    const keys = diff.rows.map((r) => `${r.scenario}:${r.label}:${r.before}>${r.after}`);
    expect(keys).toContain('ssh:ssh SYN:accept>drop');
    expect(keys).toContain('ftp-active:control SYN:accept>drop');
    // Packets that were never sent after the change are listed as such.
    expect(keys).toContain('ssh:ssh SYN/ACK:accept>not sent');
  });
});

describe('runSimulation of an analysis witness', () => {
  const reach = (path: 'to-vm' | 'to-host', query: object) => {
    const c = compileFor(set, settings);
    return answerAnalysis(
      { kind: 'reach', path, query },
      { ruleset: c.ruleset, settings: {}, problems: [] },
    ).reach!;
  };

  it('replays each part of a reach answer with the verdict and rule the analysis gives', () => {
    for (const [path, query] of [
      ['to-vm', { protocol: 'tcp', destinationPort: '20-23' }],
      ['to-host', { protocol: 'udp', destinationPort: '53' }],
    ] as const) {
      const answer = reach(path, query);
      expect(answer.parts.length).toBeGreaterThan(0);
      for (const part of answer.parts) {
        const r = runSimulation(set, settings, {
          kind: 'witness',
          label: part.witness.packet,
          path,
          point: part.point,
        });
        expect(r.problems).toEqual([]);
        expect(r.steps).toHaveLength(1);
        expect(r.steps[0]!.trace.verdict).toBe(part.verdict);
        expect(r.steps[0]!.trace.rule).toMatchObject(part.rule!);
      }
    }
  });

  it('a witness that needs an established connection is not replayed, and says why', () => {
    const part = reach('to-vm', { protocol: 'tcp', state: 'ESTABLISHED' }).parts[0]!;
    const r = runSimulation(set, settings, {
      kind: 'witness',
      label: part.witness.packet,
      path: 'to-vm',
      point: part.point,
    });
    expect(r.steps).toEqual([]);
    expect(r.problems).toEqual([part.noReplay]);
  });
});
