/** libvirt's built-in `no-ipv6-multicast` filter (src/nwfilter/xml/no-ipv6-multicast.xml), verbatim. LGPL-2.1-or-later. */
export const NO_IPV6_MULTICAST_XML = `<filter name='no-ipv6-multicast' chain='ipv6'>

    <!-- drop if destination IP address is in the ff00::/8 subnet -->
    <rule action='drop' direction='out'>
        <ipv6 dstipaddr='FF00::' dstipmask='8' />
    </rule>

    <!-- not doing anything with receiving side ... -->
</filter>
`;
