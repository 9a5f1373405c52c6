/**
 * The real kernel as the simulator's oracle (issue 5), on this host's kernel. See ./README.md;
 * the suite itself is ./lib/suite.ts (tests/guest-kernel runs it on a second kernel).
 */
import { LOCAL_MACHINE } from '../lib/machine';
import { defineKernelDiff } from './lib/suite';
import { whyUnavailable } from './lib/testbed';

const prefix = `nwfs-kd-${process.pid}-`;
const unavailable = whyUnavailable(prefix);

defineKernelDiff({
  machine: () => LOCAL_MACHINE,
  unavailable: unavailable
    ? `${unavailable}. The kernel differential suite needs root and network namespaces (CI runs it as root)`
    : null,
  label: (backend) => (backend === 'nftables' ? 'kernel-diff (nftables)' : 'kernel-diff'),
  prefix,
  sweep: true,
});
