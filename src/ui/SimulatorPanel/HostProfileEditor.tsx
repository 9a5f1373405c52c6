import { useEffect, useState } from 'react';
import {
  checkBridgeAddress,
  DEFAULT_KERNEL_RELEASE,
  kernelFacts,
  parseHostProfile,
  serializeHostProfile,
} from '../../core/host';
import { usePanelsStore } from '../../store/panels-store';
import { hostProfileOf, withHostProfile } from '../../core/sim';

/** The kernels the project measured (KERNEL-FACTS, "Kernel release"), for the selector. */
const KERNELS: readonly { release: string; label: string }[] = [
  { release: '6.18', label: '6.18 (the reference host)' },
  { release: '6.1', label: '6.1 (Debian 12)' },
];

/**
 * The host beyond the FTP helper and the timeouts: the kernel release, the bridge's address, and the whole host
 * profile (ipsets, every sysctl, sysctl changes during the run) as the JSON `--host HOST.json`
 * takes. Invalid JSON keeps the text and lists its positioned errors; nothing is applied.
 */
export function HostProfileEditor() {
  const settings = usePanelsStore((s) => s.settings);
  const setSettings = usePanelsStore((s) => s.setSettings);
  const profileText = serializeHostProfile(hostProfileOf(settings));
  const [text, setText] = useState(profileText);
  const [errors, setErrors] = useState<string[]>([]);
  const [address, setAddress] = useState(settings.bridgeAddress ?? '');
  const addressError = address.trim() ? checkBridgeAddress(address)?.error : undefined;
  // Follow changes made elsewhere (the checkbox, the timeouts, a reload) unless the text is being fixed.
  useEffect(() => {
    if (errors.length === 0) setText(profileText);
  }, [profileText]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setAddress(settings.bridgeAddress ?? ''), [settings.bridgeAddress]);

  const apply = () => {
    const { profile, diagnostics } = parseHostProfile(text);
    setErrors(diagnostics.map((d) => `${d.line}:${d.column}: ${d.code}: ${d.message}`));
    if (profile) setSettings(withHostProfile(usePanelsStore.getState().settings, profile));
  };
  const release = settings.kernel ?? DEFAULT_KERNEL_RELEASE;
  const facts = kernelFacts(release);
  const kernels = KERNELS.some((k) => k.release === release)
    ? KERNELS
    : [...KERNELS, { release, label: release }];
  return (
    <div className="host-profile">
      <label>
        Kernel{' '}
        <select
          aria-label="Kernel release"
          value={release}
          onChange={(e) => setSettings({ kernel: e.target.value })}
        >
          {kernels.map((k) => (
            <option key={k.release} value={k.release}>
              {k.label}
            </option>
          ))}
        </select>
      </label>{' '}
      <span className="muted small">
        A lost SYN is sent again {facts.synRetransmits.join(', ')} s later
        {facts.synLinearTimeouts === null
          ? ' (no tcp_syn_linear_timeouts before 6.5)'
          : ` (tcp_syn_linear_timeouts=${facts.synLinearTimeouts})`}
        ; connect() gives up after {facts.connectTimeout} s.
      </span>
      <br />
      <label>
        Bridge address{' '}
        <input
          aria-label="Bridge address"
          placeholder="none, e.g. 10.99.0.1/24"
          value={address}
          aria-invalid={addressError ? true : undefined}
          onChange={(e) => {
            const v = e.target.value;
            setAddress(v);
            if (!v.trim()) setSettings({ bridgeAddress: null });
            else if (!checkBridgeAddress(v)) setSettings({ bridgeAddress: v.trim() });
          }}
        />
      </label>{' '}
      <span
        className={addressError ? 'field-error' : 'muted small'}
        role={addressError ? 'alert' : undefined}
      >
        {addressError ?? 'REJECT sends its ICMP error only when the bridge has an address.'}
      </span>
      <details className="host-json">
        <summary>Host profile (ipsets, sysctls, events) — JSON as for --host</summary>
        <textarea
          aria-label="Host profile JSON"
          spellCheck={false}
          rows={10}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <div>
          <button type="button" onClick={apply}>
            Apply host profile
          </button>{' '}
          <span className="muted small">
            ipsets: hash:ip, hash:net, hash:ip,port, hash:net,port, hash:mac; events:{' '}
            {'{ "t": seconds, "sysctls": {…} }'}
          </span>
        </div>
        {errors.length > 0 && (
          // The alert wraps the list: role=alert on the <ul> itself would take its list role away.
          <div role="alert" aria-label="Host profile errors">
            <ul className="host-errors">
              {errors.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          </div>
        )}
      </details>
    </div>
  );
}
