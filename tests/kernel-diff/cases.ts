/**
 * The filter cases of the suite: each runs every scenario of ./scenarios.ts (the kernel and the
 * simulator must agree on all of them, whatever the filter makes of the traffic).
 */
import { BRIDGE_CIDR } from './scenarios';

export interface KernelCase {
  id: string;
  /** File name (without .xml) in ./filters. */
  filter: string;
  /** Give br0 this address (REJECT then sends its ICMP error / TCP reset). */
  bridgeAddress?: string;
}

export const CASES: readonly KernelCase[] = [
  { id: 'ftp-related', filter: 'kd-ftp-related' },
  { id: 'ftp-new-established', filter: 'kd-ftp-new-established' },
  { id: 'icmp-echo-only', filter: 'kd-icmp-echo-only' },
  { id: 'connlimit', filter: 'kd-connlimit' },
  { id: 'statematch-false', filter: 'kd-statematch-false' },
  { id: 'clean-traffic', filter: 'kd-clean-traffic' },
  { id: 'reject', filter: 'kd-reject' },
  { id: 'reject+bridge-address', filter: 'kd-reject', bridgeAddress: BRIDGE_CIDR },
];
