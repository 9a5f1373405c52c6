import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../compile/backend';
import { BACKENDS } from '../compile/backends';
import { compileFilter } from '../compile/compile-filter';
import type { AnyRuleset as Ruleset } from '../compile/ir';
import { HARNESS_PARAMS, corpusDir } from '../compile/testing/libvirt-harness';
import { EXAMPLES } from '../examples/examples';
import { BUILTIN_FILTERS, getBuiltinFilter } from '../library/builtin-filters';
import type { FilterDoc } from '../model/types';
import { BridgeHost } from '../netfilter/bridge-host';
import type { HostSettings } from '../netfilter/bridge-host';
import { filterArb } from '../netfilter/testing/random-traffic';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { allowedTraffic } from './allowed';
import { analyseRuleset } from './analyse-ruleset';
import type { AnalysisPath } from './analyse-ruleset';
import { diffAnalyses, queryReach } from './diff';
import {
  intersectSets,
  maskedSet,
  prefixSet,
  setOf,
  subtractSets,
  unionSets,
} from './interval-set';
import { frameOfPoint, outcomeAt, pointOfFrame } from './packet-point';
import {
  buildArp,
  buildEthernet,
  buildIpv4,
  buildRarpFrame,
  buildStpConfig,
  buildTcp,
} from '../packet/packet-build';
import { CT_NEW, CT_NONE, DIM, cubeContains, cubeOf } from './space';

const VM = DEFAULT_HOSTS.vm;
const PARAMS = { ...HARNESS_PARAMS, IP: [VM.ip], MAC: [VM.mac] };

const EBIPTABLES = BACKENDS[0] as Backend;
const BACKEND_CASES = BACKENDS.map((b) => [b.id, b as Backend] as const);

function compile(
  doc: FilterDoc,
  lookup: (n: string) => FilterDoc | undefined,
  backend: Backend = EBIPTABLES,
): Ruleset | null {
  return compileFilter(
    (n) => (n === doc.name ? doc : lookup(n)),
    doc.name,
    { iface: 'vnet0', mac: VM.mac, params: PARAMS },
    backend as Backend<unknown, Ruleset>,
  ).ruleset;
}

function compileXml(xml: string, backend: Backend = EBIPTABLES): Ruleset | null {
  const doc = parseFilterXml(xml).doc;
  return doc ? compile(doc, (n) => getBuiltinFilter(n)?.doc, backend) : null;
}

