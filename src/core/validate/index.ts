/** libvirt's semantic checks: the diagnostic codes (validateFilterDoc is exported by src/core). */
export { DIAGNOSTIC_CODES } from './diagnostic-codes';
