import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { nftablesBackend } from '../compile/nftables/backend';
import { printScriptText } from '../compile/ebiptables/print-script';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { createWorkspaceLookup, INSTANTIATE_CODES } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import type { FilterDoc } from '../model/types';
import { buildArp, buildEthernet, buildIpv4, buildUdp, mac } from '../packet/packet-build';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { IpLearner } from './ip-learner';
import { learningRuleset, printLearningArgs } from './learning-rules';
import { anyLearnerHit, snoopDhcp } from './observe-frame';

const VM = '52:54:00:11:22:33';
const SRV = '52:54:00:aa:bb:cc';
const vm = mac(VM);

/** The BOOTP/DHCP payload a server or client sends (RFC 2131), options as given. */
function bootp(op: 1 | 2, yiaddr: number[], chaddr: string, options: number[], magic = true) {
  const b = new Uint8Array(240 + options.length);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b.set(yiaddr, 16);
  b.set(
    chaddr.split(':').map((h) => parseInt(h, 16)),
    28,
  );
  if (magic) b.set([99, 130, 83, 99], 236);
  b.set(options, 240);
  return b;
}
const reply = (payload: Uint8Array, dst = VM) =>
  buildEthernet(
    { src: SRV, dst },
    buildIpv4({ src: '10.99.0.3', dst: '10.99.0.2' }, buildUdp({ sport: 67, dport: 68, payload })),
  );
const fromVm = (src: string, payload = buildUdp({ sport: 5000, dport: 53, payload: 'x' })) =>
  buildEthernet({ src: VM, dst: SRV }, buildIpv4({ src, dst: '10.99.0.3' }, payload));
const ACK = [53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 255];

function docs(xml: string): (name: string) => FilterDoc | undefined {
  const { doc } = parseFilterXml(xml);
  if (!doc) throw new Error('parse');
  return createWorkspaceLookup([doc], (n) => getBuiltinFilter(n, '9.0')?.doc);
}

describe('learning rules', () => {
  it("CTRL_IP_LEARNING=any: libvirt 9.0's exact commands (captured from real libvirt)", () => {
    const real = readFileSync(
      path.join(__dirname, 'testdata', 'libvirt-9.0-learning-any.cmds'),
      'utf8',
    );
    const printed = printLearningArgs(learningRuleset('basic', 'vnet0', '52:54:00:11:22:33'))
      .join('\n')
      .replace(/ \\\n/g, ' ');
    expect(`${printed}\n`).toBe(real);
  });

  it('dhcp-only: a pair of accept rules per DHCP server towards the VM, then a drop', () => {
    const rs = learningRuleset('dhcp-only', 'vnet0', '52:54:00:11:22:33', ['10.0.0.1', '10.0.0.2']);
    const lines = printLearningArgs(rs)
      .join('\n')
      .replace(/ \\\n/g, ' ')
      .split('\n')
      .filter((l) => / -[AE] /.test(l));
    expect(lines).toEqual([
      'ebtables --concurrent -t nat -A libvirt-J-vnet0 -s 52:54:00:11:22:33 -p ipv4 --ip-protocol udp --ip-sport 68 --ip-dport 67 -j ACCEPT',
      'ebtables --concurrent -t nat -A libvirt-J-vnet0 -j DROP',
      ...['10.0.0.1', '10.0.0.2'].flatMap((s) =>
        ['52:54:00:11:22:33', 'ff:ff:ff:ff:ff:ff'].map(
          (d) =>
            `ebtables --concurrent -t nat -A libvirt-P-vnet0 -d ${d} -p ipv4 --ip-protocol udp --ip-src ${s} --ip-sport 67 --ip-dport 68 -j ACCEPT`,
        ),
      ),
      'ebtables --concurrent -t nat -A libvirt-P-vnet0 -j DROP',
      'ebtables --concurrent -t nat -A PREROUTING -i vnet0 -j libvirt-J-vnet0',
      'ebtables --concurrent -t nat -A POSTROUTING -o vnet0 -j libvirt-P-vnet0',
      'ebtables --concurrent -t nat -E libvirt-J-vnet0 libvirt-I-vnet0',
      'ebtables --concurrent -t nat -E libvirt-P-vnet0 libvirt-O-vnet0',
    ]);
  });

  it('the script installs the learning chains under their final names', () => {
    const text = printScriptText(learningRuleset('basic', 'vnet0', '52:54:00:AA:bb:cc'));
    expect(text).toContain(
      "ebtables --concurrent -t nat -A libvirt-I-vnet0 -s '!' 52:54:00:aa:bb:cc -j DROP",
    );
    expect(text).toContain(
      'ebtables --concurrent -t nat -A PREROUTING -i vnet0 -j libvirt-I-vnet0',
    );
    expect(text).not.toMatch(/^ip6?tables /m);
  });
});

