import { describe, expect, it } from 'vitest';
import { Conntrack } from './conntrack';
import { matchConntrack, matchState, parseCtStateMask } from './ct-match';
import { DEFAULT_SYSCTL, resolveSysctl } from './sysctl';
import { TcpFlow } from '../sim/tcp-flow';
import {
  buildArp,
  buildEsp,
  buildEthernet,
  buildIcmpEcho,
  buildIcmpError,
  buildIcmpv6Echo,
  buildIcmpv6Error,
  buildIpv4,
  buildIpv6,
  buildSctp,
  buildTcp,
  buildUdp,
  sctpInitChunk,
} from '../packet/packet-build';
import type { EthernetFrame, L4Packet } from '../packet/packet';
import type { CtPacket } from './types';
import { IPS_ASSURED } from './types';
import { drop, pass, REMOTE, VM } from './testing/fixtures';

const fromVm = (l4: L4Packet): EthernetFrame =>
  buildEthernet({ src: VM.mac, dst: REMOTE.mac }, buildIpv4({ src: VM.ip, dst: REMOTE.ip }, l4));
const toVm = (l4: L4Packet): EthernetFrame =>
  buildEthernet({ src: REMOTE.mac, dst: VM.mac }, buildIpv4({ src: REMOTE.ip, dst: VM.ip }, l4));
const V6VM = 'fd00::2';
const V6R = 'fd00::3';
const rows = (ct: Conntrack, now: number) =>
  ct
    .snapshot(now)
    .map((c) => `${c.proto} ${c.timeout}${c.assured ? ' A' : ''}${c.unreplied ? ' U' : ''}`);

describe('UDP', () => {
  it('pairs query and reply; 30 s until replied, 120 s and ASSURED once a stream', () => {
    const ct = new Conntrack();
    const q = fromVm(buildUdp({ sport: 40000, dport: 53, payload: 'query' }));
    const r = toVm(buildUdp({ sport: 53, dport: 40000, payload: 'answer' }));
    expect(pass(ct, q, 0).state).toBe('NEW');
    expect(rows(ct, 0)).toEqual(['udp 30 U']);
    expect(pass(ct, q, 1).state).toBe('NEW');
    const rep = pass(ct, r, 1.5);
    expect([rep.state, rep.dir]).toEqual(['ESTABLISHED', 1]);
    // The first reply still refreshes with the unreplied timeout.
    expect(rows(ct, 1.5)).toEqual(['udp 30']);
    expect(pass(ct, q, 1.9).state).toBe('ESTABLISHED');
    expect(rows(ct, 1.9)).toEqual(['udp 30']);
    pass(ct, r, 3);
    expect(rows(ct, 3)).toEqual(['udp 120 A']);
  });

  it('expires unreplied flows after nf_conntrack_udp_timeout; the next packet is NEW again', () => {
    const ct = new Conntrack({ sysctl: { nf_conntrack_udp_timeout: 10 } });
    const q = fromVm(buildUdp({ sport: 40000, dport: 53 }));
    pass(ct, q, 0);
    expect(pass(ct, q, 9.99).state).toBe('NEW');
    expect(pass(ct, q, 19.98).created).toBe(false);
    // Expired exactly when the timeout elapses (kernel: timeout - now <= 0).
    expect(pass(ct, q, 29.98).created).toBe(true);
    expect(ct.snapshot(29.98)).toHaveLength(1);
  });
});

