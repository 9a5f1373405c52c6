import type { Provenance } from '../../instantiate/types';
import type { NftChain, NftRule, NftRuleset, NftTable } from './ir';
import { NFT_BACKEND_LABEL, NFT_TABLE_COMMENT } from './ir';
import type { NftPrintedLines } from './print-nft-args';
import { nftRuleArgs } from './print-nft-args';
import { nftBareMapLookup, nftScriptChains } from './nft-handles';

/**
 * nft's unquoted identifiers (table, chain, set and map names). nft 1.0 accepts no quoted chain
 * names, so a name outside this form cannot be written at all.
 */
import { NFT_IDENTIFIER } from './compile-nftables';

/** A double-quoted nft string. nft strings have no escapes: `"` cannot be written inside one. */
export function quoteNftString(text: string): string {
  if (text.includes('"')) throw new Error(`nft strings cannot contain '"': ${text}`);
  return `"${text}"`;
}

function identifier(name: string): string {
  if (!NFT_IDENTIFIER.test(name)) throw new Error(`'${name}' is not an nft identifier`);
  return name;
}

class Script {
  readonly lines: string[] = [];
  readonly rules: (NftRule | null)[] = [];
  readonly origins: (Provenance | null)[] = [];
  /** A string may hold newlines: each physical line maps to the same rule. */
  line(text: string, rule: NftRule | null = null): void {
    for (const l of text.split('\n')) {
      this.lines.push(l);
      this.rules.push(rule);
      this.origins.push(rule?.provenance ?? null);
    }
  }
}

/** How the script's rule comments name what the driver changes (docs/nftables.md). */
const CHANGE_NOTES: Record<NftRule['changes'][number]['kind'], string> = {
  'reject-as-drop': 'REJECT written as drop by the nftables driver',
  'ipset-ignored': 'ipset ignored by the nftables driver',
  'connlimit-count': 'connlimit as ct count',
};

/** One line naming the XML rule (a `#` comment ends at the line's end, so no newline may remain). */
function provenanceComment(p: Provenance, changes: NftRule['changes']): string {
  const path = p.filterPath.length > 1 ? ` via ${p.filterPath.slice(0, -1).join(' > ')}` : '';
  const vars = Object.entries(p.bindings)
    .map(([k, v]) => `$${k}=${v}`)
    .join(' ');
  const text =
    `# filter ${JSON.stringify(p.filter)}${path}, rule ${p.ruleIndex + 1} ` +
    `(action ${p.action}, direction ${p.direction}, priority ${p.priority})` +
    (vars ? ` with ${vars}` : '') +
    changes.map((c) => `; ${CHANGE_NOTES[c.kind]}`).join('');
  return text.replace(/[\r\n]/g, ' ');
}

/** The rule's text in an nft file: libvirt's arguments, as nft itself joins its argv. */
function ruleText(rule: NftRule): string {
  const args = nftRuleArgs(rule, (n) => identifier(n));
  if (rule.comment !== null) {
    // nftRuleArgs puts the comment last, already in double quotes; check it cannot break out.
    quoteNftString(rule.comment);
  }
  return args.join(' ');
}

function printChain(s: Script, c: NftChain): void {
  s.line(`\tchain ${identifier(c.name)} {`);
  if (c.kind === 'base') {
    s.line(`\t\ttype filter hook ${c.hook} priority ${c.priority}; policy accept;`);
    // The driver creates the map lookup with the table; without an element for the port (the
    // drop-all learning rules) it is there all the same, and matches nothing.
    if (nftBareMapLookup(c))
      s.line(`\t\t${c.dir === 'in' ? 'oif vmap @vmap-oif' : 'iif vmap @vmap-iif'}`);
  }
  for (const r of c.rules) {
    if (r.provenance) s.line(`\t\t${provenanceComment(r.provenance, r.changes)}`);
    s.line(`\t\t${ruleText(r)}`, r);
  }
  s.line('\t}');
}

let sameIpSetText: string | null = null;

/** The 1,021 distinct pairs of the driver's same-ip-set (built once: it never changes). */
function sameIpSet(): string {
  if (sameIpSetText !== null) return sameIpSetText;
  const els: string[] = [];
  for (let i = 1; i <= 4; i++) {
    for (let j = 0; j < 256; j++) {
      const ip = [1, 2, 3, 4].map((k) => (k === i ? j : 0)).join('.');
      els.push(`${ip} . ${ip}`);
    }
  }
  // 0.0.0.0 . 0.0.0.0 appears once per byte position; a set holds it once.
  sameIpSetText = [...new Set(els)].join(', ');
  return sameIpSetText;
}

function printTable(s: Script, t: NftTable): void {
  s.line(`table bridge ${identifier(t.name)} {`);
  s.line(`\tcomment ${quoteNftString(NFT_TABLE_COMMENT)}`);
  if (t.hasSameIpSet) {
    s.line('\tset same-ip-set {');
    s.line('\t\ttype ipv4_addr . ipv4_addr');
    s.line(`\t\telements = { ${sameIpSet()} }`);
    s.line('\t}');
  }
  for (const map of t.maps) {
    s.line(`\tmap ${map.name} {`);
    s.line('\t\ttype iface_index : verdict');
    if (map.elements.length > 0) {
      const els = map.elements.map(
        (e) => `${quoteNftString(e.iface)} : jump ${identifier(e.chain)}`,
      );
      s.line(`\t\telements = { ${els.join(', ')} }`);
    }
    s.line('\t}');
  }
  // Interface chains first (in libvirt's creation order), so every jump target is declared above;
  // the kernel's handles follow this order (nft-handles.ts).
  for (const c of nftScriptChains(t)) printChain(s, c);
  s.line('}');
}

/**
 * An `nft -f` file that installs the final state libvirt's proposed nftables driver leaves for the
 * interface (chains renamed from `n-vnet0-…` to `vnet0-…`, the verdict maps pointing at them, no
 * temporary jumps). It declares the two shared tables, their set, maps and base chains as well, so
 * it is meant for a host where they do not exist yet. The interface must exist when it is loaded
 * (nft resolves `iface_index` map keys to its index), and the `ct` matches need
 * `nf_conntrack_bridge`.
 */
export function printNftScript(
  rs: NftRuleset,
  opts: { filterName?: string } = {},
): NftPrintedLines {
  const s = new Script();
  s.line('#!/usr/sbin/nft -f');
  s.line(`# ${NFT_BACKEND_LABEL}.`);
  s.line(
    `# What it leaves installed for interface ${JSON.stringify(rs.iface)}` +
      (opts.filterName !== undefined ? ` (filter ${JSON.stringify(opts.filterName)})` : '') +
      ', after renaming its chains to their final names.',
  );
  s.line(
    '# Generated by nwfilter-studio. Load with `nft -f` as root on a host without these tables;',
  );
  s.line('# the interface must exist, and the ct matches need the nf_conntrack_bridge module.');
  for (const t of rs.tables) {
    s.line('');
    printTable(s, t);
  }
  return { lines: s.lines, rules: s.rules, origins: s.origins };
}

/** {@link printNftScript} as text. */
export function printNftScriptText(rs: NftRuleset, opts: { filterName?: string } = {}): string {
  return printNftScript(rs, opts)
    .lines.map((l) => `${l}\n`)
    .join('');
}
