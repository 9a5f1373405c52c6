import { serializeFilterXml } from '../../core';
import { checkFilterFile } from '../check-filter-file';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliCommand } from '../cli-io';
import { escapeForTerminal, formatDiagnostic, selectDiagnostics } from '../format-diagnostic';

export const formatCommand: CliCommand = {
  name: 'format',
  summary: 'print a filter as libvirt would write it back (canonical XML)',
  usage: [
    'usage: nwfilter-studio format FILE.xml',
    '',
    'Prints the canonical XML (what `virsh nwfilter-dumpxml` would show) on stdout.',
    'Invalid input: nothing on stdout, one line per diagnostic on stderr, exit 1.',
    'FILE may be - for standard input.',
  ].join('\n'),
  run(args, io) {
    if (args.length !== 1) {
      io.stderr(`${this.usage}\n`);
      return EXIT_USAGE;
    }
    const file = args[0] as string;
    const checked = checkFilterFile(file, io);
    if (checked.readError) {
      io.stderr(`${escapeForTerminal(`nwfilter-studio: ${checked.readError}`)}\n`);
      return EXIT_INVALID;
    }
    // Warnings go to stderr even when the output is written, so nothing is silently dropped.
    for (const d of selectDiagnostics(checked.diagnostics, false))
      io.stderr(`${formatDiagnostic(file, d)}\n`);
    if (!checked.doc) return EXIT_INVALID;
    const xml = serializeFilterXml(checked.doc);
    io.stdout(xml.endsWith('\n') ? xml : `${xml}\n`);
    return EXIT_OK;
  },
};
