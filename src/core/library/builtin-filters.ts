import type { FilterDoc } from '../model/types';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { ALLOW_ARP_XML } from './filters/allow-arp';
import { ALLOW_DHCP_SERVER_XML } from './filters/allow-dhcp-server';
import { ALLOW_DHCP_XML } from './filters/allow-dhcp';
import { ALLOW_DHCPV6_SERVER_XML } from './filters/allow-dhcpv6-server';
import { ALLOW_DHCPV6_XML } from './filters/allow-dhcpv6';
import { ALLOW_INCOMING_IPV4_XML } from './filters/allow-incoming-ipv4';
import { ALLOW_INCOMING_IPV6_XML } from './filters/allow-incoming-ipv6';
import { ALLOW_IPV4_XML } from './filters/allow-ipv4';
import { ALLOW_IPV6_XML } from './filters/allow-ipv6';
import { CLEAN_TRAFFIC_GATEWAY_XML } from './filters/clean-traffic-gateway';
import { CLEAN_TRAFFIC_XML } from './filters/clean-traffic';
import { NO_ARP_IP_SPOOFING_XML } from './filters/no-arp-ip-spoofing';
import { NO_ARP_MAC_SPOOFING_XML } from './filters/no-arp-mac-spoofing';
import { NO_ARP_SPOOFING_XML } from './filters/no-arp-spoofing';
import { NO_IP_MULTICAST_XML } from './filters/no-ip-multicast';
import { NO_IP_SPOOFING_XML } from './filters/no-ip-spoofing';
import { NO_IPV6_MULTICAST_XML } from './filters/no-ipv6-multicast';
import { NO_IPV6_SPOOFING_XML } from './filters/no-ipv6-spoofing';
import { NO_MAC_BROADCAST_XML } from './filters/no-mac-broadcast';
import { NO_MAC_SPOOFING_XML } from './filters/no-mac-spoofing';
import { NO_OTHER_L2_TRAFFIC_XML } from './filters/no-other-l2-traffic';
import { NO_OTHER_RARP_TRAFFIC_XML } from './filters/no-other-rarp-traffic';
import { QEMU_ANNOUNCE_SELF_RARP_XML } from './filters/qemu-announce-self-rarp';
import { QEMU_ANNOUNCE_SELF_XML } from './filters/qemu-announce-self';
import {
  CLEAN_TRAFFIC_9_0_XML,
  CLEAN_TRAFFIC_GATEWAY_9_0_XML,
  QEMU_ANNOUNCE_SELF_RARP_9_0_XML,
} from './filters-9.0/derive-9-0';
import { QEMU_ANNOUNCE_SELF_9_0_XML } from './filters-9.0/qemu-announce-self';
import { DEFAULT_LIBVIRT_VERSION } from './libvirt-versions';
import type { LibvirtVersion } from './libvirt-versions';

/** One of the filters libvirt installs with the nwfilter driver, as libvirt ships its XML. */
export interface BuiltinFilterSource {
  /** The filter's name, as `<filterref filter='…'/>` refers to it. */
  name: string;
  /** One line on what it does, for the library panel. */
  description: string;
  /** libvirt's XML file, verbatim (comments included). */
  xml: string;
}

/** A built-in filter with its parsed document. */
export interface BuiltinFilter extends BuiltinFilterSource {
  doc: FilterDoc;
}

/**
 * The 24 filters libvirt ships (its src/nwfilter/xml/), sorted by name. Instantiation resolves a
 * `filterref` to one of these when the workspace has no filter of that name, as libvirt does
 * with the filters it defines at startup.
 */
