import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { createWorkspaceLookup } from '../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../library/builtin-filters';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { TcpFlow } from '../sim/tcp-flow';
import { BridgeHost } from './bridge-host';
import type { Side } from './bridge-host';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildUdp,
} from '../packet/packet-build';
import type { EthernetFrame } from '../packet/packet';

/**
 * The kernel test bed's filters (copied into ./testdata) and addresses:
 * the VM 10.99.0.2 / 52:54:00:11:22:33 behind vnet0, the client 10.99.0.3.
 * Expected outcomes are the ones the real kernel produced there (README notes).
 */
const TESTBED = fileURLToPath(new URL('./testdata', import.meta.url));
const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };
const CLIENT = { mac: '52:54:00:aa:bb:cc', ip: '10.99.0.3' };

function host(
  file: string,
  name: string,
  settings: ConstructorParameters<typeof BridgeHost>[1] = {},
) {
  const { doc } = parseFilterXml(readFileSync(`${TESTBED}/${file}`, 'utf8'));
  if (!doc) throw new Error(`cannot parse ${file}`);
  const lookup = createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc);
  const res = compileFilter(lookup, name, { iface: 'vnet0', mac: VM.mac, params: { IP: [VM.ip] } });
  if (!res.ruleset) throw new Error(JSON.stringify(res.diagnostics));
  return new BridgeHost(res.ruleset, { peerPort: 'vclient', ...settings });
}

/** Side of a frame: from the VM when its source MAC is the VM's. */
const sideOf = (f: EthernetFrame): Side => (f.src === 0x525400112233 ? 'from-vm' : 'to-vm');

function run(h: BridgeHost, frames: EthernetFrame[], t0 = 0) {
  return frames.map((f, i) => h.step(f, sideOf(f), t0 + i * 0.001));
}

function ftpLogin(ctl: TcpFlow): EthernetFrame[] {
  return [
    ctl.syn(),
    ctl.synAck(),
    ctl.ack('client'),
    ctl.data('server', '220 (vsFTPd 3.0.3)\r\n'),
    ctl.data('client', 'USER anonymous\r\n'),
    ctl.data('server', '331 Please specify the password.\r\n'),
    ctl.data('client', 'PASS \r\n'),
    ctl.data('server', '230 Login successful.\r\n'),
  ];
}

