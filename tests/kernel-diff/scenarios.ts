/**
 * Frame sequences the suite injects into the kernel and gives the simulator, built with the
 * project's own packet builders and TCP conversation generator (src/core/netfilter,
 * src/core/sim). Named after the simulator issue's scenarios; when the simulator's scenario
 * module lands, `simulatorScenarios()` in ./lib/simulator.ts adds those too, unchanged.
 *
 * The VM is 10.99.0.2 / 52:54:00:11:22:33 (the filter parameters IP and MAC), the remote host
 * 10.99.0.3 / 52:54:00:aa:bb:03 behind the bridge's other port.
 */
import type { EthernetFrame } from '../../src/core/packet';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpError,
  buildIcmpv6Echo,
  buildIpv4,
  buildIpv6,
  buildTcp,
  buildUdp,
  mac,
} from '../../src/core/packet';
import type { IcmpMessage, Ipv4Packet, Ipv6Packet } from '../../src/core/packet';
import {
  encodeL3,
  ETH_P_IPV4,
  ipLength,
  ipv4HeaderChecksum,
  parseIpv6,
} from '../../src/core/packet';
import { TcpFlow } from '../../src/core/sim';

export const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2', ip6: '2001:db8:99::2' };
export const PEER = { mac: '52:54:00:aa:bb:03', ip: '10.99.0.3', ip6: '2001:db8:99::3' };
/** The bridge's address when a case gives it one (REJECT's ICMP source). */
export const BRIDGE_CIDR = '10.99.0.1/24';

export type Side = 'from-vm' | 'to-vm';

export interface ScenarioFrame {
  side: Side;
  frame: EthernetFrame;
  /** Seconds from the scenario's start. */
  t: number;
}

export interface Scenario {
  name: string;
  title: string;
  frames: ScenarioFrame[];
  /** The raw-table `CT --helper ftp` rule on the host. */
  ftpHelper?: boolean;
  /** /proc/sys/net/netfilter values the scenario sets on the host. */
  sysctl?: Record<string, number>;
  /** /proc/sys/net/netfilter values changed during the run, `t` seconds from the start. */
  events?: { t: number; sysctl: Record<string, number> }[];
}

/**
 * Default spacing: far longer than the kernel needs per frame, far shorter than any timeout, and
 * over 2 jiffies (HZ 250): nf_conncount keeps an unconfirmed connection seen on another CPU for
 * 2 jiffies, so closer frames would make connlimit counts depend on CPU scheduling.
 */
const GAP = 0.012;

class Seq {
  readonly frames: ScenarioFrame[] = [];
  t = 0;
  add(side: Side, frame: EthernetFrame, gap = GAP): this {
    this.frames.push({ side, frame, t: this.t });
    this.t += gap;
    return this;
  }
  wait(seconds: number): this {
    this.t += seconds;
    return this;
  }
}

const vmEnd = (port: number, isn: number) => ({ mac: VM.mac, ip: VM.ip, port, isn });
const peerEnd = (port: number, isn: number) => ({ mac: PEER.mac, ip: PEER.ip, port, isn });

/** A full TCP session: handshake, one exchange each way, orderly close by the client. */
function tcpSession(
  s: Seq,
  flow: TcpFlow,
  clientSide: Side,
  request: string,
  response: string,
): void {
  const serverSide: Side = clientSide === 'from-vm' ? 'to-vm' : 'from-vm';
  s.add(clientSide, flow.syn()).add(serverSide, flow.synAck()).add(clientSide, flow.ack('client'));
  s.add(serverSide, flow.data('server', response)).add(clientSide, flow.ack('client'));
  s.add(clientSide, flow.data('client', request)).add(serverSide, flow.ack('server'));
  s.add(clientSide, flow.fin('client'))
    .add(serverSide, flow.fin('server'))
    .add(clientSide, flow.ack('client'));
}

