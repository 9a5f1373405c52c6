import { BACKENDS, DEFAULT_BACKEND, NFT_BACKEND_LABEL, isBackendId } from '../../core/compile';
import { usePanelsStore } from '../../store/panels-store';

/**
 * The firewall backend libvirt compiles the filter with: what the Export panel prints and what the
 * Simulator executes. One setting, shown in both panels and saved with the workspace, so the
 * simulated rules are always the exported ones.
 */
export function BackendSelect() {
  const backend = usePanelsStore((s) => s.settings.backend ?? DEFAULT_BACKEND);
  const setSettings = usePanelsStore((s) => s.setSettings);
  return (
    <label className="export-backend">
      Backend{' '}
      <select
        aria-label="Firewall backend"
        value={backend}
        title={backend === 'nftables' ? NFT_BACKEND_LABEL : undefined}
        onChange={(e) => {
          if (isBackendId(e.target.value)) setSettings({ backend: e.target.value });
        }}
      >
        {BACKENDS.map((b) => (
          <option key={b.id} value={b.id}>
            {b.id === DEFAULT_BACKEND ? `${b.id} (every libvirt release)` : `${b.id} (proposed)`}
          </option>
        ))}
      </select>
    </label>
  );
}