export const BUILTIN_FILTERS: readonly BuiltinFilterSource[] = [
  {
    name: 'allow-arp',
    description: 'Accept all ARP traffic in both directions.',
    xml: ALLOW_ARP_XML,
  },
  {
    name: 'allow-dhcp',
    description: 'Accept DHCP requests from the VM and replies from any DHCP server.',
    xml: ALLOW_DHCP_XML,
  },
  {
    name: 'allow-dhcp-server',
    description: 'Accept DHCP requests from the VM and replies only from $DHCPSERVER.',
    xml: ALLOW_DHCP_SERVER_XML,
  },
  {
    name: 'allow-dhcpv6',
    description: 'Accept DHCPv6 requests from the VM and replies from any DHCPv6 server.',
    xml: ALLOW_DHCPV6_XML,
  },
  {
    name: 'allow-dhcpv6-server',
    description: 'Accept DHCPv6 requests from the VM and replies only from $DHCPSERVER.',
    xml: ALLOW_DHCPV6_SERVER_XML,
  },
  {
    name: 'allow-incoming-ipv4',
    description: 'Accept all incoming IPv4 traffic.',
    xml: ALLOW_INCOMING_IPV4_XML,
  },
  {
    name: 'allow-incoming-ipv6',
    description: 'Accept all incoming IPv6 traffic.',
    xml: ALLOW_INCOMING_IPV6_XML,
  },
  {
    name: 'allow-ipv4',
    description: 'Accept all IPv4 traffic in both directions.',
    xml: ALLOW_IPV4_XML,
  },
  {
    name: 'allow-ipv6',
    description: 'Accept all IPv6 traffic in both directions.',
    xml: ALLOW_IPV6_XML,
  },
  {
    name: 'clean-traffic',
    description:
      'No MAC, IP or ARP spoofing; only IPv4 and ARP (plus the RARP self-announce) pass.',
    xml: CLEAN_TRAFFIC_XML,
  },
  {
    name: 'clean-traffic-gateway',
    description: 'clean-traffic, but the VM may only talk to the gateway at $GATEWAY_MAC.',
    xml: CLEAN_TRAFFIC_GATEWAY_XML,
  },
  {
    name: 'no-arp-ip-spoofing',
    description: 'Drop outgoing ARP whose sender IP is not $IP.',
    xml: NO_ARP_IP_SPOOFING_XML,
  },
  {
    name: 'no-arp-mac-spoofing',
    description: 'Drop outgoing ARP whose sender MAC is not $MAC.',
    xml: NO_ARP_MAC_SPOOFING_XML,
  },
  {
    name: 'no-arp-spoofing',
    description: 'Both ARP anti-spoofing filters (sender MAC and sender IP).',
    xml: NO_ARP_SPOOFING_XML,
  },
  {
    name: 'no-ip-multicast',
    description: 'Drop outgoing IPv4 multicast (224.0.0.0/4).',
    xml: NO_IP_MULTICAST_XML,
  },
  {
    name: 'no-ip-spoofing',
    description: 'Drop outgoing IPv4 whose source is not $IP (DHCP from 0.0.0.0 excepted).',
    xml: NO_IP_SPOOFING_XML,
  },
  {
    name: 'no-ipv6-multicast',
    description: 'Drop outgoing IPv6 multicast (FF00::/8).',
    xml: NO_IPV6_MULTICAST_XML,
  },
  {
    name: 'no-ipv6-spoofing',
    description: 'Drop outgoing IPv6 whose source is not $IPV6 (link-local DHCPv6 excepted).',
    xml: NO_IPV6_SPOOFING_XML,
  },
  {
    name: 'no-mac-broadcast',
    description: 'Drop outgoing frames to the broadcast MAC ff:ff:ff:ff:ff:ff.',
    xml: NO_MAC_BROADCAST_XML,
  },
  {
    name: 'no-mac-spoofing',
    description: 'Drop outgoing frames whose source MAC is not $MAC.',
    xml: NO_MAC_SPOOFING_XML,
  },
  {
    name: 'no-other-l2-traffic',
    description: 'Drop every frame an earlier rule did not accept (the root chain catch-all).',
    xml: NO_OTHER_L2_TRAFFIC_XML,
  },
  {
    name: 'no-other-rarp-traffic',
    description: 'Drop all RARP traffic not accepted before.',
    xml: NO_OTHER_RARP_TRAFFIC_XML,
  },
  {
    name: 'qemu-announce-self',
    description: 'Compatibility shim: references qemu-announce-self-rarp.',
    xml: QEMU_ANNOUNCE_SELF_XML,
  },
  {
    name: 'qemu-announce-self-rarp',
    description: "Accept QEMU's RARP self-announcement after migration; drop other RARP.",
    xml: QEMU_ANNOUNCE_SELF_RARP_XML,
  },
];

/**
 * The built-in filters whose XML differs in libvirt 9.0 (Debian 12), by name: 9.0's
 * clean-traffic and clean-traffic-gateway still reference qemu-announce-self, which accepts the
 * bogus RARP protocol id 0x835 old qemu sent; upstream later made it a shim. Every other built-in
 * is the same in both.
 */
export const BUILTIN_FILTERS_9_0: Readonly<Record<string, string>> = {
  'clean-traffic': CLEAN_TRAFFIC_9_0_XML,
  'clean-traffic-gateway': CLEAN_TRAFFIC_GATEWAY_9_0_XML,
  'qemu-announce-self': QEMU_ANNOUNCE_SELF_9_0_XML,
  'qemu-announce-self-rarp': QEMU_ANNOUNCE_SELF_RARP_9_0_XML,
};

/** The built-in filter names, in BUILTIN_FILTERS order. */
export const BUILTIN_FILTER_NAMES: readonly string[] = BUILTIN_FILTERS.map((f) => f.name);

const sourcesByName = new Map(BUILTIN_FILTERS.map((f) => [f.name, f]));
const parsed = new Map<string, BuiltinFilter>();

/** Whether `name` is one of libvirt's built-in filters. */
export function isBuiltinFilterName(name: string): boolean {
  return sourcesByName.has(name);
}

/**
 * The built-in filter called `name` as libvirt `version` ships it (default: the newest), with its
 * parsed document, or undefined when libvirt ships no such filter. Parsing happens on first use
 * and is cached (the XML is constant).
 *
 * @throws Error when the shipped XML does not parse: that is a bug in the parser or in this
 *   library, never a user error (the library test parses every filter).
 */
export function getBuiltinFilter(
  name: string,
  version: LibvirtVersion = DEFAULT_LIBVIRT_VERSION,
): BuiltinFilter | undefined {
  const older = version === '9.0' && Object.hasOwn(BUILTIN_FILTERS_9_0, name);
  const key = older ? `9.0:${name}` : name;
  const cached = parsed.get(key);
  if (cached) return cached;
  const latest = sourcesByName.get(name);
  if (!latest) return undefined;
  const source = older ? { ...latest, xml: BUILTIN_FILTERS_9_0[name] as string } : latest;
  const { doc, diagnostics } = parseFilterXml(source.xml);
  if (!doc) {
    const first = diagnostics[0];
    const where = first
      ? `${first.line}:${first.column}: ${first.code} ${first.message}`
      : 'no diagnostics';
    throw new Error(`built-in filter ${name} does not parse (${where})`);
  }
  const filter: BuiltinFilter = { ...source, doc };
  parsed.set(key, filter);
  return filter;
}

/** Resolves filterref names to the built-in filters of libvirt `version`. */
export function builtinFilterLookup(
  version: LibvirtVersion = DEFAULT_LIBVIRT_VERSION,
): (name: string) => FilterDoc | undefined {
  return (name) => getBuiltinFilter(name, version)?.doc;
}
