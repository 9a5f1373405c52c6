/** libvirt's built-in `allow-incoming-ipv4` filter (src/nwfilter/xml/allow-incoming-ipv4.xml), verbatim. LGPL-2.1-or-later. */
export const ALLOW_INCOMING_IPV4_XML = `<filter name='allow-incoming-ipv4' chain='ipv4'>
  <rule direction='in' action='accept'/>
</filter>
`;
