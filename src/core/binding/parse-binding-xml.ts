import { XMLParser } from 'fast-xml-parser';

/** A filter binding as `virsh nwfilter-binding-dumpxml` prints it: one interface's filter. */
export interface FilterBinding {
  /** The port device (`vnet0`). */
  portdev: string;
  mac: string;
  filter: string;
  /** The binding's parameters in document order; a name given twice forms a list. */
  params: [string, string][];
  /** The domain owning the port, when the XML names it. */
  owner: { name: string; uuid: string } | null;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'parameter',
  processEntities: true,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Node = Record<string, unknown>;
const attr = (n: unknown, a: string): string | undefined => {
  const v = n && typeof n === 'object' ? (n as Node)[`@${a}`] : undefined;
  return typeof v === 'string' ? v : undefined;
};

/**
 * Reads libvirt's `<filterbinding>` XML. Returns an error text naming what is missing when the
 * text is not a binding (never a partial binding).
 */
export function parseBindingXml(text: string): FilterBinding | { error: string } {
  let doc: Node;
  try {
    doc = parser.parse(text, true) as Node;
  } catch (e) {
    return { error: `not XML: ${e instanceof Error ? e.message : String(e)}` };
  }
  const b = doc.filterbinding as Node | undefined;
  if (!b || typeof b !== 'object') return { error: 'no <filterbinding> element' };
  const portdev = attr(b.portdev, 'name');
  const mac = attr(b.mac, 'address');
  const filter = attr(b.filterref, 'filter');
  if (portdev === undefined) return { error: '<filterbinding> has no <portdev name=…>' };
  if (mac === undefined) return { error: '<filterbinding> has no <mac address=…>' };
  if (filter === undefined) return { error: '<filterbinding> has no <filterref filter=…>' };
  const params: [string, string][] = [];
  const ref = b.filterref as Node;
  for (const p of (ref.parameter as unknown[] | undefined) ?? []) {
    const name = attr(p, 'name');
    const value = attr(p, 'value');
    if (name === undefined || value === undefined)
      return { error: `<parameter> without name or value in the binding of ${portdev}` };
    params.push([name, value]);
  }
  const owner = b.owner as Node | undefined;
  const ownerName = typeof owner?.name === 'string' ? owner.name : undefined;
  const ownerUuid = typeof owner?.uuid === 'string' ? owner.uuid : undefined;
  return {
    portdev,
    mac,
    filter,
    params,
    owner:
      ownerName !== undefined && ownerUuid !== undefined
        ? { name: ownerName, uuid: ownerUuid }
        : null,
  };
}
