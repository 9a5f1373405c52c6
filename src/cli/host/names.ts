import { checkIfaceName } from '../filter-workspace';
import { escapeForTerminal } from '../format-diagnostic';

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks for every value that reaches a `virsh` argument. virsh reads an argument starting with
 * `-` as an option, so no accepted value may start with one; execFile passes each value as one
 * argument, never through a shell.
 */

/** A filter name as libvirt's schema allows it (an XML NCName, ASCII): `clean-traffic`, `web_1.2`. */
export function checkFilterName(name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/.test(name))
    return `'${printable(name)}' is not a filter name libvirt's schema allows (letters, digits, '_', '.', '-'; starting with a letter or '_'; at most 200 characters)`;
  return null;
}

/** A UUID as `virsh nwfilter-list` prints it. */
export function checkUuid(uuid: string): string | null {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)
    ? null
    : `'${printable(uuid)}' is not a UUID`;
}

/**
 * An interface name the kernel accepts ({@link checkIfaceName}) that virsh cannot read as an
 * option, and without control characters.
 */
export function checkPortdev(name: string): string | null {
  if (name.startsWith('-') || CONTROL.test(name))
    return `'${printable(name)}' is not an interface name`;
  return checkIfaceName(name);
}

/** A libvirt connection URI: `driver[+transport]://[host]/path[?query]`, or a bare driver name. */
export function checkUri(uri: string): string | null {
  if (
    uri.length > 1000 ||
    !/^[a-z][a-z0-9+.-]*:\/\/[^\s]*$|^[a-z][a-z0-9]*$/i.test(uri) ||
    CONTROL.test(uri)
  )
    return `'${printable(uri)}' is not a libvirt URI (like qemu:///system)`;
  return null;
}

/** A network namespace name as `ip netns` creates them. */
export function checkNetnsName(name: string): string | null {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(name)
    ? null
    : `'${printable(name)}' is not a network namespace name`;
}

function printable(s: string): string {
  return escapeForTerminal(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
