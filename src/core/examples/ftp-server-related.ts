/**
 * The FTP-server filter from the libvirt docs, first solution: the active-mode
 * data connection from port 20 is allowed through the RELATED state (needs the
 * nf_conntrack_ftp helper on the host).
 */
export const FTP_SERVER_RELATED_XML = `<filter name='test-eth0'>
  <!-- This filter (eth0) references the clean traffic filter to prevent MAC, IP, and ARP spoofing. By not providing an IP address parameter, libvirt will detect the IP address the guest virtual machine is using. -->
  <filterref filter='clean-traffic'/>

  <!-- This rule enables TCP port 21 (FTP-control) to be reachable -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='21'/>
  </rule>

  <!-- This rule enables TCP port 20 for guest virtual machine-initiated FTP data connection related to an existing FTP control connection -->
  <rule action='accept' direction='out'>
    <tcp srcportstart='20' state='RELATED,ESTABLISHED'/>
  </rule>

  <!-- This rule accepts all packets from a client on the FTP data connection -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='20' state='ESTABLISHED'/>
  </rule>

  <!-- This rule enables TCP port 22 (SSH) to be reachable -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='22'/>
  </rule>

  <!-- This rule enables TCP port 80 (HTTP) to be reachable -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='80'/>
  </rule>

  <!-- This rule enables general ICMP traffic to be initiated by the guest virtual machine, including ping traffic -->
  <rule action='accept' direction='out'>
    <icmp/>
  </rule>

  <!-- This rule enables outgoing DNS lookups using UDP -->
  <rule action='accept' direction='out'>
    <udp dstportstart='53'/>
  </rule>

  <!-- This rule drops all other traffic -->
  <rule action='drop' direction='inout'>
    <all/>
  </rule>

</filter>
`;
