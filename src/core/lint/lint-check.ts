/**
 * The LintCheck seam: a check is an object in the one list of `checks.ts`, run at the stage of
 * the pipeline whose results it needs, returning its findings. `lintFilter` builds the context,
 * runs the list and de-duplicates (`dedupeFindings`, also used across roots by `lintWorkspace`).
 */
import type { Ruleset } from '../compile/ebiptables/ir';
import type { FilterLookup, RuleInstance } from '../instantiate/types';
import type { FilterDoc, Severity } from '../model/types';
import type { CleanTrafficRef } from './check-clean-traffic';
import type { VmIdentity } from './check-probes';
import type { Report } from './check-rules';
import type { LintFinding, LintOptions } from './types';
import { LINT_CODES } from './lint-codes';
import type { LintCodeKey } from './lint-codes';

/**
 * When a check can run:
 * - `tree`: on the filter tree as written (before instantiation);
 * - `instances`: on the instantiated rules (libvirt's order, variables substituted);
 * - `compiled`: also on the compiled ruleset (and the probe compilation when there is one);
 * - `probe`: needs the filter compiled with the VM's identity (stand-ins for unbound MAC/IP/IPV6),
 *   to send probe packets through.
 */
export type LintStage = 'tree' | 'instances' | 'compiled' | 'probe';

/** What a check sees; later stages fill more of it. */
export interface LintContext {
  readonly lookup: FilterLookup;
  readonly root: FilterDoc;
  /** The binding's variables (`params`, and `MAC` from `mac`). */
  readonly vars: ReadonlyMap<string, readonly string[]>;
  readonly options: LintOptions;
  /** The VM's identity in probes: the binding's, or documentation-range stand-ins. */
  readonly vm: VmIdentity;
  /** The references to clean-traffic in the tree. */
  readonly cleanTraffic: readonly CleanTrafficRef[];
  /** From `instances` on: the instantiated rules; empty before. */
  readonly instances: readonly RuleInstance[];
  /** From `compiled` on: the ebiptables ruleset; null before. */
  readonly ruleset: Ruleset | null;
  /** From `compiled` on, when it instantiates: the filter with the VM's identity, compiled. */
  readonly probe: { readonly rules: readonly RuleInstance[]; readonly ruleset: Ruleset } | null;
}

/** A finding as a check returns it (`lintFilter` adds the root). */
export type LintDraft = Omit<LintFinding, 'root'>;

/** One lint check. */
export interface LintCheck {
  /** Stable name (`unreachable-rule`, `ftp-passive`, …). */
  readonly id: string;
  /** The codes it reports (`NWF5nn`, see `LINT_CODES`). */
  readonly codes: readonly string[];
  /** Its findings' default severity (a finding may raise it, e.g. NWF506 with learning off). */
  readonly severity: Severity;
  readonly stage: LintStage;
  run(ctx: LintContext): LintDraft[];
}

/** Runs a report-style check function and returns what it reported. */
export function collect(body: (report: Report) => void): LintDraft[] {
  const out: LintDraft[] = [];
  body((f) => out.push(f));
  return out;
}

/** Findings without repeats: the same code, entry and message (the first one kept). */
export function dedupeFindings<F extends LintDraft>(findings: readonly F[]): F[] {
  const seen = new Set<string>();
  const out: F[] = [];
  for (const f of findings) {
    const key = `${f.code}\u0000${f.filter}\u0000${f.entryIndex}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

/**
 * A check whose findings carry `keys`' codes (`LINT_CODES`); the first key's severity is the
 * check's.
 */
export function defineCheck(
  id: string,
  stage: LintStage,
  keys: readonly [LintCodeKey, ...LintCodeKey[]],
  run: LintCheck['run'],
): LintCheck {
  return {
    id,
    stage,
    codes: keys.map((k) => LINT_CODES[k].code),
    severity: LINT_CODES[keys[0]].severity,
    run,
  };
}

/** The probe compilation, for checks of stage `probe` (only run when there is one). */
export function probeOf(ctx: LintContext): NonNullable<LintContext['probe']> {
  if (!ctx.probe) throw new Error('lint: a probe check ran without a probe compilation');
  return ctx.probe;
}
