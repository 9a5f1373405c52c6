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
  /**
   * Scenarios not run under this case, and why. Only for kernel behaviour that differs from run
   * to run (the simulator cannot be asked to match a coin toss); listed in every report.
   */
  skip?: { scenarios: readonly string[]; why: string };
}

export const CASES: readonly KernelCase[] = [
  { id: 'ftp-related', filter: 'kd-ftp-related' },
  { id: 'ftp-new-established', filter: 'kd-ftp-new-established' },
  { id: 'icmp-echo-only', filter: 'kd-icmp-echo-only' },
  {
    id: 'connlimit',
    filter: 'kd-connlimit',
    skip: {
      // Every suite scenario that sends TCP segments to the VM after their connection was refused
      // (all of them run under the seven other cases; the simulator's own scenarios run here).
      scenarios: [
        'kd-ssh-out',
        'kd-http-in',
        'kd-telnet-in',
        'kd-smtp-out',
        'kd-port12345-in',
        'kd-tcp-stray',
        'kd-ftp-active',
        'kd-ftp-passive',
        'kd-ftp-active+helper',
        'kd-ftp-passive+helper',
        'kd-ssh-connlimit',
        'kd-ftp-port-pending+helper',
        'kd-ftp-port-first-line+helper',
      ],
      why: 'orphan TCP segments to the VM: the kernel counts 0 or 1 of them at the connlimit rule depending on the run (README, K4); fates are drop either way',
    },
  },
  { id: 'statematch-false', filter: 'kd-statematch-false' },
  { id: 'clean-traffic', filter: 'kd-clean-traffic' },
  { id: 'reject', filter: 'kd-reject' },
  { id: 'reject+bridge-address', filter: 'kd-reject', bridgeAddress: BRIDGE_CIDR },
];
