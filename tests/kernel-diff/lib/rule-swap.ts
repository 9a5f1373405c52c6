/**
 * Replacing a port's rules in the middle of a run, the way libvirt's ebiptables driver does it
 * when it learns (or loses) a VM's address, for the learning cases of the suite:
 *
 * - to the learning rules (`compile` without IP, `--format args`): libvirt's own sequence,
 *   ebiptablesAllTeardown then the learning chains under their temporary names, linked and
 *   renamed (ApplyBasicRules / ApplyDHCPOnlyRules);
 * - to the filter's rules (`compile --learned-ip ADDR --format args`): ebiptablesApplyNewRules
 *   (the new chains under temporary names J/P, FJ/FP/HJ, linked behind the old ones) and then
 *   ebiptablesTearOldRules (the old chains unlinked and removed, the new ones renamed) — the
 *   second batch as libvirt's `tests/nwfilterebiptablestest.c` (TearOldRules) lists it, with the
 *   sub-chains found by listing the root chains, as its query callbacks do.
 *
 * Under the nftables backend (the proposed driver) the same swaps are its own: the learning rule
 * sets after nftablesAllTeardown, the filter's rules by applyNewRules (`n-` chains, temporary
 * jumps, map elements switched) and tearOldRules (old chains removed, renames), the removals and
 * renames derived from the host's `nft -a list table` listings as the driver's callbacks do.
 *
 * Conntrack is left alone: libvirt never touches it, and the entries outlive the rules.
 */
import { escapeShell, nftRenameCommands, nftTeardownCommands } from '../../../src/core/compile';

/** A libvirt-style command list (`--format args`: one argument per line, ` \` continuations). */
export function argsCommands(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.endsWith(' \\')) cur += `${line.slice(0, -2)} `;
    else {
      out.push(cur + line);
      cur = '';
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** libvirt's shared root chains: `-N` on them fails once they exist, and libvirt ignores that. */
const SHARED_ROOTS = /^(iptables|ip6tables) -w -N libvirt-(in|out|in-post|host-in)$/;

/**
 * Whether libvirt ignores the command's failure: clean-up of what may not exist (`-D`, `-F`,
 * `-X`, `-L`) and the creation of the shared root chains. Everything else must succeed.
 */
export function failureIgnored(command: string): boolean {
  return (
    SHARED_ROOTS.test(command) || /^\S+ (-w |--concurrent -t nat )(-D|-F|-X|-L) /.test(command)
  );
}

/** `ebtables … -L libvirt-X-IFACE` / `-X libvirt-X-IFACE`: a root chain listed or removed. */
const EB_ROOT = /^ebtables --concurrent -t nat -(L|X) libvirt-([IJOP])-(\S+)$/;

/**
 * The commands as a shell script: an ignored command may fail, any other ends it with status 1.
 * A dry-run list cannot show what libvirt's query callbacks add: listing a root chain
 * (`ebtables -L libvirt-I-vnet0`) makes libvirt flush and remove each sub-chain it jumps to
 * (ebtablesRemoveSubChainsQuery, prefixes I/O or J/P), after the root chain itself is gone (the
 * callback appends to its transaction). The script does the same: the sub-chains are read where
 * the root chain is listed and removed right after it.
 */
export function commandsScript(commands: readonly string[]): string {
  const lines: string[] = [];
  for (const c of commands) {
    const root = EB_ROOT.exec(c);
    if (root?.[1] === 'L') {
      const cls = root[2] === 'I' || root[2] === 'O' ? '[IO]' : '[JP]';
      lines.push(
        `subs_${root[2]}="$(${c} 2>/dev/null | sed -n 's/.*-j \\(${cls}-[^ ]*\\).*/\\1/p' | sort -u)"`,
      );
      continue;
    }
    if (failureIgnored(c)) lines.push(`${c} >/dev/null 2>&1 || true`);
    else lines.push(`${c} || { echo "failed: ${c.replace(/["$`\\]/g, '')}" >&2; exit 1; }`);
    if (root?.[1] === 'X')
      lines.push(
        `for c in $subs_${root[2]}; do ebtables --concurrent -t nat -F "$c" >/dev/null 2>&1; ebtables --concurrent -t nat -X "$c" >/dev/null 2>&1; done; subs_${root[2]}=`,
      );
  }
  lines.push('exit 0');
  return lines.join('\n');
}

