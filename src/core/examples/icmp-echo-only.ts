/**
 * ICMP restricted to echo from the libvirt docs: the VM may send echo
 * requests (type 8) and receive echo replies (type 0), nothing else.
 */
export const ICMP_ECHO_ONLY_XML = `<filter name='icmp-echo-only'>
  <!-- enable outgoing ICMP echo requests -->
  <rule action='accept' direction='out'>
    <icmp type='8'/>
  </rule>
  <!-- enable incoming ICMP echo replies -->
  <rule action='accept' direction='in'>
    <icmp type='0'/>
  </rule>
</filter>
`;
