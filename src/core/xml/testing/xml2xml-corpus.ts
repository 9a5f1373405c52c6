/**
 * The libvirt xml2xml corpus (`../shared/libvirt-nwfilter/xml2xml/CASES.tsv`,
 * or `$NWFILTER_CORPUS/xml2xml`), read for tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { corpusDir } from '../../../testing/corpus-dir';

export { REPO_ROOT } from '../../../testing/corpus-dir';
/** The libvirt-nwfilter corpus folder. */
export const corpusRoot = corpusDir;

export interface Xml2XmlCase {
  name: string;
  expect: 'ok' | 'error';
  input: string;
  /** Expected output text for `ok` cases. */
  expected: string | null;
}

/** All cases of CASES.tsv with their file contents. */
export function loadXml2XmlCases(): Xml2XmlCase[] {
  const dir = path.join(corpusRoot(), 'xml2xml');
  const tsv = path.join(dir, 'CASES.tsv');
  if (!existsSync(tsv)) throw new Error(`xml2xml corpus not found at ${tsv}; set NWFILTER_CORPUS`);
  return readFileSync(tsv, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', expect = '', input = '', output = '-'] = line.split('\t');
      if (expect !== 'ok' && expect !== 'error') throw new Error(`bad CASES.tsv line: ${line}`);
      return {
        name,
        expect,
        input: readFileSync(path.join(dir, input), 'utf8'),
        expected: output === '-' ? null : readFileSync(path.join(dir, output), 'utf8'),
      };
    });
}
