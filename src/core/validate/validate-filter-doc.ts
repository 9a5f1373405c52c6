import { applyLibvirtFixups } from '../model/apply-libvirt-fixups';
import {
  getChainType,
  getDefaultChainPriority,
  getElementSpec,
  IP_PROTOCOL_NAMES,
  MAX_FILTER_PRIORITY,
  MAX_RULE_PRIORITY,
  MIN_FILTER_PRIORITY,
  MIN_RULE_PRIORITY,
  PORT_ATTRIBUTE_NAMES,
  PORT_PROTOCOL_NUMBERS,
  RULE_ACTIONS,
  RULE_DIRECTIONS,
  VALID_VAR_NAME_CHARS,
  VALID_VAR_VALUE_CHARS,
} from '../model/attributes';
import type { AttributeSpec, ChainType, ElementSpec } from '../model/attributes';
import { canonicalizeAttrValue } from '../model/canonicalize-attr-value';
import type { ValueErrorKind } from '../model/canonicalize-attr-value';
import { canonicalizeUuid } from '../model/libvirt-syntax';
import type { Diagnostic, FilterDoc, FilterParameter, Rule } from '../model/types';
import { DIAGNOSTIC_CODES } from './diagnostic-codes';
import type { DiagnosticCodeInfo } from './diagnostic-codes';

/** What a diagnostic is about, so a caller that knows the source can place it. */
export interface DocPath {
  /** Index into `doc.entries`, when the diagnostic is about an entry. */
  entry?: number;
  /** `protocol` for the protocol element, `parameter` for a filterref parameter, else a field of the filter. */
  part?:
    | 'name'
    | 'chain'
    | 'priority'
    | 'uuid'
    | 'action'
    | 'direction'
    | 'protocol'
    | 'filter'
    | 'parameter';
  /** Protocol attribute name, or the parameter index as a string. */
  attribute?: string;
}

/** Maps a {@link DocPath} to a source position; without one, diagnostics sit at line 1, column 1. */
export type DocLocator = (path: DocPath) => { line: number; column: number } | undefined;

/** Builds a diagnostic from a registry entry. */
export function makeDiagnostic(
  info: DiagnosticCodeInfo,
  message: string,
  line: number,
  column: number,
): Diagnostic {
  return { code: info.code, severity: info.severity, message, line, column };
}

const VALUE_ERROR_CODES: Readonly<Record<ValueErrorKind, DiagnosticCodeInfo>> = {
  syntax: DIAGNOSTIC_CODES.BAD_VALUE,
  range: DIAGNOSTIC_CODES.VALUE_OUT_OF_RANGE,
  enum: DIAGNOSTIC_CODES.BAD_ENUM_VALUE,
  mask: DIAGNOSTIC_CODES.BAD_MASK,
  variable: DIAGNOSTIC_CODES.BAD_VARIABLE,
};

/** The diagnostic code for a rejected attribute value. */
export function getValueErrorCode(kind: ValueErrorKind): DiagnosticCodeInfo {
  return VALUE_ERROR_CODES[kind];
}

/** Which frames an ebtables element sees; null when it is not frame-type specific. */
const ELEMENT_FRAME: Readonly<Partial<Record<string, ChainType>>> = {
  arp: 'arp',
  rarp: 'rarp',
  ip: 'ipv4',
  ipv6: 'ipv6',
  vlan: 'vlan',
  stp: 'stp',
};

