/** libvirt's built-in `allow-ipv6` filter (src/nwfilter/xml/allow-ipv6.xml), verbatim. LGPL-2.1-or-later. */
export const ALLOW_IPV6_XML = `<filter name='allow-ipv6' chain='ipv6'>
  <rule direction='inout' action='accept'/>
</filter>
`;
