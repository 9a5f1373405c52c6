/**
 * Named scenarios: coherent packet sequences between the VM and a remote
 * host (valid TCP sequence numbers, real FTP control text), each with a
 * title and an explanation of what it teaches. A scenario is played against
 * a host: each frame is sent and the scenario learns whether it was
 * delivered, so what follows depends on what got through, as it does between
 * real peers — a peer only answers what it received (`requires`), a lost SYN
 * is retransmitted until the sender gives up, an FTP server whose data
 * connection never opens says 425 instead of 226. The kernel differential
 * replays the frames a run offered, with the same rule.
 */
import type { EthernetFrame, L4Packet } from '../packet/packet';
import type { Side } from '../netfilter/bridge-host';
import {
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpError,
  buildIpv4,
  buildTcp,
  buildUdp,
  ip4,
  mac,
} from '../packet/packet-build';
import { TcpFlow } from './tcp-flow';
import { kernelFacts } from '../host/kernel-release';
import type { KernelFacts } from '../host/kernel-release';

export interface Endpoint {
  mac: string;
  ip: string;
}

/** Addresses a scenario runs with (the VM's come from the filter parameters `MAC` and `IP`). */
export interface ScenarioHosts {
  vm: Endpoint;
  remote: Endpoint;
}

export const DEFAULT_HOSTS: ScenarioHosts = {
  vm: { mac: '52:54:00:11:22:33', ip: '10.99.0.2' },
  remote: { mac: '52:54:00:aa:bb:cc', ip: '10.99.0.3' },
};

export interface ScenarioFrame {
  /** Seconds from the scenario start (virtual clock). */
  t: number;
  side: Side;
  frame: EthernetFrame;
  /** Indices of earlier frames that must have been delivered for this one to be sent. */
  requires?: number[];
  /**
   * Indices of earlier frames none of which may have been delivered for this one to be sent: the
   * other branch of a choice (a DHCP client requests the first offer that reached it).
   */
  unless?: number[];
  /** What this frame is, for tables (`data SYN`, `PORT command`). */
  label: string;
  /** A frame from the VM to the host itself (INPUT), not bridged (an analysis witness). */
  toHost?: boolean;
}

/**
 * Where a played scenario's frames go. `send` puts a frame on the wire and answers whether it
 * was delivered; `skip` hears of a frame its sender did not send because a frame it answers
 * (`requires`) was not delivered. Frames are numbered in the order they are offered.
 */
export interface ScenarioWire {
  send(frame: ScenarioFrame, index: number): boolean;
  skip?(frame: ScenarioFrame, index: number): void;
}

export interface ScenarioSettings {
  /** Host setting the scenario needs (the CT --helper ftp rule); undefined = the host's own setting. */
  ftpHelper?: boolean;
  sysctl?: Record<string, number>;
}

export interface Scenario {
  name: string;
  title: string;
  explanation: string;
  settings: ScenarioSettings;
  /**
   * Plays the scenario through `wire`: each step depends on what the earlier frames became. The
   * endpoints' TCP timing (a lost SYN sent again, connect() giving up) is `kernel`'s (default the
   * reference host's).
   */
  play(hosts: ScenarioHosts, wire: ScenarioWire, kernel?: KernelFacts): void;
  /** The frames offered when every frame is delivered. */
  build(hosts: ScenarioHosts): ScenarioFrame[];
}

/** A scenario from its script (`play`); `build` is the run in which everything is delivered. */
function scenario(def: Omit<Scenario, 'play' | 'build'> & { script(s: Script): void }): Scenario {
  const { script, ...rest } = def;
  return {
    ...rest,
    play: (hosts, wire, kernel) => script(new Script(hosts, wire, kernel)),
    build(hosts) {
      const s = new Script(hosts, { send: () => true });
      script(s);
      return s.frames;
    },
  };
}

/** Collects frames, tracking indices for `requires` and what became of each frame. */
class Script {
  readonly frames: ScenarioFrame[] = [];
  /** Per offered frame: delivered (true), lost (false) or not sent (null). */
  private readonly fates: (boolean | null)[] = [];
  constructor(
    readonly hosts: ScenarioHosts,
    private readonly wire: ScenarioWire,
    /** The endpoints' kernel: its TCP timing. */
    readonly kernel: KernelFacts = kernelFacts(),
  ) {}

  /**
   * Offers a frame and returns its index: sent unless a frame it `requires` was not delivered or
   * one of `more.unless` was.
   * Frames from the remote host's MAC go to the VM; anything else comes from the VM's port
   * (forged MACs included).
   */
  add(
    t: number,
    frame: EthernetFrame,
    label: string,
    requires?: number[],
    more: { side?: Side; unless?: number[] } = {},
  ): number {
    const side: Side =
      more.side ?? (frame.src === mac(this.hosts.remote.mac) ? 'to-vm' : 'from-vm');
    const f: ScenarioFrame = { t, side, frame, label };
    if (requires && requires.length) f.requires = requires;
    if (more.unless && more.unless.length) f.unless = more.unless;
    const index = this.frames.length;
    this.frames.push(f);
    if (
      (requires && !requires.every((r) => this.fates[r] === true)) ||
      (more.unless && more.unless.some((r) => this.fates[r] === true))
    ) {
      this.fates.push(null);
      this.wire.skip?.(f, index);
    } else this.fates.push(this.wire.send(f, index));
    return index;
  }

  /** Whether the frame at `index` was delivered. */
  delivered(index: number): boolean {
    return this.fates[index] === true;
  }

  fromVm(l4: L4Packet, src = this.hosts.vm.ip, srcMac = this.hosts.vm.mac): EthernetFrame {
    return buildEthernet(
      { src: srcMac, dst: this.hosts.remote.mac },
      buildIpv4({ src, dst: this.hosts.remote.ip }, l4),
    );
  }

