/** libvirt's built-in `allow-arp` filter (src/nwfilter/xml/allow-arp.xml), verbatim. LGPL-2.1-or-later. */
export const ALLOW_ARP_XML = `<filter name='allow-arp' chain='arp'>
  <rule direction='inout' action='accept'/>
</filter>
`;