describe('BridgeHost with the docs FTP filter (test-eth0, clean-traffic)', () => {
  const control = () =>
    new TcpFlow({ ...CLIENT, port: 40001, isn: 1000 }, { ...VM, port: 21, isn: 2000 });

  it('lets SSH in: NEW then ESTABLISHED, decided by the XML rules', () => {
    const h = host('test-eth0.xml', 'test-eth0');
    const ssh = new TcpFlow({ ...CLIENT, port: 40010, isn: 1 }, { ...VM, port: 22, isn: 2 });
    const [syn, synAck, ack] = run(h, [ssh.syn(), ssh.synAck(), ssh.ack('client')]);
    expect([syn!.verdict, syn!.ctstate, syn!.rule]).toEqual([
      'accept',
      'NEW',
      { filter: 'test-eth0', index: 2, priority: 500, direction: 'in' },
    ]);
    expect([synAck!.verdict, synAck!.ctstate, synAck!.rule?.index]).toEqual([
      'accept',
      'ESTABLISHED',
      1,
    ]);
    expect([ack!.verdict, ack!.ctstate, ack!.rule?.index]).toEqual(['accept', 'ESTABLISHED', 0]);
    expect(h.table(1)[0]!.state).toBe('ESTABLISHED');
  });

  it('active FTP: the data connection is dropped without the helper, passes with it', () => {
    const port = (h: BridgeHost) => {
      const ctl = control();
      const out = run(h, [...ftpLogin(ctl), ctl.data('client', 'PORT 10,99,0,3,156,66\r\n')]);
      expect(out.every((p) => p.verdict === 'accept')).toBe(true);
      const data = new TcpFlow(
        { ...VM, port: 20, isn: 5000 },
        { ...CLIENT, port: 40002, isn: 6000 },
      );
      return run(h, [data.syn(), data.synAck(), data.ack('client')], 1);
    };
    const off = port(host('test-eth0.xml', 'test-eth0'));
    expect([off[0]!.verdict, off[0]!.ctstate, off[0]!.rule?.index]).toEqual(['drop', 'NEW', 6]);
    const helped = host('test-eth0.xml', 'test-eth0', { ftpHelper: true });
    const on = port(helped);
    expect(on.map((p) => `${p.verdict} ${p.ctstate}`)).toEqual([
      'accept RELATED',
      'accept ESTABLISHED',
      'accept ESTABLISHED',
    ]);
    expect(helped.table(2).map((c) => c.helper)).toEqual(['ftp', null]);
  });

  it('passive FTP fails even with the helper: RELATED is not allowed towards the VM', () => {
    const h = host('test-eth0.xml', 'test-eth0', { ftpHelper: true });
    const ctl = control();
    run(h, [
      ...ftpLogin(ctl),
      ctl.data('client', 'PASV\r\n'),
      ctl.data('server', '227 Entering Passive Mode (10,99,0,2,117,48).\r\n'),
    ]);
    expect(h.expectations(1)).toHaveLength(1);
    const data = new TcpFlow(
      { ...CLIENT, port: 40003, isn: 7000 },
      { ...VM, port: 30000, isn: 8000 },
    );
    const [syn] = run(h, [data.syn()], 1);
    expect([syn!.verdict, syn!.ctstate]).toEqual(['drop', 'RELATED']);
  });

  it('ping and DNS out are allowed, their replies come back ESTABLISHED', () => {
    const h = host('test-eth0.xml', 'test-eth0');
    const out = (l4: Parameters<typeof buildIpv4>[1]) =>
      buildEthernet(
        { src: VM.mac, dst: CLIENT.mac },
        buildIpv4({ src: VM.ip, dst: CLIENT.ip }, l4),
      );
    const back = (l4: Parameters<typeof buildIpv4>[1]) =>
      buildEthernet(
        { src: CLIENT.mac, dst: VM.mac },
        buildIpv4({ src: CLIENT.ip, dst: VM.ip }, l4),
      );
    const res = run(h, [
      out(buildIcmpEcho({ id: 1, seq: 1 })),
      back(buildIcmpEcho({ reply: true, id: 1, seq: 1 })),
      out(buildUdp({ sport: 40000, dport: 53, payload: 'q' })),
      back(buildUdp({ sport: 53, dport: 40000, payload: 'a' })),
      back(buildIcmpEcho({ id: 2, seq: 1 })),
    ]);
    expect(res.map((p) => `${p.verdict} ${p.ctstate}`)).toEqual([
      'accept NEW',
      'accept ESTABLISHED',
      'accept NEW',
      'accept ESTABLISHED',
      'drop NEW',
    ]);
  });

  it('clean-traffic drops a spoofed source IP and MAC in ebtables, before conntrack', () => {
    const h = host('test-eth0.xml', 'test-eth0');
    const spoofIp = buildEthernet(
      { src: VM.mac, dst: CLIENT.mac },
      buildIpv4({ src: '10.99.0.66', dst: CLIENT.ip }, buildIcmpEcho({ id: 1, seq: 1 })),
    );
    const spoofMac = buildEthernet(
      { src: '52:54:00:de:ad:00', dst: CLIENT.mac },
      buildIpv4({ src: VM.ip, dst: CLIENT.ip }, buildIcmpEcho({ id: 1, seq: 1 })),
    );
    const a = h.step(spoofIp, 'from-vm', 0);
    const b = h.step(spoofMac, 'from-vm', 0.1);
    for (const p of [a, b]) {
      expect(p.verdict).toBe('drop');
      expect(p.ctstate).toBeNull();
      expect(p.rule?.filter).toMatch(/^no-(ip|mac)-spoofing$/);
      expect(p.hooks.map((x) => x.hook)).toEqual(['ebtables nat PREROUTING']);
    }
    const arp = h.step(
      buildEthernet(
        { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
        buildArp({ op: 1, sha: VM.mac, spa: VM.ip, tpa: CLIENT.ip }),
      ),
      'from-vm',
      0.2,
    );
    expect(arp.verdict).toBe('accept');
    expect(h.table(1)).toEqual([]);
  });

  it('frames to the host take INPUT (libvirt-host-in → HI-vnet0), not FORWARD', () => {
    const h = host('test-eth0.xml', 'test-eth0');
    const q = buildEthernet(
      { src: VM.mac, dst: '52:54:00:00:00:01' },
      buildIpv4({ src: VM.ip, dst: '10.99.0.1' }, buildUdp({ sport: 40000, dport: 53 })),
    );
    const t = h.step(q, 'from-vm', 0, { toHost: true });
    expect([t.path, t.verdict, t.ctstate]).toEqual(['local', 'accept', 'NEW']);
    expect(t.hooks.map((x) => x.hook)).toEqual([
      'ebtables nat PREROUTING',
      'conntrack',
      'INPUT',
      'confirm',
    ]);
    expect(t.hooks[2]!.visits.some((v) => v.chain === 'HI-vnet0' && v.matched)).toBe(true);
    const tftp = buildEthernet(
      { src: VM.mac, dst: '52:54:00:00:00:01' },
      buildIpv4({ src: VM.ip, dst: '10.99.0.1' }, buildUdp({ sport: 40000, dport: 69 })),
    );
    expect(h.step(tftp, 'from-vm', 0.1, { toHost: true }).verdict).toBe('drop');
  });

  it('counts rule hits', () => {
    const h = host('test-eth0.xml', 'test-eth0');
    const ssh = new TcpFlow({ ...CLIENT, port: 40010, isn: 1 }, { ...VM, port: 22, isn: 2 });
    run(h, [ssh.syn(), ssh.synAck(), ssh.ack('client')]);
    const fo = h.counters().filter((c) => c.table === 'iptables/filter' && c.chain === 'FO-vnet0');
    expect(fo.map((c) => c.packets)).toEqual([1, 1, 0, 0]);
    // The SYN/ACK's IP datagram: 20 + 20 + 12 bytes of options.
    expect(fo[1]!.bytes).toBe(52);
  });
});

describe('BridgeHost with test-misc (connlimit, statematch=false, reject)', () => {
  it('lets exactly 4 of 6 concurrent SSH connections through (connlimit-above 4)', () => {
    const h = host('test-misc.xml', 'test-misc');
    const verdicts: string[] = [];
    for (let k = 0; k < 6; k++) {
      const f = new TcpFlow(
        { ...CLIENT, port: 41000 + k, isn: 1000 * k },
        { ...VM, port: 22, isn: 99 },
      );
      const syn = h.step(f.syn(), 'to-vm', k);
      if (syn.verdict !== 'accept') {
        verdicts.push(`${syn.verdict} ${syn.ctstate}`);
        continue;
      }
      const [synAck, ack] = run(h, [f.synAck(), f.ack('client')], k + 0.5);
      verdicts.push(`${syn.verdict}/${synAck!.verdict}/${ack!.verdict}`);
    }
    expect(verdicts).toEqual([
      'accept/accept/accept',
      'accept/accept/accept',
      'accept/accept/accept',
      'accept/accept/accept',
      'drop NEW',
      'drop NEW',
    ]);
    expect(h.table(10)).toHaveLength(4);
  });

  it('REJECT towards port 25 is reported as reject', () => {
    const h = host('test-misc.xml', 'test-misc');
    const smtp = new TcpFlow({ ...VM, port: 40020, isn: 1 }, { ...CLIENT, port: 25, isn: 2 });
    const p = h.step(smtp.syn(), 'from-vm', 0);
    expect(p.verdict).toBe('reject');
    expect(p.rule?.index).toBe(5);
  });
});
