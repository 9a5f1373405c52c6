import { describe, expect, it } from 'vitest';
import { Conntrack } from './conntrack';
import { TcpFlow } from '../sim/tcp-flow';
import { drop, pass, REMOTE, VM } from './testing/fixtures';

/**
 * The docs' FTP server runs in the VM (10.99.0.2); the client is remote
 * (10.99.0.3). Control text is what vsftpd and curl exchange.
 */
function login(ct: Conntrack, helper: boolean, t0 = 0) {
  const ctl = new TcpFlow(
    { ...REMOTE, port: 40001, isn: 100000 },
    { ...VM, port: 21, isn: 200000 },
  );
  let t = t0;
  const step = (frame: ReturnType<TcpFlow['ack']>) => pass(ct, frame, (t += 0.001), helper);
  step(ctl.syn());
  step(ctl.synAck());
  step(ctl.ack('client'));
  step(ctl.data('server', '220 (vsFTPd 3.0.3)\r\n'));
  step(ctl.data('client', 'USER anonymous\r\n'));
  step(ctl.data('server', '331 Please specify the password.\r\n'));
  step(ctl.data('client', 'PASS \r\n'));
  step(ctl.data('server', '230 Login successful.\r\n'));
  return { ctl, step, now: () => t };
}

describe('FTP helper', () => {
  it('active FTP: PORT creates an expectation; the data connection is RELATED, then ESTABLISHED', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, true);
    expect(ct.snapshot(now())[0]!.helper).toBe('ftp');
    expect(ct.expectations(now())).toEqual([]);
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    const exps = ct.snapshotExpectations(now());
    expect(exps).toHaveLength(1);
    expect(exps[0]!.tuple).toEqual({ src: '10.99.0.2', dst: '10.99.0.3', sport: 0, dport: 40002 });
    expect(exps[0]!.timeout).toBe(300);
    step(ctl.data('server', '200 PORT command successful. Consider using PASV.\r\n'));
    step(ctl.data('client', 'RETR hello.txt\r\n'));
    step(
      ctl.data('server', '150 Opening BINARY mode data connection for hello.txt (6 bytes).\r\n'),
    );

    const data = new TcpFlow(
      { ...VM, port: 20, isn: 300000 },
      { ...REMOTE, port: 40002, isn: 400000 },
    );
    const syn = step(data.syn());
    expect([syn.state, syn.dir]).toEqual(['RELATED', 0]);
    expect(ct.expectations(now())).toEqual([]);
    expect(step(data.synAck()).state).toBe('ESTABLISHED');
    expect(step(data.ack('client')).state).toBe('ESTABLISHED');
    expect(step(data.data('client', 'hello\n')).state).toBe('ESTABLISHED');
    const rows = ct.snapshot(now());
    expect(rows).toHaveLength(2);
    expect(rows[1]!.master).toBe(rows[0]!.id);
    expect(rows[1]!.helper).toBeNull();
  });

  it('passive FTP: the 227 reply creates the expectation for the client', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, true);
    step(ctl.data('client', 'PASV\r\n'));
    step(ctl.data('server', '227 Entering Passive Mode (10,99,0,2,117,48).\r\n'));
    expect(ct.snapshotExpectations(now()).map((e) => e.tuple)).toEqual([
      { src: '10.99.0.3', dst: '10.99.0.2', sport: 0, dport: 30000 },
    ]);
    const data = new TcpFlow({ ...REMOTE, port: 40003, isn: 1 }, { ...VM, port: 30000, isn: 2 });
    expect(step(data.syn()).state).toBe('RELATED');
    // Until the reply, further original-direction packets stay RELATED.
    expect(step(data.syn()).state).toBe('RELATED');
    expect(step(data.synAck()).state).toBe('ESTABLISHED');
    expect(step(data.ack('client')).state).toBe('ESTABLISHED');
  });

  it('EPSV (229) and EPRT create expectations too; a newer one replaces the older', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, true);
    step(ctl.data('client', 'EPSV\r\n'));
    step(ctl.data('server', '229 Entering Extended Passive Mode (|||30001|)\r\n'));
    expect(ct.snapshotExpectations(now()).map((e) => e.tuple.dport)).toEqual([30001]);
    step(ctl.data('client', 'EPRT |1|10.99.0.3|40004|\r\n'));
    const exps = ct.snapshotExpectations(now());
    expect(exps.map((e) => e.tuple)).toEqual([
      { src: '10.99.0.2', dst: '10.99.0.3', sport: 0, dport: 40004 },
    ]);
  });

  it('without the helper (the default) the data connection is NEW', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, false);
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    expect(ct.expectations(now())).toEqual([]);
    const data = new TcpFlow(
      { ...VM, port: 20, isn: 300000 },
      { ...REMOTE, port: 40002, isn: 400000 },
    );
    expect(step(data.syn()).state).toBe('NEW');
  });

  it('does not parse the first line in a direction, nor a PORT naming another host', () => {
    const ct = new Conntrack();
    const ctl = new TcpFlow(
      { ...REMOTE, port: 40001, isn: 100000 },
      { ...VM, port: 21, isn: 200000 },
    );
    let t = 0;
    const step = (f: ReturnType<TcpFlow['ack']>) => pass(ct, f, (t += 0.001), true);
    step(ctl.syn());
    step(ctl.synAck());
    step(ctl.ack('client'));
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    expect(ct.expectations(t)).toEqual([]);
    step(ctl.data('client', 'PORT 10,99,0,9,156,66\r\n'));
    expect(ct.expectations(t)).toEqual([]);
    step(ctl.data('client', 'PORT 10,99,0,3,156,67\r\n'));
    expect(ct.expectations(t)).toHaveLength(1);
  });

  it('drops a packet with a partial command match (kernel keeps tracking accurate)', () => {
    const ct = new Conntrack();
    const { ctl, step } = login(ct, true);
    const p = step(ctl.data('client', 'PORT 10,99,0,3\r\n'));
    expect(p.note).toMatch(/helper dropped: partial matching of `PORT'/);
  });

  it('the expectation is consumed by a data SYN even when the filter then drops it', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, true);
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    const data = new TcpFlow(
      { ...VM, port: 20, isn: 300000 },
      { ...REMOTE, port: 40002, isn: 400000 },
    );
    const syn = data.syn();
    expect(drop(ct, syn, now() + 0.01).state).toBe('RELATED');
    expect(ct.expectations(now() + 0.01)).toEqual([]);
    expect(pass(ct, syn, now() + 1, true).state).toBe('NEW');
  });

  it('expectations expire after 5 minutes', () => {
    const ct = new Conntrack();
    const { ctl, step, now } = login(ct, true);
    step(ctl.data('client', 'PORT 10,99,0,3,156,66\r\n'));
    const data = new TcpFlow(
      { ...VM, port: 20, isn: 300000 },
      { ...REMOTE, port: 40002, isn: 400000 },
    );
    expect(pass(ct, data.syn(), now() + 300.5, true).state).toBe('NEW');
  });
});
