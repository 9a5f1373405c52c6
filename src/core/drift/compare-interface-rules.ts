import type { Provenance } from '../instantiate';
import type { Ruleset } from '../compile';
import { printScriptPart } from '../compile';
import { parseSaveDump, SAVE_FAMILIES } from './save-dump';
import type { SaveDumps, SaveFamily, SaveTable } from './save-dump';

/** One rule present on one side only. */
export interface DriftLine {
  family: SaveFamily;
  table: string;
  chain: string;
  /** `host`: the host holds it and the studio does not compile it; `studio`: the other way. */
  only: 'host' | 'studio';
  /** The rule as the `*-save` tool prints it (`-A CHAIN …`). */
  text: string;
  /** The XML rule the studio compiled this line from (studio-only lines of the filter's rules). */
  rule: Provenance | null;
}

/** The verdict of {@link compareInterfaceRules}. */
export interface DriftReport {
  iface: string;
  identical: boolean;
  /** Studio-only and host-only rules, per chain in listing order. */
  lines: DriftLine[];
  /** How many rules were compared per family (the interface's chains and its jumps). */
  compared: Record<SaveFamily, number>;
}

/** Per family, per chain: the XML rule of each rule the studio's script leaves in that chain. */
export type RuleOrigins = Record<SaveFamily, Map<string, (Provenance | null)[]>>;

/**
 * Where each rule of the studio's script ends up: the script appends (`-A`) or inserts (`-I
 * CHAIN POS`) its rules in a fresh rule set, so replaying those two operations gives, per chain,
 * the XML rule of each listed rule, in the order the `*-save` tool lists them.
 */
export function ruleOriginsOf(ruleset: Ruleset): RuleOrigins {
  const out = {} as RuleOrigins;
  for (const family of SAVE_FAMILIES) {
    const chains = new Map<string, (Provenance | null)[]>();
    const part = printScriptPart(ruleset, family);
    part.lines.forEach((text, i) => {
      const rule = part.rules[i];
      if (!rule) return;
      const op = /^\S+(?: --?\S+)*? -(A|I) (\S+)(?: (\d+))?/.exec(text);
      if (!op?.[2]) return;
      const list = chains.get(op[2]) ?? [];
      chains.set(op[2], list);
      if (op[1] === 'A') list.push(rule.provenance);
      else list.splice(Math.max(0, Number(op[3] ?? '1') - 1), 0, rule.provenance);
    });
    out[family] = chains;
  }
  return out;
}

