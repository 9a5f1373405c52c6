/**
 * Conntrack tunables under their /proc/sys/net/netfilter names, with the
 * defaults a fresh network namespace of Linux 6.18 reports (read on the
 * reference host; see KERNEL-FACTS.md). Timeouts are in seconds.
 */
export interface ConntrackSysctl {
  nf_conntrack_tcp_loose: number;
  nf_conntrack_tcp_be_liberal: number;
  nf_conntrack_tcp_ignore_invalid_rst: number;
  nf_conntrack_tcp_max_retrans: number;
  nf_conntrack_tcp_timeout_syn_sent: number;
  nf_conntrack_tcp_timeout_syn_recv: number;
  nf_conntrack_tcp_timeout_established: number;
  nf_conntrack_tcp_timeout_fin_wait: number;
  nf_conntrack_tcp_timeout_close_wait: number;
  nf_conntrack_tcp_timeout_last_ack: number;
  nf_conntrack_tcp_timeout_time_wait: number;
  nf_conntrack_tcp_timeout_close: number;
  nf_conntrack_tcp_timeout_max_retrans: number;
  nf_conntrack_tcp_timeout_unacknowledged: number;
  nf_conntrack_udp_timeout: number;
  nf_conntrack_udp_timeout_stream: number;
  nf_conntrack_icmp_timeout: number;
  nf_conntrack_icmpv6_timeout: number;
  nf_conntrack_generic_timeout: number;
  nf_conntrack_sctp_timeout_closed: number;
  nf_conntrack_sctp_timeout_cookie_wait: number;
  nf_conntrack_sctp_timeout_cookie_echoed: number;
  nf_conntrack_sctp_timeout_established: number;
  nf_conntrack_sctp_timeout_shutdown_sent: number;
  nf_conntrack_sctp_timeout_shutdown_recd: number;
  nf_conntrack_sctp_timeout_shutdown_ack_sent: number;
  nf_conntrack_sctp_timeout_heartbeat_sent: number;
}

/** Linux 6.18 defaults (fresh netns on the reference host). */
export const DEFAULT_SYSCTL: Readonly<ConntrackSysctl> = Object.freeze({
  nf_conntrack_tcp_loose: 1,
  nf_conntrack_tcp_be_liberal: 0,
  nf_conntrack_tcp_ignore_invalid_rst: 0,
  nf_conntrack_tcp_max_retrans: 3,
  nf_conntrack_tcp_timeout_syn_sent: 120,
  nf_conntrack_tcp_timeout_syn_recv: 60,
  nf_conntrack_tcp_timeout_established: 432000,
  nf_conntrack_tcp_timeout_fin_wait: 120,
  nf_conntrack_tcp_timeout_close_wait: 60,
  nf_conntrack_tcp_timeout_last_ack: 30,
  nf_conntrack_tcp_timeout_time_wait: 120,
  nf_conntrack_tcp_timeout_close: 10,
  nf_conntrack_tcp_timeout_max_retrans: 300,
  nf_conntrack_tcp_timeout_unacknowledged: 300,
  nf_conntrack_udp_timeout: 30,
  nf_conntrack_udp_timeout_stream: 120,
  nf_conntrack_icmp_timeout: 30,
  nf_conntrack_icmpv6_timeout: 30,
  nf_conntrack_generic_timeout: 600,
  nf_conntrack_sctp_timeout_closed: 10,
  nf_conntrack_sctp_timeout_cookie_wait: 3,
  nf_conntrack_sctp_timeout_cookie_echoed: 3,
  nf_conntrack_sctp_timeout_established: 210,
  nf_conntrack_sctp_timeout_shutdown_sent: 3,
  nf_conntrack_sctp_timeout_shutdown_recd: 3,
  nf_conntrack_sctp_timeout_shutdown_ack_sent: 3,
  nf_conntrack_sctp_timeout_heartbeat_sent: 30,
});

export type SysctlName = keyof ConntrackSysctl;

/** True when `name` is a conntrack sysctl this model knows (with or without the `net.netfilter.` prefix). */
export function isSysctlName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(
    DEFAULT_SYSCTL,
    name.replace(/^net\.netfilter\./, ''),
  );
}

/**
 * Merges overrides (`{ 'net.netfilter.nf_conntrack_icmp_timeout': 10 }` or
 * the bare name) over the defaults. Unknown names are returned in `unknown`
 * rather than thrown, so callers can report them.
 */
export function resolveSysctl(overrides: Record<string, number> = {}): {
  sysctl: ConntrackSysctl;
  unknown: string[];
} {
  const sysctl: ConntrackSysctl = { ...DEFAULT_SYSCTL };
  const unknown: string[] = [];
  for (const [raw, value] of Object.entries(overrides)) {
    const name = raw.replace(/^net\.netfilter\./, '');
    if (isSysctlName(name) && Number.isFinite(value))
      (sysctl as unknown as Record<string, number>)[name] = value;
    else unknown.push(raw);
  }
  return { sysctl, unknown };
}
