/** Shared test fixtures: two hosts on the bridge and helpers to push frames through conntrack. */
import type { EthernetFrame } from '../../packet/packet';
import type { Conntrack } from '../conntrack';
import { selectCtHelper } from '../conntrack';
import type { CtPacket } from '../types';

export const VM = { mac: '52:54:00:11:22:33', ip: '10.99.0.2' };
export const REMOTE = { mac: '52:54:00:aa:bb:cc', ip: '10.99.0.3' };

/** A packet that passes every hook: conntrack in, then confirm (helper included). */
export function pass(
  ct: Conntrack,
  frame: EthernetFrame,
  now: number,
  ftpHelper = false,
): CtPacket {
  const pkt = ct.packetIn(frame, now, { helper: selectCtHelper(frame, ftpHelper) });
  const c = ct.confirm(pkt, frame, now);
  if (c.verdict === 'drop') return { ...pkt, note: `helper dropped: ${c.note}` };
  return pkt;
}

/** A packet the filter drops after conntrack saw it. */
export function drop(
  ct: Conntrack,
  frame: EthernetFrame,
  now: number,
  ftpHelper = false,
): CtPacket {
  const pkt = ct.packetIn(frame, now, { helper: selectCtHelper(frame, ftpHelper) });
  ct.discard(pkt);
  return pkt;
}
