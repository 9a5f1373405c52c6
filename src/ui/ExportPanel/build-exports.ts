import { backendOf } from '../../core/compile';
import type { Provenance } from '../../core/instantiate';
import type { FilterDoc } from '../../core/model';
import type { LearningPlan } from '../../core/learning';
import { compileFor, hostsFor } from '../../core/sim';
import type { BindingFailureView, SimSettings } from '../../core/sim';

/** One exported text: its lines and, per line, the XML rule it came from (or null). */
export interface ExportText {
  id: string;
  title: string;
  /** Download file name. */
  file: string;
  lines: string[];
  origins: (Provenance | null)[];
  /** Per line, the kernel's handle of the rule it prints once the text is loaded (nft script); absent for other texts. */
  handles?: (number | null)[];
}

export interface Exports {
  texts: ExportText[];
  problems: string[];
  /** Why libvirt cannot bind the filter (then there are no rules to export), at their rules. */
  failures: BindingFailureView[];
  /**
   * The binding has no IP and libvirt learns it: the exports are the rules after it learned the
   * scenarios' VM address (`example`), and a `learning` text holds the commands before.
   */
  learning?: { plan: LearningPlan; example: string };
}

function xmlAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
}

/** The virsh commands that define the filter and the domain `<interface>` that binds it. */
export function virshText(
  doc: FilterDoc,
  settings: SimSettings,
  learning?: LearningPlan,
): string[] {
  const mac = settings.params.MAC?.[0] ?? '52:54:00:11:22:33';
  const params = Object.entries(settings.params).filter(([k, v]) => k !== 'MAC' && v.length > 0);
  const file = `${doc.name}.xml`;
  // What libvirt fills in by itself, said where a reader of the snippet looks for the parameters.
  const filled = [
    `    <!-- MAC: libvirt uses the interface's address (${xmlAttr(mac)}) -->`,
    ...(learning
      ? [
          `    <!-- IP: not set, libvirt learns it (CTRL_IP_LEARNING=${learning.mode}${learning.mode === 'dhcp' ? ', from DHCP acks' : ', from the first IPv4 packet or DHCP offer'}) -->`,
        ]
      : []),
  ];
  return [
    `# Define (or update) the filter from the exported XML, then check it`,
    `virsh nwfilter-define ${file}`,
    `virsh nwfilter-dumpxml ${doc.name}`,
    `# Reference it from the VM's interface (virsh edit DOMAIN), then restart the VM or re-attach the interface:`,
    `<interface type='bridge'>`,
    `  <mac address='${xmlAttr(mac)}'/>`,
    `  <source bridge='br0'/>`,
    `  <model type='virtio'/>`,
    `  <filterref filter='${xmlAttr(doc.name)}'>`,
    ...filled,
    ...params.flatMap(([k, vs]) =>
      vs.map((v) => `    <parameter name='${xmlAttr(k)}' value='${xmlAttr(v)}'/>`),
    ),
    `  </filterref>`,
    `</interface>`,
    `# Or bind it to a running port without a domain (libvirt >= 4.5): virsh nwfilter-binding-create BINDING.xml`,
  ];
}

/** Everything the export panel shows for the open filter. */
export function buildExports(
  doc: FilterDoc,
  xml: string,
  filters: FilterDoc[],
  settings: SimSettings,
): Exports {
  const xmlLines = xml.replace(/\n$/, '').split('\n');
  const texts: ExportText[] = [
    {
      id: 'xml',
      title: 'XML',
      file: `${doc.name}.xml`,
      lines: xmlLines,
      origins: xmlLines.map(() => null),
    },
  ];
  const compiled = compileFor({ filters, root: doc.name }, settings);
  let { problems, failures } = compiled;
  let ruleset = compiled.ruleset;
  let learning: Exports['learning'];
  if (compiled.learning) {
    // Learning: the commands while it learns (the backend's), then every format for the rules
    // after it learned the address the scenarios give the VM.
    const example = hostsFor(settings).vm.ip;
    learning = { plan: compiled.learning, example };
    if (ruleset) {
      const lines = backendOf(ruleset).learning.printArgs(ruleset);
      texts.push({
        id: 'learning',
        title: 'While learning',
        file: `${doc.name}-${ruleset.iface}-learning.args`,
        lines,
        origins: lines.map(() => null),
      });
    }
    const after = compileFor(
      { filters, root: doc.name },
      { ...settings, params: { ...settings.params, IP: [example] } },
    );
    ({ ruleset, problems, failures } = after);
  }
  if (ruleset) {
    const backend = backendOf(ruleset);
    const handles = backend.sim.ruleHandles?.(ruleset) ?? null;
    for (const f of backend.formats) {
      const printed = backend.print(ruleset, f.id, { filterName: doc.name });
      texts.push({
        id: f.id,
        title: f.title,
        file: `${doc.name}-${ruleset.iface}${f.fileSuffix}`,
        lines: printed.lines,
        origins: printed.origins,
        ...(f.handles && handles
          ? { handles: printed.rules.map((r) => (r ? (handles.get(r) ?? null) : null)) }
          : {}),
      });
    }
  }
  const virsh = virshText(doc, settings, compiled.learning);
  texts.push({
    id: 'virsh',
    title: 'virsh & domain',
    file: `${doc.name}-virsh.txt`,
    lines: virsh,
    origins: virsh.map(() => null),
  });
  return { texts, problems, failures, ...(learning ? { learning } : {}) };
}
