import {
  compareInterfaceRules,
  compileFilter,
  getBuiltinFilter,
  parseFilterXml,
  printScriptText,
} from '../../core';
import type { BindingDrift, FilterDoc, LibvirtVersion, Ruleset } from '../../core';
import type { HostFirewall } from './firewall';
import type { HostBinding, HostFilter, HostLibvirt } from './virsh';

/** The filters as the host holds them, for filterrefs; built-ins the host lacks from `version`. */
export function hostWorkspace(
  filters: readonly HostFilter[],
  version: LibvirtVersion,
): { lookup: (name: string) => FilterDoc | undefined; unreadable: string[] } {
  const docs = new Map<string, FilterDoc>();
  const unreadable: string[] = [];
  for (const f of filters) {
    const res = parseFilterXml(f.xml);
    if (res.doc && !res.diagnostics.some((d) => d.severity === 'error'))
      docs.set(res.doc.name, res.doc);
    else unreadable.push(f.name);
  }
  return {
    lookup: (name) => docs.get(name) ?? getBuiltinFilter(name, version)?.doc,
    unreadable,
  };
}

/** What the studio compiles for one host binding, or the reasons it cannot. */
export function compileBinding(
  b: HostBinding,
  lookup: (name: string) => FilterDoc | undefined,
): { ruleset: Ruleset } | { error: string } {
  const params = Object.create(null) as Record<string, string[]>;
  for (const [n, v] of b.binding.params) (params[n] ??= []).push(v);
  const res = compileFilter(lookup, b.binding.filter, {
    iface: b.binding.portdev,
    mac: b.binding.mac,
    params,
  });
  if (!res.ruleset) {
    const errors = res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    return {
      error: `the studio cannot compile ${b.binding.filter} for ${b.binding.portdev}: ${errors.join('; ')}`,
    };
  }
  return { ruleset: res.ruleset };
}

/**
 * The drift of each binding (or only `portdev`'s): the host's rules against the studio's compiled
 * for the binding's filter, MAC and parameters, with the host's filters and libvirt release.
 */
export async function driftOfHost(
  libvirt: HostLibvirt,
  firewall: HostFirewall,
  portdev?: string,
): Promise<BindingDrift[]> {
  const bindings =
    portdev === undefined ? await libvirt.bindings() : [await libvirt.binding(portdev)];
  const version = await libvirt.version();
  const { lookup } = hostWorkspace(await libvirt.filters(), version.target);
  const host = await firewall.hostRules();
  const out: BindingDrift[] = [];
  for (const b of bindings) {
    const compiled = compileBinding(b, lookup);
    if ('error' in compiled) throw new Error(compiled.error);
    const studio = await firewall.studioRules(printScriptText(compiled.ruleset));
    const report = compareInterfaceRules({ ruleset: compiled.ruleset, host, studio });
    if ('error' in report) throw new Error(report.error);
    out.push({ portdev: b.binding.portdev, filter: b.binding.filter, libvirt: version, report });
  }
  return out;
}
