/**
 * `statematch='false'` from the libvirt docs: incoming TCP 12345 is accepted
 * without connection-state enforcement, which also lets the VM initiate from
 * that port.
 */
export const STATEMATCH_OFF_XML = `<filter name='statematch-off'>
  <rule direction='in' action='accept' statematch='false'>
    <tcp dstportstart='12345'/>
  </rule>
</filter>
`;
