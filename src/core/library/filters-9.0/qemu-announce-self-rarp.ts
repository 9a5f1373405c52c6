/** libvirt 9.0's built-in `qemu-announce-self-rarp` filter (Debian 12's libvirt-daemon-config-nwfilter 9.0.0-4+deb12u2, /usr/share/libvirt/nwfilter/qemu-announce-self-rarp.xml), verbatim. LGPL-2.1-or-later. */
export const QEMU_ANNOUNCE_SELF_RARP_9_0_XML = `<filter name='qemu-announce-self-rarp' chain='rarp'>
  <rule action='accept' direction='out' priority='500'>
    <rarp opcode='Request_Reverse'
          srcmacaddr='$MAC' dstmacaddr='ff:ff:ff:ff:ff:ff'
          arpsrcmacaddr='$MAC' arpdstmacaddr='$MAC'
          arpsrcipaddr='0.0.0.0' arpdstipaddr='0.0.0.0'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <rarp opcode='Request_Reverse'
          dstmacaddr='ff:ff:ff:ff:ff:ff'
          arpsrcmacaddr='$MAC' arpdstmacaddr='$MAC'
          arpsrcipaddr='0.0.0.0' arpdstipaddr='0.0.0.0'/>
  </rule>
</filter>
`;
