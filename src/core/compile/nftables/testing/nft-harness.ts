/**
 * What libvirt's tests/nwfilterxml2nftfirewalltest.c (nftables series, @eb65962f) does around the
 * driver, re-stated for our tests: the same variables as the ebiptables harness, and the common
 * set-up it strips from the dry-run output — two chunks, each searched with strstr from where the
 * previous one was found and removed when found. Its dry-run callback answers `nft list tables`
 * and `nft list chains` with nothing, so the driver creates both tables.
 */
export { HARNESS_PARAMS, corpusDir } from '../../testing/libvirt-harness';
import { removeChunks } from '../../testing/libvirt-harness';

/** One command in the dry-run form: every argument on its own line. */
const cmd = (...args: string[]) => `${['nft', ...args].join(' \\\n')}\n`;

const q = (s: string) => `'${s}'`;

function sameIpSet(): string[] {
  const out = [q('{')];
  for (let i = 1; i <= 4; i++) {
    for (let j = 0; j < 256; j++) {
      const ip = [1, 2, 3, 4].map((k) => (k === i ? j : 0)).join('.');
      out.push(ip, '.', ip, ',');
    }
  }
  out.push(q('}'));
  return out;
}

function chunks(iface: string): string[] {
  const comment = q(
    '{ comment "Managed by libvirt for network filters: https://libvirt.org/firewall.html#the-network-filter-driver"; }',
  );
  const vmap = q('{ type iface_index: verdict; }');
  const hook = (h: string, p: number) =>
    q(`{ type filter hook ${h} priority ${p}; policy accept;  }`);
  const eth = ['bridge', 'libvirt_nwfilter_ethernet'];
  const inet = ['bridge', 'libvirt_nwfilter_inet'];
  return [
    [
      cmd('list', 'tables'),
      cmd('list', 'chains'),
      cmd('add', 'table', ...eth, comment),
      cmd('add', 'set', ...eth, 'same-ip-set', q('{ type ipv4_addr . ipv4_addr; }')),
      cmd('add', 'element', ...eth, 'same-ip-set', ...sameIpSet()),
      cmd('add', 'map', ...eth, 'vmap-oif', vmap),
      cmd('add', 'map', ...eth, 'vmap-iif', vmap),
      cmd('add', 'chain', ...eth, 'postrouting', hook('postrouting', 0)),
      cmd('add', 'chain', ...eth, 'prerouting', hook('prerouting', 0)),
      cmd('add', 'rule', ...eth, 'postrouting', 'oif', 'vmap', '@vmap-oif'),
      cmd('add', 'rule', ...eth, 'prerouting', 'iif', 'vmap', '@vmap-iif'),
      cmd('add', 'table', ...inet, comment),
      cmd('add', 'map', ...inet, 'vmap-oif', vmap),
    ].join(''),
    [
      cmd('add', 'map', ...inet, 'vmap-iif', vmap),
      cmd('add', 'chain', ...inet, 'postrouting', hook('postrouting', 1)),
      cmd('add', 'chain', ...inet, 'prerouting', hook('prerouting', 1)),
      cmd('add', 'rule', ...inet, 'postrouting', 'oif', 'vmap', '@vmap-oif'),
      cmd('add', 'rule', ...inet, 'prerouting', 'iif', 'vmap', '@vmap-iif'),
      cmd('add', 'chain', ...eth, `n-${iface}-in`, q('{ }')),
      cmd('add', 'chain', ...inet, `n-${iface}-in`, q('{ }')),
      cmd('add', 'chain', ...eth, `n-${iface}-out`, q('{ }')),
      cmd('add', 'chain', ...inet, `n-${iface}-out`, q('{ }')),
    ].join(''),
  ];
}

/** testRemoveCommonRules of the nftables harness. */
export function removeNftCommonRules(text: string, iface = 'vnet0'): string {
  return removeChunks(text, chunks(iface));
}