export function ping(s: Seq, from: Side, id: number, count: number): void {
  const [src, dst] = from === 'from-vm' ? [VM, PEER] : [PEER, VM];
  const back: Side = from === 'from-vm' ? 'to-vm' : 'from-vm';
  for (let seq = 1; seq <= count; seq++) {
    s.add(
      from,
      buildEthernet(
        { src: src.mac, dst: dst.mac },
        buildIpv4({ src: src.ip, dst: dst.ip, id: id + seq }, buildIcmpEcho({ id, seq })),
      ),
    );
    s.add(
      back,
      buildEthernet(
        { src: dst.mac, dst: src.mac },
        buildIpv4(
          { src: dst.ip, dst: src.ip, id: id + 100 + seq },
          buildIcmpEcho({ id, seq, reply: true }),
        ),
      ),
    );
  }
}

function udpExchange(
  s: Seq,
  from: Side,
  sport: number,
  dport: number,
  query: string,
  reply: string | null,
): Ipv4Packet {
  const [src, dst] = from === 'from-vm' ? [VM, PEER] : [PEER, VM];
  const back: Side = from === 'from-vm' ? 'to-vm' : 'from-vm';
  const q = buildIpv4(
    { src: src.ip, dst: dst.ip, id: sport },
    buildUdp({ sport, dport, payload: query }),
  );
  s.add(from, buildEthernet({ src: src.mac, dst: dst.mac }, q));
  if (reply !== null) {
    s.add(
      back,
      buildEthernet(
        { src: dst.mac, dst: src.mac },
        buildIpv4(
          { src: dst.ip, dst: src.ip, id: dport },
          buildUdp({ sport: dport, dport: sport, payload: reply }),
        ),
      ),
    );
  }
  return q;
}

/** An FTP session from the remote client to the server in the VM, active (PORT) or passive (PASV). */
function ftp(mode: 'active' | 'passive'): Seq {
  const s = new Seq();
  const ctl = new TcpFlow(peerEnd(40100, 1_000_000), vmEnd(21, 5_000_000));
  s.add('to-vm', ctl.syn()).add('from-vm', ctl.synAck()).add('to-vm', ctl.ack('client'));
  const say = (side: 'client' | 'server', text: string) => {
    const fromSide: Side = side === 'client' ? 'to-vm' : 'from-vm';
    s.add(fromSide, ctl.data(side, text)).add(
      fromSide === 'to-vm' ? 'from-vm' : 'to-vm',
      ctl.ack(side === 'client' ? 'server' : 'client'),
    );
  };
  say('server', '220 (vsFTPd 3.0.3)\r\n');
  say('client', 'USER anonymous\r\n');
  say('server', '230 Login successful.\r\n');
  say('client', 'TYPE I\r\n');
  say('server', '200 Switching to Binary mode.\r\n');
  let data: TcpFlow;
  let dataClient: Side;
  if (mode === 'active') {
    say('client', 'PORT 10,99,0,3,156,165\r\n'); // 156*256+165 = 40101
    say('server', '200 PORT command successful. Consider using PASV.\r\n');
    say('client', 'RETR hello.txt\r\n');
    data = new TcpFlow(vmEnd(20, 7_000_000), peerEnd(40101, 3_000_000));
    dataClient = 'from-vm';
  } else {
    say('client', 'PASV\r\n');
    say('server', '227 Entering Passive Mode (10,99,0,2,117,48).\r\n'); // 30000
    say('client', 'RETR hello.txt\r\n');
    data = new TcpFlow(peerEnd(40102, 3_000_000), vmEnd(30000, 7_000_000));
    dataClient = 'to-vm';
  }
  const dataServer: Side = dataClient === 'from-vm' ? 'to-vm' : 'from-vm';
  const fileSender = mode === 'active' ? 'client' : 'server';
  const fileSide: Side = 'from-vm';
  const peerOf = (x: 'client' | 'server') => (x === 'client' ? 'server' : 'client');
  s.add(dataClient, data.syn()).add(dataServer, data.synAck()).add(dataClient, data.ack('client'));
  say('server', '150 Opening BINARY mode data connection for hello.txt (32 bytes).\r\n');
  s.add(fileSide, data.data(fileSender, 'hello from the guest ftp server\n'));
  s.add(fileSide === 'from-vm' ? 'to-vm' : 'from-vm', data.ack(peerOf(fileSender)));
  s.add(fileSide, data.fin(fileSender)).add(
    fileSide === 'from-vm' ? 'to-vm' : 'from-vm',
    data.fin(peerOf(fileSender)),
  );
  s.add(fileSide, data.ack(fileSender));
  say('server', '226 Transfer complete.\r\n');
  say('client', 'QUIT\r\n');
  say('server', '221 Goodbye.\r\n');
  s.add('from-vm', ctl.fin('server'))
    .add('to-vm', ctl.fin('client'))
    .add('from-vm', ctl.ack('server'));
  return s;
}

