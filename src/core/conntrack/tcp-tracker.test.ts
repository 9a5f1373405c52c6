import { describe, expect, it } from 'vitest';
import { Conntrack } from './conntrack';
import { TcpFlow } from '../sim/tcp-flow';
import { buildEthernet, buildIpv4, buildTcp } from '../packet/packet-build';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../packet/packet';
import { drop, pass, REMOTE, VM } from './testing/fixtures';

const flow = () =>
  new TcpFlow({ ...VM, port: 34567, isn: 1000 }, { ...REMOTE, port: 22, isn: 5000 });
const state = (ct: Conntrack, now: number) =>
  ct
    .snapshot(now)
    .map((c) => `${c.state} ${c.timeout}${c.assured ? ' A' : ''}${c.unreplied ? ' U' : ''}`);

describe('TCP tracker', () => {
  it('follows the handshake, data and FIN teardown through every state', () => {
    const ct = new Conntrack();
    const f = flow();
    expect(pass(ct, f.syn(), 0).state).toBe('NEW');
    expect(state(ct, 0)).toEqual(['SYN_SENT 120 U']);
    const synAck = pass(ct, f.synAck(), 0.001);
    expect([synAck.state, synAck.dir]).toEqual(['ESTABLISHED', 1]);
    expect(state(ct, 0.001)).toEqual(['SYN_RECV 60']);
    expect(pass(ct, f.ack('client'), 0.002).state).toBe('ESTABLISHED');
    expect(state(ct, 0.002)).toEqual(['ESTABLISHED 432000 A']);
    // Data not yet acknowledged caps the timeout at nf_conntrack_tcp_timeout_unacknowledged.
    expect(pass(ct, f.data('server', 'SSH-2.0-OpenSSH_9.2\r\n'), 0.01).state).toBe('ESTABLISHED');
    expect(state(ct, 0.01)).toEqual(['ESTABLISHED 300 A']);
    pass(ct, f.ack('client'), 0.02);
    expect(state(ct, 0.02)).toEqual(['ESTABLISHED 432000 A']);
    pass(ct, f.fin('client'), 1);
    expect(state(ct, 1)).toEqual(['FIN_WAIT 120 A']);
    pass(ct, f.ack('server'), 1.001);
    expect(state(ct, 1.001)).toEqual(['CLOSE_WAIT 60 A']);
    pass(ct, f.fin('server'), 1.002);
    expect(state(ct, 1.002)).toEqual(['LAST_ACK 30 A']);
    expect(pass(ct, f.ack('client'), 1.003).state).toBe('ESTABLISHED');
    expect(state(ct, 1.003)).toEqual(['TIME_WAIT 120 A']);
    expect(state(ct, 121.003)).toEqual([]);
  });

  it('treats a SYN reusing the ports of a TIME_WAIT connection as NEW (old entry killed)', () => {
    const ct = new Conntrack();
    const f = flow();
    for (const [frame, t] of [
      [f.syn(), 0],
      [f.synAck(), 0],
      [f.ack('client'), 0],
      [f.fin('client'), 1],
      [f.ack('server'), 1],
      [f.fin('server'), 1],
      [f.ack('client'), 1],
    ] as const)
      pass(ct, frame, t);
    expect(state(ct, 2)).toEqual(['TIME_WAIT 119 A']);
    const again = new TcpFlow(
      { ...VM, port: 34567, isn: 900000 },
      { ...REMOTE, port: 22, isn: 7000 },
    );
    const p = pass(ct, again.syn(), 2);
    expect([p.state, p.created]).toEqual(['NEW', true]);
    expect(state(ct, 2)).toEqual(['SYN_SENT 120 U']);
  });

  it('picks up a connection mid-stream: a bare ACK is NEW (nf_conntrack_tcp_loose=1)', () => {
    const ct = new Conntrack();
    const f = flow();
    f.syn();
    f.synAck();
    const p = pass(ct, f.ack('client'), 0);
    expect([p.state, p.created]).toEqual(['NEW', true]);
    // ESTABLISHED without a reply gets the unacknowledged timeout, not 5 days.
    expect(state(ct, 0)).toEqual(['ESTABLISHED 300 U']);
    expect(pass(ct, f.data('server', 'x'), 0.1).state).toBe('ESTABLISHED');
    expect(pass(ct, f.ack('client'), 0.2).state).toBe('ESTABLISHED');
    expect(state(ct, 0.2)).toEqual(['ESTABLISHED 432000 A']);
  });

  it('with nf_conntrack_tcp_loose=0 a bare ACK is INVALID and creates nothing', () => {
    const ct = new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_tcp_loose': 0 } });
    const f = flow();
    f.syn();
    f.synAck();
    const p = pass(ct, f.ack('client'), 0);
    expect(p.state).toBe('INVALID');
    expect(ct.snapshot(0)).toEqual([]);
  });

  it('calls a SYN/ACK without a SYN INVALID', () => {
    const ct = new Conntrack();
    const f = flow();
    f.syn();
    const p = pass(ct, f.synAck(), 0);
    expect(p.state).toBe('INVALID');
    expect(p.note).toMatch(/invalid new/);
    expect(ct.snapshot(0)).toEqual([]);
  });

  it('rejects invalid flag combinations (SYN+FIN, FIN without ACK, no flags)', () => {
    const ct = new Conntrack();
    for (const flags of [TCP_SYN | TCP_FIN, TCP_FIN, 0]) {
      const frame = buildEthernet(
        { src: VM.mac, dst: REMOTE.mac },
        buildIpv4({ src: VM.ip, dst: REMOTE.ip }, buildTcp({ sport: 1, dport: 2, flags })),
      );
      expect(pass(ct, frame, 0).state).toBe('INVALID');
    }
    expect(ct.snapshot(0)).toEqual([]);
  });

  it('handles RST: in-window RST closes (10 s); RST answering a SYN deletes the entry', () => {
    const ct = new Conntrack();
    const f = flow();
    pass(ct, f.syn(), 0);
    pass(ct, f.synAck(), 0);
    pass(ct, f.ack('client'), 0);
    expect(pass(ct, f.rst('server'), 1).state).toBe('ESTABLISHED');
    expect(state(ct, 1)).toEqual(['CLOSE 10 A']);
    expect(state(ct, 11)).toEqual([]);

    const ct2 = new Conntrack();
    const g = flow();
    pass(ct2, g.syn(), 0);
    const rst = pass(ct2, g.segment('server', 0x14), 0.001);
    expect(rst.state).toBe('ESTABLISHED');
    expect(ct2.snapshot(0.001)).toEqual([]);
  });

  it('calls an out-of-window RST INVALID and keeps the connection', () => {
    const ct = new Conntrack();
    const f = flow();
    pass(ct, f.syn(), 0);
    pass(ct, f.synAck(), 0);
    pass(ct, f.ack('client'), 0);
    pass(ct, f.data('client', 'hello'), 0.1);
    pass(ct, f.ack('server'), 0.2);
    const bogus = buildEthernet(
      { src: REMOTE.mac, dst: VM.mac },
      buildIpv4(
        { src: REMOTE.ip, dst: VM.ip },
        buildTcp({ sport: 22, dport: 34567, flags: 'R', seq: 5001 - 200000 }),
      ),
    );
    expect(pass(ct, bogus, 0.3).state).toBe('INVALID');
    expect(state(ct, 0.3)).toEqual(['ESTABLISHED 431999 A']);
  });

  it('retransmitted SYN stays NEW in one entry; repeated ACKs shorten the timeout to max_retrans', () => {
    const ct = new Conntrack();
    const f = flow();
    const syn = f.syn();
    expect(pass(ct, syn, 0).created).toBe(true);
    const re = pass(ct, syn, 1);
    expect([re.state, re.created]).toEqual(['NEW', false]);
    expect(ct.snapshot(1)).toHaveLength(1);
    pass(ct, f.synAck(), 1.1);
    pass(ct, f.ack('client'), 1.2);
    pass(ct, f.data('server', 'banner\r\n'), 1.3);
    const ack = f.ack('client');
    for (let i = 0; i < 4; i++) expect(pass(ct, ack, 2 + i).state).toBe('ESTABLISHED');
    // Three retransmissions of the same ACK without progress: nf_conntrack_tcp_timeout_max_retrans.
    expect(state(ct, 5)).toEqual(['ESTABLISHED 300 A']);
  });

  it('ignores (does not invalidate) retransmitted data below the window, rejects data beyond it', () => {
    const ct = new Conntrack();
    const f = flow();
    pass(ct, f.syn(), 0);
    pass(ct, f.synAck(), 0);
    pass(ct, f.ack('client'), 0);
    const big = new Uint8Array(1000);
    for (let i = 0; i < 80; i++) {
      pass(ct, f.data('client', big), 0.1 + i * 0.001);
      pass(ct, f.ack('server'), 0.1 + i * 0.001);
    }
    const old = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4(
        { src: VM.ip, dst: REMOTE.ip },
        buildTcp({ sport: 34567, dport: 22, flags: 'P.', seq: 1001, ack: 5001, payload: big }),
      ),
    );
    const ign = pass(ct, old, 1);
    expect(ign.state).toBe('ESTABLISHED');
    expect(ign.note).toMatch(/SEQ is under lower bound/);
    const far = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4(
        { src: VM.ip, dst: REMOTE.ip },
        buildTcp({
          sport: 34567,
          dport: 22,
          flags: 'P.',
          seq: f.nextSeq('client') + 10_000_000,
          ack: 5001,
          payload: 'x',
        }),
      ),
    );
    const inv = pass(ct, far, 1);
    expect(inv.state).toBe('INVALID');
    expect(inv.note).toMatch(/SEQ is over upper bound/);
    // nf_conntrack_tcp_be_liberal=1 accepts it.
    const lib = new Conntrack({ sysctl: { nf_conntrack_tcp_be_liberal: 1 } });
    const g = flow();
    pass(lib, g.syn(), 0);
    pass(lib, g.synAck(), 0);
    pass(lib, g.ack('client'), 0);
    const far2 = buildEthernet(
      { src: VM.mac, dst: REMOTE.mac },
      buildIpv4(
        { src: VM.ip, dst: REMOTE.ip },
        buildTcp({
          sport: 34567,
          dport: 22,
          flags: 'P.',
          seq: g.nextSeq('client') + 10_000_000,
          ack: 5001,
          payload: 'x',
        }),
      ),
    );
    expect(pass(lib, far2, 1).state).toBe('ESTABLISHED');
  });

  it('discards the entry of a SYN dropped before confirmation; the retransmission is NEW again', () => {
    const ct = new Conntrack();
    const f = flow();
    const syn = f.syn();
    const first = drop(ct, syn, 0);
    expect([first.state, first.created]).toEqual(['NEW', true]);
    expect(ct.snapshot(0)).toEqual([]);
    const second = pass(ct, syn, 1);
    expect([second.state, second.created]).toEqual(['NEW', true]);
    expect(ct.snapshot(1)).toHaveLength(1);
    expect(second.conn!.id).not.toBe(first.conn!.id);
  });

  it('a SYN in SYN_SENT from the reply side is a simultaneous open', () => {
    const ct = new Conntrack();
    const f = flow();
    pass(ct, f.syn(), 0);
    const s2 = pass(ct, f.segment('server', TCP_SYN), 0.1);
    expect(s2.state).toBe('ESTABLISHED');
    expect(ct.snapshot(0.1)[0]!.state).toBe('SYN_SENT2');
    pass(ct, f.segment('client', TCP_SYN | TCP_ACK), 0.2);
    expect(ct.snapshot(0.2)[0]!.state).toBe('SYN_RECV');
    pass(ct, f.segment('server', TCP_ACK), 0.3);
    expect(ct.snapshot(0.3)[0]!.state).toBe('ESTABLISHED');
  });
});
