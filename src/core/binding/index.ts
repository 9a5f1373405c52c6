export {
  BINDING_CODES,
  findBindingFailures,
  findInstanceBindingFailures,
  findRuleBindingProblems,
} from './find-binding-failures';
export type {
  BindingFailure,
  BindingFailureRef,
  RuleBindingProblem,
} from './find-binding-failures';
export { parseBindingXml } from './parse-binding-xml';
export type { FilterBinding } from './parse-binding-xml';