/** The chains that belong to the interface alone: the studio's and any the host names after it. */
function ownChains(ruleset: Ruleset, family: SaveFamily, host: SaveTable[]): Set<string> {
  const own = new Set<string>();
  for (const t of ruleset.tables)
    if (t.family === family)
      for (const c of t.chains)
        if (c.kind === 'iface-root' || c.kind === 'iface-sub') own.add(c.name);
  const token = new RegExp(`(^|-)${escapeRegExp(ruleset.iface)}(-|$)`);
  for (const t of host) for (const c of t.chains.keys()) if (token.test(c)) own.add(c);
  return own;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compares what the host holds for one interface with what the studio compiles for its binding,
 * both as `*-save` listings (the studio's taken after applying its script in an empty network
 * namespace, so both sides are printed by the same tool). Compared:
 * - every chain of the interface (`libvirt-I-vnet0`, `I-vnet0-ipv4`, `FI-vnet0`, …), whole and
 *   in order;
 * - in shared chains (`PREROUTING`, `FORWARD`, `libvirt-in`, …), the rules that name the
 *   interface or jump to one of its chains, in order;
 * - the studio's other rules in shared chains (`-A FORWARD -j libvirt-in`) must be on the host;
 *   the host's other rules there belong to other interfaces or other software and are ignored.
 * A listing that cannot be read is an error, never a guess.
 */
export function compareInterfaceRules(input: {
  ruleset: Ruleset;
  host: SaveDumps;
  studio: SaveDumps;
  origins?: RuleOrigins;
}): DriftReport | { error: string } {
  const { ruleset } = input;
  const iface = ruleset.iface;
  const origins = input.origins ?? ruleOriginsOf(ruleset);
  const lines: DriftLine[] = [];
  const compared = { ebtables: 0, iptables: 0, ip6tables: 0 };
  const namesIface = new RegExp(`(^|\\s)${escapeRegExp(iface)}(\\s|$)`);
  for (const family of SAVE_FAMILIES) {
    const host = parseSaveDump(input.host[family]);
    if ('error' in host)
      return { error: `${family}-save of the host, line ${host.line}: ${host.error}` };
    const studio = parseSaveDump(input.studio[family]);
    if ('error' in studio)
      return {
        error: `${family}-save of the studio's rules, line ${studio.line}: ${studio.error}`,
      };
    const own = ownChains(ruleset, family, host);
    const tables = [...new Set([...studio, ...host].map((t) => t.name))].sort();
    for (const tableName of tables) {
      const h = host.find((t) => t.name === tableName);
      const s = studio.find((t) => t.name === tableName);
      const chains = [
        ...new Set([
          ...(s?.rules.keys() ?? []),
          ...(s?.chains.keys() ?? []),
          ...(h?.rules.keys() ?? []),
          ...(h?.chains.keys() ?? []),
        ]),
      ];
      for (const chain of chains) {
        const origin = origins[family].get(chain) ?? [];
        const hostRules = h?.rules.get(chain) ?? [];
        const studioRules = s?.rules.get(chain) ?? [];
        const push = (only: 'host' | 'studio', text: string, rule: Provenance | null) =>
          lines.push({
            family,
            table: tableName,
            chain,
            only,
            text: `-A ${chain}${text === '' ? '' : ' ' + text}`,
            rule,
          });
        if (own.has(chain)) {
          // A chain the host lacks while the studio has it (or the other way) is drift even empty.
          const declared = (t: SaveTable | undefined) => t?.chains.has(chain) ?? false;
          if (declared(h) !== declared(s) && hostRules.length === 0 && studioRules.length === 0)
            push(declared(h) ? 'host' : 'studio', '', null);
          compared[family] += studioRules.length;
          diffRules(hostRules, studioRules, (only, text, at) =>
            push(only, text, only === 'studio' ? (origin[at] ?? null) : null),
          );
          continue;
        }
        const jumpsOwn = (r: string) => {
          const target = /(?:^|\s)-(?:j|g) (\S+)/.exec(r)?.[1];
          return namesIface.test(r) || (target !== undefined && own.has(target));
        };
        const hostMine = hostRules.filter(jumpsOwn);
        const studioIdx = studioRules.map((r, i) => ({ r, i }));
        const studioMine = studioIdx.filter(({ r }) => jumpsOwn(r));
        compared[family] += studioRules.length;
        diffRules(
          hostMine,
          studioMine.map(({ r }) => r),
          (only, text, at) =>
            push(only, text, only === 'studio' ? (origin[studioMine[at]?.i ?? -1] ?? null) : null),
        );
        const hostSet = new Set(hostRules);
        for (const { r, i } of studioIdx)
          if (!jumpsOwn(r) && !hostSet.has(r)) push('studio', r, origin[i] ?? null);
      }
    }
  }
  return { iface, identical: lines.length === 0, lines, compared };
}

/**
 * Calls `emit` for every rule on one side only, by a longest-common-subsequence line diff (rule
 * order matters in a chain). `at` is the rule's index on its own side.
 */
export function diffRules(
  host: readonly string[],
  studio: readonly string[],
  emit: (only: 'host' | 'studio', text: string, at: number) => void,
): void {
  const n = host.length;
  const m = studio.length;
  const w = m + 1;
  const lcs = new Int32Array((n + 1) * w);
  const at = (i: number, j: number) => lcs[i * w + j] ?? 0;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * w + j] =
        host[i] === studio[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && host[i] === studio[j]) {
      i++;
      j++;
    } else if (i < n && (j >= m || at(i + 1, j) >= at(i, j + 1))) {
      emit('host', host[i] as string, i);
      i++;
    } else {
      emit('studio', studio[j] as string, j);
      j++;
    }
  }
}
