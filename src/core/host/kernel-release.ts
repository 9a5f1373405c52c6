/**
 * The host's kernel release and what the simulator takes from it. Kernels differ in facts a
 * scenario's timing rests on: when TCP sends a lost SYN again and when connect() gives up.
 * Measured on the two kernels the project runs (KERNEL-FACTS, "Kernel release"): the reference
 * host's 6.18 and Debian 12's 6.1 under qemu (tests/guest-kernel).
 */

/** The reference host's kernel: the profile's default. */
export const DEFAULT_KERNEL_RELEASE = '6.18';

/** What the simulator derives from a kernel release. */
export interface KernelFacts {
  /** `major.minor`, as the profile stores it. */
  release: string;
  /**
   * `net.ipv4.tcp_syn_linear_timeouts` (Linux 6.5, "tcp: make the first N SYN RTO backoffs
   * linear"): how many SYN retransmissions keep the initial 1 s timeout before it doubles, also
   * added to `tcp_syn_retries`. Null on an older kernel, which has no such sysctl.
   */
  synLinearTimeouts: number | null;
  /**
   * When a lost SYN is sent again, in seconds after the first (defaults: `tcp_syn_retries` 6,
   * the 1 s initial timeout, doubling up to 120 s).
   */
  synRetransmits: readonly number[];
  /** When connect() fails with ETIMEDOUT, seconds after the first SYN. */
  connectTimeout: number;
}

/** `tcp_syn_retries`' default. */
const SYN_RETRIES = 6;
/** TCP_TIMEOUT_INIT and TCP_RTO_MAX, in seconds. */
const RTO_INIT = 1;
const RTO_MAX = 120;

/**
 * The release as `major.minor` (`6.1.0-57-amd64`, `6.1.192`, `6.18` → `6.1`, `6.18`), or null
 * when the text does not start with one.
 */
export function parseKernelRelease(text: string): { major: number; minor: number } | null {
  const m = /^\s*(\d{1,3})\.(\d{1,3})(?:[.\-+~_][0-9A-Za-z.\-+~_]*)?\s*$/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** The facts of a release (the default's when absent; a release must parse). */
export function kernelFacts(release: string = DEFAULT_KERNEL_RELEASE): KernelFacts {
  const v = parseKernelRelease(release) ?? (parseKernelRelease(DEFAULT_KERNEL_RELEASE) as never);
  const linear = v.major > 6 || (v.major === 6 && v.minor >= 5) ? 4 : null;
  // tcp_retransmit_timer: in SYN_SENT the timeout stays while the backoff is within the linear
  // count, then doubles; tcp_write_timeout gives up after tcp_syn_retries (+ the linear count)
  // retransmissions, when the next timer fires.
  const synRetransmits: number[] = [];
  let t = 0;
  let rto = RTO_INIT;
  for (let k = 1; k <= SYN_RETRIES + (linear ?? 0); k++) {
    t += rto;
    synRetransmits.push(t);
    if (k > (linear ?? 0)) rto = Math.min(rto * 2, RTO_MAX);
  }
  return {
    release: `${v.major}.${v.minor}`,
    synLinearTimeouts: linear,
    synRetransmits,
    connectTimeout: t + rto,
  };
}
