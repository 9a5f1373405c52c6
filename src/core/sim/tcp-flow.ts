/**
 * A TCP conversation generator with coherent sequence numbers, for
 * scenarios and tests: each call returns the next frame of the exchange
 * (handshake, data, FIN/RST teardown) and advances both ends' seq/ack.
 */
import type { EthernetFrame } from '../packet/packet';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../packet/packet';
import type { BytesInput, Ip4Input, MacInput } from '../packet/packet-build';
import {
  buildEthernet,
  buildIpv4,
  buildTcp,
  tcpOptionsMssWscale,
  textBytes,
} from '../packet/packet-build';

export interface TcpEndpoint {
  mac: MacInput;
  ip: Ip4Input;
  port: number;
  /** Initial sequence number. */
  isn: number;
  /** Advertised window (unscaled). */
  window?: number;
}

export type TcpFlowSide = 'client' | 'server';

interface EndState {
  ep: TcpEndpoint;
  /** Next sequence number this end sends. */
  nxt: number;
  /** Highest sequence number received from the peer (what this end acknowledges). */
  rcv: number;
  ipId: number;
}

/** A TCP conversation between a client and a server. */
export class TcpFlow {
  private readonly ends: Record<TcpFlowSide, EndState>;

  constructor(client: TcpEndpoint, server: TcpEndpoint) {
    this.ends = {
      client: { ep: client, nxt: client.isn >>> 0, rcv: 0, ipId: 1 },
      server: { ep: server, nxt: server.isn >>> 0, rcv: 0, ipId: 1 },
    };
  }

  /** The next sequence number `side` will send. */
  nextSeq(side: TcpFlowSide): number {
    return this.ends[side].nxt;
  }

  /** Client SYN (with MSS/SACK/window-scale options). */
  syn(): EthernetFrame {
    return this.segment('client', TCP_SYN, undefined, tcpOptionsMssWscale());
  }

  /** Server SYN/ACK. */
  synAck(): EthernetFrame {
    return this.segment('server', TCP_SYN | TCP_ACK, undefined, tcpOptionsMssWscale());
  }

  /** A pure ACK from `side`. */
  ack(side: TcpFlowSide): EthernetFrame {
    return this.segment(side, TCP_ACK);
  }

  /** Data (PSH/ACK) from `side`; text is sent as Latin-1 bytes. */
  data(side: TcpFlowSide, payload: BytesInput): EthernetFrame {
    return this.segment(
      side,
      TCP_PSH | TCP_ACK,
      typeof payload === 'string' ? textBytes(payload) : payload,
    );
  }

  /** FIN/ACK from `side`. */
  fin(side: TcpFlowSide): EthernetFrame {
    return this.segment(side, TCP_FIN | TCP_ACK);
  }

  /** RST/ACK from `side` (in sequence). */
  rst(side: TcpFlowSide): EthernetFrame {
    return this.segment(side, TCP_RST | TCP_ACK);
  }

  /**
   * `frame`, an earlier segment from `side`, sent again (a retransmission): the same TCP segment
   * in a new IP datagram (the next IP id), as Linux retransmits.
   */
  again(side: TcpFlowSide, frame: EthernetFrame): EthernetFrame {
    const ip = frame.payload;
    if (ip.kind !== 'ipv4') return frame;
    return { ...frame, payload: { ...ip, id: this.ends[side].ipId++ } };
  }

  /** Any segment from `side` with explicit flags; seq/ack follow the conversation. */
  segment(
    side: TcpFlowSide,
    flags: number,
    payload?: Uint8Array,
    options?: Uint8Array,
  ): EthernetFrame {
    const me = this.ends[side];
    const peer = this.ends[side === 'client' ? 'server' : 'client'];
    const len = payload?.length ?? 0;
    const seq = me.nxt;
    const tcp = buildTcp({
      sport: me.ep.port,
      dport: peer.ep.port,
      flags,
      seq,
      ack: flags & TCP_ACK ? me.rcv : 0,
      window: me.ep.window ?? (flags & TCP_SYN ? 64240 : 502),
      ...(payload ? { payload } : {}),
      ...(options ? { options } : {}),
    });
    const consumed = len + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    me.nxt = (me.nxt + consumed) >>> 0;
    if (!(flags & TCP_RST)) peer.rcv = me.nxt;
    const ip = buildIpv4({ src: me.ep.ip, dst: peer.ep.ip, id: me.ipId++ }, tcp);
    return buildEthernet({ src: me.ep.mac, dst: peer.ep.mac }, ip);
  }
}