describe('ICMP', () => {
  it('pairs echo request and reply by id; 30 s timeout refreshed by every packet', () => {
    const ct = new Conntrack();
    expect(pass(ct, fromVm(buildIcmpEcho({ id: 7, seq: 1 })), 0).state).toBe('NEW');
    expect(pass(ct, toVm(buildIcmpEcho({ reply: true, id: 7, seq: 1 })), 0.001).state).toBe(
      'ESTABLISHED',
    );
    expect(pass(ct, fromVm(buildIcmpEcho({ id: 7, seq: 2 })), 1).state).toBe('ESTABLISHED');
    expect(rows(ct, 1)).toEqual(['icmp 30']);
    expect(ct.snapshot(1)[0]!.text).toBe(
      'icmp     1 30 src=10.99.0.2 dst=10.99.0.3 type=8 code=0 id=7 src=10.99.0.3 dst=10.99.0.2 type=0 code=0 id=7 mark=0 use=1',
    );
    // A ping with another id is another connection.
    expect(pass(ct, fromVm(buildIcmpEcho({ id: 8, seq: 1 })), 1).state).toBe('NEW');
  });

  it('a new ping right after the first stops is ESTABLISHED; after the ICMP timeout it is NEW', () => {
    const ct = new Conntrack();
    pass(ct, fromVm(buildIcmpEcho({ id: 7, seq: 1 })), 0);
    pass(ct, toVm(buildIcmpEcho({ reply: true, id: 7, seq: 1 })), 0.001);
    expect(pass(ct, fromVm(buildIcmpEcho({ id: 7, seq: 1 })), 29.9).state).toBe('ESTABLISHED');
    expect(pass(ct, fromVm(buildIcmpEcho({ id: 7, seq: 1 })), 59.9).state).toBe('NEW');
  });

  it('calls an echo reply without request INVALID', () => {
    const ct = new Conntrack();
    const p = pass(ct, toVm(buildIcmpEcho({ reply: true, id: 9, seq: 1 })), 0);
    expect(p.state).toBe('INVALID');
    expect(p.note).toMatch(/can't create a new ICMP connection with type 0/);
    expect(ct.snapshot(0)).toEqual([]);
  });

  it('relates a port-unreachable error to the UDP flow it quotes', () => {
    const ct = new Conntrack();
    const q = fromVm(buildUdp({ sport: 40000, dport: 54, payload: 'hello' }));
    pass(ct, q, 0);
    const quoted = q.payload;
    if (quoted.kind !== 'ipv4') throw new Error('ipv4');
    const err = toVm(buildIcmpError(3, 3, quoted));
    const p = pass(ct, err, 0.001);
    expect([p.state, p.dir]).toEqual(['RELATED', 1]);
    expect(p.conn!.tuple[0].dport).toBe(54);
    // The error does not count as a reply.
    expect(rows(ct, 0.001)).toEqual(['udp 30 U']);
    // An error quoting a flow conntrack never saw is INVALID.
    const other = buildIpv4({ src: VM.ip, dst: REMOTE.ip }, buildUdp({ sport: 1, dport: 2 }));
    expect(pass(ct, toVm(buildIcmpError(3, 3, other)), 0.002).state).toBe('INVALID');
    // An error whose outer destination is not the flow's endpoint is INVALID.
    const misdirected = buildEthernet(
      { src: REMOTE.mac, dst: VM.mac },
      buildIpv4({ src: REMOTE.ip, dst: '10.99.0.77' }, buildIcmpError(3, 3, quoted)),
    );
    expect(pass(ct, misdirected, 0.003).state).toBe('INVALID');
  });

  it('relates an ICMP error to a TCP connection quoting only 8 TCP bytes', () => {
    const ct = new Conntrack();
    const f = new TcpFlow({ ...VM, port: 34567, isn: 1 }, { ...REMOTE, port: 25, isn: 2 });
    const syn = f.syn();
    pass(ct, syn, 0);
    if (syn.payload.kind !== 'ipv4') throw new Error('ipv4');
    expect(pass(ct, toVm(buildIcmpError(3, 10, syn.payload)), 0.01).state).toBe('RELATED');
  });

  it('ICMPv6: echo pairing, neighbour discovery UNTRACKED, errors RELATED', () => {
    const ct = new Conntrack();
    const eth = (src: string, dst: string, l4: L4Packet) =>
      buildEthernet({ src: VM.mac, dst: REMOTE.mac }, buildIpv6({ src, dst }, l4));
    expect(pass(ct, eth(V6VM, V6R, buildIcmpv6Echo({ id: 1, seq: 1 })), 0).state).toBe('NEW');
    expect(
      pass(ct, eth(V6R, V6VM, buildIcmpv6Echo({ reply: true, id: 1, seq: 1 })), 0.1).state,
    ).toBe('ESTABLISHED');
    expect(
      pass(ct, eth(V6R, V6VM, buildIcmpv6Echo({ reply: true, id: 2, seq: 1 })), 0.1).state,
    ).toBe('INVALID');
    const ns = eth(V6VM, 'ff02::1:ff00:3', {
      kind: 'icmpv6',
      type: 135,
      code: 0,
      rest: 0,
      payload: new Uint8Array(20),
    });
    expect(pass(ct, ns, 0.2).state).toBe('UNTRACKED');
    expect(rows(ct, 0.2)).toEqual(['icmpv6 29']);
  });

  it('calls unknown ICMP types INVALID', () => {
    const ct = new Conntrack();
    expect(
      pass(ct, fromVm({ kind: 'icmp', type: 40, code: 0, rest: 0, payload: new Uint8Array(0) }), 0)
        .state,
    ).toBe('INVALID');
    // Router advertisement has no reply type: conntrack cannot invert it.
    expect(
      pass(ct, fromVm({ kind: 'icmp', type: 9, code: 0, rest: 0, payload: new Uint8Array(0) }), 0)
        .state,
    ).toBe('INVALID');
  });
});

describe('IPv6', () => {
  it('tracks a TCP handshake and relates an ICMPv6 error to a UDP flow', () => {
    const ct = new Conntrack();
    const v6 = (src: string, dst: string, l4: L4Packet) =>
      buildEthernet({ src: VM.mac, dst: REMOTE.mac }, buildIpv6({ src, dst }, l4));
    expect(
      pass(ct, v6(V6VM, V6R, buildTcp({ sport: 5000, dport: 443, flags: 'S', seq: 1 })), 0).state,
    ).toBe('NEW');
    expect(
      pass(
        ct,
        v6(V6R, V6VM, buildTcp({ sport: 443, dport: 5000, flags: 'S.', seq: 100, ack: 2 })),
        0.1,
      ).state,
    ).toBe('ESTABLISHED');
    expect(
      pass(
        ct,
        v6(V6VM, V6R, buildTcp({ sport: 5000, dport: 443, flags: '.', seq: 2, ack: 101 })),
        0.2,
      ).state,
    ).toBe('ESTABLISHED');
    expect(ct.snapshot(0.2)[0]!.text).toMatch(
      /^tcp +6 432000 ESTABLISHED src=fd00::2 dst=fd00::3 sport=5000 dport=443 src=fd00::3 dst=fd00::2 sport=443 dport=5000 \[ASSURED\]/,
    );
    const q = buildIpv6({ src: V6VM, dst: V6R }, buildUdp({ sport: 6000, dport: 53 }));
    pass(ct, buildEthernet({ src: VM.mac, dst: REMOTE.mac }, q), 1);
    const err = pass(ct, v6(V6R, V6VM, buildIcmpv6Error(1, 4, q)), 1.1);
    expect([err.state, err.dir]).toEqual(['RELATED', 1]);
  });
});

describe('generic protocols, SCTP, non-IP', () => {
  it('tracks ESP by addresses with the generic timeout', () => {
    const ct = new Conntrack();
    expect(pass(ct, fromVm(buildEsp({ spi: 1, seq: 1 })), 0).state).toBe('NEW');
    expect(pass(ct, toVm(buildEsp({ spi: 2, seq: 1 })), 0.1).state).toBe('ESTABLISHED');
    expect(rows(ct, 0.1)).toEqual(['esp 600']);
  });

  it('SCTP needs INIT to start', () => {
    const ct = new Conntrack();
    expect(
      pass(
        ct,
        fromVm(
          buildSctp({
            sport: 5000,
            dport: 38412,
            chunks: [{ type: 0, flags: 0, value: new Uint8Array(4) }],
          }),
        ),
        0,
      ).state,
    ).toBe('INVALID');
    expect(
      pass(ct, fromVm(buildSctp({ sport: 5000, dport: 38412, chunks: [sctpInitChunk()] })), 0)
        .state,
    ).toBe('NEW');
    expect(ct.snapshot(0)[0]!.state).toBe('COOKIE_WAIT');
  });

  it('does not see ARP; honours notrack', () => {
    const ct = new Conntrack();
    const arp = buildEthernet(
      { src: VM.mac, dst: 'ff:ff:ff:ff:ff:ff' },
      buildArp({ op: 1, sha: VM.mac, spa: VM.ip, tpa: REMOTE.ip }),
    );
    expect(ct.packetIn(arp, 0).state).toBeNull();
    expect(ct.packetIn(fromVm(buildUdp({ sport: 1, dport: 2 })), 0, { notrack: true }).state).toBe(
      'UNTRACKED',
    );
  });
});

describe('connlimit', () => {
  const ssh = (port: number) =>
    new TcpFlow({ ...REMOTE, port, isn: port * 1000 }, { ...VM, port: 22, isn: 7 });
  const opts = { daddr: false, prefix: 32 };

  it('counts connections per source address as the rule sees them', () => {
    const ct = new Conntrack();
    const a = ssh(40001);
    const synA = a.syn();
    const pa = ct.packetIn(synA, 0);
    expect(ct.connlimitCount('r', pa, synA, opts, 0)).toBe(1);
    ct.confirm(pa, synA, 0);
    pass(ct, a.synAck(), 0.01);
    const ackA = a.ack('client');
    const pAck = ct.packetIn(ackA, 0.02);
    // A confirmed connection is not added twice.
    expect(ct.connlimitCount('r', pAck, ackA, opts, 0.02)).toBe(1);
    ct.confirm(pAck, ackA, 0.02);

    const b = ssh(40002);
    const synB = b.syn();
    const pb = ct.packetIn(synB, 1);
    expect(ct.connlimitCount('r', pb, synB, opts, 1)).toBe(2);
    // Another rule keeps its own count; another source has its own key.
    expect(ct.connlimitCount('other-rule', pb, synB, opts, 1)).toBe(1);
    // The rule drops B: its entry disappears at the next garbage collection.
    ct.discard(pb);
    const more = a.data('client', 'SSH-2.0-client\r\n');
    const pm = ct.packetIn(more, 2);
    expect(ct.connlimitCount('r', pm, more, opts, 2)).toBe(1);
  });

  it('groups by the masked source (or destination) address', () => {
    const ct = new Conntrack();
    const near = new TcpFlow(
      { mac: REMOTE.mac, ip: '10.99.1.3', port: 40001, isn: 1 },
      { ...VM, port: 22, isn: 7 },
    );
    const count = (
      rule: string,
      frame: EthernetFrame,
      o: { daddr: boolean; prefix: number },
      t: number,
    ) => {
      const p = ct.packetIn(frame, t);
      const n = ct.connlimitCount(rule, p, frame, o, t);
      ct.confirm(p, frame, t);
      return n;
    };
    expect(count('r16', ssh(40005).syn(), { daddr: false, prefix: 16 }, 0)).toBe(1);
    expect(count('r16', near.syn(), { daddr: false, prefix: 16 }, 0.5)).toBe(2);
    expect(
      count(
        'r32',
        new TcpFlow(
          { mac: REMOTE.mac, ip: '10.99.1.4', port: 1, isn: 1 },
          { ...VM, port: 22, isn: 7 },
        ).syn(),
        opts,
        1,
      ),
    ).toBe(1);
    // --connlimit-daddr: every connection to the VM counts together.
    expect(count('rd', ssh(40006).syn(), { daddr: true, prefix: 32 }, 2)).toBe(1);
    expect(
      count(
        'rd',
        new TcpFlow(
          { mac: REMOTE.mac, ip: '10.99.1.9', port: 2, isn: 1 },
          { ...VM, port: 22, isn: 7 },
        ).syn(),
        { daddr: true, prefix: 32 },
        3,
      ),
    ).toBe(2);
  });

  it('stops counting closed TCP connections (TIME_WAIT)', () => {
    const ct = new Conntrack();
    const a = ssh(40001);
    const count = (frame: EthernetFrame, t: number) => {
      const p = ct.packetIn(frame, t);
      const n = ct.connlimitCount('r', p, frame, opts, t);
      ct.confirm(p, frame, t);
      return n;
    };
    expect(count(a.syn(), 0)).toBe(1);
    pass(ct, a.synAck(), 0.01);
    count(a.ack('client'), 0.02);
    count(a.fin('client'), 1);
    pass(ct, a.ack('server'), 1.01);
    pass(ct, a.fin('server'), 1.02);
    count(a.ack('client'), 1.03);
    expect(ct.snapshot(1.03)[0]!.state).toBe('TIME_WAIT');
    expect(count(ssh(40002).syn(), 2)).toBe(1);
  });
});

describe('xt_state / xt_conntrack semantics', () => {
  it('derives state bits and applies ctdir only to tracked packets', () => {
    const ct = new Conntrack();
    const q = fromVm(buildUdp({ sport: 40000, dport: 53 }));
    const r = toVm(buildUdp({ sport: 53, dport: 40000 }));
    const p1 = pass(ct, q, 0);
    const p2 = pass(ct, r, 0.1);
    const { mask } = parseCtStateMask('NEW,ESTABLISHED');
    expect(matchState(p1, mask)).toBe(true);
    expect(
      matchConntrack(p2, { state: { mask: parseCtStateMask('NEW').mask, invert: false } }),
    ).toBe(false);
    expect(
      matchConntrack(p2, { state: { mask: parseCtStateMask('NEW').mask, invert: true } }),
    ).toBe(true);
    expect(matchConntrack(p1, { dir: 'ORIGINAL' })).toBe(true);
    expect(matchConntrack(p2, { dir: 'ORIGINAL' })).toBe(false);
    expect(matchConntrack(p2, { dir: 'REPLY', state: { mask, invert: false } })).toBe(true);
    const invalid = pass(ct, toVm(buildIcmpEcho({ reply: true, id: 1, seq: 1 })), 0.2);
    const inv = parseCtStateMask('INVALID').mask;
    expect(matchState(invalid, inv)).toBe(true);
    // Without a connection, a ctdir test alone fails but a passing state test decides.
    expect(matchConntrack(invalid, { dir: 'REPLY' })).toBe(false);
    expect(matchConntrack(invalid, { dir: 'REPLY', state: { mask: inv, invert: false } })).toBe(
      true,
    );
    expect(matchConntrack(p2, { status: { mask: IPS_ASSURED, invert: false } })).toBe(false);
    expect(parseCtStateMask('NEW,BOGUS').unknown).toEqual(['BOGUS']);
  });

  it('resolves sysctl overrides and reports unknown names', () => {
    const { sysctl, unknown } = resolveSysctl({
      'net.netfilter.nf_conntrack_icmp_timeout': 10,
      nf_conntrack_bogus: 1,
    });
    expect(sysctl.nf_conntrack_icmp_timeout).toBe(10);
    expect(sysctl.nf_conntrack_udp_timeout).toBe(DEFAULT_SYSCTL.nf_conntrack_udp_timeout);
    expect(unknown).toEqual(['nf_conntrack_bogus']);
  });

  it('drop before confirmation leaves no entry for any protocol', () => {
    const ct = new Conntrack();
    drop(ct, fromVm(buildIcmpEcho({ id: 1, seq: 1 })), 0);
    drop(ct, fromVm(buildUdp({ sport: 1, dport: 2 })), 0);
    drop(ct, fromVm(buildTcp({ sport: 1, dport: 2, flags: 'S' })), 0);
    expect(ct.snapshot(0)).toEqual([]);
    expect(ct.size).toBe(0);
  });
});

describe('table storage', () => {
  /** Remote peers 10.100.x.y and 198.18.x.y (addresses above 2^31 too). */
  const peer = (i: number) =>
    i % 2 ? `198.18.${(i >> 8) & 255}.${i & 255}` : `10.100.${(i >> 8) & 255}.${i & 255}`;
  const out = (ip: string, l4: L4Packet) =>
    buildEthernet({ src: VM.mac, dst: REMOTE.mac }, buildIpv4({ src: VM.ip, dst: ip }, l4));
  const back = (ip: string, l4: L4Packet) =>
    buildEthernet({ src: REMOTE.mac, dst: VM.mac }, buildIpv4({ src: ip, dst: VM.ip }, l4));
  /** A deterministic mixed workload: UDP queries (some answered), pings, TCP SYNs, repeats after expiry, a few drops. */
  function* workload(): Generator<{ frame: EthernetFrame; t: number; dropIt: boolean }> {
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      t += 0.05;
      const ip = peer(i % 1200);
      const kind = i % 4;
      if (kind === 0) {
        yield { frame: out(ip, buildUdp({ sport: 40000 + (i % 7), dport: 53 })), t, dropIt: false };
        if (i % 3 === 0)
          yield {
            frame: back(ip, buildUdp({ sport: 53, dport: 40000 + (i % 7) })),
            t: t + 0.01,
            dropIt: false,
          };
      } else if (kind === 1) {
        yield { frame: out(ip, buildIcmpEcho({ id: i % 50, seq: 1 })), t, dropIt: i % 5 === 0 };
      } else if (kind === 2) {
        yield {
          frame: back(
            ip,
            buildTcp({ sport: 50000 + (i % 11), dport: 22, flags: 'S', seq: i * 1000 }),
          ),
          t,
          dropIt: false,
        };
      } else {
        yield {
          frame: out(
            ip,
            buildTcp({ sport: 41000 + (i % 13), dport: 443, flags: 'ACK', seq: i, ack: 7 }),
          ),
          t,
          dropIt: i % 7 === 0,
        };
      }
    }
  }
  const summary = (p: CtPacket) =>
    `${p.conn?.id ?? '-'} ${p.state} ${p.dir} ${p.created} ${p.note}`;

  it('sweeping expired entries before the table grows changes no result at any time', () => {
    // Reference: every expired entry removed after every packet (the eager limit of any sweep schedule).
    const lazy = new Conntrack({
      sysctl: {
        nf_conntrack_udp_timeout: 5,
        nf_conntrack_icmp_timeout: 3,
        nf_conntrack_tcp_timeout_syn_sent: 4,
        nf_conntrack_tcp_timeout_unacknowledged: 6,
      },
    });
    const eager = new Conntrack({
      sysctl: {
        nf_conntrack_udp_timeout: 5,
        nf_conntrack_icmp_timeout: 3,
        nf_conntrack_tcp_timeout_syn_sent: 4,
        nf_conntrack_tcp_timeout_unacknowledged: 6,
      },
    });
    let n = 0;
    let maxSize = 0;
    for (const { frame, t, dropIt } of workload()) {
      const a = dropIt ? drop(lazy, frame, t) : pass(lazy, frame, t);
      const b = dropIt ? drop(eager, frame, t) : pass(eager, frame, t);
      eager.expire(t);
      expect(summary(a)).toBe(summary(b));
      maxSize = Math.max(maxSize, lazy.size);
      if (++n % 500 === 0) expect(lazy.snapshot(t)).toEqual(eager.snapshot(t));
    }
    expect(lazy.snapshot(200)).toEqual(eager.snapshot(200));
    // The lazy table was swept while it grew: it never held every connection ever confirmed.
    expect(n).toBeGreaterThan(3000);
    // (Without the sweep it reaches 506 here: expired entries stay until a lookup hits them.)
    expect(maxSize).toBeLessThan(300);
  });

  it('keeps an expired master with a pending expectation through sweeps: the data connection is still RELATED', () => {
    const ct = new Conntrack({
      sysctl: {
        nf_conntrack_tcp_timeout_established: 20,
        nf_conntrack_tcp_timeout_unacknowledged: 20,
        nf_conntrack_udp_timeout: 1,
      },
    });
    const ctl = new TcpFlow(
      { ...REMOTE, port: 40001, isn: 100000 },
      { ...VM, port: 21, isn: 200000 },
    );
    let t = 0;
    const step = (frame: EthernetFrame) => pass(ct, frame, (t += 0.001), true);
    step(ctl.syn());
    step(ctl.synAck());
    step(ctl.ack('client'));
    step(ctl.data('server', '220 (vsFTPd 3.0.3)\r\n'));
    step(ctl.data('client', 'USER anonymous\r\n'));
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    step(ctl.ack('server'));
    // The control connection expires (20 s); many short UDP flows make the table grow and sweep meanwhile.
    for (let i = 0; i < 2000; i++)
      pass(ct, out(peer(i), buildUdp({ sport: 30000, dport: 53 })), 30 + i * 0.01);
    expect(ct.size).toBeLessThan(2000);
    const data = new TcpFlow(
      { ...VM, port: 20, isn: 300000 },
      { ...REMOTE, port: 40002, isn: 400000 },
    );
    t = 60;
    expect(step(data.syn()).state).toBe('RELATED');
  });

  it('a clash at confirmation keeps the first connection, also when the second packet is the reply direction', () => {
    const ct = new Conntrack();
    const q = out('198.18.0.7', buildUdp({ sport: 1000, dport: 2000 }));
    const r = back('198.18.0.7', buildUdp({ sport: 2000, dport: 1000 }));
    // Both packets are looked up before either is confirmed: each creates a connection.
    const a = ct.packetIn(q, 0);
    const b = ct.packetIn(r, 0);
    const c = ct.packetIn(q, 0);
    expect([a.created, b.created, c.created]).toEqual([true, true, true]);
    ct.confirm(a, q, 0);
    ct.confirm(b, r, 0);
    ct.confirm(c, q, 0);
    expect([a.conn?.dead, b.conn?.dead, c.conn?.dead]).toEqual([false, true, true]);
    expect(ct.snapshot(0).map((v) => v.id)).toEqual([a.conn?.id]);
    // A connection looked up after the insertion finds it instead.
    expect(ct.packetIn(r, 0.1).dir).toBe(1);
  });

  it('looks up IPv4 tuples with addresses above 2^31 and IPv6 tuples in both directions', () => {
    const ct = new Conntrack();
    pass(ct, out('198.18.0.9', buildUdp({ sport: 1000, dport: 2000 })), 0);
    expect(pass(ct, back('198.18.0.9', buildUdp({ sport: 2000, dport: 1000 })), 0.1).dir).toBe(1);
    const v6 = (src: string, dst: string, l4: L4Packet) =>
      buildEthernet({ src: VM.mac, dst: REMOTE.mac }, buildIpv6({ src, dst }, l4));
    pass(ct, v6('fd00::2', 'ff00::8000:1', buildUdp({ sport: 5, dport: 6 })), 0);
    expect(
      pass(ct, v6('ff00::8000:1', 'fd00::2', buildUdp({ sport: 6, dport: 5 })), 0.1).state,
    ).toBe('ESTABLISHED');
    // Same ports, addresses differing only in the last IPv6 word: another connection.
    expect(
      pass(ct, v6('ff00::8000:2', 'fd00::2', buildUdp({ sport: 6, dport: 5 })), 0.1).created,
    ).toBe(true);
    const views = ct.snapshot(0.2);
    expect(
      views.map((v) => `${v.original.src} ${v.original.dst} ${v.unreplied ? 'U' : ''}`),
    ).toEqual(['10.99.0.2 198.18.0.9 ', 'fd00::2 ff00::8000:1 ', 'ff00::8000:2 fd00::2 U']);
  });
});