describe('the any learner (learnIPAddressThread)', () => {
  it('learns from an IPv4 source address of the VM, but not 0.0.0.0 nor multicast/class E', () => {
    expect(anyLearnerHit(fromVm('10.99.0.7'), vm)).toEqual({ ip: '10.99.0.7', how: 'ipv4-source' });
    expect(anyLearnerHit(fromVm('0.0.0.0'), vm)).toBeNull();
    expect(anyLearnerHit(fromVm('224.0.0.1'), vm)).toBeNull();
    expect(anyLearnerHit(fromVm('255.255.255.255'), vm)).toBeNull();
  });

  it('never learns from ARP (its ARP branch is unreachable: only IPv4 frames pass its switch)', () => {
    const arp = buildEthernet(
      { src: VM, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 2, sha: VM, spa: '10.99.0.2', tha: SRV, tpa: '10.99.0.3' }),
    );
    expect(anyLearnerHit(arp, vm)).toBeNull();
  });

  it('learns yiaddr from an OFFER or ACK for the VM, from any server, unicast or broadcast', () => {
    const offer = bootp(2, [10, 99, 0, 9], VM, [53, 1, 2, 255]);
    expect(anyLearnerHit(reply(offer), vm)).toEqual({ ip: '10.99.0.9', how: 'dhcp-offer' });
    expect(
      anyLearnerHit(reply(bootp(2, [10, 99, 0, 9], VM, ACK), 'ff:ff:ff:ff:ff:ff'), vm),
    ).toEqual({ ip: '10.99.0.9', how: 'dhcp-ack' });
    // NAK (6), another client's chaddr, a BOOTREQUEST, a zero yiaddr: nothing.
    expect(anyLearnerHit(reply(bootp(2, [10, 99, 0, 9], VM, [53, 1, 6])), vm)).toBeNull();
    expect(anyLearnerHit(reply(bootp(2, [10, 99, 0, 9], SRV, ACK)), vm)).toBeNull();
    expect(anyLearnerHit(reply(bootp(1, [10, 99, 0, 9], VM, ACK)), vm)).toBeNull();
    expect(anyLearnerHit(reply(bootp(2, [0, 0, 0, 0], VM, ACK)), vm)).toBeNull();
    // The magic cookie is not checked by this learner.
    expect(anyLearnerHit(reply(bootp(2, [10, 99, 0, 9], VM, ACK, false)), vm)?.ip).toBe(
      '10.99.0.9',
    );
  });
});

describe('the dhcp snooper (virNWFilterSnoopDHCPDecode)', () => {
  it('takes an ACK to the VM with its lease time; infinite is null; no lease option is 0 s', () => {
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, ACK)), vm, false)).toEqual({
      kind: 'ack',
      ip: '10.99.0.9',
      server: '0.0.0.0',
      lease: 3600,
    });
    const inf = [53, 1, 5, 51, 4, 255, 255, 255, 255, 255];
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, inf)), vm, false)).toMatchObject({
      lease: null,
    });
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, [53, 1, 5])), vm, false)).toMatchObject({
      lease: 0,
    });
  });

  it('ignores OFFERs, bad magic, duplicate message types, another chaddr, and a DECLINE from the VM', () => {
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, [53, 1, 2])), vm, false)).toBeNull();
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, ACK, false)), vm, false)).toBeNull();
    expect(
      snoopDhcp(reply(bootp(2, [10, 99, 0, 9], VM, [53, 1, 5, 53, 1, 5])), vm, false),
    ).toBeNull();
    expect(snoopDhcp(reply(bootp(2, [10, 99, 0, 9], SRV, ACK)), vm, false)).toBeNull();
    const decline = buildUdp({
      sport: 68,
      dport: 67,
      payload: bootp(1, [10, 99, 0, 9], VM, [53, 1, 4]),
    });
    expect(snoopDhcp(fromVm('0.0.0.0', decline), vm, true)).toBeNull();
  });

  it('a RELEASE from the VM ends the lease of its yiaddr (a client that fills in only ciaddr ends none)', () => {
    const release = buildUdp({
      sport: 68,
      dport: 67,
      payload: bootp(1, [10, 99, 0, 9], VM, [53, 1, 7]),
    });
    expect(snoopDhcp(fromVm('10.99.0.9', release), vm, true)).toEqual({
      kind: 'release',
      ip: '10.99.0.9',
    });
  });
});

