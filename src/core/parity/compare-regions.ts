/**
 * What behaves differently over all packets: the exact regions of the header space whose verdict
 * differs between the ebiptables and the nftables rule sets of one binding — the analysis' diff
 * with one backend before and the other after, where the packet comparison
 * (`compare-behaviour.ts`) only tries the scenarios' packets.
 */
import type { DiffRegionView } from '../analysis/analysis-view';
import { diffView } from '../analysis/analysis-view';
import { analyseRuleset } from '../analysis/analyse-ruleset';
import type { RulesetAnalysis } from '../analysis/analyse-ruleset';
import type { AnyRuleset } from '../compile/ir';
import type { HostSettings } from '../netfilter/bridge-host';
import { hostCannotInstall } from './compare-behaviour';

/** The regions comparison, or why it cannot be made (the host cannot install a side). */
export type RegionComparison =
  | { available: false; reason: string }
  | {
      available: true;
      /** Each region: `before` is the ebiptables side, `after` the nftables side. */
      regions: DiffRegionView[];
      /** Rules the analysis cannot model on a side (their regions are `error`), by backend. */
      problems: string[];
    };

function analyse(ruleset: AnyRuleset, settings: HostSettings, problems: string[]): RulesetAnalysis {
  const a = analyseRuleset(ruleset, settings);
  for (const u of a.unsupported)
    problems.push(
      `${ruleset.backend}: the analysis cannot model rule ${u.rule ? `${u.rule.filter}#${u.rule.index}` : '-'}: ${u.why}`,
    );
  return a;
}

/**
 * Every region whose verdict differs between `ebiptables` and `nftables` on a host with
 * `settings`, path by path, each with the XML rule deciding on each side and a witness packet.
 * The conntrack state is a dimension of both; the connection count (`conns`) is connlimit's per
 * source under ebiptables and `ct count`'s per rule under nftables.
 */
export function compareRegions(
  ebiptables: AnyRuleset,
  nftables: AnyRuleset,
  settings: HostSettings,
  maxRegions = Infinity,
): RegionComparison {
  const cannot = hostCannotInstall(ebiptables, nftables, settings);
  if (cannot !== null) return { available: false, reason: cannot };
  const problems: string[] = [];
  const before = analyse(ebiptables, settings, problems);
  const after = analyse(nftables, settings, problems);
  // The diff compares every region of one side with every region of the other: a view that must
  // answer quickly leaves a large rule set to the command line.
  const most = Math.max(regionCount(before), regionCount(after));
  if (most > maxRegions)
    return {
      available: false,
      reason: `the rule sets have up to ${most} regions, more than this view compares (${maxRegions}); \`nwfilter-studio diff FILE FILE --against-backend ebiptables --backend nftables\` lists them`,
    };
  return { available: true, regions: diffView(before, after), problems };
}

function regionCount(a: RulesetAnalysis): number {
  return Object.values(a.paths).reduce((n, p) => n + p.length, 0);
}
