import {
  ELEMENT_TABLE,
  FILTER_ATTRIBUTES,
  FILTERREF_ATTRIBUTES,
  getElementSpec,
  PARAMETER_ATTRIBUTES,
  RULE_ATTRIBUTES,
} from '../../core/model';

/** A completion or hover entry, independent of Monaco. */
export interface AssistItem {
  label: string;
  kind: 'element' | 'attribute' | 'value';
  detail: string;
  doc: string;
  /** Text to insert (snippet syntax allowed when `snippet`). */
  insert: string;
  snippet: boolean;
}

/** Where the cursor is, as far as completion cares. */
export type XmlContext =
  | { kind: 'element-name'; parent: string | null; prefix: string }
  | { kind: 'attribute-name'; element: string; present: string[]; prefix: string }
  | { kind: 'attribute-value'; element: string; attribute: string; prefix: string }
  | { kind: 'text' };

const STRUCT_ATTRS: Record<string, typeof RULE_ATTRIBUTES> = {
  filter: FILTER_ATTRIBUTES,
  rule: RULE_ATTRIBUTES,
  filterref: FILTERREF_ATTRIBUTES,
  parameter: PARAMETER_ATTRIBUTES,
};

const CHILDREN: Record<string, { name: string; doc: string }[]> = {
  filter: [
    { name: 'rule', doc: 'A rule: action, direction, priority and one protocol element.' },
    { name: 'filterref', doc: 'Include another filter (with parameters).' },
    { name: 'uuid', doc: 'The filter UUID (libvirt generates one when absent).' },
  ],
  filterref: [{ name: 'parameter', doc: 'A variable passed to the referenced filter.' }],
};

/** The innermost element still open at the end of `text` (a light scan, good enough for typing). */
function openElement(text: string): string | null {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)[^<>]*?(\/?)>/g;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(text))) {
    const [, close, name, selfClose] = m;
    if (!name) continue;
    if (close) {
      const at = stack.lastIndexOf(name);
      if (at >= 0) stack.length = at;
    } else if (!selfClose) stack.push(name);
  }
  return stack[stack.length - 1] ?? null;
}