  toVm(l4: L4Packet): EthernetFrame {
    return buildEthernet(
      { src: this.hosts.remote.mac, dst: this.hosts.vm.mac },
      buildIpv4({ src: this.hosts.remote.ip, dst: this.hosts.vm.ip }, l4),
    );
  }
}

// When Linux sends a lost SYN again and when connect() gives up depend on the kernel release
// (host profile, `kernelFacts`): on the reference host (6.18) net.ipv4.tcp_syn_linear_timeouts = 4
// keeps the first five retransmissions 1 s apart, then the timeout doubles (1, 2, 3, 4, 5, 7, 11,
// 19, 35, 67 s; ETIMEDOUT about 131 s after the first SYN, 134.7 s measured: each timer fires a
// little late); before 6.5 it doubles from the start (1, 3, 7, 15, 31, 63 s; 127 s).

/**
 * A TCP exchange in which each segment is sent only if the previous one of
 * the conversation was delivered (a peer answers only what it received).
 */
class Conversation {
  private last: number | null = null;
  constructor(
    private readonly s: Script,
    readonly flow: TcpFlow,
  ) {}

  send(t: number, frame: EthernetFrame, label: string): number {
    const i = this.s.add(t, frame, label, this.last === null ? undefined : [this.last]);
    this.last = i;
    return i;
  }

  /** Three-way handshake starting at t, every segment delivered or the rest not sent. */
  open(t: number, what: string): void {
    this.send(t, this.flow.syn(), `${what} SYN`);
    this.send(t + 0.0005, this.flow.synAck(), `${what} SYN/ACK`);
    this.send(t + 0.001, this.flow.ack('client'), `${what} ACK`);
  }

  /**
   * The client's connect(): its SYN, the server's SYN/ACK when the SYN arrived, the ACK when the
   * SYN/ACK came back. While no SYN/ACK comes back the SYN is sent again as Linux does
   * (the kernel's `synRetransmits`; a server that got a SYN answers each with the same SYN/ACK) until
   * `giveUp` seconds after the first. Returns when the handshake completed, or null when the
   * client gave up (at t + giveUp).
   */
  connect(t: number, what: string, giveUp = this.s.kernel.connectTimeout): number | null {
    const syn = this.flow.syn();
    let synAck: EthernetFrame | null = null;
    for (const [k, at] of [0, ...this.s.kernel.synRetransmits].entries()) {
      if (at >= giveUp) break;
      const i = this.s.add(
        t + at,
        k === 0 ? syn : this.flow.again('client', syn),
        k === 0 ? `${what} SYN` : `${what} SYN (retransmission ${k})`,
      );
      if (!this.s.delivered(i)) continue;
      const first: boolean = synAck === null;
      synAck = synAck === null ? this.flow.synAck() : this.flow.again('server', synAck);
      const j = this.s.add(
        t + at + 0.0005,
        synAck,
        first ? `${what} SYN/ACK` : `${what} SYN/ACK (again)`,
        [i],
      );
      if (!this.s.delivered(j)) continue;
      this.last = j;
      this.send(t + at + 0.001, this.flow.ack('client'), `${what} ACK`);
      return t + at + 0.001;
    }
    return null;
  }

  /** A line of text from one side, acknowledged by the other. */
  line(t: number, side: 'client' | 'server', text: string, label: string): void {
    this.send(t, this.flow.data(side, text), label);
    this.send(t + 0.0005, this.flow.ack(side === 'client' ? 'server' : 'client'), 'ACK');
  }

  /**
   * FIN from `first`, answered by the other side's FIN, then the last ACK,
   * `gap` seconds apart (default 0.5 ms). nf_conncount garbage-collects a list
   * at most once per jiffy, so whether connlimit still counts a closing
   * connection depends on this spacing.
   */
  close(t: number, first: 'client' | 'server', what: string, gap = 0.0005): void {
    const other = first === 'client' ? 'server' : 'client';
    this.send(t, this.flow.fin(first), `${what} FIN`);
    this.send(t + gap, this.flow.fin(other), `${what} FIN`);
    this.send(t + 2 * gap, this.flow.ack(first), `${what} last ACK`);
  }
}

/**
 * Opens the FTP control connection (remote client → VM server) and logs in, as curl and vsftpd
 * do: the conversation and the time its handshake ended (less 1 ms), the origin of what follows;
 * null when the connection could not be opened.
 */
function ftpLogin(s: Script, t0: number): { ctl: Conversation; t: number } | null {
  const { vm, remote } = s.hosts;
  const ctl = new Conversation(
    s,
    new TcpFlow(
      { ...remote, port: 40001, isn: 3_000_000_000 },
      { ...vm, port: 21, isn: 1_200_000_000 },
    ),
  );
  const up = ctl.connect(t0, 'control');
  if (up === null) return null;
  t0 = up - 0.001;
  ctl.line(t0 + 0.01, 'server', '220 (vsFTPd 3.0.3)\r\n', 'banner 220');
  ctl.line(t0 + 0.02, 'client', 'USER anonymous\r\n', 'USER');
  ctl.line(t0 + 0.03, 'server', '331 Please specify the password.\r\n', '331');
  ctl.line(t0 + 0.04, 'client', 'PASS ftp@example.com\r\n', 'PASS');
  ctl.line(t0 + 0.05, 'server', '230 Login successful.\r\n', '230');
  ctl.line(t0 + 0.06, 'client', 'TYPE I\r\n', 'TYPE I');
  ctl.line(t0 + 0.07, 'server', '200 Switching to Binary mode.\r\n', '200');
  return { ctl, t: t0 };
}

/** vsftpd's connect_timeout (default 60 s): how long it waits for an active-mode data connection. */
const VSFTPD_CONNECT_TIMEOUT = 60;

const LISTING = '-rw-r--r--    1 0        0               6 Nov 21 12:00 hello.txt\r\n';

