import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../model/limits';
import { applyLibvirtFixups } from '../model/apply-libvirt-fixups';
import {
  DEFAULT_RULE_PRIORITY,
  FILTER_ATTRIBUTES,
  FILTERREF_ATTRIBUTES,
  getChainType,
  getDefaultChainPriority,
  getElementSpec,
  MAX_FILTER_PRIORITY,
  MAX_RULE_PRIORITY,
  MIN_FILTER_PRIORITY,
  MIN_RULE_PRIORITY,
  PARAMETER_ATTRIBUTES,
  RULE_ACTIONS,
  RULE_ATTRIBUTES,
  RULE_DIRECTIONS,
  VALID_VAR_NAME_CHARS,
  VALID_VAR_VALUE_CHARS,
} from '../model/attributes';
import type { ElementSpec } from '../model/attributes';
import { canonicalizeAttrValue } from '../model/canonicalize-attr-value';
import { canonicalizeUuid, parseCInt } from '../model/libvirt-syntax';
import type {
  AttrValue,
  Diagnostic,
  DroppedAttribute,
  FilterDoc,
  FilterEntry,
  FilterParameter,
  ParseResult,
  ProtocolName,
  Rule,
  RuleAction,
  RuleDirection,
} from '../model/types';
import { DIAGNOSTIC_CODES } from '../validate/diagnostic-codes';
import type { DiagnosticCodeInfo } from '../validate/diagnostic-codes';
import {
  getValueErrorCode,
  makeDiagnostic,
  validateFilterDoc,
} from '../validate/validate-filter-doc';
import type { DocPath } from '../validate/validate-filter-doc';
import {
  createLineIndex,
  decodeXmlText,
  findExcessiveNesting,
  findExtraWellFormednessError,
  findForbiddenCharacter,
  findForbiddenDeclaration,
  findPrematureEnd,
  findStartTagEnd,
  findTrailingContent,
  scanStartTag,
} from './scan-xml-source';
import type { LineIndex } from './scan-xml-source';

/**
 * Inputs longer than this (in UTF-16 code units: 10 Mi, as many as the bytes of the largest file
 * virsh reads) are refused; `parseFilterXml`'s second argument raises it.
 */
export const MAX_INPUT_LENGTH = DEFAULT_LIMITS.inputBytes;

/** Deeper element nesting is refused (a filter document needs 3 levels). */
export const MAX_NESTING_DEPTH = 64;

type XmlNode = Record<string, unknown>;

const META = XMLParser.getMetaDataSymbol();

const FILTER_ATTR_NAMES = FILTER_ATTRIBUTES.map((a) => a.name);
const RULE_ATTR_NAMES = RULE_ATTRIBUTES.map((a) => a.name);
const FILTERREF_ATTR_NAMES = FILTERREF_ATTRIBUTES.map((a) => a.name);
const PARAMETER_ATTR_NAMES = PARAMETER_ATTRIBUTES.map((a) => a.name);
const ELEMENT_ATTR_NAMES = new Map<ElementSpec, readonly string[]>();

/** `match` plus the element's attributes, computed once per element. */
function elementAttributeNames(spec: ElementSpec): readonly string[] {
  let names = ELEMENT_ATTR_NAMES.get(spec);
  if (!names) {
    names = ['match', ...spec.attributes.map((a) => a.name)];
    ELEMENT_ATTR_NAMES.set(spec, names);
  }
  return names;
}

const READER = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  captureMetaData: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
});

function nodeName(n: XmlNode): string {
  // for-in rather than Object.keys: no array per call, same own-string-key order on these plain nodes.
  for (const k in n) if (k !== ':@') return k;
  return '';
}

