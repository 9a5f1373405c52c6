/** The document model and its domain facts (element and attribute tables, limits, DocChange), as used outside the core. */
export type {
  AttrValue,
  Diagnostic,
  DroppedAttribute,
  FilterDoc,
  FilterEntry,
  FilterParameter,
  FilterRef,
  ParseResult,
  ProtocolName,
  Rule,
  RuleAction,
  RuleDirection,
} from './types';
export {
  ELEMENT_TABLE,
  FILTERREF_ATTRIBUTES,
  FILTER_ATTRIBUTES,
  MAX_COMMENT_LENGTH,
  MAX_FILTER_PRIORITY,
  MAX_RULE_PRIORITY,
  MIN_FILTER_PRIORITY,
  MIN_RULE_PRIORITY,
  PARAMETER_ATTRIBUTES,
  RULE_ACTIONS,
  RULE_ATTRIBUTES,
  RULE_DIRECTIONS,
  getChainType,
  getDefaultChainPriority,
  getElementSpec,
} from './attributes';
export { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits } from './limits';
export type { AttributeSpec } from './attributes';
export { PROTOCOL_NAMES } from './types';
export { applyChange, evaluationOrder } from './apply-change';
export type { DocChange } from './apply-change';
export { parseCInt, parseIpv4, parseMac } from './libvirt-syntax';
export type { Limits } from './limits';
