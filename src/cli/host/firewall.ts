import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAVE_FAMILIES } from '../../core';
import type { SaveDumps, SaveFamily } from '../../core';
import { checkNetnsName } from './names';
import { execFileRunner } from './virsh';
import type { Runner } from './virsh';

/** The message when the rules cannot be read: the save tools need root (CAP_NET_ADMIN). */
export const NEEDS_ROOT =
  "reading the host's rules needs root: iptables-save, ip6tables-save and ebtables-save only list the kernel's rule sets for root (run drift as root, or serve as root for the Drift view)";

/** Why the rule sets cannot be read here, or null. */
export function whyNoFirewallAccess(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return NEEDS_ROOT;
  return null;
}

// The studio's rules are printed by the same tools as the host's: its script runs in an empty
// network namespace (unshare --net: nothing outside it is touched, and it vanishes with the
// process), then the three listings are taken there. A fixed driver; the script is its argument.
const DRIVER = [
  'set -e',
  'sh "$1" >/dev/null',
  ...SAVE_FAMILIES.flatMap((f) => [`echo '#@@${f}'`, `${f}-save`]),
  '',
].join('\n');

function splitListings(text: string): SaveDumps {
  const out: SaveDumps = { ebtables: '', iptables: '', ip6tables: '' };
  let cur: SaveFamily | null = null;
  for (const line of text.split('\n')) {
    const m = /^#@@(\w+)$/.exec(line);
    if (m && (SAVE_FAMILIES as readonly string[]).includes(m[1] as string)) {
      cur = m[1] as SaveFamily;
      continue;
    }
    if (cur) out[cur] += `${line}\n`;
  }
  return out;
}

/**
 * The kernel's rule sets, read with the `*-save` tools; with `netns`, those of a named network
 * namespace (`ip netns exec NAME`), for a libvirtd that runs its firewall commands in one.
 */
export class HostFirewall {
  constructor(private readonly opts: { netns?: string; run?: Runner } = {}) {
    if (opts.netns !== undefined) {
      const bad = checkNetnsName(opts.netns);
      if (bad) throw new Error(bad);
    }
  }

  private get run(): Runner {
    return this.opts.run ?? execFileRunner;
  }

  /** The host's three listings. Throws {@link NEEDS_ROOT} without root, the tool's error else. */
  async hostRules(): Promise<SaveDumps> {
    const why = this.opts.run ? null : whyNoFirewallAccess();
    if (why) throw new Error(why);
    const out = { ebtables: '', iptables: '', ip6tables: '' } as SaveDumps;
    for (const f of SAVE_FAMILIES) {
      const tool = `${f}-save`;
      const r =
        this.opts.netns === undefined
          ? await this.run(tool, [])
          : await this.run('ip', ['netns', 'exec', this.opts.netns, tool]);
      if (r.code !== 0) throw new Error(`${tool} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      out[f] = r.stdout;
    }
    return out;
  }

  /**
   * The listings of the studio's script (`compile --format script`) applied in an empty network
   * namespace: the studio's rules as the host's tools print them.
   */
  async studioRules(script: string): Promise<SaveDumps> {
    const why = this.opts.run ? null : whyNoFirewallAccess();
    if (why) throw new Error(why);
    const dir = mkdtempSync(join(tmpdir(), 'nwfs-drift-'));
    try {
      const driver = join(dir, 'driver.sh');
      const file = join(dir, 'rules.sh');
      writeFileSync(driver, DRIVER, { mode: 0o600 });
      writeFileSync(file, script, { mode: 0o600 });
      const r = await this.run('unshare', ['--net', '--', 'sh', driver, file]);
      if (r.code !== 0)
        throw new Error(
          `applying the studio's rules in an empty network namespace failed: ${r.stderr.trim() || `exit ${r.code}`}`,
        );
      return splitListings(r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
