/**
 * The host profile: what the simulated bridge host is, besides the filter — the FTP helper
 * assignment, the bridge's address, the sysctls, the ipsets, and sysctl changes during a run.
 * One JSON shape for `--host HOST.json`, the saved workspace and the UI's host panel.
 */
import type { Diagnostic } from '../model/types';
import { parseIpv4, parseIpv6 } from '../packet/addr';
import { checkIpset, isIpsetType, IPSET_TYPES } from './host-ipsets';
import type { IpsetSpec } from './host-ipsets';
import { checkHostSysctl, HOST_SYSCTLS } from './host-sysctls';
import { DEFAULT_KERNEL_RELEASE, parseKernelRelease } from './kernel-release';
import { readJson } from './read-json';
import type { JsonPos, JsonValue } from './read-json';

/** A sysctl change at time `t` on the frames' clock (pcap timestamps; seconds for scenarios). */
export interface HostEvent {
  t: number;
  sysctls: Record<string, string>;
}

/** The host, as `--host HOST.json` describes it. Sysctl keys are stored without their prefix. */
export interface HostProfile {
  ftpHelper: boolean;
  /** The bridge's address as `ip addr add` takes it (`10.99.0.1/24`, `fd00::1/64`), or null. */
  bridgeAddress: string | null;
  sysctls: Record<string, string>;
  ipsets: Record<string, IpsetSpec>;
  /** Sorted by `t`. */
  events: HostEvent[];
  /**
   * Whether the kernel has `nf_conntrack_bridge` (the bridge family's conntrack, which the nftables
   * backend's `ct` matches need). Default true: Debian, Fedora and RHEL kernels build it as a
   * module that loads on first use. A kernel without it refuses those rules.
   */
  nfConntrackBridge: boolean;
  /**
   * The kernel release, `major.minor` (`6.18`, `6.1`): what the simulator derives from it
   * (`kernelFacts`: when TCP resends a lost SYN, when connect() gives up). Default the reference
   * host's, 6.18.
   */
  kernel: string;
}

export const DEFAULT_HOST_PROFILE: Readonly<HostProfile> = Object.freeze({
  ftpHelper: false,
  bridgeAddress: null,
  sysctls: {},
  ipsets: {},
  events: [],
  nfConntrackBridge: true,
  kernel: DEFAULT_KERNEL_RELEASE,
});

/** A kernel release as the profile stores it (`major.minor`), or a message. */
export function checkKernelRelease(text: string): { release: string } | { error: string } {
  const v = parseKernelRelease(text);
  if (!v || v.major < 3)
    return { error: `'${text}' is not a kernel release such as 6.18 or 6.1.0-57-amd64` };
  return { release: `${v.major}.${v.minor}` };
}

/** Stable codes of host-profile diagnostics. */
export const HOST_CODES = {
  SYNTAX: 'NWF701',
  UNKNOWN_KEY: 'NWF702',
  WRONG_TYPE: 'NWF703',
  BAD_SYSCTL: 'NWF704',
  BAD_IPSET: 'NWF705',
  BAD_ADDRESS: 'NWF706',
  BAD_EVENT: 'NWF707',
  BAD_KERNEL: 'NWF708',
} as const;

/** ipset's IPSET_MAXNAMELEN (32, with the NUL). */
const MAX_SET_NAME = 31;

/** Parses a bridge address (`ADDR[/PREFIX]`, IPv4 or IPv6); a message when `ip addr add` would refuse it. */
export function checkBridgeAddress(text: string): { error: string } | null {
  const [addr = '', prefix, extra] = text.trim().split('/');
  const v4 = parseIpv4(addr) !== null;
  if (extra !== undefined || (!v4 && parseIpv6(addr) === null))
    return { error: `'${text}' is not an address such as 10.99.0.1/24 or fd00::1/64` };
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max))
    return { error: `'${text}': the prefix length must be 0–${max}` };
  return null;
}

/** The usual error-collecting walk over the JSON tree. */
class ProfileReader {
  readonly diagnostics: Diagnostic[] = [];

  report(code: string, pos: JsonPos, message: string): void {
    this.diagnostics.push({ code, severity: 'error', message, line: pos.line, column: pos.column });
  }

