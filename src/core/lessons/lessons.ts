/**
 * Guided lessons built from the libvirt documentation's examples (../shared/seeds/): each loads a
 * filter and a scenario, asks the reader to predict the verdict of one key packet, then explains
 * it with the simulator's trace. Pure data; the UI runs the simulation.
 */
import { CONNLIMIT_XML } from '../examples/connlimit';
import { FTP_SERVER_RELATED_XML } from '../examples/ftp-server-related';
import { FTP_SERVER_XML } from '../examples/ftp-server';
import { ICMP_ECHO_ONLY_XML } from '../examples/icmp-echo-only';

/** A verdict the reader can predict. */
export type PredictedVerdict = 'accept' | 'drop';

export interface Lesson {
  /** Stable identifier (tests, URLs). */
  id: string;
  title: string;
  /** What the reader is about to see, before the prediction. */
  intro: string;
  /** The filter XML the lesson loads into the workspace. */
  xml: string;
  /** The simulator scenario it runs. */
  scenario: string;
  /** Host setting the lesson starts with. */
  ftpHelper: boolean;
  /**
   * The binding's parameters the lesson runs with (the simulator's filter parameters). Most give
   * the VM's address as IP, so libvirt has nothing to learn; the IP-learning lesson leaves it out.
   */
  params: Record<string, string[]>;
  /** Label of the key packet in the scenario (the first frame with that label). */
  keyPacket: string;
  /** The question asked before revealing. */
  question: string;
  /** The verdict the simulator gives (checked by the lesson test against the simulator). */
  expected: PredictedVerdict;
  /** Why, shown after the reveal next to the trace. */
  explanation: string;
  /** Something to try next in the editor or the host settings. */
  tryNext: string;
}

/** The docs' connection-limit example's DNS rule (the lesson below takes it out). */
const CONNLIMIT_DNS_RULE = `  <rule action='accept' direction='out' priority='500'>
    <udp dstportstart='53'/>
  </rule>
`;

/** The DNS-for-SSH lesson's filter: the docs' connection-limit example without its DNS rule. */
export const SSH_WITHOUT_DNS_XML = CONNLIMIT_XML.replace(
  "name='connlimit-ssh-ping'",
  "name='ssh-without-dns'",
).replace(CONNLIMIT_DNS_RULE, '');

/** The docs' statematch='false' rule, closed by a final drop so that only the rule decides. */
export const STATEMATCH_OFF_DROP_XML = `<filter name='statematch-off'>
  <rule action='accept' direction='in' statematch='false'>
    <tcp dstportstart='12345'/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all/>
  </rule>
</filter>
`;

/** The scenarios' VM: its MAC, and its address given as IP (nothing to learn). */
export const VM_PARAMS: Record<string, string[]> = {
  MAC: ['52:54:00:11:22:33'],
  IP: ['10.99.0.2'],
};

