/**
 * The filter cases of the suite: each runs every scenario of ./scenarios.ts (the kernel and the
 * simulator must agree on all of them, whatever the filter makes of the traffic).
 */
import type { BackendId } from '../../src/core/compile';
import type { IpsetSpec } from '../../src/core/host';
import { BRIDGE_CIDR, PEER } from './scenarios';

export interface KernelCase {
  id: string;
  /** File name (without .xml) in ./filters. */
  filter: string;
  /** Give br0 this address (REJECT then sends its ICMP error / TCP reset). */
  bridgeAddress?: string;
  /** ipsets the host has (created before the script is applied; the simulator gets the same). */
  ipsets?: Record<string, IpsetSpec>;
  /**
   * Scenarios not run under this case, and why. Only for kernel behaviour that differs from run
   * to run (the simulator cannot be asked to match a coin toss); listed in every report.
   */
  skip?: { scenarios: readonly string[]; why: string };
  /** Run only these scenarios (a case that exists to confirm lint findings). */
  only?: readonly string[];
  /**
   * Kernel fates a lint finding predicts for this filter (`src/core/lint/README.md`): frame
   * `frame` (0-based) of `scenario` is delivered or not. Checked on the kernel's side; the
   * simulator must agree with the kernel as everywhere.
   */
  confirms?: readonly LintConfirmation[];
  /**
   * The backends this case runs under (default both). The stateless filters exist for the
   * nftables backend: rule sets without a `ct` expression load on a kernel without
   * nf_conntrack_bridge.
   */
  backends?: readonly BackendId[];
  /**
   * The binding has no `IP`: libvirt learns it, with these parameters (`CTRL_IP_LEARNING`,
   * `DHCPSERVER`), and the rules in force change during a run where the simulator's learning
   * phases say (README, "IP learning"), with each backend's learning rules and rule swaps;
   * the simulator's own scenarios only.
   */
  learning?: Record<string, string[]>;
}

export interface LintConfirmation {
  /** The lint code whose claim this is (NWF5nn); `negative` for the case where it stays silent. */
  code: string;
  scenario: string;
  frame: number;
  delivered: boolean;
  what: string;
}

/** The simulator's IP-learning scenarios (and the lease's end on its own timeline). */
const LEARNING_SCENARIOS = [
  'dhcp',
  'dhcp-boot',
  'dhcp-rogue-server',
  'static-ip',
  'dhcp-lease-expiry',
  'dhcp-lease-expiry/real-time',
];

/** The FTP scenarios' data connection SYN (control handshake, eight exchanges, then the SYN). */
const FTP_DATA_SYN = 19;