function nodeChildren(n: XmlNode): XmlNode[] {
  const v = n[nodeName(n)];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function isElement(n: XmlNode): boolean {
  const name = nodeName(n);
  return (
    name !== '' &&
    name !== '#text' &&
    name !== '#comment' &&
    name !== '#cdata' &&
    !name.startsWith('?')
  );
}

function nodeStart(n: XmlNode): number {
  const meta = (n as Record<PropertyKey, unknown>)[META as unknown as PropertyKey] as
    { startIndex?: number } | undefined;
  return meta?.startIndex ?? 0;
}

interface Attr {
  value: string;
  nameOffset: number;
  valueOffset: number;
}

interface EntryPositions {
  tag: number;
  protocol?: number;
  attrs: Map<string, number>;
  action?: number;
  direction?: number;
  filter?: number;
  params: number[];
}

class Reader {
  readonly diagnostics: Diagnostic[] = [];
  readonly dropped: DroppedAttribute[] = [];
  readonly positions = {
    filter: 0,
    name: 0,
    chain: 0,
    priority: 0,
    uuid: 0,
    entries: [] as EntryPositions[],
  };
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}

  locate(offset: number): { line: number; column: number } {
    return this.lines.locate(offset);
  }

  report(info: DiagnosticCodeInfo, message: string, offset: number): void {
    const { line, column } = this.locate(offset);
    this.diagnostics.push(makeDiagnostic(info, message, line, column));
  }

  get hasError(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  /** Decoded attributes of an element, warning about those not in `known`. */
  attributes(node: XmlNode, element: string, known: readonly string[] | null): Map<string, Attr> {
    const out = new Map<string, Attr>();
    for (const raw of scanStartTag(this.text, nodeStart(node))) {
      const decoded = decodeXmlText(raw.raw, true);
      if (!decoded.ok) {
        const info = decoded.unknownEntity
          ? DIAGNOSTIC_CODES.UNKNOWN_ENTITY
          : DIAGNOSTIC_CODES.MALFORMED_XML;
        this.report(
          info,
          `In attribute ${raw.name} of <${element}>: ${decoded.message}.`,
          raw.valueOffset + decoded.offset,
        );
        continue;
      }
      if (known && !known.includes(raw.name)) {
        this.report(
          DIAGNOSTIC_CODES.UNKNOWN_ATTRIBUTE,
          `Unknown attribute ${raw.name} on <${element}> is ignored by libvirt; allowed: ${known.join(', ')}.`,
          raw.nameOffset,
        );
      }
      out.set(raw.name, {
        value: decoded.value,
        nameOffset: raw.nameOffset,
        valueOffset: raw.valueOffset,
      });
    }
    return out;
  }

  textContent(node: XmlNode, depth = 0): string {
    let s = '';
    for (const c of nodeChildren(node)) {
      const name = nodeName(c);
      if (name === '#text') {
        const raw = String(c['#text'] ?? '');
        const decoded = decodeXmlText(raw, false);
        if (!decoded.ok) {
          const info = decoded.unknownEntity
            ? DIAGNOSTIC_CODES.UNKNOWN_ENTITY
            : DIAGNOSTIC_CODES.MALFORMED_XML;
          this.report(
            info,
            `In the text of <${nodeName(node)}>: ${decoded.message}.`,
            nodeStart(node),
          );
          continue;
        }
        s += decoded.value;
      } else if (name === '#cdata') {
        for (const t of nodeChildren(c)) s += String(t['#text'] ?? '');
      } else if (isElement(c) && depth < 16) s += this.textContent(c, depth + 1);
    }
    return s;
  }

  unknownElement(node: XmlNode, parent: string, allowed: string): void {
    this.report(
      DIAGNOSTIC_CODES.UNKNOWN_ELEMENT,
      `Unknown element <${nodeName(node)}> inside <${parent}> is ignored by libvirt; expected ${allowed}.`,
      nodeStart(node),
    );
  }

  readFilter(node: XmlNode): FilterDoc {
    const start = nodeStart(node);
    this.positions.filter = start;
    const attrs = this.attributes(node, 'filter', FILTER_ATTR_NAMES);
    const nameAttr = attrs.get('name');
    this.positions.name = nameAttr?.valueOffset ?? start;
    const name = nameAttr?.value ?? '';
    if (name === '')
      this.report(
        DIAGNOSTIC_CODES.FILTER_NO_NAME,
        'The filter has no name; add a name attribute to <filter>.',
        start,
      );

    const prioAttr = attrs.get('priority');
    let priority: number | null = null;
    if (prioAttr && prioAttr.value !== '') {
      this.positions.priority = prioAttr.valueOffset;
      priority = parseCInt(prioAttr.value);
      if (priority === null) {
        this.report(
          DIAGNOSTIC_CODES.BAD_CHAIN_PRIORITY,
          `Could not parse chain priority '${prioAttr.value}'; use an integer in [${MIN_FILTER_PRIORITY},${MAX_FILTER_PRIORITY}].`,
          prioAttr.valueOffset,
        );
      } else if (priority < MIN_FILTER_PRIORITY || priority > MAX_FILTER_PRIORITY) {
        this.report(
          DIAGNOSTIC_CODES.BAD_CHAIN_PRIORITY,
          `Chain priority ${priority} is outside the valid range [${MIN_FILTER_PRIORITY},${MAX_FILTER_PRIORITY}].`,
          prioAttr.valueOffset,
        );
        priority = null;
      }
    }

    const chainAttr = attrs.get('chain');
    let chain = 'root';
    let chainPriority = 0;
    if (chainAttr && chainAttr.value !== '') {
      this.positions.chain = chainAttr.valueOffset;
      chain = chainAttr.value;
      if (getChainType(chain) === null) {
        this.report(
          DIAGNOSTIC_CODES.BAD_CHAIN,
          `Invalid chain name '${chain}': use 'root' or a name of at most 12 characters (letters, digits, _ . : -) starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6.`,
          chainAttr.valueOffset,
        );
      }
      chainPriority = priority ?? getDefaultChainPriority(chain);
    } else if (priority !== null && prioAttr) {
      this.report(
        DIAGNOSTIC_CODES.PRIORITY_WITHOUT_CHAIN,
        `libvirt ignores priority='${prioAttr.value}' on a filter without a chain attribute (the root chain keeps priority 0).`,
        prioAttr.valueOffset,
      );
    }

    let uuid: string | null = null;
    let uuidSeen = false;
    const entries: FilterEntry[] = [];
    for (const child of nodeChildren(node)) {
      if (!isElement(child)) continue;
      const cname = nodeName(child);
      if (cname === 'uuid') {
        if (uuidSeen) {
          this.report(
            DIAGNOSTIC_CODES.DUPLICATE_UUID,
            'Only the first <uuid> counts; libvirt ignores this one.',
            nodeStart(child),
          );
          continue;
        }
        uuidSeen = true;
        this.positions.uuid = nodeStart(child);
        const text = this.textContent(child);
        if (text !== '') {
          uuid = canonicalizeUuid(text);
          if (uuid === null)
            this.report(
              DIAGNOSTIC_CODES.BAD_UUID,
              `Malformed uuid '${text}': expected 32 hex digits such as 5c6d49af-b071-6127-b4ec-6f8ed4b55335.`,
              nodeStart(child),
            );
        }
      } else if (cname === 'rule') {
        const rule = this.readRule(child);
        if (rule) entries.push({ kind: 'rule', rule });
      } else if (cname === 'filterref') {
        const ref = this.readFilterRef(child);
        if (ref) entries.push(ref);
      } else this.unknownElement(child, 'filter', '<uuid>, <rule> or <filterref>');
    }
    return { name, chain, chainPriority, uuid, entries };
  }

  readRule(node: XmlNode): Rule | null {
    const start = nodeStart(node);
    const pos: EntryPositions = { tag: start, attrs: new Map(), params: [] };
    const attrs = this.attributes(node, 'rule', RULE_ATTR_NAMES);
    let ok = true;

    const action = attrs.get('action');
    if (!action) {
      this.report(
        DIAGNOSTIC_CODES.RULE_NO_ACTION,
        `<rule> needs an action attribute: ${RULE_ACTIONS.join(', ')}.`,
        start,
      );
      ok = false;
    } else if (!(RULE_ACTIONS as readonly string[]).includes(action.value)) {
      this.report(
        DIAGNOSTIC_CODES.RULE_BAD_ACTION,
        `Unknown rule action '${action.value}'; use one of ${RULE_ACTIONS.join(', ')}.`,
        action.valueOffset,
      );
      ok = false;
    }
    pos.action = action?.valueOffset;

    const direction = attrs.get('direction');
    if (!direction) {
      this.report(
        DIAGNOSTIC_CODES.RULE_NO_DIRECTION,
        `<rule> needs a direction attribute: ${RULE_DIRECTIONS.join(', ')}.`,
        start,
      );
      ok = false;
    } else if (!(RULE_DIRECTIONS as readonly string[]).includes(direction.value)) {
      this.report(
        DIAGNOSTIC_CODES.RULE_BAD_DIRECTION,
        `Unknown rule direction '${direction.value}'; use one of ${RULE_DIRECTIONS.join(', ')}.`,
        direction.valueOffset,
      );
      ok = false;
    }
    pos.direction = direction?.valueOffset;

    let priority = DEFAULT_RULE_PRIORITY;
    const prio = attrs.get('priority');
    if (prio) {
      const p = parseCInt(prio.value);
      if (p !== null && p >= MIN_RULE_PRIORITY && p <= MAX_RULE_PRIORITY) priority = p;
      else {
        this.report(
          DIAGNOSTIC_CODES.RULE_PRIORITY_IGNORED,
          `Rule priority '${prio.value}' is not an integer in ${MIN_RULE_PRIORITY}..${MAX_RULE_PRIORITY}; libvirt silently uses ${DEFAULT_RULE_PRIORITY}.`,
          prio.valueOffset,
        );
      }
    }

    let statematch = true;
    const sm = attrs.get('statematch');
    if (sm) {
      const v = sm.value.toLowerCase();
      if (sm.value === '0' || v === 'false') statematch = false;
      else if (!['1', 'true', 'yes'].includes(v)) {
        this.report(
          DIAGNOSTIC_CODES.STATEMATCH_VALUE,
          `statematch='${sm.value}' is treated as true; only 'false' or '0' turn state matching off.`,
          sm.valueOffset,
        );
      }
    }

    let spec: ElementSpec | undefined;
    let values: Record<string, AttrValue> = {};
    let folded = false;
    for (const child of nodeChildren(node)) {
      if (!isElement(child)) continue;
      const cname = nodeName(child);
      const childSpec = getElementSpec(cname);
      if (!childSpec) {
        this.unknownElement(child, 'rule', 'one protocol element such as <tcp>, <ip> or <mac>');
        continue;
      }
      if (spec && childSpec !== spec) {
        this.report(
          DIAGNOSTIC_CODES.OTHER_PROTOCOL_IGNORED,
          `libvirt ignores <${cname}> because this rule already matches <${spec.name}>; use one rule per protocol.`,
          nodeStart(child),
        );
        continue;
      }
      if (spec) folded = true;
      spec = childSpec;
      pos.protocol ??= nodeStart(child);
      if (!this.readProtocolElement(child, childSpec, values, pos)) ok = false;
    }
    if (spec) {
      if (folded) {
        this.report(
          DIAGNOSTIC_CODES.PROTOCOL_ELEMENTS_FOLDED,
          `The <${spec.name}> elements of this rule are merged into one match, later attributes overriding earlier ones.`,
          pos.protocol ?? start,
        );
      }
      const fixed = applyLibvirtFixups(spec, values);
      for (const note of fixed.notes) {
        const ipset = note.attribute === 'ipset' || note.attribute === 'ipsetflags';
        const gone = values[note.attribute];
        if (ipset && gone && !fixed.attrs[note.attribute])
          this.dropped.push({
            entryIndex: this.positions.entries.length,
            element: spec.name,
            attribute: note.attribute,
            value: gone.value,
            reason: 'ipset-fixup',
          });
        const info = ipset ? DIAGNOSTIC_CODES.IPSET_FIXUP : DIAGNOSTIC_CODES.NEGATION_FIXUP;
        this.report(
          info,
          `${note.message}.`,
          pos.attrs.get(note.attribute) ?? pos.protocol ?? start,
        );
      }
      values = fixed.attrs;
    }
    if (!ok) return null;
    this.positions.entries.push(pos);
    return {
      action: action?.value as RuleAction,
      direction: direction?.value as RuleDirection,
      priority,
      statematch,
      protocol: (spec?.name ?? null) as ProtocolName | null,
      attrs: values,
    };
  }

  readProtocolElement(
    node: XmlNode,
    spec: ElementSpec,
    values: Record<string, AttrValue>,
    pos: EntryPositions,
  ): boolean {
    const known = elementAttributeNames(spec);
    const attrs = this.attributes(node, spec.name, known);
    for (const [name, a] of attrs) {
      if (!known.includes(name))
        this.dropped.push({
          entryIndex: this.positions.entries.length,
          element: spec.name,
          attribute: name,
          value: a.value,
          reason: 'unknown',
        });
    }
    let ok = true;
    const match = attrs.get('match');
    if (match && match.value !== 'no' && match.value !== 'yes') {
      this.report(
        DIAGNOSTIC_CODES.MATCH_VALUE,
        `match='${match.value}' is treated as 'yes'; only 'no' negates.`,
        match.valueOffset,
      );
    }
    const negated = match?.value === 'no';
    for (const a of spec.attributes) {
      const attr = attrs.get(a.name);
      if (!attr) continue;
      const c = canonicalizeAttrValue(a, attr.value);
      if (!c.ok) {
        this.report(
          getValueErrorCode(c.kind),
          `Invalid ${a.name} on <${spec.name}>: ${c.message}.`,
          attr.valueOffset,
        );
        ok = false;
        continue;
      }
      if (c.note) this.report(DIAGNOSTIC_CODES.COMMENT_TRUNCATED, `${c.note}.`, attr.valueOffset);
      values[a.name] = { value: c.value, negated };
      pos.attrs.set(a.name, attr.valueOffset);
    }
    for (const child of nodeChildren(node)) {
      if (isElement(child)) this.unknownElement(child, spec.name, 'no child elements');
    }
    return ok;
  }

  readFilterRef(node: XmlNode): FilterEntry | null {
    const start = nodeStart(node);
    const pos: EntryPositions = { tag: start, attrs: new Map(), params: [] };
    const attrs = this.attributes(node, 'filterref', FILTERREF_ATTR_NAMES);
    const filter = attrs.get('filter');
    if (!filter) {
      this.report(
        DIAGNOSTIC_CODES.FILTERREF_NO_FILTER,
        '<filterref> needs a filter attribute naming the filter to include.',
        start,
      );
      return null;
    }
    pos.filter = filter.valueOffset;
    const byName = new Map<string, { values: string[]; offsets: number[] }>();
    for (const child of nodeChildren(node)) {
      if (!isElement(child)) continue;
      if (nodeName(child) !== 'parameter') {
        this.unknownElement(child, 'filterref', '<parameter>');
        continue;
      }
      const p = this.attributes(child, 'parameter', PARAMETER_ATTR_NAMES);
      const name = p.get('name');
      const value = p.get('value');
      const badName = !name || [...name.value].some((c) => !VALID_VAR_NAME_CHARS.includes(c));
      const badValue =
        !value ||
        value.value === '' ||
        [...value.value].some((c) => !VALID_VAR_VALUE_CHARS.includes(c));
      if (!name || !value || badName || badValue) {
        const why = !name
          ? 'it has no name'
          : !value
            ? 'it has no value'
            : badName
              ? `name '${name.value}' is not letters, digits and _`
              : `value '${value.value}' is empty or not letters, digits and _ . :`;
        this.report(
          DIAGNOSTIC_CODES.PARAMETER_DROPPED,
          `libvirt ignores this parameter: ${why}.`,
          nodeStart(child),
        );
        continue;
      }
      const slot = byName.get(name.value) ?? { values: [], offsets: [] };
      slot.values.push(value.value);
      slot.offsets.push(nodeStart(child));
      byName.set(name.value, slot);
    }
    const params: FilterParameter[] = [];
    const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      const slot = byName.get(n);
      if (!slot) continue;
      slot.values.forEach((v, i) => {
        params.push({ name: n, value: v });
        pos.params.push(slot.offsets[i] ?? start);
      });
    }
    this.positions.entries.push(pos);
    return { kind: 'filterref', ref: { filter: filter.value, params } };
  }

  locatePath(path: DocPath): { line: number; column: number } | undefined {
    const p = this.positions;
    if (path.entry === undefined) {
      switch (path.part) {
        case 'name':
          return this.locate(p.name);
        case 'chain':
          return this.locate(p.chain || p.filter);
        case 'priority':
          return this.locate(p.priority || p.filter);
        case 'uuid':
          return this.locate(p.uuid || p.filter);
        default:
          return this.locate(p.filter);
      }
    }
    const e = p.entries[path.entry];
    if (!e) return undefined;
    if (path.part === 'parameter') return this.locate(e.params[Number(path.attribute)] ?? e.tag);
    if (path.attribute !== undefined)
      return this.locate(e.attrs.get(path.attribute) ?? e.protocol ?? e.tag);
    if (path.part === 'protocol') return this.locate(e.protocol ?? e.tag);
    if (path.part === 'action') return this.locate(e.action ?? e.tag);
    if (path.part === 'direction') return this.locate(e.direction ?? e.tag);
    if (path.part === 'filter') return this.locate(e.filter ?? e.tag);
    return this.locate(e.tag);
  }
}