  object(v: JsonValue, what: string): Extract<JsonValue, { kind: 'object' }> | null {
    if (v.kind === 'object') return v;
    this.report(HOST_CODES.WRONG_TYPE, v.pos, `${what} must be an object, not ${kindName(v)}`);
    return null;
  }

  sysctls(v: JsonValue, where: string): Record<string, string> {
    const out: Record<string, string> = {};
    const obj = this.object(v, where);
    for (const e of obj?.entries ?? []) {
      const value = e.value;
      if (value.kind !== 'string' && value.kind !== 'number') {
        this.report(
          HOST_CODES.WRONG_TYPE,
          value.pos,
          `sysctl ${e.key}: the value must be a string such as "30", not ${kindName(value)}`,
        );
        continue;
      }
      const checked = checkHostSysctl(e.key, value.kind === 'string' ? value.value : value.text);
      if ('error' in checked) {
        this.report(
          HOST_CODES.BAD_SYSCTL,
          checked.at === 'value' ? value.pos : e.keyPos,
          checked.error,
        );
        continue;
      }
      out[checked.info.key] = String(checked.value);
    }
    return out;
  }

  ipsets(v: JsonValue): Record<string, IpsetSpec> {
    const out: Record<string, IpsetSpec> = {};
    for (const e of this.object(v, '"ipsets"')?.entries ?? []) {
      if (e.key === '' || e.key.length > MAX_SET_NAME || /\s/.test(e.key)) {
        this.report(
          HOST_CODES.BAD_IPSET,
          e.keyPos,
          `ipset name '${e.key}': 1–${MAX_SET_NAME} characters without spaces`,
        );
        continue;
      }
      const obj = this.object(e.value, `ipset "${e.key}"`);
      if (!obj) continue;
      let type: IpsetSpec['type'] | null = null;
      let members: string[] | null = null;
      for (const f of obj.entries) {
        if (f.key === 'type') {
          if (f.value.kind === 'string' && isIpsetType(f.value.value)) type = f.value.value;
          else
            this.report(
              HOST_CODES.BAD_IPSET,
              f.value.pos,
              `ipset "${e.key}": type must be one of ${IPSET_TYPES.join(', ')}`,
            );
        } else if (f.key === 'members') {
          if (f.value.kind === 'array' && f.value.items.every((i) => i.kind === 'string'))
            members = f.value.items.map((i) => (i as { value: string }).value);
          else
            this.report(
              HOST_CODES.WRONG_TYPE,
              f.value.pos,
              `ipset "${e.key}": members must be an array of strings`,
            );
        } else this.unknownKey(f.key, f.keyPos, ['type', 'members'], `ipset "${e.key}"`);
      }
      if (!type || !members) {
        if (!obj.entries.some((f) => f.key === 'type' || f.key === 'members'))
          this.report(HOST_CODES.BAD_IPSET, obj.pos, `ipset "${e.key}" needs "type" and "members"`);
        else if (type && !obj.entries.some((f) => f.key === 'members')) members = [];
        if (!type || !members) continue;
      }
      const spec: IpsetSpec = { type, members };
      const errors = checkIpset(spec);
      const membersPos = obj.entries.find((f) => f.key === 'members')?.value.pos ?? obj.pos;
      for (const err of errors)
        this.report(HOST_CODES.BAD_IPSET, membersPos, `ipset "${e.key}": ${err}`);
      if (errors.length === 0) out[e.key] = spec;
    }
    return out;
  }

  events(v: JsonValue): HostEvent[] {
    if (v.kind !== 'array') {
      this.report(HOST_CODES.WRONG_TYPE, v.pos, `"events" must be an array, not ${kindName(v)}`);
      return [];
    }
    const out: HostEvent[] = [];
    for (const item of v.items) {
      const obj = this.object(item, 'an event');
      if (!obj) continue;
      let t: number | null = null;
      let sysctls: Record<string, string> | null = null;
      for (const f of obj.entries) {
        if (f.key === 't') {
          if (f.value.kind === 'number' && f.value.value >= 0) t = f.value.value;
          else
            this.report(
              HOST_CODES.BAD_EVENT,
              f.value.pos,
              'event "t" must be a time in seconds ≥ 0 on the frames’ clock',
            );
        } else if (f.key === 'sysctls') sysctls = this.sysctls(f.value, 'event "sysctls"');
        else this.unknownKey(f.key, f.keyPos, ['t', 'sysctls'], 'an event');
      }
      if (!obj.entries.some((f) => f.key === 't'))
        this.report(HOST_CODES.BAD_EVENT, obj.pos, 'an event needs "t" (seconds) and "sysctls"');
      if (t !== null && sysctls) out.push({ t, sysctls });
    }
    return out.sort((a, b) => a.t - b.t);
  }

