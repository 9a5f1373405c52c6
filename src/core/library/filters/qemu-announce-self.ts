/** libvirt's built-in `qemu-announce-self` filter (src/nwfilter/xml/qemu-announce-self.xml), verbatim. LGPL-2.1-or-later. */
export const QEMU_ANNOUNCE_SELF_XML = `<filter name='qemu-announce-self' chain='root'>
  <!-- This rule originally allowed protocol '0x835' which qemu originally used.
    As this bug in qemu was fixed and libvirt no longer supports such old qemu
    versions this now is just a shim refering to 'qemu-announce-self-rarp' to
    preserve compatibility if someone used this rule directly -->
    <filterref filter='qemu-announce-self-rarp'/>
</filter>
`;