/** The client's QUIT, vsftpd's 221 and the server's close. */
function ftpQuit(ctl: Conversation, t: number): void {
  ctl.line(t, 'client', 'QUIT\r\n', 'QUIT');
  ctl.line(t + 0.01, 'server', '221 Goodbye.\r\n', '221');
  ctl.close(t + 0.02, 'server', 'control');
}

/**
 * On an open data connection: vsftpd's 150, the listing from the server's end (`server`: the
 * client side of the flow in active mode, which vsftpd opened), that end's close, 226 and QUIT.
 */
function ftpTransfer(
  ctl: Conversation,
  data: Conversation,
  t: number,
  server: 'client' | 'server',
): void {
  ctl.line(t, 'server', '150 Here comes the directory listing.\r\n', '150');
  data.line(t + 0.01, server, LISTING, 'listing');
  data.close(t + 0.02, server, 'data');
  ctl.line(t + 0.03, 'server', '226 Directory send OK.\r\n', '226');
  ftpQuit(ctl, t + 0.04);
}

function portArgs(ip: string, port: number): string {
  return `${ip.split('.').join(',')},${port >> 8},${port & 255}`;
}

/** glibc's resolver: `options timeout:5 attempts:2` (the defaults) with one name server. */
const RESOLVER_TIMEOUT = 5;
const RESOLVER_ATTEMPTS = 2;

const DNS_ANSWER = '\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd7\x0e';

/**
 * A lookup of example.com/A from the VM: the query, and the server's answer (`answer` records
 * after the question) or, with `answer` null, the ICMP port unreachable of a host without a
 * DNS server. When nothing comes back the resolver asks again after its timeout, the same
 * query, and gives up after the last attempt.
 */
/**
 * `count` echo requests one second apart from the `side` they name (from-vm: the VM pings), each
 * answered 1 ms later by the other end when it got the request.
 */
function pings(s: Script, side: 'from-vm' | 'to-vm', id: number, count: number): void {
  const send = (fromVm: boolean, l4: L4Packet) => (fromVm ? s.fromVm(l4) : s.toVm(l4));
  for (let k = 0; k < count; k++) {
    const r = s.add(
      k,
      send(side === 'from-vm', buildIcmpEcho({ id, seq: k + 1 })),
      `echo request ${k + 1}`,
    );
    s.add(
      k + 0.001,
      send(side !== 'from-vm', buildIcmpEcho({ reply: true, id, seq: k + 1 })),
      `echo reply ${k + 1}`,
      [r],
    );
  }
}

function dnsLookup(
  s: Script,
  sport: number,
  id: number,
  answer: string | null,
  queryLabel: string,
  replyLabel: string,
): void {
  const question = '\x07example\x03com\x00\x00\x01\x00\x01';
  const hdr = (flags: string, answers: number) =>
    String.fromCharCode(id >> 8, id & 255) +
    flags +
    `\x00\x01\x00${String.fromCharCode(answers)}\x00\x00\x00\x00`;
  const query = s.fromVm(buildUdp({ sport, dport: 53, payload: hdr('\x01\x00', 0) + question }));
  for (let k = 0; k < RESOLVER_ATTEMPTS; k++) {
    const t = k * RESOLVER_TIMEOUT;
    const q = s.add(t, query, k === 0 ? queryLabel : `${queryLabel} (retry)`);
    let reply: EthernetFrame | null = null;
    if (answer !== null)
      reply = s.toVm(
        buildUdp({ sport: 53, dport: sport, payload: hdr('\x81\x80', 1) + question + answer }),
      );
    else if (query.payload.kind === 'ipv4')
      reply = buildEthernet(
        { src: s.hosts.remote.mac, dst: s.hosts.vm.mac },
        buildIpv4(
          { src: s.hosts.remote.ip, dst: s.hosts.vm.ip, df: false },
          buildIcmpError(3, 3, query.payload, 13),
        ),
      );
    if (!reply) return;
    const r = s.add(
      t + (answer !== null ? 0.02 : 0.001),
      reply,
      k === 0 ? replyLabel : `${replyLabel} (again)`,
      [q],
    );
    if (s.delivered(r)) return;
  }
}

/**
 * A data segment of an SSH connection opened before the host started tracking, the VM's ACK,
 * its answer and the client's ACK.
 */
function midStream(s: Script): void {
  const flow = new TcpFlow(
    { ...s.hosts.remote, port: 40200, isn: 555_000 },
    { ...s.hosts.vm, port: 22, isn: 666_000 },
  );
  flow.syn();
  flow.synAck();
  const c = new Conversation(s, flow);
  c.send(0, flow.data('client', 'keystroke'), 'data (mid-stream)');
  c.send(0.001, flow.ack('server'), 'ACK from the VM');
  c.send(0.01, flow.data('server', 'echo'), 'data from the VM');
  c.send(0.011, flow.ack('client'), 'ACK');
}

/** A minimal BOOTP/DHCP message (RFC 2131) with the message-type option. */
function dhcpPayload(
  op: 1 | 2,
  xid: number,
  chaddr: string,
  msgType: number,
  yiaddr = '0.0.0.0',
  server = '0.0.0.0',
  lease?: number,
): Uint8Array {
  const b = new Uint8Array(244 + 3 + (op === 2 ? 6 : 0) + (lease !== undefined ? 6 : 0) + 1);
  const dv = new DataView(b.buffer);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  dv.setUint32(4, xid);
  if (op === 1) dv.setUint16(10, 0x8000); // broadcast flag
  dv.setUint32(16, ip4(yiaddr));
  const m = mac(chaddr);
  dv.setUint16(28, Math.floor(m / 0x100000000));
  dv.setUint32(30, m >>> 0);
  dv.setUint32(236, 0x63825363); // magic cookie
  let o = 240;
  b[o++] = 53;
  b[o++] = 1;
  b[o++] = msgType;
  if (op === 2) {
    b[o++] = 54;
    b[o++] = 4;
    dv.setUint32(o, ip4(server));
    o += 4;
  }
  if (lease !== undefined) {
    b[o++] = 51;
    b[o++] = 4;
    dv.setUint32(o, lease);
    o += 4;
  }
  b[o] = 255;
  return b;
}

