export {
  BUILTIN_FILTERS,
  BUILTIN_FILTER_NAMES,
  getBuiltinFilter,
  isBuiltinFilterName,
} from './builtin-filters';
export type { BuiltinFilter, BuiltinFilterSource } from './builtin-filters';
