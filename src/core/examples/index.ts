export { EXAMPLES, DEFAULT_EXAMPLE } from './examples';
export type { FilterExample } from './examples';
export { FTP_SERVER_XML } from './ftp-server';