function refuse(info: DiagnosticCodeInfo, message: string, line = 1, column = 1): ParseResult {
  return { doc: null, diagnostics: [makeDiagnostic(info, message, line, column)] };
}

function parseUnchecked(input: string, maxLength: number): ParseResult {
  if (typeof input !== 'string') return refuse(DIAGNOSTIC_CODES.INTERNAL, 'The input is not text.');
  if (input.length > maxLength) {
    return refuse(
      DIAGNOSTIC_CODES.INPUT_TOO_LARGE,
      `The input has ${input.length} characters, more than the limit '${LIMIT_NAMES.inputBytes}' of ${maxLength}.`,
    );
  }
  // Positions are in the text after a byte-order mark, as editors (Monaco included) count columns.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  // Same test as text.trim() === '' without copying the document.
  if (!/\S/.test(text))
    return refuse(
      DIAGNOSTIC_CODES.EMPTY_INPUT,
      'The input is empty; expected a <filter> document.',
    );
  const lines = createLineIndex(text);

  const forbidden = findForbiddenDeclaration(text);
  if (forbidden) {
    const { line, column } = lines.locate(forbidden.offset);
    return forbidden.kind === 'doctype'
      ? refuse(
          DIAGNOSTIC_CODES.DTD_REFUSED,
          'DOCTYPE declarations are not accepted (no DTDs, no entity expansion); remove it.',
          line,
          column,
        )
      : refuse(
          DIAGNOSTIC_CODES.ENTITY_REFUSED,
          'Entity declarations are not accepted (no entity expansion); remove it.',
          line,
          column,
        );
  }

  const forbiddenChar = findForbiddenCharacter(text);
  if (forbiddenChar) {
    const { line, column } = lines.locate(forbiddenChar.offset);
    const hex = forbiddenChar.codePoint.toString(16).toUpperCase().padStart(4, '0');
    return refuse(
      DIAGNOSTIC_CODES.MALFORMED_XML,
      `Malformed XML: character U+${hex} is not allowed in an XML document (libxml2 refuses it); remove it or write the text without control characters.`,
      line,
      column,
    );
  }

  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    // An input that stops early is described by what is left open, at the end of the input, as
    // libxml2 does (the validator's own text for it can quote the whole tag stack).
    const early = /^Unclosed|open quote|^Invalid '\[/.test(valid.err.msg)
      ? findPrematureEnd(text)
      : null;
    if (early) {
      const opened = lines.locate(early.openedAt);
      const end = lines.locate(text.length);
      return refuse(
        DIAGNOSTIC_CODES.MALFORMED_XML,
        `Malformed XML: premature end of the document: ${early.message} (opened at ${opened.line}:${opened.column}).`,
        end.line,
        end.column,
      );
    }
    const err = valid.err;
    const msg = err.msg.length > 200 ? `${err.msg.slice(0, 200)}…` : err.msg;
    return refuse(
      DIAGNOSTIC_CODES.MALFORMED_XML,
      `Malformed XML: ${msg}`,
      err.line || 1,
      err.col || 1,
    );
  }

  const extra = findExtraWellFormednessError(text);
  if (extra) {
    const { line, column } = lines.locate(extra.offset);
    return refuse(
      extra.unknownEntity ? DIAGNOSTIC_CODES.UNKNOWN_ENTITY : DIAGNOSTIC_CODES.MALFORMED_XML,
      `Malformed XML: ${extra.message}.`,
      line,
      column,
    );
  }

  const deep = findExcessiveNesting(text, MAX_NESTING_DEPTH);
  if (deep !== -1) {
    const { line, column } = lines.locate(deep);
    return refuse(
      DIAGNOSTIC_CODES.MALFORMED_XML,
      `Elements are nested more than ${MAX_NESTING_DEPTH} levels deep; an nwfilter document needs 3 (filter, rule, protocol).`,
      line,
      column,
    );
  }

  const tree = READER.parse(text) as XmlNode[];
  const reader = new Reader(text, lines);
  const roots = tree.filter(isElement);
  const strayText = tree.find((n) => nodeName(n) === '#text' && String(n['#text']).trim() !== '');
  if (roots.length !== 1 || strayText) {
    const offending = roots.length > 1 ? roots[1] : strayText;
    const { line, column } = offending
      ? reader.locate(nodeStart(offending))
      : { line: 1, column: 1 };
    return refuse(
      DIAGNOSTIC_CODES.MALFORMED_XML,
      roots.length === 0
        ? 'Malformed XML: no root element.'
        : 'Malformed XML: content after the root element; a document has exactly one root element.',
      line,
      column,
    );
  }
  const root = roots[0];
  if (!root) return refuse(DIAGNOSTIC_CODES.MALFORMED_XML, 'Malformed XML: no root element.');
  // The XML reader drops anything after a self-closing root element; libxml2 does not.
  const rootTag = findStartTagEnd(text, nodeStart(root));
  const trailing = rootTag.selfClosing ? findTrailingContent(text, rootTag.end) : -1;
  if (trailing !== -1) {
    const { line, column } = reader.locate(trailing);
    return refuse(
      DIAGNOSTIC_CODES.MALFORMED_XML,
      'Malformed XML: content after the root element; a document has exactly one root element.',
      line,
      column,
    );
  }
  if (nodeName(root) !== 'filter') {
    const { line, column } = reader.locate(nodeStart(root));
    return refuse(
      DIAGNOSTIC_CODES.WRONG_ROOT,
      `Unknown root element <${nodeName(root)}>; an nwfilter document starts with <filter>.`,
      line,
      column,
    );
  }
  const doc = reader.readFilter(root);
  if (reader.hasError) return { doc: null, diagnostics: reader.diagnostics };
  const seen = new Set(
    reader.diagnostics.map((d) => `${d.code}|${d.line}|${d.column}|${d.message}`),
  );
  for (const d of validateFilterDoc(doc, (path) => reader.locatePath(path))) {
    const key = `${d.code}|${d.line}|${d.column}|${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      reader.diagnostics.push(d);
    }
  }
  const hasError = reader.diagnostics.some((d) => d.severity === 'error');
  return {
    doc: hasError ? null : doc,
    diagnostics: reader.diagnostics,
    ...(reader.dropped.length > 0 ? { dropped: reader.dropped } : {}),
  };
}

/**
 * Reads an nwfilter XML document as libvirt does (same defaults, canonical
 * values, quirks) and returns the document with diagnostics. Never throws:
 * malformed input, DTDs and entity declarations, oversize input and any
 * internal failure become diagnostics; `doc` is null whenever there is an
 * error.
 */
export function parseFilterXml(text: string, maxLength = MAX_INPUT_LENGTH): ParseResult {
  try {
    return parseUnchecked(text, maxLength);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return refuse(DIAGNOSTIC_CODES.INTERNAL, `The document could not be read: ${reason}.`);
  }
}
