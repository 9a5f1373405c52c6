import { applyHostOverrides, DEFAULT_HOST_PROFILE, parseHostProfile } from '../core/host';
import type { HostProfile } from '../core/host';
import { InputError } from './cli-io';
import type { CliIo } from './cli-io';
import type { OptionSpec, ParsedOptions } from './filter-workspace';
import { printDiagnostic } from './filter-workspace';

/** The host options `simulate` and `lint` share. */
export const HOST_OPTIONS: OptionSpec = {
  '--host': 'value',
  '--bridge-address': 'value',
  '--ipset': 'list',
  '--sysctl': 'list',
  '--ftp-helper': 'flag',
  '--nf-conntrack-bridge': 'value',
  '--kernel': 'value',
};

/** Their usage lines. */
export const HOST_USAGE = `  --host HOST.json    the host profile: {"ftpHelper", "bridgeAddress", "sysctls", "ipsets",
                      "events", "nfConntrackBridge", "kernel"} (README, "The host profile");
                      the flags below override it
  --bridge-address CIDR  the bridge's address, e.g. 10.99.0.1/24 (REJECT then sends its error),
                      or none
  --ipset NAME[:TYPE]=MEMBER[,MEMBER...]  a host ipset (TYPE hash:ip by default; hash:net,
                      hash:ip,port with ADDRESS,PROTO:PORT members, hash:net,port, hash:mac)
  --sysctl NAME=VALUE a conntrack or bridge-netfilter sysctl, with or without its net.netfilter. /
                      net.bridge. prefix, e.g. nf_conntrack_icmp_timeout=30 (repeatable)
  --ftp-helper        the host assigns the FTP helper
                      (iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp)
  --nf-conntrack-bridge yes|no  whether the kernel has nf_conntrack_bridge, which the nftables
                      backend's ct matches need (default yes, as distribution kernels have it)
  --kernel RELEASE    the host's kernel release, e.g. 6.1 or 6.18 (default 6.18): the
                      scenarios' TCP timing follows it (a lost SYN sent again, connect() giving up)`;

/**
 * The host profile of a command line: `--host FILE` (its diagnostics printed against the file),
 * then the flags over it. `usage` carries a command-line error; `invalid` means the file was bad
 * (already reported).
 */
export function loadHostProfile(
  io: CliIo,
  opts: ParsedOptions,
): { profile: HostProfile } | { usage: string } | { invalid: true } {
  let profile: HostProfile = DEFAULT_HOST_PROFILE;
  const file = opts.values.get('--host');
  if (file !== undefined) {
    let text: string;
    try {
      text = io.readText(file);
    } catch (e) {
      printDiagnostic(
        io,
        file,
        e instanceof InputError ? e.toDiagnostic() : `cannot read file: ${(e as Error).message}`,
      );
      return { invalid: true };
    }
    const parsed = parseHostProfile(text);
    for (const d of parsed.diagnostics) printDiagnostic(io, file, d);
    if (!parsed.profile) return { invalid: true };
    profile = parsed.profile;
  }
  const bridgeAddress = opts.values.get('--bridge-address');
  const nfConntrackBridge = opts.values.get('--nf-conntrack-bridge');
  const kernel = opts.values.get('--kernel');
  const merged = applyHostOverrides(profile, {
    ...(nfConntrackBridge !== undefined ? { nfConntrackBridge } : {}),
    ...(kernel !== undefined ? { kernel } : {}),
    ftpHelper: opts.flags.has('--ftp-helper'),
    ...(bridgeAddress !== undefined ? { bridgeAddress } : {}),
    sysctls: opts.lists.get('--sysctl') ?? [],
    ipsets: opts.lists.get('--ipset') ?? [],
  });
  return 'error' in merged ? { usage: merged.error } : merged;
}
