/** libvirt's built-in `no-arp-mac-spoofing` filter (src/nwfilter/xml/no-arp-mac-spoofing.xml), verbatim. LGPL-2.1-or-later. */
export const NO_ARP_MAC_SPOOFING_XML = `<filter name='no-arp-mac-spoofing' chain='arp-mac' priority='-520'>
   <rule action='return' direction='out' priority='350' >
      <arp match='yes' arpsrcmacaddr='$MAC'/>
   </rule>
   <!-- drop everything else -->
   <rule action='drop' direction='out' priority='1000' />
</filter>
`;
