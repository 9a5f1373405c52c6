import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSCTL } from '../conntrack/sysctl';
import {
  applyHostOverrides,
  checkHostSysctl,
  DEFAULT_HOST_PROFILE,
  HOST_SYSCTLS,
  kernelFacts,
  lookupHostSysctl,
  parseHostProfile,
  parseKernelRelease,
  serializeHostProfile,
  simSettingsOf,
  splitIpsetMembers,
} from './index';

/** The example of issue #12, verbatim. */
const EXAMPLE = `{ "ftpHelper": false, "bridgeAddress": "10.99.0.1/24",
  "sysctls": { "nf_conntrack_icmp_timeout": "30", "nf_conntrack_checksum": "1" },
  "ipsets": { "trusted": { "type": "hash:ip", "members": ["10.99.0.3"] } },
  "events": [ { "t": 1795279772.25, "sysctls": { "nf_conntrack_icmp_timeout": "3" } } ] }`;

const errorsOf = (text: string) =>
  parseHostProfile(text).diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`);

describe('parseHostProfile', () => {
  it('reads the documented shape', () => {
    const { profile, diagnostics } = parseHostProfile(EXAMPLE);
    expect(diagnostics).toEqual([]);
    expect(profile).toEqual({
      ftpHelper: false,
      bridgeAddress: '10.99.0.1/24',
      sysctls: { nf_conntrack_icmp_timeout: '30', nf_conntrack_checksum: '1' },
      ipsets: { trusted: { type: 'hash:ip', members: ['10.99.0.3'] } },
      events: [{ t: 1795279772.25, sysctls: { nf_conntrack_icmp_timeout: '3' } }],
      nfConntrackBridge: true,
      kernel: '6.18',
    });
    expect(parseHostProfile('{"nfConntrackBridge": false}').profile?.nfConntrackBridge).toBe(false);
    expect(errorsOf('{"nfConntrackBridge": "no"}')).toEqual([
      '1:23 NWF703 "nfConntrackBridge" must be true or false',
    ]);
    // and writes it back in a form it reads again
    expect(parseHostProfile(serializeHostProfile(profile!)).profile).toEqual(profile);
  });

  it('an empty object is the default host', () => {
    expect(parseHostProfile('{}').profile).toEqual(DEFAULT_HOST_PROFILE);
  });

  it('extra keys are errors at the key, at every level', () => {
    expect(errorsOf('{\n  "ftpHelper": true,\n  "bridge": "10.0.0.1/24"\n}')).toEqual([
      '3:3 NWF702 unknown key "bridge" in the host profile (allowed: ftpHelper, bridgeAddress, sysctls, ipsets, events, nfConntrackBridge, kernel)',
    ]);
    expect(errorsOf('{"ipsets": {"a": {"type": "hash:ip", "members": [], "timeout": 5}}}')).toEqual(
      ['1:53 NWF702 unknown key "timeout" in ipset "a" (allowed: type, members)'],
    );
    expect(errorsOf('{"events": [{"t": 1, "sysctls": {}, "at": 2}]}')).toEqual([
      '1:37 NWF702 unknown key "at" in an event (allowed: t, sysctls)',
    ]);
  });

  it('unknown sysctl names at the name, bad values at the value', () => {
    expect(errorsOf('{"sysctls": {\n "nf_conntrack_icmp_timout": "3"}}')).toEqual([
      "2:2 NWF704 unknown sysctl 'nf_conntrack_icmp_timout': not a conntrack (net.netfilter.nf_conntrack_*) or bridge-netfilter (net.bridge.bridge-nf-*) sysctl of Linux",
    ]);
    expect(errorsOf('{"sysctls": {"nf_conntrack_checksum": "2"}}')).toEqual([
      '1:39 NWF704 net.netfilter.nf_conntrack_checksum takes 0–1, got 2',
    ]);
    expect(errorsOf('{"sysctls": {"nf_conntrack_count": "2"}}')).toEqual([
      '1:14 NWF704 net.netfilter.nf_conntrack_count is read-only',
    ]);
    expect(errorsOf('{"sysctls": {"nf_conntrack_max": "lots"}}')).toEqual([
      "1:34 NWF704 net.netfilter.nf_conntrack_max takes an integer, got 'lots'",
    ]);
  });

  it('sysctl names with or without their prefix, stored without it', () => {
    const { profile } = parseHostProfile(
      '{"sysctls": {"net.netfilter.nf_conntrack_tcp_loose": "0", "net.bridge.bridge-nf-call-iptables": "0", "bridge-nf-filter-vlan-tagged": "1"}}',
    );
    expect(profile?.sysctls).toEqual({
      nf_conntrack_tcp_loose: '0',
      'bridge-nf-call-iptables': '0',
      'bridge-nf-filter-vlan-tagged': '1',
    });
  });

  it('malformed JSON: one diagnostic at the place it goes wrong', () => {
    expect(errorsOf('{\n  "ftpHelper": tru\n}')).toEqual([
      "2:16 NWF701 malformed JSON: expected a value, found 't'",
    ]);
    expect(errorsOf('{"a": 1,}')).toEqual([
      "1:9 NWF701 malformed JSON: expected a quoted key, found '}'",
    ]);
    expect(errorsOf('')).toEqual([
      '1:1 NWF701 malformed JSON: expected a value, found the end of the text',
    ]);
  });

  it('ipsets: types, members and families as ipset checks them', () => {
    expect(errorsOf('{"ipsets": {"s": {"type": "hash:foo", "members": []}}}')).toEqual([
      '1:27 NWF705 ipset "s": type must be one of hash:ip, hash:net, hash:ip,port, hash:net,port, hash:mac',
    ]);
    expect(
      errorsOf(
        '{"ipsets": {"s": {"type": "hash:ip,port", "members": ["10.0.0.1", "10.0.0.2,icmp:8"]}}}',
      ),
    ).toEqual([
      `1:54 NWF705 ipset "s": '10.0.0.1' is not a hash:ip,port member: expected ADDRESS,PORT or ADDRESS,PROTO:PORT`,
      `1:54 NWF705 ipset "s": '10.0.0.2,icmp:8' is not a hash:ip,port member: protocol 'icmp' is not modelled (tcp, udp, sctp, udplite)`,
    ]);
    expect(
      errorsOf('{"ipsets": {"s": {"type": "hash:net", "members": ["10.0.0.0/8", "fd00::/8"]}}}'),
    ).toEqual([
      `1:50 NWF705 ipset "s": 'fd00::/8': a set holds one address family (this one holds ipv4 addresses)`,
    ]);
    expect(
      errorsOf('{"ipsets": {"m": {"type": "hash:mac", "members": ["52:54:00:11:22"]}}}'),
    ).toEqual([
      `1:50 NWF705 ipset "m": '52:54:00:11:22' is not a hash:mac member: expected a MAC address such as 52:54:00:11:22:33`,
    ]);
  });

  it('events: positioned errors, sorted by time', () => {
    expect(errorsOf('{"events": [{"sysctls": {}}]}')).toEqual([
      '1:13 NWF707 an event needs "t" (seconds) and "sysctls"',
    ]);
    expect(errorsOf('{"events": [{"t": -1, "sysctls": {}}]}')).toEqual([
      '1:19 NWF707 event "t" must be a time in seconds ≥ 0 on the frames’ clock',
    ]);
    const { profile } = parseHostProfile(
      '{"events": [{"t": 5, "sysctls": {"nf_conntrack_icmp_timeout": "3"}}, {"t": 2, "sysctls": {"nf_conntrack_icmp_timeout": "10"}}]}',
    );
    expect(profile?.events.map((e) => e.t)).toEqual([2, 5]);
  });

  it('bridge address: IPv4 or IPv6 with an optional prefix, or null', () => {
    expect(parseHostProfile('{"bridgeAddress": "fd00::1/64"}').profile?.bridgeAddress).toBe(
      'fd00::1/64',
    );
    expect(parseHostProfile('{"bridgeAddress": null}').profile?.bridgeAddress).toBe(null);
    expect(errorsOf('{"bridgeAddress": "10.0.0.1/33"}')).toEqual([
      "1:19 NWF706 bridgeAddress '10.0.0.1/33': the prefix length must be 0–32",
    ]);
  });
});

describe('the sysctl catalogue', () => {
  it('holds every conntrack tunable the tracker reads, as modelled, and each name once', () => {
    for (const name of Object.keys(DEFAULT_SYSCTL))
      expect(lookupHostSysctl(name)?.effect, name).toBe('modelled');
    const names = HOST_SYSCTLS.map((s) => s.full);
    expect(new Set(names).size).toBe(names.length);
    for (const s of HOST_SYSCTLS) expect(s.why, s.full).not.toBe('');
  });

  it('reads names as sysctl -a prints them and as /proc/sys paths', () => {
    expect(lookupHostSysctl('net.netfilter.nf_conntrack_acct')?.effect).toBe('no-effect');
    expect(lookupHostSysctl('/proc/sys/net/bridge/bridge-nf-call-iptables')?.key).toBe(
      'bridge-nf-call-iptables',
    );
    expect(lookupHostSysctl('nf_conntrack_helper')).toBe(null);
    expect(checkHostSysctl('nf_conntrack_tcp_max_retrans', '256')).toEqual({
      at: 'value',
      error: 'net.netfilter.nf_conntrack_tcp_max_retrans takes 0–255, got 256',
    });
  });
});

describe('command-line overrides', () => {
  it('flags win over the file', () => {
    const base = parseHostProfile(EXAMPLE).profile!;
    const r = applyHostOverrides(base, {
      ftpHelper: true,
      bridgeAddress: 'none',
      sysctls: ['net.netfilter.nf_conntrack_icmp_timeout=10'],
      ipsets: [
        'trusted:hash:net=10.0.0.0/8,192.168.0.0/16',
        'svc:hash:ip,port=10.0.0.1,tcp:22,10.0.0.2,80',
      ],
    });
    if ('error' in r) throw new Error(r.error);
    expect(r.profile.ftpHelper).toBe(true);
    expect(r.profile.bridgeAddress).toBe(null);
    expect(r.profile.sysctls['nf_conntrack_icmp_timeout']).toBe('10');
    expect(r.profile.ipsets).toEqual({
      trusted: { type: 'hash:net', members: ['10.0.0.0/8', '192.168.0.0/16'] },
      svc: { type: 'hash:ip,port', members: ['10.0.0.1,tcp:22', '10.0.0.2,80'] },
    });
    // the file's profile is not changed
    expect(base.bridgeAddress).toBe('10.99.0.1/24');
  });

  it('bad flags say which and why', () => {
    const d = DEFAULT_HOST_PROFILE;
    expect(applyHostOverrides(d, { bridgeAddress: '10.0.0.1/40' })).toEqual({
      error: "--bridge-address: '10.0.0.1/40': the prefix length must be 0–32 (or none)",
    });
    expect(applyHostOverrides(d, { ipsets: ['s:hash:ip=foo'] })).toEqual({
      error: "--ipset s: 'foo' is not a hash:ip member: 'foo' is not an IPv4 or IPv6 address",
    });
    expect(applyHostOverrides(d, { sysctls: ['nf_conntrack_nope=1'] })).toMatchObject({
      error: expect.stringMatching(/^--sysctl: unknown sysctl 'nf_conntrack_nope'/),
    });
    expect(splitIpsetMembers('hash:ip', '10.0.0.1,,10.0.0.2')).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('the simulator settings split sysctls between conntrack and bridge netfilter', () => {
    const p = parseHostProfile(
      '{"sysctls": {"bridge-nf-call-iptables": "0", "nf_conntrack_icmp_timeout": "3", "nf_conntrack_acct": "1"}, "events": [{"t": 1, "sysctls": {"bridge-nf-call-iptables": "1"}}]}',
    ).profile!;
    expect(simSettingsOf(p)).toEqual({
      ftpHelper: false,
      sysctl: { nf_conntrack_icmp_timeout: 3 },
      ipsets: {},
      callIptables: false,
      callIp6tables: true,
      filterVlanTagged: false,
      bridgeAddress: null,
      events: [{ t: 1, conntrack: {}, bridge: { callIptables: true } }],
      nfConntrackBridge: true,
      kernel: '6.18',
    });
  });
});

describe('the kernel release', () => {
  it('is 6.18 by default; "kernel" takes a release and keeps major.minor; the facts follow it', () => {
    expect(DEFAULT_HOST_PROFILE.kernel).toBe('6.18');
    expect(parseHostProfile('{"kernel": "6.1.0-57-amd64"}').profile?.kernel).toBe('6.1');
    expect(parseHostProfile('{"kernel": "6.18.44-fc-v1300"}').profile?.kernel).toBe('6.18');
    const bad = parseHostProfile('{\n  "kernel": "bookworm"\n}');
    expect(bad.profile).toBeNull();
    expect(bad.diagnostics).toEqual([
      expect.objectContaining({ code: 'NWF708', line: 2, column: 13 }),
    ]);
    expect(parseHostProfile('{"kernel": 6.1}').diagnostics[0]?.code).toBe('NWF703');
    const p = parseHostProfile('{"kernel": "6.1"}').profile!;
    expect(parseHostProfile(serializeHostProfile(p)).profile).toEqual(p);
    expect(applyHostOverrides(DEFAULT_HOST_PROFILE, { kernel: '6.1.192' })).toEqual({
      profile: { ...DEFAULT_HOST_PROFILE, kernel: '6.1' },
    });
    expect(applyHostOverrides(DEFAULT_HOST_PROFILE, { kernel: 'x' })).toEqual({
      error: "--kernel: 'x' is not a kernel release such as 6.18 or 6.1.0-57-amd64",
    });
    expect(simSettingsOf(p).kernel).toBe('6.1');
  });

  it('kernelFacts: the SYN schedule and connect() timeout of each release (measured, KERNEL-FACTS)', () => {
    expect(kernelFacts('6.18')).toEqual({
      release: '6.18',
      synLinearTimeouts: 4,
      synRetransmits: [1, 2, 3, 4, 5, 7, 11, 19, 35, 67],
      connectTimeout: 131,
    });
    expect(kernelFacts('6.1.192')).toEqual({
      release: '6.1',
      synLinearTimeouts: null,
      synRetransmits: [1, 3, 7, 15, 31, 63],
      connectTimeout: 127,
    });
    // tcp_syn_linear_timeouts came with Linux 6.5.
    expect(kernelFacts('6.4').synLinearTimeouts).toBeNull();
    expect(kernelFacts('6.5').synLinearTimeouts).toBe(4);
    expect(kernelFacts('7.0').synLinearTimeouts).toBe(4);
    expect(kernelFacts()).toEqual(kernelFacts('6.18'));
    expect(parseKernelRelease('6')).toBeNull();
  });
});
