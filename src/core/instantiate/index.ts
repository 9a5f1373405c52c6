export {
  INSTANTIATE_CODES,
  chainPriorityOf,
  createWorkspaceLookup,
  instantiateFilter,
} from './instantiate-filter';
export { expandCombinations } from './expand-combinations';
export { collectVarAccesses, formatVarAccess, parseVarAccess } from './var-access';
export type { VarAccess } from './var-access';
export type {
  FilterLookup,
  InstantiateOptions,
  InstantiateResult,
  Provenance,
  RuleInstance,
  Workspace,
} from './types';