describe('IpLearner', () => {
  const plan = (mode: 'any' | 'dhcp') => ({
    mode,
    dhcpServers: [],
    mac: VM,
    iface: 'vnet0',
    rules: mode === 'any' ? ('basic' as const) : ('dhcp-only' as const),
  });
  const toVm = { side: 'to-vm' as const, delivered: true };

  it('any: the first address is kept for good; a reply dropped before the port teaches nothing', () => {
    const l = new IpLearner(plan('any'));
    expect(
      l.observe(reply(bootp(2, [10, 99, 0, 9], VM, ACK)), { ...toVm, delivered: false }, 0, 0),
    ).toEqual([]);
    expect(
      l.observe(fromVm('10.99.0.7'), { side: 'from-vm', delivered: false }, 1, 1),
    ).toMatchObject([{ kind: 'learned', ip: '10.99.0.7', packet: 1 }]);
    expect(l.listening).toBe(false);
    expect(l.addresses()).toEqual(['10.99.0.7']);
  });

  it('dhcp: leases are renewed (never shortened) and expire at their end', () => {
    const l = new IpLearner(plan('dhcp'));
    const ack = (secs: number) =>
      reply(bootp(2, [10, 99, 0, 9], VM, [53, 1, 5, 51, 4, 0, 0, 0, secs, 255]));
    expect(l.observe(ack(30), toVm, 0, 0)).toMatchObject([{ kind: 'learned', until: 30 }]);
    expect(l.observe(ack(10), toVm, 1, 5)).toMatchObject([{ kind: 'renewed', until: 30 }]);
    expect(l.observe(ack(60), toVm, 2, 10)).toMatchObject([{ kind: 'renewed', until: 70 }]);
    expect(l.expire(69)).toEqual([]);
    expect(l.expire(70)).toEqual([{ kind: 'expired', ip: '10.99.0.9', t: 70 }]);
    expect(l.addresses()).toEqual([]);
  });
});

describe('compileFilter without IP', () => {
  const opts = (params: Record<string, string[]> = {}) => ({ iface: 'vnet0', mac: VM, params });

  it('gives the learning rules, with a note, for any (default) and dhcp', () => {
    const res = compileFilter(docs(FTP_SERVER_XML), 'test-eth0', opts());
    expect(res.learning).toMatchObject({ mode: 'any', rules: 'basic' });
    expect(res.diagnostics).toEqual([
      expect.objectContaining({ code: INSTANTIATE_CODES.learning, severity: 'info' }),
    ]);
    const dhcp = compileFilter(
      docs(FTP_SERVER_XML),
      'test-eth0',
      opts({ CTRL_IP_LEARNING: ['DHCP'], DHCPSERVER: ['10.99.0.3'] }),
    );
    expect(dhcp.learning).toMatchObject({ mode: 'dhcp', dhcpServers: ['10.99.0.3'] });
    expect(dhcp.ruleset?.tables[0]?.chains.map((c) => c.name)).toEqual([
      'PREROUTING',
      'POSTROUTING',
      'libvirt-I-vnet0',
      'libvirt-O-vnet0',
    ]);
  });

  it('refuses none (libvirt does not learn) and an unknown mode', () => {
    const none = compileFilter(
      docs(FTP_SERVER_XML),
      'test-eth0',
      opts({ CTRL_IP_LEARNING: ['none'] }),
    );
    expect(none.ruleset).toBeNull();
    expect(none.diagnostics[0]?.code).toBe(INSTANTIATE_CODES.unresolvedVariable);
    expect(none.diagnostics[0]?.message).toMatch(/CTRL_IP_LEARNING is 'none'/);
    const bad = compileFilter(
      docs(FTP_SERVER_XML),
      'test-eth0',
      opts({ CTRL_IP_LEARNING: ['arp'] }),
    );
    expect(bad.ruleset).toBeNull();
    expect(bad.diagnostics).toEqual([
      expect.objectContaining({ code: INSTANTIATE_CODES.learningValue }),
    ]);
  });

  it("under the nftables backend: the nftables driver's learning rules", () => {
    const res = compileFilter(
      docs(FTP_SERVER_XML),
      'test-eth0',
      { iface: 'vnet0', mac: VM, params: {} },
      nftablesBackend,
    );
    expect(res.learning?.mode).toBe('any');
    expect(res.ruleset?.backend).toBe('nftables');
    expect(res.diagnostics).toEqual([
      expect.objectContaining({
        code: INSTANTIATE_CODES.learning,
        message: expect.stringMatching(/another source MAC than 52:54:00:11:22:33/),
      }),
    ]);
  });

  it('learns only when IP is the one missing variable', () => {
    const two = `<filter name='f'><filterref filter='clean-traffic'/><rule action='accept' direction='in'><tcp dstportstart='$PORT'/></rule></filter>`;
    const res = compileFilter(docs(two), 'f', opts());
    expect(res.learning).toBeUndefined();
    expect(res.ruleset).toBeNull();
    const iter = `<filter name='f'><rule action='accept' direction='out'><ip srcipaddr='$IP[@1]'/></rule></filter>`;
    expect(compileFilter(docs(iter), 'f', opts()).learning).toBeUndefined();
  });

  it('with the learned address as IP it gives the filter rules', () => {
    const res = compileFilter(docs(FTP_SERVER_XML), 'test-eth0', opts({ IP: ['10.99.0.2'] }));
    expect(res.learning).toBeUndefined();
    expect(res.ruleset?.tables.map((t) => t.family)).toContain('iptables');
  });
});