/** A DHCP server's identity in a scenario. */
interface DhcpServer {
  mac: string;
  ip: string;
}

/**
 * DHCP and the VM's traffic as a learning scenario needs them: the client's broadcasts from
 * 0.0.0.0, a server's replies unicast to the VM's MAC, the VM's pings once it has an address.
 */
class DhcpScript {
  constructor(readonly s: Script) {}
  private get vm(): Endpoint {
    return this.s.hosts.vm;
  }
  /** A client message broadcast from 0.0.0.0:68 (DISCOVER 1, REQUEST 3). */
  client(t: number, type: number, label: string, requires?: number[], unless?: number[]): number {
    const frame = buildEthernet(
      { src: this.vm.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildIpv4(
        { src: '0.0.0.0', dst: '255.255.255.255', ttl: 64 },
        buildUdp({ sport: 68, dport: 67, payload: dhcpPayload(1, 0x3903f326, this.vm.mac, type) }),
      ),
    );
    return this.s.add(t, frame, label, requires, {
      side: 'from-vm',
      ...(unless ? { unless } : {}),
    });
  }
  /** A server's reply (OFFER 2, ACK 5) giving `yiaddr` for `lease` seconds. */
  server(
    t: number,
    srv: DhcpServer,
    type: number,
    yiaddr: string,
    lease: number,
    label: string,
    requires?: number[],
  ): number {
    const frame = buildEthernet(
      { src: srv.mac, dst: this.vm.mac },
      buildIpv4(
        { src: srv.ip, dst: yiaddr },
        buildUdp({
          sport: 67,
          dport: 68,
          payload: dhcpPayload(2, 0x3903f326, this.vm.mac, type, yiaddr, srv.ip, lease),
        }),
      ),
    );
    return this.s.add(t, frame, label, requires, { side: 'to-vm' });
  }
  /** A unicast renewal REQUEST from the VM's address to the server (RFC 2131 RENEWING). */
  renew(t: number, srv: DhcpServer, from: string, label: string): number {
    const frame = buildEthernet(
      { src: this.vm.mac, dst: srv.mac },
      buildIpv4(
        { src: from, dst: srv.ip, ttl: 64 },
        buildUdp({ sport: 68, dport: 67, payload: dhcpPayload(1, 0x3903f327, this.vm.mac, 3) }),
      ),
    );
    return this.s.add(t, frame, label, undefined, { side: 'from-vm' });
  }
  /** A ping from the VM (`from`) to the remote host and its reply. */
  ping(t: number, from: string, id: number, label: string, requires?: number[]): void {
    const { remote } = this.s.hosts;
    const req = this.s.add(
      t,
      buildEthernet(
        { src: this.vm.mac, dst: remote.mac },
        buildIpv4({ src: from, dst: remote.ip }, buildIcmpEcho({ id, seq: 1 })),
      ),
      `${label}: echo request`,
      requires,
    );
    this.s.add(
      t + 0.001,
      buildEthernet(
        { src: remote.mac, dst: this.vm.mac },
        buildIpv4({ src: remote.ip, dst: from }, buildIcmpEcho({ reply: true, id, seq: 1 })),
      ),
      `${label}: echo reply`,
      [req],
    );
  }
}

/** The remote host as the network's DHCP server. */
const dhcpServerOf = (hosts: ScenarioHosts): DhcpServer => hosts.remote;

/** A second server on the network that should not be there (another VM or a misconfigured host). */
function rogueOf(hosts: ScenarioHosts): DhcpServer {
  return {
    mac: '52:54:00:66:66:66',
    ip: hosts.vm.ip.replace(/\d+$/, (d) => String(((Number(d) + 64) % 250) + 1)),
  };
}

/** An address a rogue server hands out (in the same /24, away from the VM's). */
const rogueLease = (hosts: ScenarioHosts) =>
  hosts.vm.ip.replace(/\d+$/, (d) => String(((Number(d) + 120) % 250) + 1));

const LEARNING_NOTE =
  'Run it on a filter that needs IP (clean-traffic) without an IP parameter: libvirt then learns the address, in the mode the filter parameter CTRL_IP_LEARNING names (any, the default, or dhcp), and the timeline shows the rules in force while it learns, the packet that teaches it, and the rebuild.';

/** The IP-learning scenarios (a VM booting with DHCP, a rogue server, a static address, a lease that ends). */
const LEARNING_SCENARIOS: readonly Scenario[] = [
  scenario({
    name: 'dhcp-boot',
    title: 'A VM boots and gets its address by DHCP',
    explanation: `The VM broadcasts DHCPDISCOVER from 0.0.0.0, the server (the remote host) offers the VM's address, the VM requests it and the server acknowledges it with a one-hour lease; then the VM pings the server. ${LEARNING_NOTE} Under any, the OFFER already teaches the address (libvirt does not wait for the ACK) — and DHCP only passes if the rebuilt filter lets it. Under dhcp only DHCP passes until the ACK, from the servers DHCPSERVER names, if any.`,
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const d = new DhcpScript(s);
      const srv = dhcpServerOf(hosts);
      const disc = d.client(0, 1, 'DHCPDISCOVER');
      const offer = d.server(0.01, srv, 2, hosts.vm.ip, 3600, 'DHCPOFFER', [disc]);
      const req = d.client(0.02, 3, 'DHCPREQUEST', [offer]);
      d.server(0.03, srv, 5, hosts.vm.ip, 3600, 'DHCPACK', [req]);
      d.ping(1, hosts.vm.ip, 0x4401, 'first ping');
    },
  }),
  scenario({
    name: 'dhcp-rogue-server',
    title: 'A rogue DHCP server answers first',
    explanation: `Another machine on the bridge runs a DHCP server and answers the VM's DISCOVER before the real one, offering a wrong address; the client takes the first offer that reaches it. ${LEARNING_NOTE} Under any, libvirt learns whatever the first OFFER says, from any server: the rogue's address. Under dhcp with DHCPSERVER set to the real server, the rogue's replies are dropped before they reach the VM (and libvirt never sees them), so the VM takes the real offer; without DHCPSERVER the rogue wins under dhcp too.`,
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const d = new DhcpScript(s);
      const srv = dhcpServerOf(hosts);
      const rogue = rogueOf(hosts);
      const bad = rogueLease(hosts);
      const disc = d.client(0, 1, 'DHCPDISCOVER');
      const rOffer = d.server(0.005, rogue, 2, bad, 600, `DHCPOFFER from the rogue ${rogue.ip}`, [
        disc,
      ]);
      const offer = d.server(0.01, srv, 2, hosts.vm.ip, 3600, `DHCPOFFER from ${srv.ip}`, [disc]);
      const rReq = d.client(0.02, 3, 'DHCPREQUEST (the rogue offer)', [rOffer]);
      const req = d.client(0.02, 3, 'DHCPREQUEST (the real offer)', [offer], [rOffer]);
      d.server(0.025, rogue, 5, bad, 600, `DHCPACK from the rogue ${rogue.ip}`, [rReq]);
      const ack = d.server(0.03, srv, 5, hosts.vm.ip, 3600, `DHCPACK from ${srv.ip}`, [req]);
      d.ping(1, bad, 0x4402, 'ping from the rogue address', [rReq]);
      d.ping(1.1, hosts.vm.ip, 0x4403, 'ping from the real address', [ack]);
    },
  }),
  scenario({
    name: 'static-ip',
    title: 'A VM with a static address',
    explanation: `The VM is configured with a static address and never speaks DHCP: it resolves the server's MAC with ARP and pings it. ${LEARNING_NOTE} Under any, its first IPv4 packet teaches the address (ARP does not: libvirt's learner skips every frame that is not IPv4). Under dhcp nothing but DHCP ever passes and nothing teaches an address: the VM stays cut off — set IP, or use any, for static guests.`,
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const d = new DhcpScript(s);
      const { vm, remote } = hosts;
      const who = d.s.add(
        0,
        buildEthernet(
          { src: vm.mac, dst: 'ff:ff:ff:ff:ff:ff' },
          buildArp({ op: 1, sha: vm.mac, spa: vm.ip, tha: '00:00:00:00:00:00', tpa: remote.ip }),
        ),
        'ARP who-has the server',
      );
      d.s.add(
        0.001,
        buildEthernet(
          { src: remote.mac, dst: vm.mac },
          buildArp({ op: 2, sha: remote.mac, spa: remote.ip, tha: vm.mac, tpa: vm.ip }),
        ),
        'ARP reply',
        [who],
      );
      d.ping(0.01, vm.ip, 0x4404, 'ping');
      d.ping(1, vm.ip, 0x4405, 'second ping');
    },
  }),
  scenario({
    name: 'dhcp-lease-expiry',
    title: 'A DHCP lease renewed once, then left to expire',
    explanation: `The VM gets a 30-second lease, renews it at 15 s (a unicast REQUEST, acknowledged until 45 s) and then stops renewing (a stopped DHCP client). ${LEARNING_NOTE} Under dhcp libvirt keeps the lease's end: the ping at 40 s passes, and once the lease ran out libvirt puts the DHCP-only rules back, so the ping at 50 s is dropped. Under any the address, once learned, stays for the binding's life.`,
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const d = new DhcpScript(s);
      const srv = dhcpServerOf(hosts);
      const disc = d.client(0, 1, 'DHCPDISCOVER');
      const offer = d.server(0.01, srv, 2, hosts.vm.ip, 30, 'DHCPOFFER', [disc]);
      const req = d.client(0.02, 3, 'DHCPREQUEST', [offer]);
      d.server(0.03, srv, 5, hosts.vm.ip, 30, 'DHCPACK (30 s lease)', [req]);
      d.ping(1, hosts.vm.ip, 0x4406, 'ping at 1 s');
      const renew = d.renew(15, srv, hosts.vm.ip, 'DHCPREQUEST (renewal)');
      d.server(15.01, srv, 5, hosts.vm.ip, 30, 'DHCPACK (renewed)', [renew]);
      d.ping(40, hosts.vm.ip, 0x4407, 'ping at 40 s');
      d.ping(50, hosts.vm.ip, 0x4408, 'ping at 50 s, the lease over');
    },
  }),
];

