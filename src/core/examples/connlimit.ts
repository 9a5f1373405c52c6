/**
 * Connection limits from the libvirt docs ("Limiting Number of Connections"):
 * one incoming SSH connection and one outgoing ping at a time; the limit rules
 * sit at a lower priority so they are evaluated before the accepts.
 */
export const CONNLIMIT_XML = `<filter name='connlimit-ssh-ping'>
  <rule action='drop' direction='in' priority='400'>
    <tcp connlimit-above='1'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='22'/>
  </rule>
  <rule action='drop' direction='out' priority='400'>
    <icmp connlimit-above='1'/>
  </rule>
  <rule action='accept' direction='out' priority='500'>
    <icmp/>
  </rule>
  <rule action='accept' direction='out' priority='500'>
    <udp dstportstart='53'/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all/>
  </rule>
</filter>
`;