/**
 * ebiptablesTearOldRules for `iface` as a shell script (every step's failure ignored, as libvirt
 * runs it): the jumps to the old chains removed, the old chains (with the ebtables sub-chains
 * the old root chains jump to) removed, the temporary chains renamed to the final names (with
 * the sub-chains the new root chains jump to).
 */
export function tearOldRulesScript(iface: string): string {
  const lines: string[] = [];
  const ign = (c: string) => lines.push(`${c} >/dev/null 2>&1 || true`);
  for (const ipt of ['iptables', 'ip6tables']) {
    const i = `${ipt} -w`;
    ign(
      `${i} -D libvirt-out -m physdev --physdev-is-bridged --physdev-out ${iface} -g FO-${iface}`,
    );
    ign(`${i} -D libvirt-out -m physdev --physdev-out ${iface} -g FO-${iface}`);
    ign(`${i} -D libvirt-in -m physdev --physdev-in ${iface} -g FI-${iface}`);
    ign(`${i} -D libvirt-host-in -m physdev --physdev-in ${iface} -g HI-${iface}`);
    for (const c of ['FO', 'FI', 'HI']) {
      ign(`${i} -F ${c}-${iface}`);
      ign(`${i} -X ${c}-${iface}`);
    }
    ign(`${i} -E FP-${iface} FO-${iface}`);
    ign(`${i} -E FJ-${iface} FI-${iface}`);
    ign(`${i} -E HJ-${iface} HI-${iface}`);
  }
  const eb = 'ebtables --concurrent -t nat';
  // The chains a root chain jumps to that carry the port's prefix (ebtablesRemoveSubChainsQuery /
  // ebtablesRenameTmpSubAndRootChainsQuery read `ebtables -L` the same way).
  const subs = (root: string, prefix: string) =>
    `$(${eb} -L ${root} 2>/dev/null | sed -n 's/.*-j \\(${prefix}-${iface}-[^ ]*\\).*/\\1/p' | sort -u)`;
  ign(`${eb} -D PREROUTING -i ${iface} -j libvirt-I-${iface}`);
  ign(`${eb} -D POSTROUTING -o ${iface} -j libvirt-O-${iface}`);
  lines.push(`old_subs="${subs(`libvirt-I-${iface}`, 'I')} ${subs(`libvirt-O-${iface}`, 'O')}"`);
  for (const r of ['I', 'O']) {
    ign(`${eb} -F libvirt-${r}-${iface}`);
    ign(`${eb} -X libvirt-${r}-${iface}`);
  }
  lines.push(
    `for c in $old_subs; do ${eb} -F "$c" >/dev/null 2>&1; ${eb} -X "$c" >/dev/null 2>&1; done`,
  );
  lines.push(`new_subs="${subs(`libvirt-J-${iface}`, 'J')} ${subs(`libvirt-P-${iface}`, 'P')}"`);
  lines.push(
    `for c in $new_subs; do case "$c" in J-*) n="I-\${c#J-}";; *) n="O-\${c#P-}";; esac; ${eb} -E "$c" "$n" >/dev/null 2>&1; done`,
  );
  ign(`${eb} -E libvirt-J-${iface} libvirt-I-${iface}`);
  ign(`${eb} -E libvirt-P-${iface} libvirt-O-${iface}`);
  lines.push('exit 0');
  return lines.join('\n');
}

/**
 * The script that puts a rule set in force on a port that has another: `args` is the project's
 * `compile --format args` output for it; `learning` says whether it is a learning rule set
 * (its command list already tears down and renames) or the filter's rules (ApplyNewRules, then
 * TearOldRules).
 */
export function swapScript(args: string, iface: string, learning: boolean): string {
  const apply = commandsScript(argsCommands(args));
  if (learning) return apply;
  return `${apply.replace(/\nexit 0$/, '')}\n${tearOldRulesScript(iface)}`;
}

/** One nft command of a swap and whether libvirt ignores its failure. */
export interface NftSwapCommand {
  cmd: string;
  ignore: boolean;
}

/** `nft ARGV…` as one shell line, quoted as libvirt's dry run quotes it. */
function nftLine(argv: readonly string[]): string {
  return ['nft', ...argv].map(escapeShell).join(' ');
}

/**
 * The driver's table set-up (nftablesCreateTable): what its `nft list tables` callback runs only
 * when the tables are missing.
 */
const NFT_TABLE_SETUP =
  /^nft (add table |add set |add map |add element bridge \S+ same-ip-set |add chain bridge \S+ (postrouting|prerouting) |add rule bridge \S+ (postrouting|prerouting) (oif|iif) vmap )/;

