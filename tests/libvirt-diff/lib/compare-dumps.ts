import type { KnownDifference } from '../known-differences';
import { FAMILIES, normaliseDump, type Family, type FirewallDump } from './firewall-dump';

/** Outcome of comparing one case. */
export interface CaseComparison {
  status: 'identical' | 'known' | 'different';
  /** Ids of the known differences that had to be applied. */
  usedKnown: string[];
  /** Unified diff per family that still differs after the known differences (libvirt −, project +). */
  diffs: Partial<Record<Family, string>>;
}

function applyKnown(
  family: Family,
  libvirt: string[],
  project: string[],
  known: readonly KnownDifference[],
): { libvirt: string[]; project: string[]; used: string[] } {
  const used: string[] = [];
  let l = libvirt;
  let p = project;
  for (const k of known) {
    if (!k.families.includes(family)) continue;
    const before = [l.join('\n'), p.join('\n')];
    if (k.libvirtOnlyLines)
      l = l.filter((line) => !k.libvirtOnlyLines!.some((re) => re.test(line)));
    if (k.projectOnlyLines)
      p = p.filter((line) => !k.projectOnlyLines!.some((re) => re.test(line)));
    if (k.projectRewrites)
      p = p.map((line) => k.projectRewrites!.reduce((s, r) => s.replace(r.from, r.to), line));
    if (before[0] !== l.join('\n') || before[1] !== p.join('\n')) used.push(k.id);
  }
  return { libvirt: l, project: p, used };
}

/** Compares the dumps of the two namespaces, family by family. */
export function compareDumps(
  libvirt: FirewallDump,
  project: FirewallDump,
  known: readonly KnownDifference[],
): CaseComparison {
  const result: CaseComparison = { status: 'identical', usedKnown: [], diffs: {} };
  for (const f of FAMILIES) {
    const a = splitLines(normaliseDump(libvirt[f]));
    const b = splitLines(normaliseDump(project[f]));
    if (a.join('\n') === b.join('\n')) continue;
    const k = applyKnown(f, a, b, known);
    if (k.libvirt.join('\n') === k.project.join('\n')) {
      if (result.status === 'identical') result.status = 'known';
      for (const id of k.used) if (!result.usedKnown.includes(id)) result.usedKnown.push(id);
      continue;
    }
    result.status = 'different';
    result.diffs[f] = unifiedDiff(
      k.libvirt,
      k.project,
      `${f}-save (libvirt 9.0)`,
      `${f}-save (project script)`,
    );
  }
  return result;
}

function splitLines(s: string): string[] {
  return s === '' ? [] : s.replace(/\n$/, '').split('\n');
}

/** A small LCS line diff with 3 lines of context; dumps are a few hundred lines at most. */
export function unifiedDiff(
  a: readonly string[],
  b: readonly string[],
  nameA: string,
  nameB: string,
): string {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  // lcs[i * w + j]: length of the longest common subsequence of a[i..] and b[j..]
  const lcs = new Int32Array((n + 1) * w);
  const at = (i: number, j: number) => lcs[i * w + j] ?? 0;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * w + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  const ops: { t: ' ' | '-' | '+'; s: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const ai = a[i];
    const bj = b[j];
    if (ai !== undefined && bj !== undefined && ai === bj) {
      ops.push({ t: ' ', s: ai });
      i++;
      j++;
    } else if (ai !== undefined && (bj === undefined || at(i + 1, j) >= at(i, j + 1))) {
      ops.push({ t: '-', s: ai });
      i++;
    } else {
      ops.push({ t: '+', s: bj ?? '' });
      j++;
    }
  }
  const keep = ops.map(() => false);
  ops.forEach((o, k) => {
    if (o.t !== ' ')
      for (let d = Math.max(0, k - 3); d <= Math.min(ops.length - 1, k + 3); d++) keep[d] = true;
  });
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  let gap = false;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      if (!gap) out.push('@@');
      gap = true;
      return;
    }
    gap = false;
    out.push(`${o.t}${o.s.replace(/\n/g, '\n ')}`);
  });
  return out.join('\n');
}
