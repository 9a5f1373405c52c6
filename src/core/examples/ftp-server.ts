/**
 * The FTP-server filter from the libvirt docs (RHEL guide 18.12.11.6, "Second
 * example custom filter", second solution): NEW for the first packet of each
 * allowed flow, ESTABLISHED/RELATED for the rest. The app opens on it.
 */
export const FTP_SERVER_XML = `<filter name='test-eth0'>
  <!-- This filter references the clean traffic filter to prevent MAC, IP and ARP spoofing. By not providing an IP address parameter, libvirt will detect the IP address the VM is using. -->
  <filterref filter='clean-traffic'/>

  <!-- This rule allows the packets of all previously accepted connections to reach the guest virtual machine -->
  <rule action='accept' direction='in'>
    <all state='ESTABLISHED'/>
  </rule>

  <!-- This rule allows the packets of all previously accepted and related connections be sent from the guest virtual machine -->
  <rule action='accept' direction='out'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>

  <!-- This rule enables traffic towards port 21 (FTP) and port 22 (SSH) -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='21' dstportend='22' state='NEW'/>
  </rule>

  <!-- This rule enables traffic towards port 80 (HTTP) -->
  <rule action='accept' direction='in'>
    <tcp dstportstart='80' state='NEW'/>
  </rule>

  <!-- This rule enables general ICMP traffic to be initiated by the guest virtual machine, including ping traffic -->
  <rule action='accept' direction='out'>
    <icmp state='NEW'/>
  </rule>

  <!-- This rule enables outgoing DNS lookups using UDP -->
  <rule action='accept' direction='out'>
    <udp dstportstart='53' state='NEW'/>
  </rule>

  <!-- This rule drops all other traffic -->
  <rule action='drop' direction='inout'>
    <all/>
  </rule>

</filter>
`;
