/**
 * One question to the analysis as a view asks it (the Allowed view, What changed, Can X reach
 * Y?), answered in plain data: what a Web Worker hosts, so the page never walks a ruleset.
 */
import type { AnyRuleset } from '../compile/ir';
import { describeMissingKernelFeature, findMissingKernelFeatures } from '../host/host-binding';
import type { HostSettings } from '../netfilter/bridge-host';
import type { AnalysisPath, RulesetAnalysis } from './analyse-ruleset';
import { analyseRuleset } from './analyse-ruleset';
import { allowedTraffic } from './allowed';
import type { AllowedReport } from './allowed';
import { diffView, reachView } from './analysis-view';
import type { DiffRegionView, ReachView } from './analysis-view';
import type { ReachQuery } from './query';

/** What a view asks. */
export type AnalysisAsk =
  { kind: 'allowed' } | { kind: 'diff' } | { kind: 'reach'; path: AnalysisPath; query: ReachQuery };

/** A version of the filter, compiled (null ruleset: it does not compile; `problems` say why). */
export interface AnalysisSubject {
  ruleset: AnyRuleset | null;
  settings: HostSettings;
  problems: string[];
}

/** The answer; the field of the question asked is set unless a problem stopped it. */
export interface AnalysisAnswer {
  allowed: AllowedReport | null;
  diff: DiffRegionView[] | null;
  reach: ReachView | null;
  /**
   * Why there is no answer, or what limits it: the filter does not compile, the host's kernel
   * refuses its rules (NWF521), a rule the analysis cannot model (its regions are errors), a
   * query that does not parse.
   */
  problems: string[];
}

function analyse(s: AnalysisSubject, label: string, problems: string[]): RulesetAnalysis | null {
  problems.push(...s.problems.map((p) => `${label}${p}`));
  if (!s.ruleset) return null;
  // A rule set the host's kernel refuses is never installed: no packet meets it (NWF521).
  const refused = findMissingKernelFeatures(s.ruleset, s.settings);
  if (refused.length > 0) {
    for (const m of refused) problems.push(`${label}NWF521: ${describeMissingKernelFeature(m)}`);
    return null;
  }
  const a = analyseRuleset(s.ruleset, s.settings);
  for (const u of a.unsupported)
    problems.push(
      `${label}the analysis cannot model rule ${u.rule ? `${u.rule.filter}#${u.rule.index}` : '-'}: ${u.why}`,
    );
  return a;
}

/**
 * Answers `ask` about the current version `now`; a diff compares `before` (another version,
 * bound the same way) with it.
 */
export function answerAnalysis(
  ask: AnalysisAsk,
  now: AnalysisSubject,
  before: AnalysisSubject | null = null,
): AnalysisAnswer {
  const answer: AnalysisAnswer = { allowed: null, diff: null, reach: null, problems: [] };
  const problems = answer.problems;
  if (ask.kind === 'diff') {
    if (!before) {
      problems.push('no version to compare with');
      return answer;
    }
    const a = analyse(before, 'before: ', problems);
    const b = analyse(now, 'now: ', problems);
    if (a && b) answer.diff = diffView(a, b);
    return answer;
  }
  const a = analyse(now, '', problems);
  if (!a) return answer;
  if (ask.kind === 'allowed') answer.allowed = allowedTraffic(a);
  else {
    const r = reachView(a, ask.path, ask.query);
    if (typeof r === 'string') problems.push(r);
    else answer.reach = r;
  }
  return answer;
}
