import { createHash } from 'node:crypto';
import { diffRules, parseFilterXml, printScript, serializeFilterXml } from '../../core';
import type { DefinePreview, Diagnostic, FilterDoc, PreviewLine } from '../../core';
import { compileBinding, hostWorkspace } from './drift';
import { checkFilterName } from './names';
import type { HostBinding, HostFilter, HostLibvirt } from './virsh';

/** A preview refused before anything is computed: the XML is no filter, or names one virsh must not see. */
export interface PreviewRefusal {
  error: string;
  diagnostics?: Diagnostic[];
}

function lineDiff(a: readonly string[], b: readonly string[]): PreviewLine[] {
  const out: PreviewLine[] = [];
  diffRules(a, b, (only, text) => out.push({ op: only === 'host' ? '-' : '+', text }));
  return out;
}

function reaches(
  lookup: (n: string) => FilterDoc | undefined,
  from: string,
  target: string,
): boolean {
  const seen = new Set<string>();
  const queue = [from];
  for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const e of lookup(n)?.entries ?? []) if (e.kind === 'filterref') queue.push(e.ref.filter);
  }
  return false;
}

function ruleLines(
  b: HostBinding,
  lookup: (n: string) => FilterDoc | undefined,
): string[] | string {
  const c = compileBinding(b, lookup);
  if ('error' in c) return c.error;
  return printScript(c.ruleset).lines.filter((l) => !l.startsWith('#') && l !== 'set -e');
}

/**
 * The preview of defining `xml` on the host: the XML diff against the host's version and the
 * rule changes of every binding the filter reaches. Reads the host; changes nothing.
 */
export async function previewDefine(
  libvirt: HostLibvirt,
  xml: string,
): Promise<DefinePreview | PreviewRefusal> {
  const parsed = parseFilterXml(xml);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (!parsed.doc || errors.length > 0)
    return { error: 'the XML is not a filter libvirt would accept', diagnostics: errors };
  const badName = checkFilterName(parsed.doc.name);
  if (badName) return { error: badName };
  const [filters, bindings, version] = await Promise.all([
    libvirt.filters(),
    libvirt.bindings(),
    libvirt.version(),
  ]);
  const host = filters.find((f) => f.name === parsed.doc?.name) ?? null;
  // libvirt refuses to redefine a name under another UUID: keep the host's.
  const hostUuid = host ? (parseFilterXml(host.xml).doc?.uuid ?? null) : null;
  const doc: FilterDoc = { ...parsed.doc, uuid: parsed.doc.uuid ?? hostUuid };
  const newXml = serializeFilterXml(doc, { libvirt: version.target });
  const before = hostWorkspace(filters, version.target).lookup;
  const after = (n: string) => (n === doc.name ? doc : before(n));
  const affected = bindings
    .filter(
      (b) =>
        reaches(before, b.binding.filter, doc.name) || reaches(after, b.binding.filter, doc.name),
    )
    .map((b) => {
      const old = ruleLines(b, before);
      const now = ruleLines(b, after);
      const base = { portdev: b.binding.portdev, filter: b.binding.filter };
      if (typeof now === 'string') return { ...base, ruleChanges: [], error: now };
      return { ...base, ruleChanges: lineDiff(typeof old === 'string' ? [] : old, now) };
    });
  const split = (s: string) => s.replace(/\n$/, '').split('\n');
  return {
    name: doc.name,
    hostXml: host?.xml ?? null,
    newXml,
    xmlDiff: lineDiff(host ? split(host.xml) : [], split(newXml)),
    bindings: affected,
    confirm: confirmValue(host, newXml),
  };
}

function confirmValue(host: HostFilter | null, newXml: string): string {
  return createHash('sha256')
    .update(host?.xml ?? '\u0000new')
    .update('\u0000')
    .update(newXml)
    .digest('hex');
}

/** The outcome of {@link defineWithPreview}. */
export type DefineOutcome =
  | { status: 'defined'; name: string; hostXml: string; matchesPreview: boolean }
  | { status: 'stale'; error: string }
  | { status: 'refused'; error: string; diagnostics?: Diagnostic[] }
  | { status: 'failed'; error: string; hostXml: string | null };

/**
 * Defines `xml` only when `confirm` is the value of the preview the host would give now (the
 * user saw exactly this change, and the host's version has not moved since), then re-reads the
 * filter and says whether the host holds what the preview showed. A failed define leaves the
 * host's version (libvirt's define is all or nothing) and returns libvirt's error.
 */
export async function defineWithPreview(
  libvirt: HostLibvirt,
  xml: string,
  confirm: string,
): Promise<DefineOutcome> {
  const preview = await previewDefine(libvirt, xml);
  if ('error' in preview) return { status: 'refused', ...preview };
  if (confirm !== preview.confirm)
    return {
      status: 'stale',
      error:
        "nothing defined: this is not the change the preview showed, or the host's version changed since; preview again",
    };
  try {
    await libvirt.define(preview.newXml);
  } catch (e) {
    const hostXml = await libvirt.dumpFilterByName(preview.name).catch(() => null);
    return { status: 'failed', error: e instanceof Error ? e.message : String(e), hostXml };
  }
  const hostXml = await libvirt.dumpFilterByName(preview.name);
  // A new filter without a UUID gets libvirt's; everything else must be what was shown.
  const strip = (s: string) =>
    preview.hostXml === null ? s.replace(/^\s*<uuid>[^<]*<\/uuid>\n/m, '') : s;
  return {
    status: 'defined',
    name: preview.name,
    hostXml,
    matchesPreview: strip(hostXml) === strip(preview.newXml),
  };
}
