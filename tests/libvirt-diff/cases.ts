/**
 * The differential cases: each binds one filter of ./filters to the port vnet0. Filters without
 * a case (ld-prio-*, ld-ref-*) are only referenced. Every filter file is defined in libvirt and
 * passed to the CLI with --filters, so filterrefs resolve the same way on both sides.
 */
export interface DiffCase {
  /** Unique case name; defaults to `filter`. */
  id?: string;
  /** Name of the filter bound (and of its file, `filters/<filter>.xml`). */
  filter: string;
  /**
   * Files of ./upstream-builtins that replace libvirt 9.0's built-in of the same name for this
   * case only (restored afterwards), to check a case without the help of known differences.
   */
  libvirtRedefine?: readonly string[];
  /** What the case covers. */
  covers: string;
  /**
   * The `--libvirt` release the project compiles the case for (default 9.0, the suite's libvirt);
   * 12.5 where libvirt's built-ins were replaced by upstream's (libvirtRedefine).
   */
  libvirtTarget?: '9.0' | '12.5';
  mac?: string;
  /** Binding parameters; a repeated name is a list. IP defaults to 10.99.0.2 unless given. */
  params?: readonly (readonly [string, string])[];
  /**
   * ipsets to create (name, `ipset create` type/options) in both namespaces before applying; the
   * project's `compile` is told the host has exactly these (`--ipset NAME:TYPE=`), so a set the
   * filter names but the case does not create is a binding failure on both sides.
   */
  ipsets?: readonly (readonly [string, ...string[]])[];
  /**
   * A binding libvirt cannot instantiate although `nwfilter-define` accepted the filter: libvirt's
   * `nwfilter-binding-create` must fail with an error matching `libvirt`, and the project's
   * `compile` must exit 1 naming `code` (src/core/binding) at the rule or filterref.
   */
  bindingFails?: { code: string; libvirt: RegExp };
}

export const DEFAULT_MAC = '52:54:00:11:22:33';
export const DEFAULT_IP = '10.99.0.2';

