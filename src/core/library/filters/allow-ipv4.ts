/** libvirt's built-in `allow-ipv4` filter (src/nwfilter/xml/allow-ipv4.xml), verbatim. LGPL-2.1-or-later. */
export const ALLOW_IPV4_XML = `<filter name='allow-ipv4' chain='ipv4'>
  <rule direction='inout' action='accept'/>
</filter>
`;