describe('interval sets', () => {
  it('intersect, subtract and union agree with plain sets on small domains', () => {
    const arbSet = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 6 })), {
        maxLength: 5,
      })
      .map((xs) => setOf(xs.map(([lo, w]) => [BigInt(lo), BigInt(lo + w)] as [bigint, bigint])));
    const members = (s: readonly bigint[]) => {
      const out = new Set<number>();
      for (let i = 0; i < s.length; i += 2)
        for (let v = Number(s[i]); v <= Number(s[i + 1]); v++) out.add(v);
      return [...out].sort((a, b) => a - b);
    };
    fc.assert(
      fc.property(arbSet, arbSet, (a, b) => {
        const A = new Set(members(a));
        const B = new Set(members(b));
        expect(members(intersectSets(a, b))).toEqual([...A].filter((x) => B.has(x)));
        expect(members(subtractSets(a, b))).toEqual([...A].filter((x) => !B.has(x)));
        expect(members(unionSets(a, b))).toEqual([...new Set([...A, ...B])].sort((x, y) => x - y));
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('a MAC mask is the masked values; a prefix is one interval', () => {
    // The I/G bit: every multicast MAC, 128 runs of 2^40.
    const multicast = maskedSet(0x010000000000n, 0x010000000000n, 48) as bigint[];
    expect(multicast.length).toBe(256);
    expect(multicast.slice(0, 2)).toEqual([0x010000000000n, 0x01ffffffffffn]);
    expect(maskedSet(0x525400000000n, 0xffffff000000n, 48)).toEqual([
      0x525400000000n,
      0x525400ffffffn,
    ]);
    expect(maskedSet(1n, 0xffn, 48)).toBeNull();
    expect(prefixSet(0x0a000105n, 24, 32)).toEqual([0x0a000100n, 0x0a0001ffn]);
  });
});

/** Every filter of the corpus: libvirt's xml2firewall cases, the built-in library, the examples. */
function corpusFilters(backend: Backend = EBIPTABLES): { name: string; ruleset: Ruleset }[] {
  const out: { name: string; ruleset: Ruleset }[] = [];
  const dir = path.join(corpusDir(), 'xml2firewall');
  const files = readFileSync(path.join(dir, 'CASES.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')[1] as string);
  const load = (file: string): FilterDoc | undefined => {
    try {
      return parseFilterXml(readFileSync(path.join(dir, file), 'utf8')).doc ?? undefined;
    } catch {
      return undefined;
    }
  };
  const lookup = (n: string) => load(`${n}.xml`) ?? getBuiltinFilter(n)?.doc;
  for (const file of files) {
    const doc = load(file);
    const ruleset = doc ? compile(doc, lookup, backend) : null;
    if (ruleset) out.push({ name: `xml2firewall/${file}`, ruleset });
  }
  for (const b of BUILTIN_FILTERS) {
    const ruleset = compileXml(b.xml, backend);
    if (ruleset) out.push({ name: `library/${b.name}`, ruleset });
  }
  for (const e of EXAMPLES) {
    const ruleset = compileXml(e.xml, backend);
    if (ruleset) out.push({ name: `examples/${e.id}`, ruleset });
  }
  return out;
}

const SETTINGS: HostSettings = {
  ipsets: { tck_test: { type: 'hash:ip', members: ['10.99.0.3', '10.100.0.1'] } },
};

describe.each(BACKEND_CASES)('diff of a filter with itself (%s)', (_id, backend) => {
  const corpus = corpusFilters(backend);

  it('compiles most of the corpus', () => {
    // xml2firewall 39 cases, the library and the examples (a few need parameters they lack).
    expect(corpus.length).toBeGreaterThan(60);
  });

  it.each(corpus.map((c) => [c.name, c.ruleset] as const))(
    '%s: diff A A is empty, and every region of every path has one verdict',
    (name, ruleset) => {
      const a = analyseRuleset(ruleset, SETTINGS);
      const b = analyseRuleset(structuredClone(ruleset), SETTINGS);
      expect(diffAnalyses(a, b)).toEqual([]);
      // Every rule is modelled; under nftables the driver's STP rules select by the bridge group
      // address only, so their raw loads of another frame sent there are answered `error`.
      const opaque = a.unsupported.filter((u) =>
        /^the raw load @nh,\d+,\d+ reads a frame that is neither/.test(u.why),
      );
      expect(a.unsupported.filter((u) => !opaque.includes(u))).toEqual([]);
      expect(opaque.length > 0).toBe(backend.id === 'nftables' && /stp/.test(name));
    },
  );
});

describe.each(BACKEND_CASES)('diff witnesses (%s)', (_id, backend) => {
  it('random pairs of filters: each witness, replayed in the simulator, gets both verdicts', () => {
    let replayed = 0;
    fc.assert(
      fc.property(filterArb, filterArb, (x, y) => {
        const before = compileXml(x, backend);
        const after = compileXml(y, backend);
        if (!before || !after) return;
        const diff = diffAnalyses(analyseRuleset(before), analyseRuleset(after));
        for (const d of diff.slice(0, 40)) {
          const state = d.witness[DIM.ctState];
          // A single replayed packet is a first packet, counted once by connlimit.
          if ((state !== CT_NEW && state !== CT_NONE) || d.witness[DIM.conns] !== 1n) continue;
          const frame = frameOfPoint(d.witness);
          if (!frame) continue;
          const back = pointOfFrame(frame, {
            state: state === CT_NEW ? 'NEW' : null,
            dir: state === CT_NEW ? 'ORIGINAL' : null,
          });
          expect(
            cubeContains(d.cube, back),
            JSON.stringify(d.cube, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) +
              '\n' +
              back.join(','),
          ).toBe(true);
          const run = (rs: Ruleset) =>
            new BridgeHost(rs).step(
              structuredClone(frame),
              d.path === 'to-vm' ? 'to-vm' : 'from-vm',
              1,
              {
                toHost: d.path === 'to-host',
              },
            );
          // Each side's replay is a first packet; it shows the region's verdict when its
          // conntrack state is the witness' (a family that side does not track has none).
          const want = state === CT_NEW ? 'NEW' : 'INVALID';
          for (const [rs, claimed] of [
            [before, d.before.verdict],
            [after, d.after.verdict],
          ] as const) {
            const t = run(rs);
            if (t.ctstate !== null && t.ctstate !== want) continue;
            expect(t.verdict).toBe(claimed);
            replayed++;
          }
        }
      }),
      { numRuns: 12, seed: 99 },
    );
    expect(replayed).toBeGreaterThan(30);
  });
});

describe('allowed and reach on the FTP server example', () => {
  const ruleset = compileXml(EXAMPLES.find((e) => e.id === 'ftp-server')?.xml ?? '') as Ruleset;
  const analysis = analyseRuleset(ruleset);

  it('lists the new connections the docs describe', () => {
    const report = allowedTraffic(analysis);
    const toVm = report.paths.find((p) => p.path === 'to-vm');
    expect(toVm?.newConnections.map((r) => [r.family, r.protocol, r.destinationPorts])).toEqual([
      ['ipv4', ['tcp'], ['21-22', '80']],
    ]);
    const fromVm = report.paths.find((p) => p.path === 'from-vm');
    expect(fromVm?.newConnections.map((r) => [r.protocol, r.source, r.destinationPorts])).toEqual([
      [['udp'], ['0.0.0.0', VM.ip], ['53']],
      [['icmp'], [VM.ip], ['any']],
    ]);
    // IPv6 is dropped everywhere (the final drop rule), ARP passes as clean-traffic allows.
    expect(report.paths.flatMap((p) => p.newConnections).some((r) => r.family === 'ipv6')).toBe(
      false,
    );
    expect(fromVm?.layer2.map((r) => r.etherTypes)).toEqual([['arp'], ['rarp']]);
  });

  it('answers "can 10.1.2.3 open SSH / telnet to the VM"', () => {
    const ssh = (port: number, path: AnalysisPath = 'to-vm') =>
      queryReach(
        analysis,
        path,
        cubeOf({
          eth: [0x800n, 0x800n],
          src4: [0x0a010203n, 0x0a010203n],
          dst4: [0x0a000005n, 0x0a000005n],
          proto: [6n, 6n],
          dport: [BigInt(port), BigInt(port)],
          ctState: [CT_NEW, CT_NEW],
          tcpFlags: [2n, 2n],
          frag: [0n, 0n],
        }),
      );
    const yes = ssh(22);
    expect(yes.answer).toBe('yes');
    expect(yes.parts.map((p) => p.rule?.index)).toContain(2);
    const no = ssh(23);
    expect(no.answer).toBe('no');
    expect(no.parts[0]?.rule).toMatchObject({ filter: 'test-eth0', index: 6 });
  });
});

/**
 * Frames the random traffic of the property test never sends: ARP and RARP with the corpus'
 * field values, configuration and TCN BPDUs to the bridge group address, 802.1Q-tagged frames,
 * IPv4 sent to the bridge group address. The corpus' ARP, RARP, STP and VLAN rules (raw loads,
 * the gratuitous-ARP group, tagged classes) are tried against them.
 */
const l2FrameArb = (() => {
  const macs = fc.constantFrom(
    '01:02:03:04:05:06',
    '01:02:03:04:05:06',
    '0a:0b:0c:0d:0e:0f',
    'aa:bb:cc:dd:ee:ff',
    '06:05:04:03:02:01',
    VM.mac,
    'ff:ff:ff:ff:ff:ff',
  );
  const dst = fc.oneof(macs, fc.constant('01:80:c2:00:00:00'));
  const ip4 = fc.constantFrom('10.0.0.1', '10.0.0.2', '192.168.1.1', VM.ip, '0.0.0.0');
  // Mostly the corpus' own values, so its rules match; sometimes any.
  const word = (...v: number[]) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...v) },
      { weight: 1, arbitrary: fc.nat(65535) },
    );
  const vlan = fc.option(fc.constantFrom(1, 0x123, 1234, 4095), { nil: undefined, freq: 3 });
  return fc.oneof(
    fc
      .record({
        rarp: fc.boolean(),
        src: macs,
        dst,
        vlan,
        htype: word(1, 12, 255, 256, 65535),
        ptype: word(0x800, 34, 255, 256, 65535),
        op: word(1, 2, 3, 4, 11, 65535, 0x2200),
        sha: macs,
        tha: macs,
        spa: ip4,
        tpa: ip4,
        plen: fc.constantFrom(4, 0, 6),
      })
      .map((r) => {
        const arp = {
          ...buildArp({ op: r.op, sha: r.sha, spa: r.spa, tha: r.tha, tpa: r.tpa }),
          htype: r.htype,
          ptype: r.ptype,
          plen: r.plen,
        };
        const eth = { src: r.src, dst: r.dst, ...(r.vlan ? { vlan: { vid: r.vlan } } : {}) };
        return r.rarp ? buildRarpFrame(eth, arp) : buildEthernet(eth, arp);
      }),
    fc
      .record({
        src: macs,
        vlan,
        type: fc.constantFrom(0, 0x12, 0x80, 2),
        flags: fc.constantFrom(0, 0x44, 1),
        rootPriority: word(0x1234, 0x2000, 0x2345, 0x3000),
        rootAddr: macs,
        rootCost: fc.constantFrom(0x11223344, 0x20000000, 0x22334455, 0, 0x30000000),
        senderPriority: word(0x1234),
        senderAddr: fc.constantFrom('06:05:04:03:02:01', '06:05:04:03:02:01', VM.mac),
        port: word(123, 200, 234, 300),
        msgAge: word(5544, 5550, 5555),
        maxAge: word(7777, 8000, 8888),
        helloTime: word(12345, 12346),
        forwardDelay: word(54321, 60000, 65432),
      })
      .map((r) =>
        buildEthernet(
          {
            src: r.src,
            dst: '01:80:c2:00:00:00',
            ...(r.vlan ? { vlan: { vid: r.vlan } } : {}),
          },
          buildStpConfig({ ...r, bpduType: r.type }),
        ),
      ),
    fc
      .record({ src: macs, dst, vlan, s: ip4, d: ip4, port: fc.constantFrom(22, 80, 53) })
      .map((r) =>
        buildEthernet(
          { src: r.src, dst: r.dst, ...(r.vlan ? { vlan: { vid: r.vlan } } : {}) },
          buildIpv4({ src: r.s, dst: r.d }, buildTcp({ sport: 40000, dport: r.port, flags: 'S' })),
        ),
      ),
  );
})();

