import {
  DEFAULT_RULE_PRIORITY,
  getDefaultChainPriority,
  getElementSpec,
} from '../model/attributes';
import type { LibvirtVersion } from '../library/libvirt-versions';
import type { FilterDoc, FilterParameter, FilterRef, Rule } from '../model/types';

/** Options of {@link serializeFilterXml}. */
export interface SerializeOptions {
  /**
   * The libvirt release whose `nwfilter-dumpxml` to reproduce (default: the newest). They differ
   * only for a protocol element mixing `match='no'` attributes with plain ones.
   */
  libvirt?: LibvirtVersion;
}

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

function formatRule(rule: Rule, lines: string[], libvirt: LibvirtVersion | undefined): void {
  const priority = Number.isInteger(rule.priority) ? rule.priority : DEFAULT_RULE_PRIORITY;
  let head = `  <rule action='${rule.action}' direction='${rule.direction}' priority='${priority}'`;
  if (!rule.statematch) head += " statematch='false'";
  const spec = rule.protocol === null ? undefined : getElementSpec(rule.protocol);
  if (!spec) {
    lines.push(`${head}/>`);
    return;
  }
  lines.push(`${head}>`);
  // libvirt 9.0's virNWFilterRuleDefDetailsFormat walks the attribute table and starts a new
  // element each time the negation changes (real 9.0's dumpxml, tests/libvirt-diff); the newest
  // libvirt writes the plain attributes in one element, then the negated ones in a second one
  // carrying match='no' (the xml2xml corpus' quirks-invalid).
  const runs: { negated: boolean; attrs: string[] }[] = [];
  const alternate = libvirt === '9.0';
  for (const a of spec.attributes) {
    const v = rule.attrs[a.name];
    if (!v) continue;
    const text =
      a.valueType === 'comment' && !v.value.startsWith('$')
        ? escapeLibvirt(v.value)
        : escapeName(v.value);
    const run = alternate ? runs[runs.length - 1] : runs.find((r) => r.negated === v.negated);
    if (run && run.negated === v.negated) run.attrs.push(` ${a.name}='${text}'`);
    else runs.push({ negated: v.negated, attrs: [` ${a.name}='${text}'`] });
  }
  if (!alternate) runs.sort((x, y) => Number(x.negated) - Number(y.negated));
  if (runs.length === 0) lines.push(`    <${spec.name}/>`);
  for (const r of runs)
    lines.push(`    <${spec.name}${r.negated ? " match='no'" : ''}${r.attrs.join('')}/>`);
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
 * `options.libvirt` picks the release whose layout of split negations to follow.
 */
export function serializeFilterXml(doc: FilterDoc, options: SerializeOptions = {}): string {
  const lines: string[] = [];
  const chain = doc.chain === '' ? 'root' : doc.chain;
  const priority = doc.chainPriority ?? getDefaultChainPriority(chain);
  lines.push(
    `<filter name='${escapeName(doc.name)}' chain='${escapeName(chain)}'${priority !== 0 ? ` priority='${priority}'` : ''}>`,
  );
  if (doc.uuid !== null) lines.push(`  <uuid>${escapeName(doc.uuid)}</uuid>`);
  for (const entry of doc.entries) {
    if (entry.kind === 'rule') formatRule(entry.rule, lines, options.libvirt);
    else formatFilterRef(entry.ref, lines);
  }
  lines.push('</filter>');
  return `${lines.join('\n')}\n`;
}
