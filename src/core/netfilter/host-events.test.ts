import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { parseHostProfile, simSettingsOf } from '../host';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { BridgeHost } from './bridge-host';
import { buildEthernet, buildIcmpEcho, buildIpv4 } from '../packet/packet-build';

const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };
const PEER = { mac: '52:54:00:aa:bb:cc', ip: '10.99.0.3' };

/** Pings out (NEW, ESTABLISHED), only replies in (ESTABLISHED): the docs' ICMP lesson. */
const PING_OUT = `<filter name='ping-out' chain='root'>
  <rule action='accept' direction='out'><icmp state='NEW,ESTABLISHED'/></rule>
  <rule action='accept' direction='in'><icmp state='ESTABLISHED'/></rule>
  <rule action='drop' direction='inout'><all/></rule>
</filter>`;

function hostFor(profileJson: string): BridgeHost {
  const { doc } = parseFilterXml(PING_OUT);
  const lookup = createWorkspaceLookup([doc!], (n) => getBuiltinFilter(n)?.doc);
  const ruleset = compileFilter(lookup, 'ping-out', { iface: 'vnet0', mac: VM.mac }).ruleset!;
  const { profile, diagnostics } = parseHostProfile(profileJson);
  if (!profile) throw new Error(JSON.stringify(diagnostics));
  return new BridgeHost(ruleset, simSettingsOf(profile));
}

const echo = (reply: boolean, seq: number) =>
  reply
    ? buildEthernet(
        { src: PEER.mac, dst: VM.mac },
        buildIpv4({ src: PEER.ip, dst: VM.ip }, buildIcmpEcho({ reply, id: 7, seq })),
      )
    : buildEthernet(
        { src: VM.mac, dst: PEER.mac },
        buildIpv4({ src: VM.ip, dst: PEER.ip }, buildIcmpEcho({ reply, id: 7, seq })),
      );

/** Ping at 0 s, the timeout lowered to 3 s at 1 s, another request at 20 s, a reply at `replyAt`. */
function run(profileJson: string, replyAt: number) {
  const h = hostFor(profileJson);
  h.step(echo(false, 1), 'from-vm', 0);
  h.step(echo(true, 1), 'to-vm', 0.001);
  const at10 = h.table(10).length;
  h.step(echo(false, 2), 'from-vm', 20);
  const late = h.step(echo(true, 2), 'to-vm', replyAt);
  return { at10, late: [late.ctstate, late.verdict] };
}

describe('sysctl changes during a run (host profile events)', () => {
  const lowered =
    '{"events": [{"t": 1, "sysctls": {"net.netfilter.nf_conntrack_icmp_timeout": "3"}}]}';

  it('an existing entry keeps the expiry its last packet gave it; its next packet gets the new timeout', () => {
    // Without the change the entry lives 30 s after each packet: the reply at 24 s is ESTABLISHED.
    expect(run('{}', 24)).toEqual({ at10: 1, late: ['ESTABLISHED', 'accept'] });
    // Lowered at 1 s: the entry from 0 s still exists at 10 s (it expires at 30 s, not at 4 s) …
    expect(run(lowered, 22)).toEqual({ at10: 1, late: ['ESTABLISHED', 'accept'] });
    // … the request at 20 s refreshed it with 3 s, so the reply at 24 s finds no entry.
    expect(run(lowered, 24)).toEqual({ at10: 1, late: ['INVALID', 'drop'] });
  });

  it('bridge-nf-call-iptables=0: bridged IPv4 bypasses conntrack and iptables', () => {
    const h = hostFor('{"sysctls": {"bridge-nf-call-iptables": "0"}}');
    const t = h.step(echo(true, 1), 'to-vm', 0);
    expect([t.ctstate, t.verdict]).toEqual([null, 'accept']);
    expect(t.notes.join(' ')).toMatch(/bridge-nf-call-iptables=0/);
    // switched back on by an event: the unsolicited reply is dropped again
    const h2 = hostFor(
      '{"sysctls": {"bridge-nf-call-iptables": "0"}, "events": [{"t": 1, "sysctls": {"bridge-nf-call-iptables": "1"}}]}',
    );
    expect(h2.step(echo(true, 1), 'to-vm', 0).verdict).toBe('accept');
    expect(h2.step(echo(true, 2), 'to-vm', 2).verdict).toBe('drop');
  });
});
