/** The rule-set listings `drift` compares, by the tool that prints them. */
export const SAVE_FAMILIES = ['ebtables', 'iptables', 'ip6tables'] as const;
export type SaveFamily = (typeof SAVE_FAMILIES)[number];
/** One `*-save` listing per family (`ebtables-save`, `iptables-save`, `ip6tables-save`). */
export type SaveDumps = Record<SaveFamily, string>;

/** One table of a `*-save` listing. */
export interface SaveTable {
  name: string;
  /** chain → policy (`ACCEPT`, `-`, `RETURN`) without counters, in declaration order. */
  chains: Map<string, string>;
  /** chain → its rules (the text after `-A CHAIN `), in their (meaningful) order. */
  rules: Map<string, string[]>;
}

/**
 * Reads an `iptables-save` / `ip6tables-save` / `ebtables-save` listing. Headers, footers
 * (`#` lines, `COMMIT`) and packet/byte counters carry no meaning and are dropped; a rule whose
 * text spans lines (a comment holding a newline) stays one rule. Returns the first line it
 * cannot read as an error text (1-based line number) instead of guessing.
 */
export function parseSaveDump(text: string): SaveTable[] | { error: string; line: number } {
  const tables: SaveTable[] = [];
  let cur: SaveTable | undefined;
  let last: { chain: string; index: number } | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (line.startsWith('#') || line === '' || line === 'COMMIT') {
      if (line !== '') last = undefined;
      continue;
    }
    if (line.startsWith('*')) {
      cur = { name: line.slice(1).trim(), chains: new Map(), rules: new Map() };
      tables.push(cur);
      last = undefined;
      continue;
    }
    if (!cur) return { error: `a rule outside a table: ${JSON.stringify(line)}`, line: n + 1 };
    const decl = /^:(\S+) (\S+)(?: \[\d+:\d+\])?$/.exec(line);
    if (decl?.[1] && decl[2]) {
      cur.chains.set(decl[1], decl[2]);
      last = undefined;
      continue;
    }
    const rule = /^(?:\[\d+:\d+\] )?-A (\S+) ?([\s\S]*?)(?: -c \d+ \d+)?$/.exec(line);
    if (rule?.[1] !== undefined) {
      const list = cur.rules.get(rule[1]) ?? [];
      list.push(rule[2] ?? '');
      cur.rules.set(rule[1], list);
      last = { chain: rule[1], index: list.length - 1 };
      continue;
    }
    if (last) {
      const list = cur.rules.get(last.chain);
      if (list) list[last.index] = `${list[last.index] ?? ''}\n${line}`;
      continue;
    }
    return { error: `an unexpected line: ${JSON.stringify(line)}`, line: n + 1 };
  }
  return tables;
}
