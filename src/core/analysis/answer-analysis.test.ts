import { describe, expect, it } from 'vitest';
import type { Backend } from '../compile/backend';
import { getBackend } from '../compile/backends';
import { compileFilter } from '../compile/compile-filter';
import { EXAMPLES } from '../examples/examples';
import { getBuiltinFilter } from '../library/builtin-filters';
import { BridgeHost } from '../netfilter/bridge-host';
import { DEFAULT_HOSTS } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { witnessReplay } from './analysis-view';
import { answerAnalysis } from './answer-analysis';
import type { AnalysisSubject } from './answer-analysis';

const VM = DEFAULT_HOSTS.vm;
const FTP = EXAMPLES.find((e) => e.id === 'ftp-server')?.xml ?? '';

function subject(
  xml: string,
  backend: Backend = getBackend('ebiptables'),
  settings: AnalysisSubject['settings'] = {},
): AnalysisSubject {
  const parsed = parseFilterXml(xml);
  const doc = parsed.doc;
  if (!doc) return { ruleset: null, settings: {}, problems: ['does not parse'] };
  const res = compileFilter(
    (n) => (n === doc.name ? doc : getBuiltinFilter(n)?.doc),
    doc.name,
    { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } },
    backend,
  );
  return {
    ruleset: res.ruleset,
    settings,
    problems: res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
  };
}

// The FTP server example with SSH (port 22) no longer let in: rule 3 accepts 21 only.
const FTP_NO_SSH = FTP.replace("dstportend='22'", "dstportend='21'");

describe('answerAnalysis under nftables', () => {
  const nft = getBackend('nftables');

  it('allowed: the FTP server example, and the ICMP the driver also lets in', () => {
    const a = answerAnalysis({ kind: 'allowed' }, subject(FTP, nft));
    expect(a.problems).toEqual([]);
    const toVm = a.allowed?.paths.find((p) => p.path === 'to-vm');
    // The outgoing `<icmp state='NEW'/>` rule: the driver writes no `ct direction` for ICMP and
    // keeps `ct state new` on the reverse rule, so a new ICMP flow towards the VM passes too.
    expect(toVm?.newConnections.map((r) => [r.protocol, r.destinationPorts])).toEqual([
      [['tcp'], ['21-22', '80']],
      [['icmp'], ['any']],
    ]);
    expect(toVm?.newConnections[1]?.rules.map((r) => r.index)).toEqual([4]);
  });

  it('a host without nf_conntrack_bridge: no answer, and NWF521 says why', () => {
    const a = answerAnalysis({ kind: 'allowed' }, subject(FTP, nft, { nfConntrackBridge: false }));
    expect(a.allowed).toBeNull();
    expect(a.problems.length).toBeGreaterThan(0);
    expect(a.problems[0]).toMatch(/^NWF521: the host's kernel has no nf_conntrack_bridge/);
    const d = answerAnalysis(
      { kind: 'diff' },
      subject(FTP, nft, { nfConntrackBridge: false }),
      subject(FTP, nft),
    );
    expect(d.diff).toBeNull();
    expect(d.problems[0]).toMatch(/^now: NWF521: /);
  });
});

describe('answerAnalysis (what the analysis worker hosts)', () => {
  it('allowed: the report of the current version', () => {
    const a = answerAnalysis({ kind: 'allowed' }, subject(FTP));
    expect(a.problems).toEqual([]);
    const toVm = a.allowed?.paths.find((p) => p.path === 'to-vm');
    expect(toVm?.newConnections.map((r) => r.destinationPorts)).toEqual([['21-22', '80']]);
    expect(a.diff).toBeNull();
    expect(a.reach).toBeNull();
  });

  it('diff: nothing between a version and itself; the SSH region when port 22 goes', () => {
    expect(answerAnalysis({ kind: 'diff' }, subject(FTP), subject(FTP)).diff).toEqual([]);
    expect(FTP_NO_SSH).not.toBe(FTP);
    const d = answerAnalysis({ kind: 'diff' }, subject(FTP_NO_SSH), subject(FTP));
    expect(d.problems).toEqual([]);
    const regions = d.diff ?? [];
    expect(regions.length).toBeGreaterThan(0);
    const ssh = regions.find((r) => r.path === 'to-vm' && /dport=22\b/.test(r.region));
    expect(ssh?.before).toMatchObject({ verdict: 'accept', rule: { filter: 'test-eth0' } });
    expect(ssh?.after).toMatchObject({ verdict: 'drop', rule: { index: 6 } });
    expect(ssh?.witness.packet).toMatch(/:22 /);
    expect(ssh?.noReplay).toBeNull();
  });

  it('diff witnesses replay in the simulator with the verdicts the diff claims', () => {
    const before = subject(FTP);
    const after = subject(FTP_NO_SSH);
    const regions = answerAnalysis({ kind: 'diff' }, after, before).diff ?? [];
    let replayed = 0;
    for (const r of regions) {
      const w = witnessReplay(r.path, r.point);
      if (typeof w === 'string') {
        expect(r.noReplay).toBe(w);
        continue;
      }
      for (const [s, claimed] of [
        [before, r.before.verdict],
        [after, r.after.verdict],
      ] as const) {
        const host = new BridgeHost(s.ruleset!);
        const t = host.step(structuredClone(w.frame), w.side, 1, { toHost: w.toHost });
        expect(t.verdict, `${r.path} ${r.region}`).toBe(claimed);
        replayed++;
      }
    }
    expect(replayed).toBeGreaterThan(0);
  });

  it('diff without a version to compare with, or of a version that does not compile, says so', () => {
    expect(answerAnalysis({ kind: 'diff' }, subject(FTP)).problems).toEqual([
      'no version to compare with',
    ]);
    const broken = answerAnalysis({ kind: 'diff' }, subject(FTP), {
      ruleset: null,
      settings: {},
      problems: ['unknown filter x'],
    });
    expect(broken.diff).toBeNull();
    expect(broken.problems).toEqual(['before: unknown filter x']);
  });

  it('reach: yes / no with the deciding rule, ranges allowed; a bad query is a problem', () => {
    const s = subject(FTP);
    const ask = (query: object) => answerAnalysis({ kind: 'reach', path: 'to-vm', query }, s);
    const yes = ask({ protocol: 'tcp', source: '10.1.2.0/24', destinationPort: '21-22' });
    expect(yes.reach?.answer).toBe('yes');
    const no = ask({ protocol: 'tcp', destinationPort: '23' });
    expect(no.reach?.answer).toBe('no');
    expect(no.reach?.parts[0]?.rule).toMatchObject({ filter: 'test-eth0', index: 6 });
    expect(no.reach?.parts[0]?.witness.packet).toMatch(/:23 /);
    const partly = ask({ protocol: 'tcp', destinationPort: '20-22' });
    expect(partly.reach?.answer).toBe('partly');
    expect(new Set(partly.reach?.parts.map((p) => p.verdict))).toEqual(new Set(['accept', 'drop']));
    const bad = ask({ protocol: 'tcp', destinationPort: '99999' });
    expect(bad.reach).toBeNull();
    expect(bad.problems[0]).toMatch(/not a port/);
  });

  it('witnessReplay refuses a witness that needs an established connection', () => {
    const s = subject(FTP);
    const est = answerAnalysis(
      { kind: 'reach', path: 'from-vm', query: { protocol: 'tcp', state: 'ESTABLISHED' } },
      s,
    );
    const part = est.reach?.parts[0];
    expect(part).toBeDefined();
    expect(part?.noReplay).toMatch(/established or related connection/);
    expect(witnessReplay('from-vm', part!.point)).toBe(part?.noReplay);
  });
});
