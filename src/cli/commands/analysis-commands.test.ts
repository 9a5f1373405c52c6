import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callCliOnDisk, tempInputs } from '../testing/run-cli';

const { write } = tempInputs('nwfs-cli-analysis-');
const run = (...args: string[]) => callCliOnDisk(args);

const WEB = write(
  'web.xml',
  `<filter name='web'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='22' state='NEW'/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='443'/>
  </rule>
  <rule action='accept' direction='inout'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='drop' direction='inout'>
    <all/>
  </rule>
</filter>
`,
);

describe('nwfilter-studio allowed', () => {
  it('prints the new connections, the established-only traffic and layer 2 per path', async () => {
    const r = await run('allowed', WEB);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const toVm = r.stdout.slice(r.stdout.indexOf('to the VM'), r.stdout.indexOf('from the VM to'));
    expect(toVm).toMatch(/new connections:\n.*\n\s+ipv4\s+tcp\s+any\s+any\s+any\s+22, 443\s/);
    // ARP and the other EtherTypes are not filtered by IP rules: they pass.
    expect(toVm).toMatch(/layer 2 \(not IPv4\/IPv6\):\n.*\n\s+not ipv4, ipv6\s/);
  });

  it('--json: every path with its rows and the rules behind them', async () => {
    const r = await run('allowed', WEB, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      file: string;
      paths: {
        path: string;
        newConnections: {
          family: string;
          protocol: string[];
          destinationPorts: string[];
          rules: unknown[];
        }[];
        establishedOnly: unknown[];
      }[];
      tracking: { ipv4: boolean; ipv6: boolean };
    };
    expect(out.file).toBe(WEB);
    // No IPv6 rule: conntrack does not track IPv6, and IPv6 passes (the rules are IPv4 only).
    expect(out.tracking).toEqual({ ipv4: true, ipv6: false });
    const toVm = out.paths.find((p) => p.path === 'to-vm');
    expect(toVm?.newConnections.filter((r) => r.family === 'ipv4')).toEqual([
      expect.objectContaining({
        protocol: ['tcp'],
        destinationPorts: ['22', '443'],
        rules: [
          { filter: 'web', index: 0, priority: 500, direction: 'in' },
          { filter: 'web', index: 1, priority: 500, direction: 'in' },
        ],
      }),
    ]);
    // From the VM no new IPv4 connection is accepted: only the replies of established ones.
    const fromVm = out.paths.find((p) => p.path === 'from-vm');
    expect(fromVm?.newConnections.map((r) => [r.family, r.protocol])).toEqual([['ipv6', ['any']]]);
    expect(fromVm?.establishedOnly.length).toBeGreaterThan(0);
  });

  it('bad input: one positioned diagnostic, exit 1', async () => {
    const bad = write('bad.xml', "<filter name='x'>\n  <rule action='accept'>\n</filter>\n");
    const r = await run('allowed', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^.*bad\.xml:\d+:\d+: error NWF\d+: /);
  });
});

const WEB2 = write(
  'web2.xml',
  readFileSync(WEB, 'utf8').replace(
    "<tcp dstportstart='22' state='NEW'/>",
    "<tcp dstportstart='22' state='NEW' srcipaddr='10.1.0.0' srcipmask='16'/>",
  ),
);

describe('nwfilter-studio diff', () => {
  it('a filter against itself: equivalent, exit 0', async () => {
    const r = await run('diff', WEB, WEB);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('equivalent: no packet changes its verdict\n');
  });

  it('an edit: the exact region that changed, the rules before and after, a witness; exit 1', async () => {
    const r = await run('diff', WEB, WEB2, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      equivalent: boolean;
      regions: {
        path: string;
        region: Record<string, string[]>;
        witness: { packet: string; ctstate: string };
        before: { verdict: string; rule: { index: number } };
        after: { verdict: string; rule: { index: number } };
      }[];
    };
    expect(out.equivalent).toBe(false);
    expect(out.regions).toHaveLength(1);
    const [d] = out.regions;
    expect(d?.path).toBe('to-vm');
    expect(d?.region).toMatchObject({
      proto: ['tcp'],
      src4: ['not 10.1.0.0/16'],
      dport: ['22'],
      ctState: ['NEW'],
    });
    expect([
      d?.before.verdict,
      d?.before.rule.index,
      d?.after.verdict,
      d?.after.rule.index,
    ]).toEqual(['accept', 0, 'drop', 3]);
    expect(d?.witness.packet).toMatch(/:22 TCP \[S\]/);
    expect(d?.witness.ctstate).toBe('NEW');
  });

  it('a filter that does not compile: its diagnostic, exit 2', async () => {
    const bad = write('bad2.xml', "<filter name='x'>\n  <rule action='accept'>\n</filter>\n");
    const r = await run('diff', WEB, bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad2\.xml:\d+:\d+: error NWF\d+: /);
  });
});