/** The queries of a dry run: their answers (and callbacks) come from the host, below. */
const NFT_QUERY = /^nft (-a )?list /;

/** `nft delete element … vmap-X '{' vnet0 '}'`: nftablesCreateRootChainJump ignores its failure. */
const NFT_IGNORED = /^nft delete element bridge \S+ vmap-(oif|iif) '\{' [^'"\s]+ '\}'$/;

/**
 * The commands of a `compile --backend nftables --format args` output as the driver runs them on
 * this host: the queries dropped (their callbacks' commands are added by the caller from the
 * host's listings), the tables' set-up only when they are missing.
 */
export function nftDryRunCommands(args: string, tablesExist: boolean): NftSwapCommand[] {
  return argsCommands(args)
    .filter((c) => !NFT_QUERY.test(c) && !(tablesExist && NFT_TABLE_SETUP.test(c)))
    .map((cmd) => ({ cmd, ignore: NFT_IGNORED.test(cmd) }));
}

/**
 * A learning rule set (`compile` without IP, `--format args`) put in force on this host: the
 * tables' set-up if they are missing, then nftablesAllTeardown's removals derived from the
 * tables' listings (`nft -a list table`, taken before), then the learning chains, rules and map
 * elements.
 */
export function nftLearningSwap(
  args: string,
  listings: Readonly<Record<string, string>>,
  iface: string,
): NftSwapCommand[] {
  const cmds = nftDryRunCommands(args, Object.keys(listings).length > 0);
  const teardown = Object.values(listings).flatMap((l) =>
    nftTeardownCommands(l, iface).map((argv) => ({ cmd: nftLine(argv), ignore: false })),
  );
  // The set-up comes first (its own transaction), the teardown before the first new chain.
  const first = cmds.findIndex((c) =>
    / add chain bridge \S+ (?!postrouting|prerouting)\S+ /.test(c.cmd),
  );
  const at = first < 0 ? cmds.length : first;
  return [...cmds.slice(0, at), ...teardown, ...cmds.slice(at)];
}

/**
 * nftablesTeardownOldRules after applyNewRules, from the listings taken once the new rules are
 * in: the old chains, their map elements and the temporary jumps removed, then the `n-` chains
 * renamed to their final names.
 */
export function nftTearOldRules(
  listings: Readonly<Record<string, string>>,
  iface: string,
): NftSwapCommand[] {
  const all = Object.values(listings);
  return [
    ...all.flatMap((l) => nftTeardownCommands(l, iface)),
    ...all.flatMap((l) => nftRenameCommands(l, iface)),
  ].map((argv) => ({ cmd: nftLine(argv), ignore: false }));
}

/** The words of a line quoted as libvirt's dry run quotes (`'…'`, `'\''` for a quote). */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\') {
      cur = (cur ?? '') + (line[++i] ?? '');
    } else if (ch === ' ') {
      if (cur !== null) out.push(cur);
      cur = null;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/**
 * Commands as a shell script, failures as libvirt treats them. libvirt runs one `nft` per
 * command; here each run of commands of one verb (`add`, `delete`, `rename`) between two whose
 * failure libvirt ignores goes to one `nft -f` batch, every command as the driver writes it. No
 * frame is in flight during a swap, so only the state after it counts, and it is the same; a
 * guest kernel under emulation starts a program in about a second, so this keeps a swap to a few.
 */
export function nftCommandsScript(commands: readonly NftSwapCommand[]): string {
  const lines: string[] = [];
  let batch: string[] = [];
  let verb = '';
  const flush = () => {
    if (batch.length === 0) return;
    lines.push(
      `nft -f - <<'NWFS_NFT' || { echo "failed: the batch of ${verb} commands above" >&2; exit 1; }`,
      ...batch,
      'NWFS_NFT',
    );
    batch = [];
  };
  for (const { cmd, ignore } of commands) {
    if (ignore) {
      flush();
      lines.push(`${cmd} >/dev/null 2>&1 || true`);
      continue;
    }
    const [nft, ...argv] = shellWords(cmd);
    if (nft !== 'nft') throw new Error(`not an nft command: ${cmd}`);
    if (argv[0] !== verb) flush();
    verb = argv[0] ?? '';
    batch.push(argv.join(' '));
  }
  flush();
  lines.push('exit 0');
  return lines.join('\n');
}