/**
 * The suite's own scenarios, in run order (named `kd-…`). They complement the simulator's:
 * every frame is sent whatever happened to the previous ones (no `requires`), so they also
 * probe what conntrack makes of orphaned segments, and they cover ports and directions the
 * simulator's scenarios do not (ARP, SSH/HTTP/telnet in, SMTP out, UDP 53/54, port 12345 in,
 * FTP with the helper, stray TCP).
 */
export function buildScenarios(): Scenario[] {
  const list: Scenario[] = [];
  const add = (name: string, title: string, s: Seq, extra: Partial<Scenario> = {}) =>
    list.push({ name: `kd-${name}`, title, frames: s.frames, ...extra });

  let s = new Seq();
  s.add(
    'from-vm',
    buildEthernet(
      { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: VM.mac, spa: VM.ip, tpa: PEER.ip }),
    ),
  );
  s.add(
    'to-vm',
    buildEthernet(
      { src: PEER.mac, dst: VM.mac },
      buildArp({ op: 2, sha: PEER.mac, spa: PEER.ip, tha: VM.mac, tpa: VM.ip }),
    ),
  );
  s.add(
    'to-vm',
    buildEthernet(
      { src: PEER.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: PEER.mac, spa: PEER.ip, tpa: VM.ip }),
    ),
  );
  s.add(
    'from-vm',
    buildEthernet(
      { src: VM.mac, dst: PEER.mac },
      buildArp({ op: 2, sha: VM.mac, spa: VM.ip, tha: PEER.mac, tpa: PEER.ip }),
    ),
  );
  add('arp', 'ARP both ways', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(peerEnd(40022, 11_000), vmEnd(22, 22_000)),
    'to-vm',
    'SSH-2.0-client\r\n',
    'SSH-2.0-OpenSSH_9.2\r\n',
  );
  add('ssh', 'the remote host opens an SSH session to the VM', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(vmEnd(40023, 12_000), peerEnd(22, 23_000)),
    'from-vm',
    'SSH-2.0-client\r\n',
    'SSH-2.0-OpenSSH_9.2\r\n',
  );
  add('ssh-out', 'the VM opens an SSH session to the remote host', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(peerEnd(40080, 13_000), vmEnd(80, 24_000)),
    'to-vm',
    'GET / HTTP/1.0\r\n\r\n',
    'HTTP/1.0 200 OK\r\n\r\n',
  );
  add('http-in', 'the remote host fetches a page from the VM (port 80)', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(peerEnd(40024, 14_000), vmEnd(23, 25_000)),
    'to-vm',
    'user\r\n',
    'login: ',
  );
  add('telnet-in', 'the remote host tries port 23 on the VM', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(vmEnd(40025, 15_000), peerEnd(25, 26_000)),
    'from-vm',
    'HELO vm\r\n',
    '220 smtp\r\n',
  );
  add('smtp-out', 'the VM tries port 25 on the remote host', s);

  s = new Seq();
  udpExchange(s, 'to-vm', 40054, 53, 'dns-query', 'dns-reply');
  add('dns-in', 'the remote host queries UDP 53 on the VM', s);

  s = new Seq();
  udpExchange(s, 'from-vm', 40055, 54, 'query', 'reply');
  add('udp54-out', 'the VM sends to UDP 54 on the remote host', s);

  for (const helper of [false, true]) {
    const tag = helper ? '+helper' : '';
    add(
      `ftp-active${tag}`,
      `active FTP to the server in the VM (PORT), ${helper ? 'with' : 'without'} the CT helper rule`,
      ftp('active'),
      { ftpHelper: helper },
    );
    add(
      `ftp-passive${tag}`,
      `passive FTP to the server in the VM (PASV), ${helper ? 'with' : 'without'} the CT helper rule`,
      ftp('passive'),
      { ftpHelper: helper },
    );
  }

  s = new Seq();
  {
    const q = udpExchange(s, 'from-vm', 40056, 53, 'dns-query', null);
    const err = buildIpv4(
      { src: PEER.ip, dst: VM.ip, id: 777, df: false },
      buildIcmpError(3, 3, q),
    );
    s.add('to-vm', buildEthernet({ src: PEER.mac, dst: VM.mac }, err));
    // The same error quoting a datagram the VM never sent: no connection to relate it to.
    const stray = buildIpv4(
      { src: VM.ip, dst: PEER.ip, id: 1 },
      buildUdp({ sport: 40999, dport: 53, payload: 'x' }),
    );
    s.add(
      'to-vm',
      buildEthernet(
        { src: PEER.mac, dst: VM.mac },
        buildIpv4({ src: PEER.ip, dst: VM.ip, id: 778, df: false }, buildIcmpError(3, 3, stray)),
      ),
    );
  }
  add(
    'icmp-error-related',
    'a port-unreachable error for the VM’s DNS query (RELATED), then one for a query never sent',
    s,
  );

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(peerEnd(40027, 18_000), vmEnd(12345, 29_000)),
    'to-vm',
    'hello',
    'welcome',
  );
  add('port12345-in', 'the remote host connects to port 12345 on the VM', s);

  s = new Seq();
  {
    const a = new TcpFlow(peerEnd(40031, 19_000), vmEnd(22, 30_000));
    const b = new TcpFlow(peerEnd(40032, 20_000), vmEnd(22, 31_000));
    s.add('to-vm', a.syn())
      .add('from-vm', a.synAck())
      .add('to-vm', a.ack('client'))
      .add('from-vm', a.data('server', 'SSH-2.0-OpenSSH_9.2\r\n'))
      .add('to-vm', a.ack('client'));
    s.add('to-vm', b.syn()).add('from-vm', b.synAck()).add('to-vm', b.ack('client'));
    s.add('to-vm', a.data('client', 'SSH-2.0-client\r\n')).add('from-vm', a.ack('server'));
  }
  add('ssh-connlimit', 'a second SSH session while one is open', s);

  s = new Seq();
  {
    // Issue 12 §4: a concurrent session is refused, then the allowed one closes; its last ACK and
    // the ACKs of the VM's FIN retransmissions are hot-dropped (connlimit counts 0, no counter).
    const a = new TcpFlow(peerEnd(40033, 21_000), vmEnd(22, 32_000));
    const b = new TcpFlow(peerEnd(40034, 22_000), vmEnd(22, 33_000));
    s.add('to-vm', a.syn()).add('from-vm', a.synAck()).add('to-vm', a.ack('client'));
    s.add('to-vm', b.syn());
    s.add('to-vm', a.fin('client'));
    const fin = a.fin('server');
    const last = a.ack('client');
    // Retransmissions differ in their IP id only, so every frame's fate is told apart by content.
    const again = (f: EthernetFrame, id: number): EthernetFrame =>
      f.payload.kind === 'ipv4' ? { ...f, payload: { ...f.payload, id } } : f;
    s.add('from-vm', fin).add('to-vm', last, 0.2);
    s.add('from-vm', again(fin, 7001)).add('to-vm', again(last, 7002), 0.4);
    s.add('from-vm', again(fin, 7003)).add('to-vm', again(last, 7004));
  }
  add(
    'ssh-connlimit-close',
    'a second SSH session is refused, then the first one closes (last ACK retransmitted)',
    s,
  );

  s = new Seq();
  {
    const spoofed = buildIpv4(
      { src: '10.99.0.66', dst: PEER.ip, id: 9 },
      buildUdp({ sport: 40057, dport: 53, payload: 'spoofed' }),
    );
    s.add('from-vm', buildEthernet({ src: VM.mac, dst: PEER.mac }, spoofed));
    udpExchange(s, 'from-vm', 40058, 53, 'honest', 'reply');
    s.add(
      'from-vm',
      buildEthernet(
        { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
        buildArp({ op: 1, sha: VM.mac, spa: '10.99.0.66', tpa: PEER.ip }),
      ),
    );
  }
  add('spoofed-ip', 'the VM sends with a forged source IP (UDP and ARP), then honestly', s);

  s = new Seq();
  {
    const q = buildIpv4(
      { src: VM.ip, dst: PEER.ip, id: 10 },
      buildUdp({ sport: 40059, dport: 53, payload: 'forged mac' }),
    );
    s.add('from-vm', buildEthernet({ src: '52:54:00:de:ad:01', dst: PEER.mac }, q));
    s.add(
      'from-vm',
      buildEthernet(
        { src: '52:54:00:de:ad:01', dst: 'ff:ff:ff:ff:ff:ff' },
        buildArp({ op: 1, sha: '52:54:00:de:ad:01', spa: VM.ip, tpa: PEER.ip }),
      ),
    );
    udpExchange(s, 'from-vm', 40060, 53, 'honest', 'reply');
  }
  add('spoofed-mac', 'the VM sends with a forged source MAC, then honestly', s);

  s = new Seq();
  {
    // PORT and PASV answered, but no data connection follows: the expectations stay pending.
    const ctl = new TcpFlow(peerEnd(40110, 8_000_000), vmEnd(21, 9_000_000));
    s.add('to-vm', ctl.syn()).add('from-vm', ctl.synAck()).add('to-vm', ctl.ack('client'));
    s.add('from-vm', ctl.data('server', '220 (vsFTPd 3.0.3)\r\n')).add('to-vm', ctl.ack('client'));
    // The helper reads a command only right after a line end it has seen in that direction, so
    // a PORT as the client's very first line would be ignored: log in first.
    s.add('to-vm', ctl.data('client', 'USER anonymous\r\n')).add('from-vm', ctl.ack('server'));
    s.add('from-vm', ctl.data('server', '230 Login successful.\r\n')).add(
      'to-vm',
      ctl.ack('client'),
    );
    s.add('to-vm', ctl.data('client', 'PORT 10,99,0,3,156,175\r\n')).add(
      'from-vm',
      ctl.ack('server'),
    );
    s.add(
      'from-vm',
      ctl.data('server', '200 PORT command successful. Consider using PASV.\r\n'),
    ).add('to-vm', ctl.ack('client'));
  }
  add(
    'ftp-port-pending+helper',
    'an FTP client sends PORT and then nothing: the helper’s expectation stays pending',
    s,
    { ftpHelper: true },
  );

  s = new Seq();
  {
    // The same PORT as the client's first line: the helper ignores it (no line end seen before).
    const ctl = new TcpFlow(peerEnd(40111, 8_500_000), vmEnd(21, 9_500_000));
    s.add('to-vm', ctl.syn()).add('from-vm', ctl.synAck()).add('to-vm', ctl.ack('client'));
    s.add('to-vm', ctl.data('client', 'PORT 10,99,0,3,156,176\r\n')).add(
      'from-vm',
      ctl.ack('server'),
    );
    s.add('from-vm', ctl.data('server', '200 PORT command successful.\r\n')).add(
      'to-vm',
      ctl.ack('client'),
    );
  }
  add(
    'ftp-port-first-line+helper',
    'PORT as the client’s very first line: the FTP helper does not parse it',
    s,
    { ftpHelper: true },
  );

  s = new Seq();
  {
    // TCP packets conntrack must call INVALID: a SYN/ACK nobody asked for, then a RST out of window.
    s.add(
      'to-vm',
      buildEthernet(
        { src: PEER.mac, dst: VM.mac },
        buildIpv4(
          { src: PEER.ip, dst: VM.ip, id: 5 },
          buildTcp({ sport: 22, dport: 40070, flags: 'S.', seq: 1000, ack: 2000 }),
        ),
      ),
    );
    s.add(
      'from-vm',
      buildEthernet(
        { src: VM.mac, dst: PEER.mac },
        buildIpv4(
          { src: VM.ip, dst: PEER.ip, id: 6 },
          buildTcp({ sport: 40071, dport: 22, flags: 'F.', seq: 5, ack: 9 }),
        ),
      ),
    );
  }
  add('tcp-stray', 'a SYN/ACK and a FIN with no connection behind them', s);

  s = new Seq();
  {
    // The docs' `echo 3 > /proc/sys/net/netfilter/nf_conntrack_icmp_timeout` while pings run:
    // ping C's entry keeps the 30 s its first packets gave it (ping B at 4 s still finds it and,
    // under kd-connlimit, is refused); C's next packet at 4.5 s is refreshed with 3 s, so its
    // reply at 8 s finds no entry (INVALID).
    let ipId = 400;
    const echo = (at: number, from: Side, id: number, seq: number) => {
      s.t = at;
      const [a, b] = from === 'from-vm' ? [VM, PEER] : [PEER, VM];
      s.add(
        from,
        buildEthernet(
          { src: a.mac, dst: b.mac },
          buildIpv4(
            { src: a.ip, dst: b.ip, id: ipId++ },
            buildIcmpEcho({ id, seq, reply: from === 'to-vm' }),
          ),
        ),
      );
    };
    echo(0, 'from-vm', 41, 1); // C
    echo(0.012, 'to-vm', 41, 1);
    echo(4.0, 'from-vm', 42, 1); // B: C's entry is still there (it expires at 30 s)
    echo(4.012, 'to-vm', 42, 1);
    echo(4.5, 'to-vm', 41, 1); // C: refreshed, now with 3 s
    echo(8.0, 'to-vm', 41, 1); // C: gone since 7.5 s
  }
  add(
    'icmp-timeout-lowered',
    'nf_conntrack_icmp_timeout lowered from 30 to 3 s while pings run',
    s,
    { events: [{ t: 0.3, sysctl: { nf_conntrack_icmp_timeout: 3 } }] },
  );

  return list;
}

