/**
 * Every lint check, in one list, run in this order within each stage. A new check is one file
 * exporting a `LintCheck` (see `lint-check.ts`) and one line here.
 */
import { backendParity } from './check-backend-parity';
import { bindingRefused } from './check-binding-refused';
import { cleanTrafficBinding } from './check-clean-traffic';
import { ftpPassive, relatedWithoutHelper } from './check-ftp';
import { ipsetMissing } from './check-ipset-missing';
import { kernelModuleMissing } from './check-kernel-module';
import { dhcpBlocked, ipv6Open, sshWithoutDns, vlanBypass } from './check-probes';
import {
  chainProtocols,
  connlimitAfterAccept,
  connlimitClosing,
  connlimitIcmpTimeout,
  rejectBridged,
  statematchFalse,
} from './check-rules';
import { droppedAttributes, dscpReplies, icmpTypeRules, inoutPorts } from './check-translation';
import { unreachableRule } from './check-unreachable';
import type { LintCheck } from './lint-check';

export const LINT_CHECKS: readonly LintCheck[] = [
  cleanTrafficBinding,
  droppedAttributes,
  bindingRefused,
  connlimitAfterAccept,
  connlimitIcmpTimeout,
  statematchFalse,
  chainProtocols,
  rejectBridged,
  inoutPorts,
  ipsetMissing,
  kernelModuleMissing,
  unreachableRule,
  backendParity,
  icmpTypeRules,
  dscpReplies,
  relatedWithoutHelper,
  ftpPassive,
  connlimitClosing,
  sshWithoutDns,
  dhcpBlocked,
  vlanBypass,
  ipv6Open,
];