/** Classifies the cursor position from the text before it. */
export function findXmlContext(before: string): XmlContext {
  // Inside a comment nothing is markup.
  if (before.lastIndexOf('<!--') > before.lastIndexOf('-->')) return { kind: 'text' };
  const lt = before.lastIndexOf('<');
  const gt = before.lastIndexOf('>');
  if (lt <= gt) return { kind: 'text' };
  const inTag = before.slice(lt + 1);
  if (inTag.startsWith('!') || inTag.startsWith('?') || inTag.startsWith('/'))
    return { kind: 'text' };
  const nameMatch = /^([\w-]*)$/.exec(inTag);
  if (nameMatch)
    return {
      kind: 'element-name',
      parent: openElement(before.slice(0, lt)),
      prefix: nameMatch[1] ?? '',
    };
  const element = /^([\w-]+)/.exec(inTag)?.[1] ?? '';
  const value = /([\w-]+)\s*=\s*(['"])([^'"]*)$/.exec(inTag);
  if (value)
    return { kind: 'attribute-value', element, attribute: value[1] ?? '', prefix: value[3] ?? '' };
  // Inside a tag, between attributes (not inside a quoted value).
  const quotes = (inTag.match(/['"]/g) ?? []).length;
  if (quotes % 2 === 1) return { kind: 'text' };
  const present = [...inTag.matchAll(/([\w-]+)\s*=/g)].map((m) => m[1] ?? '');
  const prefix = /([\w-]*)$/.exec(inTag)?.[1] ?? '';
  return { kind: 'attribute-name', element, present, prefix };
}

function valuesFor(element: string, attribute: string): { values: readonly string[]; doc: string } {
  const struct = STRUCT_ATTRS[element]?.find((a) => a.name === attribute);
  if (struct)
    return {
      values: struct.enumValues ?? (struct.valueType === 'boolean' ? ['true', 'false'] : []),
      doc: struct.doc,
    };
  const spec = getElementSpec(element)?.attributes.find((a) => a.name === attribute);
  if (!spec) return { values: [], doc: '' };
  const values = spec.enumValues ?? (spec.valueType === 'boolean' ? ['true', 'false'] : []);
  return { values, doc: spec.doc };
}

/** Completion items for a context, from the model's attribute table. */
export function completeXml(ctx: XmlContext): AssistItem[] {
  switch (ctx.kind) {
    case 'element-name': {
      if (ctx.parent === 'rule') {
        return ELEMENT_TABLE.map((e) => ({
          label: e.name,
          kind: 'element' as const,
          detail: `protocol (${e.layer})`,
          doc: e.doc,
          insert: `${e.name} $0/>`,
          snippet: true,
        }));
      }
      if (ctx.parent === null) {
        return [
          {
            label: 'filter',
            kind: 'element',
            detail: 'filter',
            doc: 'A libvirt network filter.',
            insert: "filter name='${1:name}' chain='${2:root}'>\n\t$0\n</filter>",
            snippet: true,
          },
        ];
      }
      return (CHILDREN[ctx.parent] ?? []).map((c) => ({
        label: c.name,
        kind: 'element' as const,
        detail: c.name,
        doc: c.doc,
        insert:
          c.name === 'rule'
            ? "rule action='${1|accept,drop,reject,return,continue|}' direction='${2|in,out,inout|}' priority='${3:500}'>\n\t<$0\n</rule>"
            : c.name === 'filterref'
              ? "filterref filter='${1:clean-traffic}'/>"
              : c.name === 'parameter'
                ? "parameter name='${1:IP}' value='${2}'/>"
                : 'uuid>$0</uuid>',
        snippet: true,
      }));
    }
    case 'attribute-name': {
      const struct = STRUCT_ATTRS[ctx.element];
      const specs = struct
        ? struct.map((a) => ({ name: a.name, doc: a.doc, detail: a.valueType }))
        : (getElementSpec(ctx.element)?.attributes ?? []).map((a) => ({
            name: a.name,
            doc: a.doc,
            detail:
              a.valueType +
              (a.min !== undefined && a.max !== undefined ? ` ${a.min}..${a.max}` : ''),
          }));
      const extra = getElementSpec(ctx.element)
        ? [
            {
              name: 'match',
              doc: "match='no' negates the element's attributes.",
              detail: 'yes | no',
            },
          ]
        : [];
      return [...specs, ...extra]
        .filter((s) => !ctx.present.includes(s.name))
        .map((s) => ({
          label: s.name,
          kind: 'attribute' as const,
          detail: s.detail,
          doc: s.doc,
          insert: `${s.name}='$1'`,
          snippet: true,
        }));
    }
    case 'attribute-value': {
      if (ctx.attribute === 'match') {
        return ['no', 'yes'].map((v) => ({
          label: v,
          kind: 'value' as const,
          detail: 'match',
          doc: '',
          insert: v,
          snippet: false,
        }));
      }
      const { values, doc } = valuesFor(ctx.element, ctx.attribute);
      // Comma lists (state, flags, ipsetflags): complete the last item.
      return values.map((v) => ({
        label: v,
        kind: 'value' as const,
        detail: ctx.attribute,
        doc,
        insert: v,
        snippet: false,
      }));
    }
    case 'text':
      return [];
  }
}

/** Hover documentation for a word at a position, given the text before the word. */
export function describeXmlWord(before: string, word: string): string | null {
  const ctx = findXmlContext(before);
  if (ctx.kind === 'element-name') {
    const spec = getElementSpec(word);
    if (spec)
      return `**<${spec.name}>** — ${spec.doc}\n\n${spec.attributes.length} attributes: ${spec.attributes.map((a) => a.name).join(', ')}`;
    const child = Object.values(CHILDREN)
      .flat()
      .find((c) => c.name === word);
    return child ? `**<${word}>** — ${child.doc}` : null;
  }
  if (ctx.kind === 'attribute-name' || ctx.kind === 'attribute-value') {
    const element = ctx.element;
    // A value is explained by its attribute.
    if (ctx.kind === 'attribute-value') word = ctx.attribute;
    const struct = STRUCT_ATTRS[element]?.find((a) => a.name === word);
    if (struct) {
      const range = struct.min !== undefined ? ` (${struct.min}..${struct.max})` : '';
      const def = struct.defaultValue !== undefined ? `, default ${struct.defaultValue}` : '';
      return `**${word}** on <${element}> — ${struct.doc}\n\n${struct.valueType}${range}${def}`;
    }
    const spec = getElementSpec(element)?.attributes.find((a) => a.name === word);
    if (spec) {
      const range =
        spec.min !== undefined && spec.max !== undefined ? ` ${spec.min}..${spec.max}` : '';
      const values = spec.enumValues ? `\n\nValues: ${spec.enumValues.join(', ')}` : '';
      const vars = spec.variableAllowed ? '; a variable ($NAME) is accepted' : '';
      return `**${word}** on <${element}> — ${spec.doc}\n\n${spec.valueType}${range}${spec.hex ? ', hex allowed' : ''}${vars}${values}`;
    }
  }
  return null;
}