/** Layer-2 rules that decide (the corpus' are mostly `continue` / `return`), some negated. */
const L2_RULES = `<filter name='l2' chain='root'>
  <rule action='drop' direction='out'><stp srcmacaddr='1:2:3:4:5:6' type='0x12' flags='0x44'/></rule>
  <rule action='drop' direction='out'><stp root-priority='0x1234' root-priority-hi='0x2345'
    root-address='6:5:4:3:2:1' root-cost='0x11223344' root-cost-hi='0x22334455'/></rule>
  <rule action='accept' direction='out'><stp sender-priority='0x1234' sender-address='6:5:4:3:2:1'
    port='123' port-hi='234' age='5544' age-hi='5555' max-age='7777' max-age-hi='8888'
    hello-time='12345' hello-time-hi='12346' forward-delay='54321' forward-delay-hi='65432'/></rule>
  <rule action='drop' direction='out'><stp type='0x80' match='no'/></rule>
  <rule action='drop' direction='out'><rarp opcode='Request' arpsrcmacaddr='1:2:3:4:5:6'/></rule>
  <rule action='accept' direction='out'><rarp hwtype='12' arpdstmacaddr='a:b:c:d:e:f' match='no'/></rule>
  <rule action='drop' direction='out'><arp gratuitous='true'/></rule>
  <rule action='drop' direction='inout'><arp opcode='Reply' arpsrcipaddr='10.0.0.1' match='no'/></rule>
  <rule action='drop' direction='out'><vlan vlanid='0x123'/></rule>
  <rule action='accept' direction='in'><vlan encap-protocol='arp' match='no'/></rule>
  <rule action='drop' direction='in'><mac protocolid='ipv4' srcmacaddr='1:2:3:4:5:6'/></rule>
</filter>`;