describe('nwfilter-studio reach', () => {
  it('yes for SSH from inside the allowed network, with the accepting rule; exit 0', async () => {
    const r = await run('reach', WEB2, '--src', '10.1.2.3', '--proto', 'tcp', '--dport', '22');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yes \(to the VM \(bridged\)\)\n {2}accept by web#0\n/);
  });

  it('partly for a wider source range: each part with its rule and a witness; exit 1', async () => {
    const r = await run(
      'reach',
      WEB2,
      '--src',
      '10.0.0.0/8',
      '--proto',
      'tcp',
      '--dport',
      '22',
      '--json',
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      answer: string;
      parts: { verdict: string; rule: { index: number }; witness: { packet: string } }[];
    };
    expect(out.answer).toBe('partly');
    expect(out.parts.map((p) => [p.verdict, p.rule.index])).toEqual([
      ['accept', 0],
      ['drop', 3],
    ]);
    expect(out.parts[0]?.witness.packet).toMatch(/^10\.1\.\d+\.\d+:\d+ → .*:22 TCP \[S\]/);
  });

  it('a bad query is a usage error', async () => {
    const r = await run('reach', WEB, '--dport', '22');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ports need --proto/);
  });
});

describe('the analysis commands under --backend nftables', () => {
  it('allowed: bridge conntrack tracks both families; the same new connections to the VM', async () => {
    const r = await run('allowed', WEB, '--backend', 'nftables', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      paths: { path: string; newConnections: { family: string; destinationPorts: string[] }[] }[];
      tracking: { ipv4: boolean; ipv6: boolean };
    };
    // Every `ct` expression registers the bridge family's conntrack, for IPv4 and IPv6 alike.
    expect(out.tracking).toEqual({ ipv4: true, ipv6: true });
    const toVm = out.paths.find((p) => p.path === 'to-vm');
    expect(
      toVm?.newConnections.filter((c) => c.family === 'ipv4').map((c) => c.destinationPorts),
    ).toEqual([['22', '443']]);
  });

  it('reach: yes for SSH to the VM, by the rule that accepts it', async () => {
    const r = await run('reach', WEB, '--backend', 'nftables', '--proto', 'tcp', '--dport', '22');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yes \(to the VM \(bridged\)\)\n {2}accept by web#0\n/);
  });

  it('a host without nf_conntrack_bridge: NWF521 at each rule, nothing analysed', async () => {
    const r = await run('allowed', WEB, '--backend', 'nftables', '--nf-conntrack-bridge', 'no');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /web\.xml:2:3: error NWF521: nothing to analyse, the filter cannot be applied: the host's kernel has no nf_conntrack_bridge/,
    );
  });

  it('diff --against-backend: what behaves differently between the backends, over all packets', async () => {
    const r = await run(
      'diff',
      WEB,
      WEB,
      '--against-backend',
      'ebiptables',
      '--backend',
      'nftables',
      '--json',
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      backends: { old: string; new: string };
      regions: {
        path: string;
        region: Record<string, string[]>;
        before: { verdict: string; rule: { index: number } };
        after: { verdict: string; rule: { index: number } };
      }[];
    };
    expect(out.backends).toEqual({ old: 'ebiptables', new: 'nftables' });
    // The inout ESTABLISHED,RELATED rule: the driver tests `ct direction original` in both
    // chains, so replies of connections the VM did not start are dropped under nftables.
    const toVm = out.regions.filter((d) => d.path === 'to-vm');
    expect(toVm).toHaveLength(1);
    expect(toVm[0]?.region).toMatchObject({ ctDir: ['REPLY'] });
    expect([toVm[0]?.before.verdict, toVm[0]?.before.rule.index]).toEqual(['accept', 2]);
    expect([toVm[0]?.after.verdict, toVm[0]?.after.rule.index]).toEqual(['drop', 3]);
    const same = await run(
      'diff',
      WEB,
      WEB,
      '--against-backend',
      'nftables',
      '--backend',
      'nftables',
    );
    expect([same.code, same.stdout]).toEqual([0, 'equivalent: no packet changes its verdict\n']);
  });

  it('an unknown --against-backend is a usage error', async () => {
    const r = await run('diff', WEB, WEB, '--against-backend', 'pf');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--against-backend must be one of 'ebiptables', 'nftables'/);
  });
});
