/** libvirt's built-in `no-other-l2-traffic` filter (src/nwfilter/xml/no-other-l2-traffic.xml), verbatim. LGPL-2.1-or-later. */
export const NO_OTHER_L2_TRAFFIC_XML = `<filter name='no-other-l2-traffic'>

    <!-- drop all other l2 traffic than for which rules have been
         written for; i.e., drop all other than arp and ipv4 traffic -->
    <rule action='drop' direction='inout' priority='1000'/>

</filter>
`;
