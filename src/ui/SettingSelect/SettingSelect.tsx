import { BACKENDS, DEFAULT_BACKEND, NFT_BACKEND_LABEL } from '../../core/compile';
import { DEFAULT_LIBVIRT_VERSION, LIBVIRT_VERSIONS } from '../../core/library';
import type { SimSettings } from '../../core/sim';
import { usePanelsStore } from '../../store/panels-store';

/** The settings that more than one panel offers (each panel works with the same value). */
type SharedSetting = 'backend' | 'libvirt';

interface Choice<V> {
  value: V;
  label: string;
  /** Shown on the select while this choice is made. */
  title?: string;
}

/**
 * One shared setting as a labelled select, saved with the workspace. Only a listed choice is
 * stored: the DOM hands back a string, and a stale or forged one must not reach the compiler.
 */
function SettingSelect<K extends SharedSetting>(props: {
  setting: K;
  label: string;
  ariaLabel: string;
  className: string;
  fallback: NonNullable<SimSettings[K]>;
  choices: readonly Choice<NonNullable<SimSettings[K]>>[];
}) {
  const value = usePanelsStore((s) => s.settings[props.setting] ?? props.fallback);
  const setSettings = usePanelsStore((s) => s.setSettings);
  return (
    <label className={props.className}>
      {props.label}{' '}
      <select
        aria-label={props.ariaLabel}
        value={value}
        title={props.choices.find((c) => c.value === value)?.title}
        onChange={(e) => {
          const choice = props.choices.find((c) => c.value === e.target.value);
          if (choice) setSettings({ [props.setting]: choice.value });
        }}
      >
        {props.choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const BACKEND_CHOICES = BACKENDS.map((b) => ({
  value: b.id,
  label: b.id === DEFAULT_BACKEND ? `${b.id} (every libvirt release)` : `${b.id} (proposed)`,
  ...(b.id === DEFAULT_BACKEND ? {} : { title: NFT_BACKEND_LABEL }),
}));

/**
 * The firewall backend libvirt compiles the filter with: what the Export panel prints, what the
 * Simulator executes and what the Analysis answers about. Shown in those panels, so the simulated
 * and analysed rules are always the exported ones.
 */
export function BackendSelect() {
  return (
    <SettingSelect
      setting="backend"
      label="Backend"
      ariaLabel="Firewall backend"
      className="export-backend"
      fallback={DEFAULT_BACKEND}
      choices={BACKEND_CHOICES}
    />
  );
}

const LIBVIRT_CHOICES = LIBVIRT_VERSIONS.map((v) => ({ value: v.id, label: v.label }));

/**
 * The libvirt release the simulator, the export and lint target: its built-in filters are what
 * filterrefs resolve to. Shown in the Simulator and the Export panel.
 */
export function LibvirtVersionSelect() {
  return (
    <SettingSelect
      setting="libvirt"
      label="libvirt"
      ariaLabel="libvirt version"
      className="libvirt-version"
      fallback={DEFAULT_LIBVIRT_VERSION}
      choices={LIBVIRT_CHOICES}
    />
  );
}