export const CASES: readonly DiffCase[] = [
  {
    filter: 'ld-mac',
    covers:
      'mac: addresses, masks, protocolid names/numbers, $MAC; all directions; accept/drop/return/continue',
  },
  { filter: 'ld-vlan', covers: 'vlan: vlanid (dec/hex), encap-protocol names/numbers' },
  { filter: 'ld-stp', covers: 'stp: type, flags, root-*/sender-* fields and their -hi ranges' },
  {
    filter: 'ld-arp',
    covers: 'arp: hwtype, protocoltype, opcode names/numbers, arp addresses and masks, gratuitous',
  },
  { filter: 'ld-rarp', covers: 'rarp: opcodes, arp addresses' },
  {
    filter: 'ld-ip',
    covers: 'ip (ebtables): addresses, masks (bits, dotted), protocol names/numbers, ports, dscp',
  },
  {
    filter: 'ld-ipv6',
    covers: 'ipv6 (ebtables): addresses, masks, ports, icmpv6 type/code ranges, ::ffff: addresses',
  },
  { filter: 'ld-tcp', covers: 'tcp: ports, ip ranges, flags, dscp, state, comment, reject' },
  { filter: 'ld-udp', covers: 'udp: ports, masks, ranges, dscp' },
  { filter: 'ld-udplite', covers: 'udplite' },
  { filter: 'ld-sctp', covers: 'sctp: ports, ranges, dscp, $MAC/$IP' },
  { filter: 'ld-icmp', covers: 'icmp: type/code, masks, ranges' },
  { filter: 'ld-igmp', covers: 'igmp' },
  { filter: 'ld-esp-ah', covers: 'esp, ah' },
  { filter: 'ld-all', covers: 'all: addresses, ranges, dscp, bare all' },
  { filter: 'ld-l4-ipv6', covers: 'tcp-ipv6, udp-ipv6, udplite-ipv6, sctp-ipv6' },
  { filter: 'ld-icmpv6', covers: 'icmpv6 type/code, masks' },
  { filter: 'ld-ipsec-all-ipv6', covers: 'esp-ipv6, ah-ipv6, all-ipv6' },
  { filter: 'ld-actions', covers: 'iptables actions accept/drop/reject/return × in/out/inout' },
  {
    filter: 'ld-l2-actions',
    covers: 'ebtables actions accept/drop/reject/return/continue × in/out/inout',
  },
  {
    filter: 'ld-states',
    covers:
      'state NEW/ESTABLISHED/RELATED/INVALID/NONE and combinations; implicit state per direction',
  },
  { filter: 'ld-statematch', covers: "statematch='false'/'0'/'true'" },
  { filter: 'ld-connlimit', covers: 'connlimit-above (IPv4 and IPv6, with state)' },
  {
    filter: 'ld-ipset',
    covers: 'ipset with ipsetflags (1–3 flags, case), $variable set name, IPv6 set',
    params: [['SETNAME', 'nwfs_ld_set']],
    ipsets: [
      ['nwfs_ld_set', 'hash:ip'],
      ['nwfs_ld_set6', 'hash:ip', 'family', 'inet6'],
    ],
  },
  {
    filter: 'ld-lint-pitfalls',
    covers:
      "lint's translation pitfalls: ipset+ipsetflags on tcp dropped, <ip> ranges ignored, inout ICMP types installing nothing, stateful/statematch='false' ND, inout reject ports mirrored, dscp on the reply rule",
    ipsets: [['nwfs_ld_lint', 'hash:ip']],
  },
  {
    filter: 'ld-comments',
    covers:
      'comments: quotes, $( ), backticks, ${ }, backslashes, newline, non-ASCII, option look-alikes, whitespace before $ (text, not a variable)',
  },
  {
    filter: 'ld-vars',
    covers: 'variables, lists, $X (parallel) and $X[@n] iterators (cartesian)',
    params: [
      ['A', '10.20.0.1'],
      ['A', '10.20.0.2'],
      ['A', '10.20.0.3'],
      ['B', '80'],
      ['B', '90'],
      ['B', '100'],
      ['C', '1080'],
      ['C', '1090'],
      ['C', '1100'],
      ['PORTS', '22'],
      ['PORTS', '443'],
    ],
  },
  {
    filter: 'ld-priorities',
    covers:
      'rule priorities (negative, 0, default, 1000), chain priorities, custom chain names ipv4-a/arp-x',
  },
  {
    filter: 'ld-interleave',
    covers:
      'root-chain rules interleaved with sub-chain jumps (before/between/on chain priorities), rules raised to their chain priority, chain mac-extra',
  },
  {
    filter: 'ld-filterref',
    covers:
      'filterref tree with parameters passed down, grandchild, built-in no-mac-spoofing in a mac chain',
  },
  {
    filter: 'ld-ref-dup',
    covers:
      'one filter referenced twice with different parameters, a built-in twice, a filterref parameter shadowing the binding IP',
  },
  {
    filter: 'ld-clean-traffic',
    covers: 'clean-traffic with IP and MAC given (a MAC other than the default)',
    mac: 'fe:54:00:ab:cd:ef',
    params: [['IP', '192.168.122.77']],
  },
  {
    filter: 'ld-lists-v6',
    covers: 'lists of IPv6 addresses and MACs, a list in a comment-free ebtables rule, ipv6 chain',
    params: [
      ['IP', DEFAULT_IP],
      ['IPV6', 'fd00::2'],
      ['IPV6', 'fd00::3'],
      ['PEERS', '52:54:00:00:00:01'],
      ['PEERS', '52:54:00:00:00:02'],
      ['PEERS', '52:54:00:00:00:03'],
    ],
  },
  {
    filter: 'ld-clean-traffic-list',
    covers: 'clean-traffic with a list of IPs, allow-dhcp-server with DHCPSERVER',
    params: [
      ['IP', '10.99.0.2'],
      ['IP', '10.99.0.3'],
      ['IP', '10.99.0.4'],
      ['DHCPSERVER', '10.99.0.1'],
    ],
  },
  {
    filter: 'ld-builtins',
    covers:
      'built-ins: no-mac-broadcast, no-ip-multicast, allow-dhcp, allow-arp, no-ipv6-spoofing, allow-dhcpv6-server, …',
    params: [
      ['IP', DEFAULT_IP],
      ['IPV6', 'fd00::2'],
      ['DHCPSERVER', 'fd00::1'],
    ],
  },
  { filter: 'ld-gateway', covers: 'clean-traffic-gateway with GATEWAY_MAC passed by filterref' },
  { filter: 'ld-match-no', covers: "match='no' on iptables rules" },
  { filter: 'ld-l2-match-no', covers: "match='no' on ebtables ip rules" },
  { filter: 'ld-hex', covers: 'hex numbers in ports/dscp/type/protocol, dotted masks' },
  {
    filter: 'test-eth0',
    covers:
      "the docs' FTP server filter (second solution) with clean-traffic, IP and MAC given (issue 3 'Done when')",
    mac: '52:54:00:11:22:33',
    params: [['IP', '10.99.0.2']],
  },
  {
    id: 'test-eth0+upstream-builtins',
    filter: 'test-eth0',
    covers:
      "the FTP filter again, with libvirt 9.0's qemu-announce-self replaced by upstream's and the project targeting 12.5: identical",
    mac: '52:54:00:11:22:33',
    params: [['IP', '10.99.0.2']],
    libvirtRedefine: ['qemu-announce-self.xml'],
    libvirtTarget: '12.5',
  },
  // Bindings libvirt refuses (src/core/binding): every path found in its driver, each confirmed here.
  {
    filter: 'ld-fail-continue',
    covers: "action='continue' on a tcp rule: -j CONTINUE, no such iptables chain",
    bindingFails: { code: 'NWF331', libvirt: /Chain 'CONTINUE' does not exist/ },
  },
  {
    filter: 'ld-fail-continue-ipv6',
    covers: "action='continue' on a udp-ipv6 rule: -j CONTINUE in ip6tables",
    bindingFails: { code: 'NWF331', libvirt: /Chain 'CONTINUE' does not exist/ },
  },
  {
    filter: 'ld-fail-comment-var',
    covers: "comment='$NOTE' with NOTE given: an empty --comment, iptables refuses it",
    params: [['NOTE', 'backup']],
    bindingFails: { code: 'NWF332', libvirt: /--comment -j RETURN: Bad argument/ },
  },
  {
    filter: 'ld-fail-ip-ports-negated',
    covers:
      "<ip protocol='tcp' dstportstart match='no'>: negated protocol with ports, the kernel refuses",
    bindingFails: { code: 'NWF333', libvirt: /RULE_APPEND failed \(Invalid argument\)/ },
  },
  {
    filter: 'ld-fail-ipv6-ports-negated',
    covers: "<ipv6 protocol='udp' srcportstart match='no'>: the same for ip6",
    bindingFails: { code: 'NWF333', libvirt: /RULE_APPEND failed \(Invalid argument\)/ },
  },
  {
    filter: 'ld-fail-ipv6-type-tcp',
    covers: "<ipv6 protocol='tcp' type='135'>: an ICMPv6 type needs protocol icmpv6",
    bindingFails: { code: 'NWF334', libvirt: /RULE_APPEND failed \(Invalid argument\)/ },
  },
  {
    filter: 'ld-fail-ipv6-type-noproto',
    covers: "<ipv6 type='136' code='0'> without a protocol, inout",
    bindingFails: { code: 'NWF334', libvirt: /RULE_APPEND failed \(Invalid argument\)/ },
  },
  {
    filter: 'ld-fail-stp-inout',
    covers: 'stp with srcmacaddr in direction inout: refused by the ebtables driver',
    bindingFails: { code: 'NWF321', libvirt: /STP filtering in inout direction/ },
  },
  {
    filter: 'ld-fail-missing-var',
    covers: 'a variable no parameter gives a value ($BACKUP_SERVER)',
    bindingFails: { code: 'NWF303', libvirt: /unresolvable variables.*BACKUP_SERVER/ },
  },
  {
    filter: 'ld-fail-missing-filter',
    covers: 'a filterref to a filter that is not defined (define accepts it)',
    bindingFails: { code: 'NWF301', libvirt: /ld-does-not-exist/ },
  },
  {
    filter: 'ld-fail-missing-ipset',
    covers:
      'an <all ipset> naming a set the host lacks (the other set exists): iptables refuses the rule',
    ipsets: [['nwfs_ld_present', 'hash:ip']],
    bindingFails: { code: 'NWF520', libvirt: /Set nwfs_ld_absent doesn't exist/ },
  },
  {
    id: 'ld-fail-missing-ipset+sets',
    filter: 'ld-fail-missing-ipset',
    covers: 'the same filter on a host with both sets: bound, and compile (told the sets) agrees',
    ipsets: [
      ['nwfs_ld_present', 'hash:ip'],
      ['nwfs_ld_absent', 'hash:net'],
    ],
  },
  {
    filter: 'ld-fail-list-lengths',
    covers: 'two lists of different lengths iterated in parallel in one rule',
    params: [
      ['HOSTS', '10.20.0.1'],
      ['HOSTS', '10.20.0.2'],
      ['PORTS', '22'],
      ['PORTS', '80'],
      ['PORTS', '443'],
    ],
    bindingFails: { code: 'NWF304', libvirt: /./ },
  },
];
