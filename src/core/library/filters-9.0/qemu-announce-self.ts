/** libvirt 9.0's built-in `qemu-announce-self` filter (Debian 12's libvirt-daemon-config-nwfilter 9.0.0-4+deb12u2, /usr/share/libvirt/nwfilter/qemu-announce-self.xml), verbatim. LGPL-2.1-or-later. */
export const QEMU_ANNOUNCE_SELF_9_0_XML = `<filter name='qemu-announce-self' chain='root'>
    <!-- as of 4/26/2010 qemu sends out a bogus packet with
         wrong rarp protocol ID -->
    <!-- accept what is being sent now -->
    <rule action='accept' direction='out'>
        <mac protocolid='0x835'/>
    </rule>

    <!-- accept if it was changed to rarp -->
    <filterref filter='qemu-announce-self-rarp'/>
    <filterref filter='no-other-rarp-traffic'/>

</filter>
`;
