/** libvirt's built-in `no-mac-spoofing` filter (src/nwfilter/xml/no-mac-spoofing.xml), verbatim. LGPL-2.1-or-later. */
export const NO_MAC_SPOOFING_XML = `<filter name='no-mac-spoofing' chain='mac' priority='-800'>
  <!-- return packets with VM's MAC address as source address -->
  <rule direction='out' action='return'>
    <mac srcmacaddr='$MAC'/>
  </rule>
  <!-- drop everything else -->
  <rule direction='out' action='drop'>
    <mac/>
  </rule>
</filter>
`;
