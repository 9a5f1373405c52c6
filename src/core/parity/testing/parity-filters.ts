/**
 * Filters that mean something else under libvirt's proposed nftables driver, shared by the parity
 * tests of the core, the CLI (`compare-backends`) and the UI (e2e/parity.spec.ts), so that each
 * layer is tested on the same differences. Each filter's name is its key.
 */
export const PARITY_FILTERS = {
  /** An ipset match the nftables driver drops, a rule installed alike, REJECT written as drop. */
  web: `<filter name='web'>
  <rule action='accept' direction='in'>
    <all ipset='admins' ipsetflags='src'/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='443'/>
  </rule>
  <rule action='reject' direction='inout'>
    <all/>
  </rule>
</filter>
`,
  /** DNS out, the rest rejected: a ping meets REJECT under ebiptables, drop under nftables. */
  rej: `<filter name='rej'>
  <rule action='accept' direction='out'>
    <udp dstportstart='53'/>
  </rule>
  <rule action='reject' direction='inout'>
    <all/>
  </rule>
</filter>
`,
  /** `continue` on an iptables rule: libvirt's ebiptables driver refuses the binding (NWF331). */
  cont: `<filter name='cont'>
  <rule action='continue' direction='in'>
    <tcp dstportstart='1'/>
  </rule>
</filter>
`,
} as const;
