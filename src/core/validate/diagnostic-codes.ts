import type { Severity } from '../model/types';

/** One entry of the diagnostic code registry. Codes are stable: never renumber. */
export interface DiagnosticCodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

function entry(code: string, severity: Severity, title: string): DiagnosticCodeInfo {
  return { code, severity, title };
}

/**
 * The registry of stable diagnostic codes. Errors are what libvirt rejects
 * (or what makes the input unusable); warnings are what libvirt silently
 * ignores or changes; info notes canonicalization.
 */
export const DIAGNOSTIC_CODES = {
  MALFORMED_XML: entry('NWF001', 'error', 'Malformed XML'),
  DTD_REFUSED: entry('NWF002', 'error', 'DOCTYPE declarations are not accepted'),
  ENTITY_REFUSED: entry('NWF003', 'error', 'Entity declarations are not accepted'),
  INPUT_TOO_LARGE: entry('NWF004', 'error', 'Input is too large'),
  WRONG_ROOT: entry('NWF005', 'error', 'Root element is not <filter>'),
  INTERNAL: entry('NWF006', 'error', 'Internal error while reading the document'),
  UNKNOWN_ENTITY: entry('NWF007', 'error', 'Unknown entity or character reference'),
  EMPTY_INPUT: entry('NWF008', 'error', 'No document'),
  INVALID_ENCODING: entry('NWF009', 'error', 'Not UTF-8 text'),

  FILTER_NO_NAME: entry('NWF010', 'error', 'Filter has no name'),
  BAD_CHAIN: entry('NWF011', 'error', 'Invalid chain name'),
  BAD_CHAIN_PRIORITY: entry('NWF012', 'error', 'Invalid chain priority'),
  BAD_UUID: entry('NWF013', 'error', 'Malformed uuid'),
  PRIORITY_WITHOUT_CHAIN: entry(
    'NWF014',
    'warning',
    'Chain priority ignored without a chain attribute',
  ),
  CHAIN_PRIORITY_ZERO_LOST: entry('NWF015', 'warning', 'Chain priority 0 is not preserved'),
  NAME_NEEDS_ESCAPING: entry(
    'NWF016',
    'warning',
    'Name contains characters libvirt writes unescaped',
  ),
  DUPLICATE_UUID: entry('NWF017', 'warning', 'Extra <uuid> ignored'),

  UNKNOWN_ELEMENT: entry('NWF020', 'warning', 'Unknown element ignored'),
  UNKNOWN_ATTRIBUTE: entry('NWF021', 'warning', 'Unknown attribute ignored'),
  PROTOCOL_ELEMENTS_FOLDED: entry(
    'NWF022',
    'info',
    'Several protocol elements folded into one rule',
  ),
  OTHER_PROTOCOL_IGNORED: entry('NWF023', 'warning', 'Second protocol ignored'),
  ATTRIBUTE_NOT_ALLOWED: entry('NWF024', 'error', 'Attribute not allowed on this element'),
  UNKNOWN_PROTOCOL: entry('NWF025', 'error', 'Unknown protocol element'),

  RULE_NO_ACTION: entry('NWF030', 'error', 'Rule has no action'),
  RULE_BAD_ACTION: entry('NWF031', 'error', 'Unknown rule action'),
  RULE_NO_DIRECTION: entry('NWF032', 'error', 'Rule has no direction'),
  RULE_BAD_DIRECTION: entry('NWF033', 'error', 'Unknown rule direction'),
  RULE_PRIORITY_IGNORED: entry('NWF034', 'warning', 'Rule priority ignored'),
  STATEMATCH_VALUE: entry('NWF035', 'warning', 'Unrecognized statematch value'),
  RULE_PRIORITY_RANGE: entry('NWF036', 'error', 'Rule priority out of range'),

  BAD_VALUE: entry('NWF040', 'error', 'Invalid attribute value'),
  VALUE_OUT_OF_RANGE: entry('NWF041', 'error', 'Attribute value out of range'),
  BAD_ENUM_VALUE: entry('NWF042', 'error', 'Unknown name in attribute value'),
  BAD_VARIABLE: entry('NWF043', 'error', 'Malformed variable reference'),
  PORTS_NEED_PROTOCOL: entry('NWF044', 'error', 'Ports require protocol tcp, udp, dccp or sctp'),
  COMMENT_TRUNCATED: entry('NWF045', 'warning', 'Comment truncated'),
  IPSET_FIXUP: entry('NWF046', 'warning', 'ipset changed by libvirt'),
  BAD_MASK: entry('NWF047', 'error', 'Non-contiguous mask'),
  NEGATION_FIXUP: entry('NWF048', 'warning', "match='no' changed by libvirt"),
  MATCH_VALUE: entry('NWF049', 'warning', "match is neither 'yes' nor 'no'"),
  NOT_CANONICAL: entry('NWF050', 'info', 'Value will be written in canonical form'),
  COMMENT_CONTROL_CHARS: entry(
    'NWF051',
    'warning',
    'Comment contains characters that do not survive a rewrite',
  ),

  FILTERREF_NO_FILTER: entry('NWF060', 'error', 'filterref has no filter attribute'),
  PARAMETER_DROPPED: entry('NWF061', 'warning', 'Parameter ignored by libvirt'),
  PARAMETERS_REORDERED: entry('NWF062', 'info', 'Parameters are written sorted by name'),

  CHAIN_PROTOCOL_MISMATCH: entry('NWF070', 'warning', 'Rule protocol does not fit the chain'),
  ATTRIBUTE_WITHOUT_EFFECT: entry('NWF071', 'warning', 'Attribute has no effect alone'),
} as const;

export type DiagnosticCodeKey = keyof typeof DIAGNOSTIC_CODES;

const BY_CODE: ReadonlyMap<string, DiagnosticCodeInfo> = new Map(
  Object.values(DIAGNOSTIC_CODES).map((e) => [e.code, e]),
);

/** The registry entry of a code such as `NWF041`, or undefined. */
export function getDiagnosticCodeInfo(code: string): DiagnosticCodeInfo | undefined {
  return BY_CODE.get(code);
}