/** Names libvirt writes back verbatim and reads back the same: no XML specials, no tab/newline/controls. */
function isEscapeFree(s: string): boolean {
  return !/[<>&'"]/.test(s) && !hasRewriteUnsafeChars(s);
}

function canonicalParams(params: readonly FilterParameter[]): FilterParameter[] {
  const names = [...new Set(params.map((p) => p.name))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return names.flatMap((n) => params.filter((p) => p.name === n));
}

function ipProtocolNumber(value: string): number | undefined {
  const named = IP_PROTOCOL_NAMES.find(([n]) => n === value)?.[1];
  if (named !== undefined) return named;
  if (/^0x[0-9a-f]+$/.test(value)) return parseInt(value.slice(2), 16);
  if (/^[0-9]+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * libvirt's semantic checks over a document, beyond what parsing checks, plus
 * notes on everything libvirt would silently change when it stores the
 * document, plus advice (NWF070 rule/chain fit, NWF071 attributes without
 * effect). A document whose only diagnostics are advice is written and read
 * back by libvirt unchanged (property-tested).
 */
export function validateFilterDoc(doc: FilterDoc, locate?: DocLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (path: DocPath) => locate?.(path) ?? { line: 1, column: 1 };
  const report = (info: DiagnosticCodeInfo, message: string, path: DocPath = {}) => {
    const { line, column } = at(path);
    out.push(makeDiagnostic(info, message, line, column));
  };

  if (doc.name === '')
    report(
      DIAGNOSTIC_CODES.FILTER_NO_NAME,
      'The filter has no name; give <filter> a name attribute.',
      { part: 'name' },
    );
  else if (!isEscapeFree(doc.name)) {
    report(
      DIAGNOSTIC_CODES.NAME_NEEDS_ESCAPING,
      `Filter name '${doc.name}' contains < > & ' " or control characters, which libvirt writes back unescaped (broken XML, or spaces after a reload); use letters, digits, '-' and '_'.`,
      { part: 'name' },
    );
  }

  const chainType = getChainType(doc.chain);
  if (chainType === null) {
    report(
      DIAGNOSTIC_CODES.BAD_CHAIN,
      `Invalid chain name '${doc.chain}': use 'root' or a name of at most 12 characters (letters, digits, _ . : -) starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6.`,
      { part: 'chain' },
    );
  }
  if (doc.chainPriority === null) {
    report(
      DIAGNOSTIC_CODES.NOT_CANONICAL,
      `No chain priority given; libvirt uses ${getDefaultChainPriority(doc.chain)} for chain '${doc.chain}'.`,
      { part: 'priority' },
    );
  } else if (
    !Number.isInteger(doc.chainPriority) ||
    doc.chainPriority < MIN_FILTER_PRIORITY ||
    doc.chainPriority > MAX_FILTER_PRIORITY
  ) {
    report(
      DIAGNOSTIC_CODES.BAD_CHAIN_PRIORITY,
      `Chain priority ${doc.chainPriority} is outside the valid range [${MIN_FILTER_PRIORITY},${MAX_FILTER_PRIORITY}].`,
      { part: 'priority' },
    );
  } else if (doc.chainPriority === 0 && getDefaultChainPriority(doc.chain) !== 0) {
    report(
      DIAGNOSTIC_CODES.CHAIN_PRIORITY_ZERO_LOST,
      `libvirt does not write a chain priority of 0, so after a reload chain '${doc.chain}' gets its default ${getDefaultChainPriority(doc.chain)}; use 1 or -1 to keep it near 0.`,
      { part: 'priority' },
    );
  }

  if (doc.uuid !== null) {
    const uuid = canonicalizeUuid(doc.uuid);
    if (uuid === null)
      report(
        DIAGNOSTIC_CODES.BAD_UUID,
        `Malformed uuid '${doc.uuid}': expected 32 hex digits such as 5c6d49af-b071-6127-b4ec-6f8ed4b55335.`,
        { part: 'uuid' },
      );
    else if (uuid !== doc.uuid)
      report(DIAGNOSTIC_CODES.NOT_CANONICAL, `libvirt writes the uuid as '${uuid}'.`, {
        part: 'uuid',
      });
  }

  doc.entries.forEach((entry, index) => {
    if (entry.kind === 'rule') validateRule(entry.rule, index, chainType, report);
    else {
      const ref = entry.ref;
      if (ref.filter === '')
        report(
          DIAGNOSTIC_CODES.FILTERREF_NO_FILTER,
          '<filterref> needs a filter attribute naming the filter to include.',
          { entry: index, part: 'filter' },
        );
      else if (!isEscapeFree(ref.filter)) {
        report(
          DIAGNOSTIC_CODES.NAME_NEEDS_ESCAPING,
          `Filter name '${ref.filter}' contains < > & ' " or control characters, which libvirt writes back unescaped.`,
          { entry: index, part: 'filter' },
        );
      }
      ref.params.forEach((p, i) => {
        const badName = [...p.name].some((c) => !VALID_VAR_NAME_CHARS.includes(c));
        const badValue =
          p.value === '' || [...p.value].some((c) => !VALID_VAR_VALUE_CHARS.includes(c));
        if (badName || badValue) {
          report(
            DIAGNOSTIC_CODES.PARAMETER_DROPPED,
            badName
              ? `Parameter name '${p.name}' is invalid (letters, digits and _ only); libvirt ignores this parameter.`
              : `Parameter value '${p.value}' is invalid (non-empty; letters, digits, _ . : only); libvirt ignores this parameter.`,
            { entry: index, part: 'parameter', attribute: String(i) },
          );
        }
      });
      const canon = canonicalParams(ref.params);
      if (canon.some((p, i) => p !== ref.params[i])) {
        report(
          DIAGNOSTIC_CODES.PARAMETERS_REORDERED,
          'libvirt groups the parameters by name and writes the names in sorted order.',
          { entry: index, part: 'filter' },
        );
      }
    }
  });
  return out;
}

type Report = (info: DiagnosticCodeInfo, message: string, path?: DocPath) => void;

function validateRule(
  rule: Rule,
  entry: number,
  chainType: ChainType | null,
  report: Report,
): void {
  if (!(RULE_ACTIONS as readonly string[]).includes(rule.action)) {
    report(
      DIAGNOSTIC_CODES.RULE_BAD_ACTION,
      `Unknown rule action '${rule.action}'; use one of ${RULE_ACTIONS.join(', ')}.`,
      { entry, part: 'action' },
    );
  }
  if (!(RULE_DIRECTIONS as readonly string[]).includes(rule.direction)) {
    report(
      DIAGNOSTIC_CODES.RULE_BAD_DIRECTION,
      `Unknown rule direction '${rule.direction}'; use one of ${RULE_DIRECTIONS.join(', ')}.`,
      { entry, part: 'direction' },
    );
  }
  if (
    !Number.isInteger(rule.priority) ||
    rule.priority < MIN_RULE_PRIORITY ||
    rule.priority > MAX_RULE_PRIORITY
  ) {
    report(
      DIAGNOSTIC_CODES.RULE_PRIORITY_RANGE,
      `Rule priority ${rule.priority} is outside ${MIN_RULE_PRIORITY}..${MAX_RULE_PRIORITY}; libvirt would use 500 instead.`,
      { entry },
    );
  }
  if (rule.protocol === null) {
    for (const name of Object.keys(rule.attrs)) {
      report(
        DIAGNOSTIC_CODES.ATTRIBUTE_NOT_ALLOWED,
        `Attribute ${name} needs a protocol element; this rule has none.`,
        { entry, attribute: name },
      );
    }
    return;
  }
  const spec = getElementSpec(rule.protocol);
  if (!spec) {
    report(DIAGNOSTIC_CODES.UNKNOWN_PROTOCOL, `Unknown protocol element <${rule.protocol}>.`, {
      entry,
      part: 'protocol',
    });
    return;
  }
  validateAttributes(rule, spec, entry, report);
  const fixed = applyLibvirtFixups(spec, rule.attrs);
  for (const note of fixed.notes) {
    const info =
      note.attribute === 'ipset' || note.attribute === 'ipsetflags'
        ? DIAGNOSTIC_CODES.IPSET_FIXUP
        : DIAGNOSTIC_CODES.NEGATION_FIXUP;
    report(info, `${note.message}.`, { entry, attribute: note.attribute });
  }
  if (spec.portsNeedProtocol && PORT_ATTRIBUTE_NAMES.some((p) => rule.attrs[p])) {
    const proto = rule.attrs.protocol;
    const num = proto && !proto.value.startsWith('$') ? ipProtocolNumber(proto.value) : undefined;
    if (num === undefined || !PORT_PROTOCOL_NUMBERS.includes(num)) {
      const port = PORT_ATTRIBUTE_NAMES.find((p) => rule.attrs[p]) ?? 'srcportstart';
      report(
        DIAGNOSTIC_CODES.PORTS_NEED_PROTOCOL,
        `<${spec.name}> rule with port specification requires protocol tcp (6), udp (17), dccp (33) or sctp (132)${proto ? `, not '${proto.value}'` : ''}.`,
        { entry, attribute: port },
      );
    }
  }
  const frame = ELEMENT_FRAME[spec.name];
  if (
    chainType !== null &&
    chainType !== 'root' &&
    chainType !== 'mac' &&
    spec.layer === 'ethernet' &&
    frame !== undefined &&
    frame !== chainType
  ) {
    report(
      DIAGNOSTIC_CODES.CHAIN_PROTOCOL_MISMATCH,
      `A '${chainType}' chain only sees ${chainType} frames, so this <${spec.name}> rule never matches; move it to a '${frame}' or 'root' chain.`,
      { entry, part: 'protocol' },
    );
  }
}

/** Characters libvirt writes raw (tab, newline, CR) or drops (other controls) in a comment. */
function hasRewriteUnsafeChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

const ATTRIBUTES_BY_NAME = new WeakMap<ElementSpec, ReadonlyMap<string, AttributeSpec>>();

/** The element's attribute specs by name, built once per element. */
function attributesByName(spec: ElementSpec): ReadonlyMap<string, AttributeSpec> {
  let map = ATTRIBUTES_BY_NAME.get(spec);
  if (!map) {
    map = new Map(spec.attributes.map((a) => [a.name, a] as const));
    ATTRIBUTES_BY_NAME.set(spec, map);
  }
  return map;
}

function validateAttributes(rule: Rule, spec: ElementSpec, entry: number, report: Report): void {
  const byName = attributesByName(spec);
  for (const [name, attr] of Object.entries(rule.attrs)) {
    const a = byName.get(name);
    if (!a) {
      report(
        DIAGNOSTIC_CODES.ATTRIBUTE_NOT_ALLOWED,
        `<${spec.name}> has no attribute ${name}; allowed: ${spec.attributes.map((x) => x.name).join(', ')}.`,
        { entry, attribute: name },
      );
      continue;
    }
    const c = canonicalizeAttrValue(a, attr.value);
    if (!c.ok) {
      report(getValueErrorCode(c.kind), `Invalid ${name} on <${spec.name}>: ${c.message}.`, {
        entry,
        attribute: name,
      });
      continue;
    }
    if (c.note)
      report(DIAGNOSTIC_CODES.COMMENT_TRUNCATED, `${c.note}.`, { entry, attribute: name });
    else if (c.value !== attr.value) {
      report(
        DIAGNOSTIC_CODES.NOT_CANONICAL,
        `libvirt writes ${name}='${attr.value}' as '${c.value}'.`,
        { entry, attribute: name },
      );
    }
    if (a.usedWith && !rule.attrs[a.usedWith]) {
      report(
        DIAGNOSTIC_CODES.ATTRIBUTE_WITHOUT_EFFECT,
        `${name} has no effect without ${a.usedWith}; libvirt only uses it together with ${a.usedWith}.`,
        { entry, attribute: name },
      );
    }
    if (a.valueType === 'comment' && hasRewriteUnsafeChars(attr.value)) {
      report(
        DIAGNOSTIC_CODES.COMMENT_CONTROL_CHARS,
        `The ${name} contains tabs, line breaks or control characters; libvirt writes them raw or drops them, so they read back as spaces or vanish.`,
        { entry, attribute: name },
      );
    }
  }
}