/**
 * An ICMPv6 neighbour solicitation (135) for `target`, or the advertisement (136) answering one
 * (solicited + override), with the link-layer address option (RFC 4861 4.3/4.4).
 */
function neighbourMessage(type: 135 | 136, target: string, lladdr: string): IcmpMessage {
  const body = new Uint8Array(24);
  const t = parseIpv6(target);
  if (!t) throw new Error(`bad IPv6 address ${target}`);
  t.forEach((word, i) => {
    body[i * 4] = (word >>> 24) & 0xff;
    body[i * 4 + 1] = (word >>> 16) & 0xff;
    body[i * 4 + 2] = (word >>> 8) & 0xff;
    body[i * 4 + 3] = word & 0xff;
  });
  body[16] = type === 135 ? 1 : 2; // source / target link-layer address option
  body[17] = 1;
  const m = mac(lladdr);
  for (let i = 0; i < 6; i++) body[18 + i] = Math.floor(m / 2 ** (8 * (5 - i))) & 0xff;
  return { kind: 'icmpv6', type, code: 0, rest: type === 136 ? 0x60000000 : 0, payload: body };
}

/**
 * Scenarios that only the cases naming them in `only` run: each shows the fate a lint finding
 * predicts (see `confirms` in ./cases.ts).
 */
