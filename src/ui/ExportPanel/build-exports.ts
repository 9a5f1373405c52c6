import type { Provenance } from '../../core/instantiate/types';
import { printArgs } from '../../core/compile/print-args';
import { printScript } from '../../core/compile/print-script';
import type { FilterDoc } from '../../core/model/types';
import { compileFor } from '../workers/run-simulation';
import type { SimSettings } from '../workers/run-simulation';

/** One exported text: its lines and, per line, the XML rule it came from (or null). */
export interface ExportText {
  id: string;
  title: string;
  /** Download file name. */
  file: string;
  lines: string[];
  origins: (Provenance | null)[];
}

export interface Exports {
  texts: ExportText[];
  problems: string[];
}

const FAMILIES = ['ebtables', 'iptables', 'ip6tables'] as const;

function xmlAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
}

/** The script's commands of one tool, with the section comments that head them. */
export function linesOfFamily(
  lines: string[],
  origins: (Provenance | null)[],
  family: (typeof FAMILIES)[number],
): Pick<ExportText, 'lines' | 'origins'> {
  const out: Pick<ExportText, 'lines' | 'origins'> = { lines: [], origins: [] };
  let pendingComment: string | null = null;
  lines.forEach((line, i) => {
    if (line.startsWith('# ')) {
      pendingComment = line;
      return;
    }
    const tool = line.split(' ', 1)[0];
    if (tool !== family) return;
    if (pendingComment !== null) {
      out.lines.push(pendingComment);
      out.origins.push(null);
      pendingComment = null;
    }
    out.lines.push(line);
    out.origins.push(origins[i] ?? null);
  });
  return out;
}

/** The virsh commands that define the filter and the domain `<interface>` that binds it. */
export function virshText(doc: FilterDoc, settings: SimSettings): string[] {
  const mac = settings.params.MAC?.[0] ?? '52:54:00:11:22:33';
  const params = Object.entries(settings.params).filter(([k]) => k !== 'MAC');
  const file = `${doc.name}.xml`;
  return [
    `# Define (or update) the filter from the exported XML, then check it`,
    `virsh nwfilter-define ${file}`,
    `virsh nwfilter-dumpxml ${doc.name}`,
    `# Reference it from the VM's interface (virsh edit DOMAIN), then restart the VM or re-attach the interface:`,
    `<interface type='bridge'>`,
    `  <mac address='${xmlAttr(mac)}'/>`,
    `  <source bridge='br0'/>`,
    `  <model type='virtio'/>`,
    ...(params.length === 0
      ? [`  <filterref filter='${xmlAttr(doc.name)}'/>`]
      : [
          `  <filterref filter='${xmlAttr(doc.name)}'>`,
          ...params.flatMap(([k, vs]) =>
            vs.map((v) => `    <parameter name='${xmlAttr(k)}' value='${xmlAttr(v)}'/>`),
          ),
          `  </filterref>`,
        ]),
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
  const { ruleset, problems } = compileFor({ filters, root: doc.name }, settings);
  if (ruleset) {
    const args = printArgs(ruleset);
    const script = printScript(ruleset, { filterName: doc.name });
    texts.push({
      id: 'args',
      title: 'libvirt commands',
      file: `${doc.name}-vnet0.args`,
      lines: args.lines,
      origins: args.origins,
    });
    texts.push({
      id: 'script',
      title: 'Shell script',
      file: `${doc.name}-vnet0.sh`,
      lines: script.lines,
      origins: script.origins,
    });
    for (const f of FAMILIES) {
      const part = linesOfFamily(script.lines, script.origins, f);
      texts.push({ id: f, title: f, file: `${doc.name}-vnet0-${f}.sh`, ...part });
    }
  }
  const virsh = virshText(doc, settings);
  texts.push({
    id: 'virsh',
    title: 'virsh & domain',
    file: `${doc.name}-virsh.txt`,
    lines: virsh,
    origins: virsh.map(() => null),
  });
  return { texts, problems };
}
