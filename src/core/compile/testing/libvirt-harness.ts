/**
 * What libvirt's tests/nwfilterxml2firewalltest.c does around the driver, re-stated for our tests:
 * the variables it passes, and the common setup it strips from the dry-run output (each chunk is
 * searched with strstr from where the previous one was found, and removed when found).
 */
export { corpusDir } from '../../../testing/corpus-dir';

/** The harness's variables: IPSETNAME, and the lists A, B, C. */
export const HARNESS_PARAMS: Record<string, string[]> = {
  IPSETNAME: ['tck_test'],
  A: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '3.3.3.3'],
  B: ['80', '90', '80', '80'],
  C: ['1080', '1090', '1100', '1110'],
};

const cmd = (argv: string) => {
  const parts = argv.split(' ');
  // The harness writes commands in the dry-run form: a break before every argument starting with '-'.
  const lines: string[] = [];
  for (const p of parts) {
    if (lines.length === 0 || p.startsWith('-')) lines.push(p);
    else lines[lines.length - 1] += ` ${p}`;
  }
  return `${lines.join(' \\\n')}\n`;
};

function chunks(iface: string): string[] {
  const eb = (s: string) => cmd(`ebtables --concurrent -t nat ${s}`);
  const ipt = (prog: string) => (s: string) => cmd(`${prog} -w ${s}`);
  const ipDrop = (p: (s: string) => string) =>
    [
      `-D libvirt-out -m physdev --physdev-is-bridged --physdev-out ${iface} -g FP-${iface}`,
      `-D libvirt-out -m physdev --physdev-out ${iface} -g FP-${iface}`,
      `-D libvirt-in -m physdev --physdev-in ${iface} -g FJ-${iface}`,
      `-D libvirt-host-in -m physdev --physdev-in ${iface} -g HJ-${iface}`,
      `-F FP-${iface}`,
      `-X FP-${iface}`,
      `-F FJ-${iface}`,
      `-X FJ-${iface}`,
      `-F HJ-${iface}`,
      `-X HJ-${iface}`,
    ]
      .map(p)
      .join('');
  const ipCreate = (p: (s: string) => string) =>
    [
      '-N libvirt-in',
      '-N libvirt-out',
      '-N libvirt-in-post',
      '-N libvirt-host-in',
      '-D FORWARD -j libvirt-in',
      '-D FORWARD -j libvirt-out',
      '-D FORWARD -j libvirt-in-post',
      '-D INPUT -j libvirt-host-in',
      '-I FORWARD 1 -j libvirt-in',
      '-I FORWARD 2 -j libvirt-out',
      '-I FORWARD 3 -j libvirt-in-post',
      '-I INPUT 1 -j libvirt-host-in',
      `-N FP-${iface}`,
      `-N FJ-${iface}`,
      `-N HJ-${iface}`,
      `-A libvirt-out -m physdev --physdev-is-bridged --physdev-out ${iface} -g FP-${iface}`,
      `-A libvirt-in -m physdev --physdev-in ${iface} -g FJ-${iface}`,
      `-A libvirt-host-in -m physdev --physdev-in ${iface} -g HJ-${iface}`,
      `-D libvirt-in-post -m physdev --physdev-in ${iface} -j ACCEPT`,
      `-A libvirt-in-post -m physdev --physdev-in ${iface} -j ACCEPT`,
    ]
      .map(p)
      .join('');
  return [
    [
      `-D PREROUTING -i ${iface} -j libvirt-J-${iface}`,
      `-D POSTROUTING -o ${iface} -j libvirt-P-${iface}`,
      `-L libvirt-J-${iface}`,
      `-L libvirt-P-${iface}`,
      `-F libvirt-J-${iface}`,
      `-X libvirt-J-${iface}`,
      `-F libvirt-P-${iface}`,
      `-X libvirt-P-${iface}`,
    ]
      .map(eb)
      .join(''),
    [`-N libvirt-J-${iface}`, `-N libvirt-P-${iface}`].map(eb).join(''),
    ipDrop(ipt('iptables')),
    ipCreate(ipt('iptables')),
    ipDrop(ipt('ip6tables')),
    ipCreate(ipt('ip6tables')),
    [
      `-A PREROUTING -i ${iface} -j libvirt-J-${iface}`,
      `-A POSTROUTING -o ${iface} -j libvirt-P-${iface}`,
    ]
      .map(eb)
      .join(''),
  ];
}

/** testRemoveCommonRules of the ebiptables harness. */
export function removeCommonRules(text: string, iface = 'vnet0'): string {
  return removeChunks(text, chunks(iface));
}

/**
 * libvirt's testRemoveCommonRules, for either harness: strip each common chunk once, searching
 * onward from the previous hit.
 */
export function removeChunks(text: string, common: readonly string[]): string {
  let s = text;
  let offset = 0;
  for (const chunk of common) {
    const at = s.indexOf(chunk, offset);
    if (at >= 0) {
      s = s.slice(0, at) + s.slice(at + chunk.length);
      offset = at;
    }
  }
  return s;
}
