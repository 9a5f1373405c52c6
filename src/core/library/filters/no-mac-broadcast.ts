/** libvirt's built-in `no-mac-broadcast` filter (src/nwfilter/xml/no-mac-broadcast.xml), verbatim. LGPL-2.1-or-later. */
export const NO_MAC_BROADCAST_XML = `<filter name='no-mac-broadcast' chain='ipv4'>
    <!-- drop if destination mac is bcast mac addr. -->
    <rule action='drop' direction='out'>
        <mac dstmacaddr='ff:ff:ff:ff:ff:ff' />
    </rule>

    <!-- not doing anything with receiving side ... -->
</filter>
`;
