/** Both backends' rule sets of one filter XML, bound as the parity tests bind it (vnet0, the VM's IP). */
import type { Ruleset } from '../../compile/ebiptables/ir';
import type { NftRuleset } from '../../compile/nftables/ir';
import { getBuiltinFilter } from '../../library';
import { DEFAULT_HOSTS } from '../../sim/scenarios';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { compareBackends } from '../compare-backends';

/** The filter in `xml` (filterrefs to the built-in library) compiled by both drivers; throws when one cannot. */
export function compileBoth(xml: string): { eb: Ruleset; nft: NftRuleset } {
  const doc = parseFilterXml(xml).doc;
  if (!doc) throw new Error('does not parse');
  const lookup = (name: string) => (name === doc.name ? doc : getBuiltinFilter(name)?.doc);
  const res = compareBackends(lookup, doc.name, {
    iface: 'vnet0',
    mac: DEFAULT_HOSTS.vm.mac,
    params: { IP: [DEFAULT_HOSTS.vm.ip] },
  });
  if (!res.ebiptables.ruleset || !res.nftables.ruleset) throw new Error('does not compile');
  return { eb: res.ebiptables.ruleset, nft: res.nftables.ruleset };
}