export const SCENARIOS: readonly Scenario[] = [
  scenario({
    name: 'ftp-active',
    title: 'Active FTP to the VM',
    explanation:
      'A remote client logs in to the FTP server in the VM and asks for a directory listing in active mode: it sends PORT, and the server opens the data connection from port 20 back to the client before it answers 150. On a current kernel that data connection is only RELATED when the host attaches the FTP helper (iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp); automatic helper assignment is gone since Linux 6.0 and libvirt adds no such rule. Without the helper the SYN from port 20 is NEW, and a filter that only lets ESTABLISHED/RELATED traffic leave the VM drops it — the docs predate this change. The server’s kernel sends the SYN again (1, 2, 3, 4, 5, 7, 11, 19 and 35 s later on Linux 6.5 and newer; 1, 3, 7, 15 and 31 s before: the host profile’s kernel release) until vsftpd gives up (connect_timeout, 60 s) and answers 425 Failed to establish connection; the client quits.',
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const login = ftpLogin(s, 0);
      if (!login) return;
      const { ctl, t } = login;
      const dataPort = 40002;
      ctl.line(t + 0.1, 'client', `PORT ${portArgs(hosts.remote.ip, dataPort)}\r\n`, 'PORT');
      ctl.line(t + 0.11, 'server', '200 PORT command successful. Consider using PASV.\r\n', '200');
      ctl.line(t + 0.12, 'client', 'LIST\r\n', 'LIST');
      const data = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.vm, port: 20, isn: 2_500_000_000 },
          { ...hosts.remote, port: dataPort, isn: 900_000_000 },
        ),
      );
      // vsftpd connects first and answers 150 only once the data connection is open.
      const up = data.connect(t + 0.13, 'data', VSFTPD_CONNECT_TIMEOUT);
      if (up === null) {
        ctl.line(
          t + 0.13 + VSFTPD_CONNECT_TIMEOUT,
          'server',
          '425 Failed to establish connection.\r\n',
          '425',
        );
        ftpQuit(ctl, t + 0.13 + VSFTPD_CONNECT_TIMEOUT + 0.01);
        return;
      }
      ftpTransfer(ctl, data, up + 0.01, 'client');
    },
  }),
  scenario({
    name: 'ftp-passive',
    title: 'Passive FTP to the VM',
    explanation:
      "The same login, but the client sends PASV; the server answers 227 with a port and the client opens the data connection to the VM, then asks for the listing. With the FTP helper that connection is RELATED (not NEW), so a filter must accept RELATED traffic towards the VM; the docs' NEW/ESTABLISHED filter does not, and passive FTP fails even with the helper. Without the helper the data SYN is NEW to a port no rule opens. A dropped data SYN is sent again (1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s later on Linux 6.5 and newer; 1, 3, 7, 15, 31 and 63 s before: the host profile's kernel release) until the client's connect() gives up (about 131 s, 127 s before 6.5: tcp_syn_retries = 6); the client never sends LIST and quits.",
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const login = ftpLogin(s, 0);
      if (!login) return;
      const { ctl, t } = login;
      ctl.line(t + 0.1, 'client', 'PASV\r\n', 'PASV');
      const pasvPort = 30000;
      ctl.line(
        t + 0.11,
        'server',
        `227 Entering Passive Mode (${portArgs(hosts.vm.ip, pasvPort)}).\r\n`,
        '227',
      );
      const data = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.remote, port: 40003, isn: 700_000_000 },
          { ...hosts.vm, port: pasvPort, isn: 1_700_000_000 },
        ),
      );
      // As curl and Python's ftplib do: the data connection first, then the command.
      const up = data.connect(t + 0.12, 'data');
      if (up === null) {
        ftpQuit(ctl, t + 0.12 + s.kernel.connectTimeout);
        return;
      }
      ctl.line(up + 0.01, 'client', 'LIST\r\n', 'LIST');
      ftpTransfer(ctl, data, up + 0.02, 'server');
    },
  }),
  scenario({
    name: 'ssh',
    title: 'SSH into the VM',
    explanation:
      "A remote client opens an SSH session to the VM: handshake (the SYN is NEW), banners both ways (ESTABLISHED), and a clean FIN teardown that walks conntrack through FIN_WAIT, CLOSE_WAIT, LAST_ACK and TIME_WAIT. When the SYN (or the SYN/ACK) is dropped the client's kernel sends its SYN again (1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s later on Linux 6.5 and newer; 1, 3, 7, 15, 31 and 63 s before: the host profile's kernel release), and ssh gives up with “Connection timed out” about 131 s after the first (127 s before 6.5). Under the docs' connlimit filter the client's last ACK is lost: it puts the connection in TIME_WAIT, nf_conncount no longer counts it, and xt_connlimit drops a packet whose count is 0 (hotdrop).",
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const c = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.remote, port: 40022, isn: 100_000 },
          { ...hosts.vm, port: 22, isn: 200_000 },
        ),
      );
      const up = c.connect(0, 'ssh');
      if (up === null) return;
      c.line(up + 0.01, 'server', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'server banner');
      c.line(up + 0.02, 'client', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'client banner');
      // A 12 ms round trip: each teardown segment falls in a later jiffy (HZ 250), as on the kernel test bed.
      c.close(up + 1, 'client', 'ssh', 0.012);
    },
  }),
  scenario({
    name: 'dns',
    title: 'DNS lookup from the VM',
    explanation:
      "The VM sends a UDP query to port 53 (NEW) and gets the answer (ESTABLISHED: conntrack pairs it with the query by addresses and ports). UDP has no handshake; the entry lives 30 s until a reply is seen and 120 s once traffic has flowed both ways for more than 2 s. When no answer comes back (the query or the answer dropped) glibc's resolver sends the same query again after its 5 s timeout, and gives up 5 s later (options timeout:5 attempts:2, the defaults).",
    settings: {},
    script(s) {
      dnsLookup(s, 45123, 0x4a11, DNS_ANSWER, 'query', 'answer');
    },
  }),
  scenario({
    name: 'ping',
    title: 'Ping from the VM',
    explanation:
      'Three echo requests from the VM, each answered. The first request is NEW, the replies and later requests ESTABLISHED: conntrack pairs ICMP echo by identifier, not by sequence number.',
    settings: {},
    script(s) {
      pings(s, 'from-vm', 0x1c2d, 3);
    },
  }),
  scenario({
    name: 'ping-in',
    title: 'The remote host pings the VM',
    explanation:
      'Echo requests towards the VM: the first one is NEW in the direction "in". A filter that only allows the VM to initiate ICMP (out, NEW) drops it; an echo reply with no request is INVALID.',
    settings: {},
    script(s) {
      pings(s, 'to-vm', 0x2b1a, 2);
    },
  }),
  scenario({
    name: 'ssh-connlimit',
    title: 'A second SSH session while one is open',
    explanation:
      'The remote host opens an SSH session, then a second one while the first is still open. connlimit counts the connections the rule itself has seen from that source (not the whole conntrack table): with connlimit-above 1 the second SYN makes the count 2 and is dropped. When the first session closes, its last ACK moves the connection to TIME_WAIT before the filter sees it; nf_conncount forgets closed (TIME_WAIT/CLOSE) connections and does not re-add a confirmed one, so the count is 0 — and xt_connlimit answers a count of 0 by dropping the packet outright (hotdrop: no rule matches, no counter moves). (The VM never gets that ACK and retransmits its FIN from LAST_ACK. The teardown segments are 12 ms apart: nf_conncount collects a list at most once per jiffy, so an ACK in the same jiffy as the FIN would still be counted, and pass.) Because TIME_WAIT counts as closed, a third session is then allowed.',
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const a = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.remote, port: 40100, isn: 10_000 },
          { ...hosts.vm, port: 22, isn: 20_000 },
        ),
      );
      a.open(0, 'session 1');
      a.line(0.01, 'server', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'server banner');
      const b = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.remote, port: 40101, isn: 30_000 },
          { ...hosts.vm, port: 22, isn: 40_000 },
        ),
      );
      b.open(1, 'session 2');
      a.close(2, 'client', 'session 1', 0.012);
      const c = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.remote, port: 40102, isn: 50_000 },
          { ...hosts.vm, port: 22, isn: 60_000 },
        ),
      );
      c.open(3, 'session 3');
    },
  }),
  scenario({
    name: 'ping-connlimit-timeout',
    title: 'A new ping right after the first, and after the ICMP timeout',
    explanation:
      'The VM pings for 3 seconds and stops; its conntrack entry lives on for nf_conntrack_icmp_timeout (30 s). A new ping (new identifier) started right away is a second ICMP connection, which connlimit-above 1 drops; the same ping started after the timeout is allowed because the first entry has expired and connlimit forgets it.',
    settings: {},
    script(s) {
      for (let k = 0; k < 3; k++) {
        const r = s.add(
          k,
          s.fromVm(buildIcmpEcho({ id: 0x1111, seq: k + 1 })),
          `ping 1 request ${k + 1}`,
        );
        s.add(
          k + 0.001,
          s.toVm(buildIcmpEcho({ reply: true, id: 0x1111, seq: k + 1 })),
          `ping 1 reply ${k + 1}`,
          [r],
        );
      }
      const r2 = s.add(
        3,
        s.fromVm(buildIcmpEcho({ id: 0x2222, seq: 1 })),
        'ping 2 request (right after)',
      );
      s.add(3.001, s.toVm(buildIcmpEcho({ reply: true, id: 0x2222, seq: 1 })), 'ping 2 reply', [
        r2,
      ]);
      const r3 = s.add(
        36,
        s.fromVm(buildIcmpEcho({ id: 0x3333, seq: 1 })),
        'ping 3 request (after the 30 s timeout)',
      );
      s.add(36.001, s.toVm(buildIcmpEcho({ reply: true, id: 0x3333, seq: 1 })), 'ping 3 reply', [
        r3,
      ]);
    },
  }),
  scenario({
    name: 'statematch-false',
    title: 'The VM initiates from port 12345',
    explanation:
      "With statematch='false' a rule matches packets in any connection state. A rule meant to let clients reach port 12345 on the VM then also lets the VM open connections from source port 12345 to anywhere: its SYN leaves as if it were a reply.",
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const c = new Conversation(
        s,
        new TcpFlow(
          { ...hosts.vm, port: 12345, isn: 77_000 },
          { ...hosts.remote, port: 80, isn: 88_000 },
        ),
      );
      c.open(0, 'outgoing');
      c.line(0.01, 'client', 'GET / HTTP/1.0\r\n\r\n', 'request');
    },
  }),
  scenario({
    name: 'spoofed-ip',
    title: 'The VM sends with a forged source IP',
    explanation:
      "Under clean-traffic the VM may only use its own IP address ($IP). A ping with another source address is dropped by no-ip-spoofing in ebtables' PREROUTING, before conntrack or iptables ever see it.",
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const forged = hosts.vm.ip.replace(/\d+$/, (d) => String((Number(d) + 100) % 254 || 1));
      s.add(0, s.fromVm(buildIcmpEcho({ id: 9, seq: 1 }), forged), `echo request from ${forged}`);
      s.add(1, s.fromVm(buildIcmpEcho({ id: 9, seq: 2 })), 'echo request from the real address');
    },
  }),
  scenario({
    name: 'spoofed-mac',
    title: 'The VM sends with a forged source MAC',
    explanation:
      'Under clean-traffic the VM may only use its own MAC address ($MAC); no-mac-spoofing drops anything else in ebtables before any other check.',
    settings: {},
    script(s) {
      const hosts = s.hosts;
      s.add(
        0,
        s.fromVm(buildIcmpEcho({ id: 9, seq: 1 }), hosts.vm.ip, '52:54:00:de:ad:01'),
        'echo request from a forged MAC',
      );
      s.add(1, s.fromVm(buildIcmpEcho({ id: 9, seq: 2 })), 'echo request from the real MAC');
    },
  }),
  scenario({
    name: 'dhcp',
    title: 'DHCP under clean-traffic',
    explanation:
      "Before it has an address the VM broadcasts DHCPDISCOVER from 0.0.0.0:68 to 255.255.255.255:67. no-ip-spoofing lets UDP from 0.0.0.0 through for exactly this, and the server (the remote host here) answers with an OFFER; REQUEST and ACK follow. Whether iptables then lets the exchange pass depends on the filter: DHCP broadcasts are NEW UDP flows. A broadcast is also passed up to the host itself: that copy is confirmed by conntrack at the bridge (so its entry stays, UNREPLIED, even when the forwarded copy is dropped) and then goes through iptables INPUT (libvirt-host-in → HI-vnet0), where the filter's rules see it again; the trace shows both paths, and the verdict is the forwarded copy's.",
    settings: {},
    script(s) {
      const hosts = s.hosts;
      const bcast = (payload: Uint8Array, src: string) =>
        buildEthernet(
          { src: hosts.vm.mac, dst: 'ff:ff:ff:ff:ff:ff' },
          buildIpv4(
            { src, dst: '255.255.255.255', ttl: 64 },
            buildUdp({ sport: 68, dport: 67, payload }),
          ),
        );
      const reply = (payload: Uint8Array) =>
        buildEthernet(
          { src: hosts.remote.mac, dst: hosts.vm.mac },
          buildIpv4(
            { src: hosts.remote.ip, dst: hosts.vm.ip },
            buildUdp({ sport: 67, dport: 68, payload }),
          ),
        );
      const d = s.add(
        0,
        bcast(dhcpPayload(1, 0x3903f326, hosts.vm.mac, 1), '0.0.0.0'),
        'DHCPDISCOVER',
      );
      const o = s.add(
        0.01,
        reply(dhcpPayload(2, 0x3903f326, hosts.vm.mac, 2, hosts.vm.ip, hosts.remote.ip)),
        'DHCPOFFER',
        [d],
      );
      const r = s.add(
        0.02,
        bcast(dhcpPayload(1, 0x3903f326, hosts.vm.mac, 3), '0.0.0.0'),
        'DHCPREQUEST',
        [o],
      );
      s.add(
        0.03,
        reply(dhcpPayload(2, 0x3903f326, hosts.vm.mac, 5, hosts.vm.ip, hosts.remote.ip)),
        'DHCPACK',
        [r],
      );
    },
  }),
  scenario({
    name: 'mid-stream-ack',
    title: 'A bare ACK of a connection conntrack never saw',
    explanation:
      'A data segment of an SSH connection opened before the host started tracking (e.g. after a conntrack flush). With nf_conntrack_tcp_loose=1, the default, conntrack picks the connection up and the bare ACK is NEW — not INVALID — so a rule allowing NEW traffic to port 22 accepts it and the session survives. Its timeout stays at 300 s until a reply is seen. With nf_conntrack_tcp_loose=0 the same segment is INVALID: see mid-stream-ack-strict.',
    settings: {},
    script: midStream,
  }),
  scenario({
    name: 'mid-stream-ack-strict',
    title: 'The same bare ACK with nf_conntrack_tcp_loose=0',
    explanation:
      "The mid-stream-ack segment on a host that sets nf_conntrack_tcp_loose=0 (a hardening guide's advice): conntrack no longer picks up a connection from the middle, only from its SYN, so the segment is INVALID. A rule allowing NEW traffic to port 22 does not match it, and under a filter that ends in a drop the session opened before the flush dies. Its packets stay INVALID until the client opens a new connection.",
    settings: { sysctl: { nf_conntrack_tcp_loose: 0 } },
    script: midStream,
  }),
  scenario({
    name: 'tcp-invalid',
    title: 'Segments conntrack calls INVALID on a default host',
    explanation:
      "With the default sysctls (nf_conntrack_tcp_loose=1, nf_conntrack_tcp_be_liberal=0) conntrack still calls a TCP packet INVALID when it fits no connection it can track: inside an open SSH session, a segment whose sequence number lies far beyond the receiver's window (injected, or from an older connection on the same ports); a SYN/ACK answering no SYN (backscatter of a SYN someone sent with the VM's address); a RST for a connection that does not exist; a segment with both SYN and FIN set. No state rule matches INVALID — not NEW, not ESTABLISHED — so a filter that ends in a drop drops them all, while the session itself carries on. Only a bare ACK is rescued by tcp_loose (mid-stream-ack).",
    settings: {},
    script(s) {
      const flow = new TcpFlow(
        { ...s.hosts.remote, port: 40300, isn: 7_000_000 },
        { ...s.hosts.vm, port: 22, isn: 8_000_000 },
      );
      const c = new Conversation(s, flow);
      c.open(0, 'ssh');
      c.line(0.01, 'server', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'server banner');
      const stray = (sport: number, dport: number, flags: string, seq: number, ack = 0) =>
        s.toVm(buildTcp({ sport, dport, flags, seq, ack, window: 502 }));
      // 1 GB past the client's next sequence number: far over the receiver's window.
      s.add(
        0.02,
        stray(40300, 22, 'P.', flow.nextSeq('client') + 1_000_000_000, flow.nextSeq('server')),
        'segment far outside the window',
      );
      c.line(0.03, 'client', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'client banner');
      s.add(0.04, stray(443, 40400, 'S.', 1_000, 2_000), 'SYN/ACK answering no SYN');
      s.add(0.05, stray(443, 40401, 'R.', 3_000, 4_000), 'RST for no connection');
      s.add(0.06, stray(40402, 22, 'SF', 5_000), 'SYN+FIN');
    },
  }),
  scenario({
    name: 'icmp-error-related',
    title: 'An ICMP error RELATED to a UDP flow',
    explanation:
      'The VM sends a DNS query to a host that runs no DNS server; that host answers with ICMP port unreachable quoting the query. Conntrack finds the quoted flow and calls the error RELATED (not ESTABLISHED, not NEW): it reaches the VM only if the filter accepts RELATED traffic towards it. Delivered, it makes the resolver fail at once (ECONNREFUSED); dropped, the resolver hears nothing, asks again after its 5 s timeout, gets the same error and gives up after another 5 s.',
    settings: {},
    script(s) {
      dnsLookup(
        s,
        50000,
        0x1234,
        null,
        'DNS query to a host without DNS server',
        'ICMP port unreachable',
      );
    },
  }),
  ...LEARNING_SCENARIOS,
];

/** The scenario called `name`, or undefined. */
export function getScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
