/**
 * The parameters a binding of a filter involves: every variable its filterref tree uses (as
 * libvirt names it: `IP`, `A[@1]`, `B[2]` are accesses of `IP`, `A`, `B`), and what libvirt does
 * about each one that the binding leaves out — the binding preview of the host settings and of
 * the Export panel's domain `<interface>`.
 */
import { instantiateFilter } from '../instantiate/instantiate-filter';
import type { Workspace } from '../instantiate/types';
import { learningModeOf } from './learning-plan';

/** One parameter of the binding and where its value comes from. */
export interface BindingParameter {
  name: string;
  /**
   * - `given`: the binding sets it;
   * - `mac`: libvirt fills it in with the interface's MAC address;
   * - `learned`: libvirt learns it from the VM's traffic (`IP` without a value, mode any/dhcp);
   * - `required`: no value, and libvirt refuses the binding without one;
   * - `learning-control`: not used by a rule; tells libvirt how to learn `IP` (CTRL_IP_LEARNING,
   *   DHCPSERVER).
   */
  source: 'given' | 'mac' | 'learned' | 'required' | 'learning-control';
  /** How the filter uses it (`$IP`, `$A[@1]`), empty for the learning controls. */
  uses: string[];
  /** The values the binding gives it. */
  values: string[];
  /** One sentence for the UI. */
  note: string;
}

const baseName = (access: string) => access.replace(/\[.*$/, '');

/**
 * The binding parameters of `root` for the given parameter values (`MAC` included or not: the
 * binding always has a MAC). Order: the variables in the order the filter tree first uses them,
 * then the learning controls when `IP` is used.
 */
export function bindingParameters(
  workspace: Workspace,
  root: string,
  params: Readonly<Record<string, readonly string[]>>,
): BindingParameter[] {
  // Instantiated without any value, every access the tree uses is reported as unresolved (the
  // filterrefs' own parameters excepted: they are the tree's, not the binding's).
  const bare = instantiateFilter(workspace, root, { iface: 'vnet0', params: {} });
  const uses = new Map<string, string[]>();
  for (const access of bare.unresolved ?? []) {
    const name = baseName(access);
    const list = uses.get(name) ?? [];
    list.push(`$${access}`);
    uses.set(name, list);
  }
  const mode = learningModeOf(params);
  const out: BindingParameter[] = [];
  for (const [name, accesses] of uses) {
    const values = [...(params[name] ?? [])];
    let source: BindingParameter['source'];
    let note: string;
    if (values.length > 0) {
      source = 'given';
      note = values.length > 1 ? `a list of ${values.length} values` : 'set by the binding';
    } else if (name === 'MAC') {
      source = 'mac';
      note = "libvirt fills it in with the interface's MAC address";
    } else if (name === 'IP' && typeof mode === 'string' && mode !== 'none') {
      source = 'learned';
      note =
        mode === 'any'
          ? 'libvirt learns it from the VM’s first IPv4 packet or a DHCP offer/ack (CTRL_IP_LEARNING=any)'
          : 'libvirt learns it from a DHCP ack (CTRL_IP_LEARNING=dhcp), and forgets it when the lease ends';
    } else {
      source = 'required';
      note =
        name === 'IP'
          ? `libvirt refuses the binding without it (CTRL_IP_LEARNING=${typeof mode === 'string' ? mode : mode.invalid})`
          : 'libvirt refuses the binding without it';
    }
    out.push({ name, source, uses: accesses, values, note });
  }
  if (uses.has('IP')) {
    for (const name of ['CTRL_IP_LEARNING', 'DHCPSERVER']) {
      out.push({
        name,
        source: 'learning-control',
        uses: [],
        values: [...(params[name] ?? [])],
        note:
          name === 'CTRL_IP_LEARNING'
            ? 'how libvirt learns IP when the binding gives none: any (default), dhcp or none'
            : 'with CTRL_IP_LEARNING=dhcp: the DHCP servers whose replies reach the VM while it learns',
      });
    }
  }
  return out;
}
