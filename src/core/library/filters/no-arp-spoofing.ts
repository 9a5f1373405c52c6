/** libvirt's built-in `no-arp-spoofing` filter (src/nwfilter/xml/no-arp-spoofing.xml), verbatim. LGPL-2.1-or-later. */
export const NO_ARP_SPOOFING_XML = `<filter name='no-arp-spoofing' chain='root'>
  <filterref filter='no-arp-mac-spoofing'/>
  <filterref filter='no-arp-ip-spoofing'/>
</filter>
`;
