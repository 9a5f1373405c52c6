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
