export {
  BUILTIN_FILTERS,
  BUILTIN_FILTERS_9_0,
  BUILTIN_FILTER_NAMES,
  builtinFilterLookup,
  getBuiltinFilter,
  isBuiltinFilterName,
} from './builtin-filters';
export type { BuiltinFilter, BuiltinFilterSource } from './builtin-filters';
export { DEFAULT_LIBVIRT_VERSION, LIBVIRT_VERSIONS, parseLibvirtVersion } from './libvirt-versions';
export type { LibvirtVersion, LibvirtVersionInfo } from './libvirt-versions';
