/**
 * Conversions from the model's canonical attribute text to the text libvirt hands to
 * ebtables/iptables (printDataType / printDataTypeAsHex in libvirt's ebiptables driver).
 * A value that came from a variable is printed verbatim: libvirt substitutes it unconverted.
 */
import { numberOfName } from '../model/names';
import type { NameTable } from '../model/names';

/** Parse libvirt's integer forms (`80`, `0x50`); NaN when not a number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return parseInt(t, 10);
  return NaN;
}

/** A number from canonical text, resolving a names table of the model first. */
export function numberOf(text: string, names?: NameTable): number {
  const named = names ? numberOfName(names, text) : undefined;
  return named ?? parseNumber(text);
}

/** A value about to be printed: its numeric form and how libvirt prints it. */
export interface Printed {
  num: number;
  text: string;
}

/** Print as decimal (libvirt's `%d`/`%u`), or verbatim when the value came from a variable. */
export function decimal(text: string, verbatim: boolean, names?: NameTable): Printed {
  const num = numberOf(text, names);
  return { num, text: verbatim || Number.isNaN(num) ? text : String(num) };
}

/** Print as `0x%x`, or verbatim when the value came from a variable. */
export function hex(text: string, verbatim: boolean, names?: NameTable): Printed {
  const num = numberOf(text, names);
  return { num, text: verbatim || Number.isNaN(num) ? text : `0x${num.toString(16)}` };
}

/** Shell-quote one argument exactly as libvirt's virBufferEscapeShell does. */
export function escapeShell(arg: string): string {
  if (arg === '') return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}
