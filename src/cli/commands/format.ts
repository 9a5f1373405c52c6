import { serializeFilterXml } from '../../core';
import { checkFilterFile } from '../check-filter-file';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliCommand } from '../cli-io';
import { escapeForTerminal, formatDiagnostic, selectDiagnostics } from '../format-diagnostic';
import { LIBVIRT_OPTION_USAGE, parseCliOptions, readLibvirtOption } from '../filter-workspace';

export const formatCommand: CliCommand = {
  name: 'format',
  summary: 'print a filter as libvirt would write it back (canonical XML)',
  usage: [
    'usage: nwfilter-studio format FILE.xml [--libvirt VERSION]',
    '',
    'Prints the canonical XML (what `virsh nwfilter-dumpxml` would show) on stdout.',
    'Invalid input: nothing on stdout, one line per diagnostic on stderr, exit 1.',
    'FILE may be - for standard input.',
    '',
    LIBVIRT_OPTION_USAGE,
    "                      (9.0 splits an element mixing match='no' and plain attributes",
    '                      at every change of negation; 12.5 writes the plain ones first)',
  ].join('\n'),
  run(args, io) {
    const opts = parseCliOptions(args, { '--libvirt': 'value' });
    const libvirt = typeof opts === 'string' ? null : readLibvirtOption(opts);
    if (
      typeof opts === 'string' ||
      opts.positionals.length !== 1 ||
      !libvirt ||
      'error' in libvirt
    ) {
      if (libvirt && 'error' in libvirt) io.stderr(`nwfilter-studio format: ${libvirt.error}\n`);
      io.stderr(`${this.usage}\n`);
      return EXIT_USAGE;
    }
    const file = opts.positionals[0] as string;
    const checked = checkFilterFile(file, io);
    if (checked.readError) {
      io.stderr(`${escapeForTerminal(`nwfilter-studio: ${checked.readError}`)}\n`);
      return EXIT_INVALID;
    }
    // Warnings go to stderr even when the output is written, so nothing is silently dropped.
    for (const d of selectDiagnostics(checked.diagnostics, false))
      io.stderr(`${formatDiagnostic(file, d)}\n`);
    if (!checked.doc) return EXIT_INVALID;
    const xml = serializeFilterXml(checked.doc, { libvirt: libvirt.version });
    io.stdout(xml.endsWith('\n') ? xml : `${xml}\n`);
    return EXIT_OK;
  },
};