  unknownKey(key: string, pos: JsonPos, known: readonly string[], where: string): void {
    this.report(
      HOST_CODES.UNKNOWN_KEY,
      pos,
      `unknown key "${key}" in ${where} (allowed: ${known.join(', ')})`,
    );
  }
}

function kindName(v: JsonValue): string {
  return v.kind === 'array' ? 'an array' : v.kind === 'object' ? 'an object' : `a ${v.kind}`;
}

const TOP_KEYS = [
  'ftpHelper',
  'bridgeAddress',
  'sysctls',
  'ipsets',
  'events',
  'nfConntrackBridge',
  'kernel',
] as const;

/**
 * Parses a host profile (the JSON of `--host HOST.json`). Every problem is one positioned
 * diagnostic (unknown keys included); the profile is null when there is any.
 */
export function parseHostProfile(text: string): {
  profile: HostProfile | null;
  diagnostics: Diagnostic[];
} {
  const read = readJson(text);
  const r = new ProfileReader();
  if ('error' in read) {
    r.report(HOST_CODES.SYNTAX, read.error.pos, `malformed JSON: ${read.error.message}`);
    return { profile: null, diagnostics: r.diagnostics };
  }
  const profile: HostProfile = { ...DEFAULT_HOST_PROFILE, sysctls: {}, ipsets: {}, events: [] };
  const top = r.object(read.value, 'a host profile');
  for (const e of top?.entries ?? []) {
    const v = e.value;
    switch (e.key) {
      case 'ftpHelper':
        if (v.kind === 'boolean') profile.ftpHelper = v.value;
        else r.report(HOST_CODES.WRONG_TYPE, v.pos, `"ftpHelper" must be true or false`);
        break;
      case 'bridgeAddress':
        if (v.kind === 'null') profile.bridgeAddress = null;
        else if (v.kind !== 'string')
          r.report(HOST_CODES.WRONG_TYPE, v.pos, `"bridgeAddress" must be a string or null`);
        else {
          const bad = checkBridgeAddress(v.value);
          if (bad) r.report(HOST_CODES.BAD_ADDRESS, v.pos, `bridgeAddress ${bad.error}`);
          else profile.bridgeAddress = v.value.trim();
        }
        break;
      case 'sysctls':
        profile.sysctls = r.sysctls(v, '"sysctls"');
        break;
      case 'ipsets':
        profile.ipsets = r.ipsets(v);
        break;
      case 'events':
        profile.events = r.events(v);
        break;
      case 'nfConntrackBridge':
        if (v.kind === 'boolean') profile.nfConntrackBridge = v.value;
        else r.report(HOST_CODES.WRONG_TYPE, v.pos, `"nfConntrackBridge" must be true or false`);
        break;
      case 'kernel': {
        if (v.kind !== 'string') {
          r.report(HOST_CODES.WRONG_TYPE, v.pos, `"kernel" must be a string such as "6.1"`);
          break;
        }
        const k = checkKernelRelease(v.value);
        if ('error' in k) r.report(HOST_CODES.BAD_KERNEL, v.pos, `kernel ${k.error}`);
        else profile.kernel = k.release;
        break;
      }
      default:
        r.unknownKey(e.key, e.keyPos, TOP_KEYS, 'the host profile');
    }
  }
  return { profile: r.diagnostics.length > 0 ? null : profile, diagnostics: r.diagnostics };
}

/** The profile as JSON text (the shape {@link parseHostProfile} reads). */
export function serializeHostProfile(profile: HostProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}

/** The sysctls of a profile that differ from the kernel's defaults, with what each does. */
export function describeHostSysctls(
  sysctls: Record<string, string>,
): { full: string; value: string; effect: string; why: string }[] {
  return Object.entries(sysctls).map(([key, value]) => {
    const info = HOST_SYSCTLS.find((s) => s.key === key);
    return {
      full: info?.full ?? key,
      value,
      effect: info?.effect ?? 'unknown',
      why: info?.why ?? '',
    };
  });
}
