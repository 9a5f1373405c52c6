import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages } from './host-environment';
import { LibvirtDaemon } from './libvirt-daemon';
import { NetnsPool, type Netns } from './netns-pool';
import { sweepStaleRuns } from './stale-runs';

/** The filter the host bed binds, its MAC and its parameters. */
export const HOST_BED_FILTER = join(import.meta.dirname, '..', 'filters', 'test-eth0.xml');
export const HOST_BED_MAC = '52:54:00:11:22:33';
export const HOST_BED_IP = '10.99.0.2';

/** A real libvirt 9.0 acting as a host: test-eth0 bound to vnet0, its rules in `home`. */
export interface HostBed {
  daemon: LibvirtDaemon;
  /** The namespace libvirtd runs in and writes its firewall rules to. */
  home: Netns;
  /** Stops libvirtd, deletes the namespaces and the state directory. Never throws. */
  stop(): Promise<void>;
}

/**
 * Starts the test bed's libvirtd in a namespace `<prefix>d` (prefix `nwfs-ld-<pid>-`, so a killed
 * run's leftovers are swept), defines test-eth0 and binds it to vnet0. libvirt's firewall
 * commands stay in that namespace: read the host's rules there (`serve`/`drift --netns`).
 */
export async function startHostBed(prefix: string): Promise<HostBed> {
  sweepStaleRuns();
  await ensurePackages((s) => console.log(s));
  const pool = new NetnsPool(prefix);
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  let daemon: LibvirtDaemon | undefined;
  const stop = async () => {
    await daemon?.stop().catch(() => undefined);
    await pool.destroyAll();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const home = await pool.create('d');
    daemon = await LibvirtDaemon.start(home, join(stateDir, 'libvirtd'));
    await daemon.defineFilter(HOST_BED_FILTER);
    const refused = await daemon.createBinding({
      filter: 'test-eth0',
      mac: HOST_BED_MAC,
      params: [['IP', HOST_BED_IP]],
    });
    if (refused) throw new Error(`libvirt refused the binding: ${refused}`);
    return { daemon, home, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
