import {
  DEFAULT_RULE_PRIORITY,
  getDefaultChainPriority,
  getElementSpec,
} from '../model/attributes';
import type { FilterDoc, FilterParameter, FilterRef, Rule } from '../model/types';

/**
 * libvirt's virBufferEscapeString: the five XML specials become entities and
 * control characters other than tab, newline and carriage return are dropped.
 */
function escapeLibvirt(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '&':
        out += '&amp;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&apos;';
        break;
      default: {
        const c = ch.charCodeAt(0);
        if (
          (c >= 0x01 && c <= 0x08) ||
          c === 0x0b ||
          c === 0x0c ||
          (c >= 0x0e && c <= 0x19) ||
          c === 0
        )
          break;
        out += ch;
      }
    }
  }
  return out;
}

/**
 * libvirt prints names with a plain `%s`; names containing XML specials would
 * produce broken XML there, so (only) those characters are escaped here.
 */
function escapeName(s: string): string {
  return /[<>&'"]/.test(s) ? escapeLibvirt(s) : s;
}

function formatRule(rule: Rule, lines: string[]): void {
  const priority = Number.isInteger(rule.priority) ? rule.priority : DEFAULT_RULE_PRIORITY;
  let head = `  <rule action='${rule.action}' direction='${rule.direction}' priority='${priority}'`;
  if (!rule.statematch) head += " statematch='false'";
  const spec = rule.protocol === null ? undefined : getElementSpec(rule.protocol);
  if (!spec) {
    lines.push(`${head}/>`);
    return;
  }
  lines.push(`${head}>`);
  const plain: string[] = [];
  const negated: string[] = [];
  for (const a of spec.attributes) {
    const v = rule.attrs[a.name];
    if (!v) continue;
    const text =
      a.valueType === 'comment' && !v.value.startsWith('$')
        ? escapeLibvirt(v.value)
        : escapeName(v.value);
    (v.negated ? negated : plain).push(` ${a.name}='${text}'`);
  }
  // libvirt writes the attributes that match as one element and the negated
  // ones as a second element carrying match='no' (see the quirks corpus case).
  if (plain.length > 0 || negated.length === 0) lines.push(`    <${spec.name}${plain.join('')}/>`);
  if (negated.length > 0) lines.push(`    <${spec.name} match='no'${negated.join('')}/>`);
  lines.push('  </rule>');
}

function sortParams(params: readonly FilterParameter[]): FilterParameter[] {
  const names = [...new Set(params.map((p) => p.name))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return names.flatMap((n) => params.filter((p) => p.name === n));
}

function formatFilterRef(ref: FilterRef, lines: string[]): void {
  const head = `  <filterref filter='${escapeName(ref.filter)}'`;
  if (ref.params.length === 0) {
    lines.push(`${head}/>`);
    return;
  }
  lines.push(`${head}>`);
  for (const p of sortParams(ref.params))
    lines.push(`    <parameter name='${escapeName(p.name)}' value='${escapeName(p.value)}'/>`);
  lines.push('  </filterref>');
}

/**
 * Writes a document exactly as libvirt's `virNWFilterDefFormat` does:
 * `chain` always written, the chain priority only when non-zero, every rule
 * with its priority, attributes in libvirt's order and number formats, two
 * spaces of indentation, a trailing newline. A document without uuid is
 * written without one (libvirt would invent a random one). Values are written
 * as stored; run validateFilterDoc to learn which ones libvirt would change.
 */
export function serializeFilterXml(doc: FilterDoc): string {
  const lines: string[] = [];
  const chain = doc.chain === '' ? 'root' : doc.chain;
  const priority = doc.chainPriority ?? getDefaultChainPriority(chain);
  lines.push(
    `<filter name='${escapeName(doc.name)}' chain='${escapeName(chain)}'${priority !== 0 ? ` priority='${priority}'` : ''}>`,
  );
  if (doc.uuid !== null) lines.push(`  <uuid>${escapeName(doc.uuid)}</uuid>`);
  for (const entry of doc.entries) {
    if (entry.kind === 'rule') formatRule(entry.rule, lines);
    else formatFilterRef(entry.ref, lines);
  }
  lines.push('</filter>');
  return `${lines.join('\n')}\n`;
}