export function buildPitfallScenarios(): Scenario[] {
  const list: Scenario[] = [];
  const add = (name: string, title: string, s: Seq) =>
    list.push({ name: `kd-${name}`, title, frames: s.frames });

  let s = new Seq();
  // Unicast neighbour solicitation (reachability check) and its advertisement, then a ping.
  const v6 = (side: Side, payload: IcmpMessage, hopLimit = 64) => {
    const [src, dst] = side === 'from-vm' ? [VM, PEER] : [PEER, VM];
    s.add(
      side,
      buildEthernet(
        { src: src.mac, dst: dst.mac },
        buildIpv6({ src: src.ip6, dst: dst.ip6, hopLimit }, payload),
      ),
    );
  };
  v6('from-vm', neighbourMessage(135, PEER.ip6, VM.mac), 255);
  v6('to-vm', neighbourMessage(136, PEER.ip6, PEER.mac), 255);
  v6('from-vm', buildIcmpv6Echo({ id: 61, seq: 1 }));
  v6('to-vm', buildIcmpv6Echo({ id: 61, seq: 1, reply: true }));
  add('ipv6-nd', 'IPv6 neighbour solicitation from the VM, the advertisement back, one ping6', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(vmEnd(40081, 41_000), peerEnd(80, 42_000)),
    'from-vm',
    'GET / HTTP/1.0\r\n\r\n',
    'HTTP/1.0 200 OK\r\n\r\n',
  );
  add('http-out', 'the VM fetches a page from port 80 of the remote host', s);

  s = new Seq();
  tcpSession(
    s,
    new TcpFlow(peerEnd(40026, 43_000), vmEnd(22, 44_000)),
    'to-vm',
    'SSH-2.0-client\r\n',
    'SSH-2.0-OpenSSH_9.2\r\n',
  );
  // The client marks its packets DSCP 10 (AF11); the VM answers with 0, as hosts do.
  for (const f of s.frames) {
    const ip = f.frame.payload;
    if (f.side === 'to-vm' && ip.kind === 'ipv4') ip.tos = 10 << 2;
  }
  add('ssh-dscp', 'an SSH session to the VM whose client marks DSCP 10; the VM answers with 0', s);

  // IP headers the kernel drops before any IP hook (br_validate_ipv4/6), between intact ones.
  s = new Seq();
  const udp4 = (side: Side, damage?: (ip: Ipv4Packet) => void) => {
    const [src, dst] = side === 'from-vm' ? [VM, PEER] : [PEER, VM];
    const ip = buildIpv4(
      { src: src.ip, dst: dst.ip, id: 700 + s.frames.length },
      buildUdp({ sport: 47000 + s.frames.length, dport: 5000, payload: 'length check' }),
    );
    damage?.(ip);
    s.add(side, buildEthernet({ src: src.mac, dst: dst.mac }, ip));
  };
  const udp6 = (side: Side, damage?: (ip: Ipv6Packet) => void) => {
    const [src, dst] = side === 'from-vm' ? [VM, PEER] : [PEER, VM];
    const ip = buildIpv6(
      { src: src.ip6, dst: dst.ip6 },
      buildUdp({ sport: 47000 + s.frames.length, dport: 5000, payload: 'length check' }),
    );
    damage?.(ip);
    s.add(side, buildEthernet({ src: src.mac, dst: dst.mac }, ip));
  };
  udp4('from-vm');
  udp4('from-vm', (ip) => (ip.totalLength = ipLength(ip) + 100));
  udp4('to-vm', (ip) => (ip.totalLength = ipLength(ip) + 1));
  udp4('from-vm', (ip) => (ip.totalLength = 16));
  // Header length 4 (16 bytes): the decoder cannot read it either, so it travels as raw bytes.
  const ihl4 = encodeL3(
    buildIpv4({ src: VM.ip, dst: PEER.ip }, buildUdp({ sport: 47100, dport: 5000 })),
  );
  ihl4[0] = 0x44;
  s.add(
    'from-vm',
    buildEthernet({ src: VM.mac, dst: PEER.mac }, { kind: 'raw', data: ihl4 }, ETH_P_IPV4),
  );
  udp4('to-vm');
  udp6('from-vm');
  udp6('from-vm', (ip) => (ip.payloadLength = ipLength(ip) - 40 + 100));
  udp6('to-vm', (ip) => (ip.payloadLength = ipLength(ip) - 40 + 1));
  udp6('to-vm');
  add(
    'ip-lengths',
    'UDP each way between IPv4/IPv6 headers the kernel drops: total length beyond the frame, below the header, header length 4, IPv6 payload length beyond the frame',
    s,
  );

  // IPv4 headers that do not sum to all ones (ip_fast_csum in br_validate_ipv4), between intact ones.
  s = new Seq();
  const NOPS = [1, 1, 1, 1];
  udp4('from-vm');
  udp4('from-vm', (ip) => (ip.badChecksum = ipv4HeaderChecksum(ip) ^ 0x0100));
  udp4('to-vm', (ip) => (ip.badChecksum = ipv4HeaderChecksum(ip) ^ 0x8001));
  // Options are covered too: four NOPs with the right checksum pass; the checksum of NOP NOP NOP
  // EOL on them (one option byte damaged on the way) does not.
  udp4('from-vm', (ip) => (ip.options = new Uint8Array(NOPS)));
  udp4('from-vm', (ip) => {
    ip.options = new Uint8Array([1, 1, 1, 0]);
    const sum = ipv4HeaderChecksum(ip);
    ip.options = new Uint8Array(NOPS);
    ip.badChecksum = sum;
  });
  udp4('to-vm');
  add(
    'ip-checksum',
    'UDP each way between IPv4 headers whose checksum is wrong (one each way, one over a damaged option byte) and a header with options',
    s,
  );
  return list;
}
