import { DEFAULT_LIBVIRT_VERSION, LIBVIRT_VERSIONS } from '../../core/library';
import type { LibvirtVersion } from '../../core/library';
import { usePanelsStore } from '../../store/panels-store';

/**
 * The libvirt release the simulator, the export and lint target: its built-in filters are what
 * filterrefs resolve to. One setting, shown in the Simulator and the Export panel.
 */
export function LibvirtVersionSelect() {
  const version = usePanelsStore((s) => s.settings.libvirt ?? DEFAULT_LIBVIRT_VERSION);
  const setSettings = usePanelsStore((s) => s.setSettings);
  return (
    <label className="libvirt-version">
      libvirt{' '}
      <select
        aria-label="libvirt version"
        value={version}
        onChange={(e) => setSettings({ libvirt: e.target.value as LibvirtVersion })}
      >
        {LIBVIRT_VERSIONS.map((v) => (
          <option key={v.id} value={v.id}>
            {v.label}
          </option>
        ))}
      </select>
    </label>
  );
}
