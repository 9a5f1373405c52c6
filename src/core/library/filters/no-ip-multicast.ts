/** libvirt's built-in `no-ip-multicast` filter (src/nwfilter/xml/no-ip-multicast.xml), verbatim. LGPL-2.1-or-later. */
export const NO_IP_MULTICAST_XML = `<filter name='no-ip-multicast' chain='ipv4'>

    <!-- drop if destination IP address is in the 224.0.0.0/4 subnet -->
    <rule action='drop' direction='out'>
        <ip dstipaddr='224.0.0.0' dstipmask='4' />
    </rule>

    <!-- not doing anything with receiving side ... -->
</filter>
`;
