/** libvirt's built-in `allow-incoming-ipv6` filter (src/nwfilter/xml/allow-incoming-ipv6.xml), verbatim. LGPL-2.1-or-later. */
export const ALLOW_INCOMING_IPV6_XML = `<filter name='allow-incoming-ipv6' chain='ipv6'>
  <rule direction='in' action='accept'/>
</filter>
`;
