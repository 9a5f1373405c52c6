import { CLEAN_TRAFFIC_GATEWAY_XML } from '../filters/clean-traffic-gateway';
import { CLEAN_TRAFFIC_XML } from '../filters/clean-traffic';
import { QEMU_ANNOUNCE_SELF_RARP_XML } from '../filters/qemu-announce-self-rarp';

/** `xml` with `from` replaced once; the edit must apply, or the upstream file changed under it. */
function edit(xml: string, from: string, to: string): string {
  if (!xml.includes(from)) throw new Error(`libvirt 9.0 built-in: '${from.trim()}' not found`);
  return xml.replace(from, to);
}

/**
 * libvirt 9.0's `clean-traffic` (Debian 12, /usr/share/libvirt/nwfilter/clean-traffic.xml): the
 * upstream file with qemu-announce-self where upstream has qemu-announce-self-rarp, its only
 * difference. LGPL-2.1-or-later.
 */
export const CLEAN_TRAFFIC_9_0_XML = edit(
  CLEAN_TRAFFIC_XML,
  "<filterref filter='qemu-announce-self-rarp'/>",
  "<filterref filter='qemu-announce-self'/>",
);

/** libvirt 9.0's `clean-traffic-gateway`: the same single difference. LGPL-2.1-or-later. */
export const CLEAN_TRAFFIC_GATEWAY_9_0_XML = edit(
  CLEAN_TRAFFIC_GATEWAY_XML,
  "<filterref filter='qemu-announce-self-rarp'/>",
  "<filterref filter='qemu-announce-self'/>",
);

/**
 * libvirt 9.0's `qemu-announce-self-rarp`: upstream's without the closing filterref to
 * no-other-rarp-traffic (9.0's qemu-announce-self references it instead). LGPL-2.1-or-later.
 */
export const QEMU_ANNOUNCE_SELF_RARP_9_0_XML = edit(
  QEMU_ANNOUNCE_SELF_RARP_XML,
  "\n\n  <filterref filter='no-other-rarp-traffic'/>\n",
  '\n',
);
