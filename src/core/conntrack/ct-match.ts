/**
 * The conntrack-based matches, evaluated as net/netfilter/xt_state.c and
 * xt_conntrack.c (revision 1+) evaluate them, for the interpreter.
 */
import type { CtPacket, CtStateName } from './types';
import { IP_CT_IS_REPLY, IP_CT_NONE, IP_CT_UNTRACKED } from './types';

/** State bits as xt_state / xt_conntrack define them. */
export const CT_STATE_INVALID = 1 << 0;
export const CT_STATE_ESTABLISHED = 1 << 1;
export const CT_STATE_RELATED = 1 << 2;
export const CT_STATE_NEW = 1 << 3;
export const CT_STATE_UNTRACKED = 1 << 4;

const BIT_BY_NAME: Record<CtStateName, number> = {
  INVALID: CT_STATE_INVALID,
  ESTABLISHED: CT_STATE_ESTABLISHED,
  RELATED: CT_STATE_RELATED,
  NEW: CT_STATE_NEW,
  UNTRACKED: CT_STATE_UNTRACKED,
};

/** Mask for a state list as iptables takes it (`NEW,ESTABLISHED`); unknown names are returned separately. */
export function parseCtStateMask(list: string): { mask: number; unknown: string[] } {
  let mask = 0;
  const unknown: string[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim().toUpperCase();
    if (!name) continue;
    const bit = BIT_BY_NAME[name as CtStateName];
    if (bit === undefined) unknown.push(raw);
    else mask |= bit;
  }
  return { mask, unknown };
}

/** The packet's state bit: from its ctinfo when it has a connection, else UNTRACKED or INVALID. */
export function ctStateBit(pkt: CtPacket): number {
  if (pkt.conn) return 1 << ((pkt.ctinfo % IP_CT_IS_REPLY) + 1);
  return pkt.ctinfo === IP_CT_UNTRACKED ? CT_STATE_UNTRACKED : CT_STATE_INVALID;
}

/** `-m state --state MASK` (xt_state): true when the packet's state is in the mask. */
export function matchState(pkt: CtPacket, mask: number): boolean {
  return (mask & ctStateBit(pkt)) !== 0;
}

export interface ConntrackMatchSpec {
  /** `--ctstate` mask, with `!` as `invertState`. */
  state?: { mask: number; invert: boolean };
  /** `--ctdir ORIGINAL|REPLY`. */
  dir?: 'ORIGINAL' | 'REPLY';
  /** `--ctstatus` mask of IPS_* bits, with `!`. */
  status?: { mask: number; invert: boolean };
}

/**
 * `-m conntrack` (xt_conntrack): the state test first; a packet without a
 * connection (INVALID / UNTRACKED) then matches only if a state test was
 * given (and passed) — every other conntrack test needs a connection.
 */
export function matchConntrack(pkt: CtPacket, spec: ConntrackMatchSpec): boolean {
  if (spec.state) {
    const hit = (spec.state.mask & ctStateBit(pkt)) !== 0;
    if (hit === spec.state.invert) return false;
  }
  const conn = pkt.conn;
  if (!conn || pkt.ctinfo === IP_CT_NONE) return spec.state !== undefined;
  if (spec.dir) {
    const original = pkt.ctinfo < IP_CT_IS_REPLY;
    if (original !== (spec.dir === 'ORIGINAL')) return false;
  }
  if (spec.status) {
    const hit = (spec.status.mask & conn.status) !== 0;
    if (hit === spec.status.invert) return false;
  }
  return true;
}