describe.each(BACKEND_CASES)('corpus × layer-2 frames (%s)', (_id, backend) => {
  const l2 = compileXml(L2_RULES, backend);
  const corpus = [
    ...corpusFilters(backend).filter((c) =>
      /arp|rarp|stp|vlan|mac|library\/|example-/.test(c.name),
    ),
    ...(l2 ? [{ name: 'l2', ruleset: l2 }] : []),
  ];

  it('the region of each frame has the simulator verdict and rule, or says it is not modelled', () => {
    let checked = 0;
    let opaque = 0;
    const decided = new Set<string>();
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            l2FrameArb,
            fc.constantFrom('from-vm', 'to-vm') as fc.Arbitrary<'from-vm' | 'to-vm'>,
          ),
          {
            minLength: 40,
            maxLength: 40,
          },
        ),
        (frames) => {
          for (const { name, ruleset } of corpus) {
            const analysis = analyseRuleset(ruleset, SETTINGS);
            const host = new BridgeHost(ruleset, SETTINGS);
            let t = 0;
            for (const [frame, side] of frames) {
              t += 1e7;
              const trace = host.step(structuredClone(frame), side, t, { detail: false });
              const point = pointOfFrame(frame, { state: trace.ctstate, dir: trace.ctdir });
              const o = outcomeAt(analysis.paths[side], point);
              if (o?.verdict === 'error' && o.error?.startsWith('not modelled')) {
                opaque++;
                continue;
              }
              expect(
                { verdict: o?.verdict, rule: o?.rule ?? null },
                `${ruleset.backend} ${JSON.stringify(frame)}`,
              ).toEqual({ verdict: trace.verdict, rule: trace.rule });
              if (trace.rule) decided.add(`${name.replace(/\.xml$/, '')}#${trace.rule.index}`);
              checked++;
            }
          }
        },
      ),
      { numRuns: 12, seed: 1414 },
    );
    expect(checked).toBeGreaterThan(10_000);
    // The raw loads of the STP and RARP rules, the ARP fields, gratuitous ARP and tagged frames
    // decided packets.
    expect([...decided].filter((r) => r.startsWith('l2#')).length).toBeGreaterThanOrEqual(8);
    // Only the STP rules' raw loads of a frame that is not a BPDU, sent to the group address.
    expect(opaque).toBeLessThan(checked / 10);
  });
});
