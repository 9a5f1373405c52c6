import { CONNLIMIT_XML } from './connlimit';
import { FTP_SERVER_RELATED_XML } from './ftp-server-related';
import { FTP_SERVER_XML } from './ftp-server';
import { ICMP_ECHO_ONLY_XML } from './icmp-echo-only';
import { STATEMATCH_OFF_XML } from './statematch-off';

/** A filter template taken from the libvirt documentation (see ../shared/seeds/). */
export interface FilterExample {
  /** Stable identifier, used in URLs and tests. */
  id: string;
  /** Short human title. */
  title: string;
  /** What the example teaches. */
  description: string;
  /** The filter XML as the docs give it. */
  xml: string;
}

/** The templates offered by "New filter"; the first one is the app's opening example. */
export const EXAMPLES: readonly FilterExample[] = [
  {
    id: 'ftp-server',
    title: 'FTP server (NEW / ESTABLISHED)',
    description:
      'SSH, HTTP, FTP in; ping and DNS out; everything else dropped. Uses connection states.',
    xml: FTP_SERVER_XML,
  },
  {
    id: 'ftp-server-related',
    title: 'FTP server (RELATED data connection)',
    description:
      'Active-mode FTP data connection allowed through RELATED (needs nf_conntrack_ftp).',
    xml: FTP_SERVER_RELATED_XML,
  },
  {
    id: 'icmp-echo-only',
    title: 'ICMP echo only',
    description: 'Echo requests out, echo replies in.',
    xml: ICMP_ECHO_ONLY_XML,
  },
  {
    id: 'connlimit',
    title: 'Connection limits',
    description: 'One SSH connection in and one ping out at a time (connlimit-above).',
    xml: CONNLIMIT_XML,
  },
  {
    id: 'statematch-off',
    title: "statematch='false'",
    description: 'Incoming TCP 12345 without connection-state enforcement.',
    xml: STATEMATCH_OFF_XML,
  },
];

/** The example the app opens on. */
export const DEFAULT_EXAMPLE: FilterExample = EXAMPLES[0] as FilterExample;
