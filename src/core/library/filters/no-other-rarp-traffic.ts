/** libvirt's built-in `no-other-rarp-traffic` filter (src/nwfilter/xml/no-other-rarp-traffic.xml), verbatim. LGPL-2.1-or-later. */
export const NO_OTHER_RARP_TRAFFIC_XML = `<filter name='no-other-rarp-traffic' chain='rarp'>
    <rule action='drop' direction='inout' priority='1000'/>
</filter>
`;