export const CASES: readonly KernelCase[] = [
  {
    id: 'ftp-related',
    filter: 'kd-ftp-related',
    confirms: [
      {
        code: 'NWF502',
        scenario: 'kd-ftp-active',
        frame: FTP_DATA_SYN,
        delivered: false,
        what: "docs' first solution, no helper: the active data SYN (NEW) is dropped",
      },
      {
        code: 'NWF502 negative',
        scenario: 'kd-ftp-active+helper',
        frame: FTP_DATA_SYN,
        delivered: true,
        what: 'with the helper the active data SYN is RELATED and accepted',
      },
    ],
  },
  {
    id: 'ftp-new-established',
    filter: 'kd-ftp-new-established',
    confirms: [
      {
        code: 'NWF502',
        scenario: 'kd-ftp-active',
        frame: FTP_DATA_SYN,
        delivered: false,
        what: "docs' second solution, no helper: the active data SYN (NEW) is dropped",
      },
      {
        code: 'NWF502 negative',
        scenario: 'kd-ftp-active+helper',
        frame: FTP_DATA_SYN,
        delivered: true,
        what: "second solution with the helper: <all state='ESTABLISHED,RELATED'/> out takes it",
      },
      {
        code: 'NWF514',
        scenario: 'kd-ftp-passive',
        frame: FTP_DATA_SYN,
        delivered: false,
        what: 'passive data SYN to the VM (NEW) dropped',
      },
      {
        code: 'NWF514',
        scenario: 'kd-ftp-passive+helper',
        frame: FTP_DATA_SYN,
        delivered: false,
        what: 'passive data SYN to the VM dropped with the helper too (RELATED, only ESTABLISHED let in)',
      },
    ],
  },
  { id: 'icmp-echo-only', filter: 'kd-icmp-echo-only' },
  {
    // The reactive scenarios' retries into a SYN_RECV entry: the VM's SYN/ACK is dropped, the
    // client sends its SYN again (accepted as ESTABLISHED here, dropped under syn-only).
    id: 'answers-dropped',
    filter: 'kd-answers-dropped',
    only: ['ssh', 'ftp-active', 'ftp-passive', 'tcp-invalid'],
  },
  { id: 'syn-only', filter: 'kd-syn-only', only: ['ssh', 'ftp-active'] },
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
        // The simulator's INVALID segments to the VM are orphans too.
        'tcp-invalid',
        'mid-stream-ack-strict',
      ],
      why: 'orphan TCP segments to the VM: the kernel counts 0 or 1 of them at the connlimit rule depending on the run (README, K4); fates are drop either way',
    },
    confirms: [
      {
        code: 'NWF515',
        scenario: 'kd-ssh',
        frame: 9,
        delivered: false,
        what: "the client's last ACK (after both FINs) is hot-dropped by the connlimit rule",
      },
      {
        code: 'NWF513',
        scenario: 'kd-icmp-timeout-lowered',
        frame: 2,
        delivered: false,
        what: 'a stopped ping keeps the 30 s deadline it had when the timeout was lowered to 3 s: a new ping 4 s later is still refused',
      },
    ],
  },
  {
    id: 'connlimit-established',
    filter: 'kd-connlimit-established',
    only: ['kd-ssh', 'kd-ssh-connlimit'],
    confirms: [
      {
        code: 'NWF515 negative',
        scenario: 'kd-ssh',
        frame: 9,
        delivered: true,
        what: "NWF515's fix (accept tcp state='ESTABLISHED' in before the limit): the client's last ACK passes",
      },
      {
        code: 'NWF515 negative',
        scenario: 'kd-ssh-connlimit',
        frame: 5,
        delivered: false,
        what: "with NWF515's fix the limit still refuses a second concurrent session's SYN",
      },
      {
        code: 'NWF515 negative',
        scenario: 'kd-ssh-connlimit',
        frame: 8,
        delivered: true,
        what: "with NWF515's fix the first session's last ACK passes",
      },
      {
        code: 'NWF515 negative',
        scenario: 'kd-ssh-connlimit',
        frame: 9,
        delivered: true,
        what: 'and a new session after it is accepted',
      },
    ],
  },
  {
    // Headers br_netfilter refuses (br_validate_ipv4/6): dropped after the bridge's PREROUTING
    // chains (the ebtables accept counts them), before conntrack and every iptables rule.
    id: 'ip-lengths',
    filter: 'kd-ip-lengths',
    only: ['kd-ip-lengths'],
  },
  {
    // A wrong IPv4 header checksum: br_validate_ipv4 drops it as it drops the damaged lengths.
    id: 'ip-checksum',
    filter: 'kd-ip-lengths',
    only: ['kd-ip-checksum'],
  },
  { id: 'statematch-false', filter: 'kd-statematch-false' },
  { id: 'clean-traffic', filter: 'kd-clean-traffic' },
  { id: 'reject', filter: 'kd-reject' },
  {
    id: 'nd-inout',
    filter: 'kd-nd-inout',
    only: ['kd-ipv6-nd'],
    confirms: [
      {
        code: 'NWF517',
        scenario: 'kd-ipv6-nd',
        frame: 0,
        delivered: false,
        what: 'inout <icmpv6 type=135> installs nothing: the neighbour solicitation is dropped',
      },
      {
        code: 'NWF517',
        scenario: 'kd-ipv6-nd',
        frame: 1,
        delivered: false,
        what: 'inout <icmpv6 type=136> installs nothing: the advertisement is dropped',
      },
    ],
  },
  {
    id: 'nd-stateful',
    filter: 'kd-nd-stateful',
    only: ['kd-ipv6-nd'],
    confirms: [
      {
        code: 'NWF517',
        scenario: 'kd-ipv6-nd',
        frame: 0,
        delivered: false,
        what: 'stateful out <icmpv6 type=135>: ND is UNTRACKED, the solicitation is dropped',
      },
      {
        code: 'NWF517',
        scenario: 'kd-ipv6-nd',
        frame: 1,
        delivered: false,
        what: 'stateful in <icmpv6 type=136>: the advertisement is dropped',
      },
    ],
  },
  {
    id: 'nd-statematch-false',
    filter: 'kd-nd-statematch-false',
    only: ['kd-ipv6-nd'],
    confirms: [
      {
        code: 'NWF517 negative',
        scenario: 'kd-ipv6-nd',
        frame: 0,
        delivered: true,
        what: "per-direction ND accepts with statematch='false': the solicitation passes",
      },
      {
        code: 'NWF517 negative',
        scenario: 'kd-ipv6-nd',
        frame: 1,
        delivered: true,
        what: "per-direction ND accepts with statematch='false': the advertisement passes",
      },
    ],
  },
  {
    id: 'reject-inout',
    filter: 'kd-reject-inout',
    only: ['kd-http-in', 'kd-http-out'],
    confirms: [
      {
        code: 'NWF518',
        scenario: 'kd-http-in',
        frame: 0,
        delivered: false,
        what: "reject inout <tcp dstportstart='80'>: a SYN to the VM's port 80 is rejected",
      },
      {
        code: 'NWF518',
        scenario: 'kd-http-out',
        frame: 0,
        delivered: true,
        what: "the same rule does not cover the VM's own SYN to port 80 of the remote host",
      },
    ],
  },
  {
    id: 'dscp',
    filter: 'kd-dscp',
    only: ['kd-ssh-dscp'],
    confirms: [
      {
        code: 'NWF519',
        scenario: 'kd-ssh-dscp',
        frame: 0,
        delivered: true,
        what: 'the client SYN with DSCP 10 is accepted to the VM',
      },
      {
        code: 'NWF519',
        scenario: 'kd-ssh-dscp',
        frame: 1,
        delivered: false,
        what: "the VM's SYN-ACK with DSCP 0 is dropped: the reply rule matches DSCP 10 too",
      },
    ],
  },
  { id: 'reject+bridge-address', filter: 'kd-reject', bridgeAddress: BRIDGE_CIDR },
  {
    id: 'ipset',
    filter: 'kd-ipset',
    ipsets: {
      kd_svc: { type: 'hash:ip,port', members: [`${PEER.ip},tcp:25`, `${PEER.ip},udp:53`] },
      // (hash:mac is not in the reference kernel: `ipset create … hash:mac` says "set type not
      // supported"; match-eval's unit tests cover it.)
      kd_peers: { type: 'hash:ip', members: [PEER.ip] },
      kd_svcnets: { type: 'hash:net,port', members: ['10.99.0.0/30,udp:54'] },
      kd_nets: { type: 'hash:net', members: ['10.99.0.0/25'] },
    },
  },
  // IP learning: the app's default filter (the docs' second FTP-server filter over
  // clean-traffic) bound without IP, every simulator scenario, in each mode.
  { id: 'learn-any', filter: 'kd-ftp-new-established', learning: {} },
  {
    id: 'learn-dhcp',
    filter: 'kd-ftp-new-established',
    learning: { CTRL_IP_LEARNING: ['dhcp'] },
  },
  {
    id: 'learn-dhcp-server',
    filter: 'kd-ftp-new-established',
    learning: { CTRL_IP_LEARNING: ['dhcp'], DHCPSERVER: [PEER.ip] },
    only: LEARNING_SCENARIOS,
  },
  {
    // clean-traffic alone: the rebuilt rules are ethernet rules only (no conntrack at any phase,
    // so under nftables it runs on a kernel without nf_conntrack_bridge too).
    id: 'learn-clean-traffic',
    filter: 'kd-clean-traffic',
    learning: {},
    only: LEARNING_SCENARIOS,
  },
  {
    // The same under CTRL_IP_LEARNING=dhcp: the DHCP-only rules, a lease that ends and the
    // learning rules put back over the filter's (the driver's teardown of a port with rules).
    id: 'learn-clean-traffic-dhcp',
    filter: 'kd-clean-traffic',
    learning: { CTRL_IP_LEARNING: ['dhcp'] },
    only: LEARNING_SCENARIOS,
  },
  { id: 'nft-stateless', filter: 'kd-nft-stateless', backends: ['nftables'] },
  { id: 'nft-stateless-l2', filter: 'kd-nft-stateless-l2', backends: ['nftables'] },
];