export const LESSONS: readonly Lesson[] = [
  {
    id: 'conntrack-statematch',
    title: 'Connection tracking and state',
    intro:
      'The FTP-server filter of the libvirt docs accepts SSH towards the VM only with state NEW, and lets the VM send only packets of ESTABLISHED or RELATED connections. A remote host opens an SSH session to the VM.',
    xml: FTP_SERVER_XML,
    scenario: 'ssh',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'ssh SYN/ACK',
    question:
      'The VM answers the SYN with a SYN/ACK. No rule accepts new traffic from the VM on port 22. Does the SYN/ACK get out?',
    expected: 'accept',
    explanation:
      'Conntrack saw the SYN go through and created a connection; the SYN/ACK is its reply, so its state is ESTABLISHED. The out rule with state ESTABLISHED,RELATED accepts it. That is the point of statematch: the first packet is checked against the service rules, the rest of the connection follows by its state.',
    tryNext:
      'Delete the out rule ESTABLISHED,RELATED and run again: the SYN/ACK is dropped and SSH never connects.',
  },
  {
    id: 'statematch-false',
    title: "statematch='false' opens the other direction",
    intro:
      "This rule from the docs (closed here by a final drop) accepts TCP towards port 12345 with statematch='false': libvirt then writes no state match, and the mirrored rule for the reply direction matches any packet from port 12345.",
    xml: STATEMATCH_OFF_DROP_XML,
    scenario: 'statematch-false',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'outgoing SYN',
    question:
      'The VM itself opens a connection from its port 12345 to the remote host. Is the SYN let out?',
    expected: 'accept',
    explanation:
      "Without state matching, the reply-direction rule libvirt generates for an 'in' rule (source port 12345 from the VM) matches the VM's own SYN: the VM can initiate connections from that port. With statematch on, the same SYN is NEW and only ESTABLISHED is allowed out.",
    tryNext: 'Set statematch back to true on the rule: the SYN is dropped.',
  },
  {
    id: 'ftp-helper',
    title: 'The two FTP-server solutions and the helper',
    intro:
      "The docs give two filters for an FTP server in the VM. The first accepts the active-mode data connection from port 20 with state RELATED,ESTABLISHED. On today's kernels, conntrack helpers are no longer assigned automatically (that automatic assignment is gone since Linux 6.0): without an explicit CT --helper ftp rule on the host, the PORT command is not read.",
    xml: FTP_SERVER_RELATED_XML,
    scenario: 'ftp-active',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'data SYN',
    question:
      'The client sent PORT, and the VM opens the data connection from port 20. With no helper assigned, is the data SYN let out?',
    expected: 'drop',
    explanation:
      'Without a helper nobody parses the PORT command, so no expectation exists: the data SYN is a NEW connection, not RELATED, and the rule for port 20 (RELATED,ESTABLISHED) does not match; the final drop decides. With the helper assigned, the PORT command creates an expectation and the same SYN is RELATED and accepted. The second solution of the docs (ESTABLISHED in, ESTABLISHED,RELATED out) has the same need for active FTP, and passive FTP fails under it even with the helper, because the RELATED data SYN arrives from outside and the in rule accepts only ESTABLISHED.',
    tryNext:
      'Turn the FTP helper on in the host settings: the data SYN becomes RELATED and is accepted. Then try the ftp-passive scenario.',
  },
  {
    id: 'invalid-tcp-loose',
    title: 'INVALID: a session conntrack cannot pick up',
    intro:
      "Conntrack calls a packet INVALID when it fits no connection it can track. On a default host a bare ACK of a connection it never saw (an SSH session opened before a conntrack flush or a reboot of the host) is not INVALID: nf_conntrack_tcp_loose=1 lets conntrack pick the connection up mid-stream, as NEW. This host sets nf_conntrack_tcp_loose=0, as some hardening guides advise. The filter is the docs' FTP-server filter: SSH in with state NEW, the VM's answers with ESTABLISHED,RELATED, a final drop.",
    xml: FTP_SERVER_XML,
    scenario: 'mid-stream-ack-strict',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'data (mid-stream)',
    question:
      'A keystroke of the old SSH session reaches the host, which has no entry for it. With tcp_loose=0, does it get through to the VM?',
    expected: 'drop',
    explanation:
      'With tcp_loose=0 conntrack picks a TCP connection up only from its SYN, so the segment is INVALID. The SSH rule matches state NEW, the ESTABLISHED,RELATED rule matches neither, and the final drop takes it: no state rule ever matches INVALID. The session is dead until the client reconnects (its new SYN is NEW). With the default tcp_loose=1 the same segment is NEW and accepted (scenario mid-stream-ack). Even on a default host some packets are always INVALID — a SYN/ACK answering no SYN, a RST for no connection, SYN+FIN, a segment far outside the window: scenario tcp-invalid.',
    tryNext:
      'Run the mid-stream-ack scenario (tcp_loose=1): the segment is NEW and accepted. Then tcp-invalid: four INVALID segments on a default host, all dropped.',
  },
  {
    id: 'icmp-echo-only',
    title: 'ICMP echo only',
    intro:
      'The docs restrict ICMP to echo: the VM may send echo requests (type 8) and receive echo replies (type 0). The filter has only these two accept rules.',
    xml: ICMP_ECHO_ONLY_XML,
    scenario: 'ping-in',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'echo request 1',
    question:
      'The remote host pings the VM (an echo request towards it). No rule accepts it. Is it dropped?',
    expected: 'accept',
    explanation:
      "A filter only decides what its rules decide: nothing here drops, and libvirt's chains let everything else through. The example is meant to be combined with a final drop rule (as in the FTP-server filter); on its own it allows all traffic.",
    tryNext:
      "Add a rule action='drop' direction='inout' with protocol all at priority 1000: the echo request is dropped, the VM's own ping still works.",
  },
  {
    id: 'connlimit',
    title: 'Limiting connections, and the ICMP timeout',
    intro:
      'The docs limit the VM to one SSH connection in and one ping out at a time. The limit rules have priority 400 so they come before the accepts (500): a rule after the accept would never see the packets the accept already let through. The VM pings once, and right after the first ping ends, pings again.',
    xml: CONNLIMIT_XML,
    scenario: 'ping-connlimit-timeout',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'ping 2 request (right after)',
    question:
      'The first ping has finished. The VM starts a second ping right away. Does its echo request get out?',
    expected: 'drop',
    explanation:
      "Conntrack keeps the first ping's ICMP entry for nf_conntrack_icmp_timeout (30 s by default) after its last packet, so it still counts towards connlimit-above='1': the second ping is over the limit and dropped. After the timeout the entry is gone and a new ping passes. The docs advise lowering the timeout in the host's sysctl.",
    tryNext: 'Set the ICMP timeout to 1 s in the host settings: the second ping passes.',
  },
  {
    id: 'dns-for-ssh',
    title: 'DNS for SSH',
    intro:
      "The connection-limit example of the docs adds a rule letting the VM send DNS queries, 'to avoid ssh sessions not getting established for reasons related to DNS lookup failures by the ssh daemon'. This version leaves it out: SSH is allowed in, everything else dropped.",
    xml: SSH_WITHOUT_DNS_XML,
    scenario: 'dns',
    ftpHelper: false,
    params: VM_PARAMS,
    keyPacket: 'query',
    question:
      'While accepting an SSH login, sshd looks up the client’s name. Does the VM’s DNS query get out?',
    expected: 'drop',
    explanation:
      'Nothing accepts UDP to port 53 from the VM, so the final drop decides. sshd waits for its lookup to time out before it answers, and logins hang or fail: the docs’ “fun-filled debugging joy”. The lint panel warns about it (NWF504).',
    tryNext:
      "Add a rule action='accept' direction='out' with udp dstportstart='53' at priority 500: the query passes.",
  },
  {
    id: 'ip-learning-dhcp',
    title: 'IP learning: a DHCP lease the filter lets expire',
    intro:
      "The docs' FTP-server filter references clean-traffic, which needs the VM's address; the binding gives none, so libvirt learns it — here with CTRL_IP_LEARNING=dhcp: until a DHCPACK teaches the address only DHCP passes, and the address lasts as long as its lease. The VM gets a 30-second lease, pings the server, and at 15 s sends its renewal.",
    xml: FTP_SERVER_XML,
    scenario: 'dhcp-lease-expiry',
    ftpHelper: false,
    params: { MAC: ['52:54:00:11:22:33'], CTRL_IP_LEARNING: ['dhcp'] },
    keyPacket: 'ping at 40 s: echo request',
    question:
      'The VM renewed its lease at 15 s, so it thinks its address is good until 45 s. Does its ping at 40 s get out?',
    expected: 'drop',
    explanation:
      "The renewal — a unicast DHCPREQUEST from the VM's address to UDP port 67 — met the rebuilt filter, and nothing in it accepts DHCP: the final drop rule took it, the server never answered, and libvirt's lease ended at 30 s. libvirt then put the DHCP-only rules back (see the IP learning timeline), and they drop the ping. This is the classic 'guest loses its network after the lease' under clean-traffic with CTRL_IP_LEARNING=dhcp.",
    tryNext:
      "Let the renewal out: add a rule action='accept' direction='out' with udp dstportstart='67' state='NEW' before the final drop (the server's answer is then ESTABLISHED). The built-in allow-dhcp does not help here: it accepts only the broadcast from 0.0.0.0, and only in ebtables. Or set CTRL_IP_LEARNING to any: the address it learns never expires.",
  },
];

/** The lesson with this id. */
export function getLesson(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
