import { checkFilterFile } from '../check-filter-file';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliCommand } from '../cli-io';
import {
  escapeForTerminal,
  formatDiagnostic,
  hasErrors,
  selectDiagnostics,
} from '../format-diagnostic';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check filter files; print their diagnostics',
  usage: [
    'usage: nwfilter-studio validate [--verbose] FILE.xml...',
    '',
    'Prints the errors and warnings of each file as FILE:LINE:COL: SEVERITY CODE: message',
    'on stdout; --verbose adds the info notes (e.g. values libvirt writes differently).',
    'Silent when all files are valid. Exit 1 if any file has an error. FILE may be -.',
  ].join('\n'),
  run(args, io) {
    const verbose = args.includes('--verbose') || args.includes('-v');
    const files = args.filter((a) => a !== '--verbose' && a !== '-v');
    if (files.length === 0) {
      io.stderr(`${this.usage}\n`);
      return EXIT_USAGE;
    }
    let failed = false;
    for (const file of files) {
      const checked = checkFilterFile(file, io);
      if (checked.readError) {
        io.stderr(`${escapeForTerminal(`nwfilter-studio: ${checked.readError}`)}\n`);
        failed = true;
        continue;
      }
      for (const d of selectDiagnostics(checked.diagnostics, verbose))
        io.stdout(`${formatDiagnostic(file, d)}\n`);
      if (hasErrors(checked.diagnostics)) failed = true;
    }
    return failed ? EXIT_INVALID : EXIT_OK;
  },
};
