/**
 * The nftables backend's `--format script` against the real `nft` (Debian's nftables package),
 * on a Machine: this host (nft-script.diff.test.ts) or a guest kernel that has nf_conntrack_bridge
 * (tests/guest-kernel/nft-script.guest.test.ts). For every libvirt corpus case and every filter
 * of the project (the libvirt-diff filters, the examples, the built-in library), the script must
 * pass `nft -c -f` and then load with `nft -f` in a fresh network namespace holding an interface
 * vnet0, leaving exactly the chains and rule counts of the IR, with every comment verbatim.
 * Scripts the compiler predicts nft will refuse (NWF343 comment too long, NWF345 forms the driver
 * writes that nft cannot parse) must be refused, at the lines of the rules it named. See
 * ../README.md.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateFilter } from '../../../src/core/instantiate';
import type { FilterLookup } from '../../../src/core/instantiate';
import { EXAMPLES } from '../../../src/core/examples';
import { BUILTIN_FILTERS, getBuiltinFilter } from '../../../src/core/library';
import type { FilterDoc } from '../../../src/core/model';
import { parseFilterXml } from '../../../src/core/xml';
import {
  compileNftables,
  nftBareMapLookup,
  nftHandles,
  NFT_COMPILE_CODES,
} from '../../../src/core/compile';
import { nftLearningRuleset } from '../../../src/core/learning';
import type { NftRuleset } from '../../../src/core/compile';
import { printNftScript } from '../../../src/core/compile';
import { HARNESS_PARAMS, corpusDir } from '../../../src/core/compile/nftables/testing/nft-harness';
import { CASES, DEFAULT_IP, DEFAULT_MAC } from '../../libvirt-diff/cases';
import { BridgeHost } from '../../../src/core/netfilter';
import { runCommand } from '../../lib/run-command';
import type { Machine } from '../../lib/machine';

const NFT = '/usr/sbin/nft';

interface ScriptCase {
  id: string;
  ruleset: NftRuleset;
  text: string;
  /** Per script line (1-based index - 1): the XML rule key of the rule printed there. */
  lineRule: (string | null)[];
  /** XML rules the compiler says nft refuses. */
  refused: Set<string>;
}

const ruleKey = (p: { filterPath: string[]; ruleIndex: number }) =>
  `${p.filterPath.join('>')}#${p.ruleIndex}`;

function scriptCase(
  id: string,
  lookup: FilterLookup,
  root: string,
  opts: { mac?: string; params: Record<string, string[]> },
): ScriptCase {
  const inst = instantiateFilter(lookup, root, { iface: 'vnet0', ...opts });
  const errors = inst.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${id}: ${errors.map((d) => d.message).join('; ')}`);
  const res = compileNftables(inst.rules, 'vnet0');
  const compileErrors = res.diagnostics.filter((d) => d.severity === 'error');
  if (compileErrors.length)
    throw new Error(`${id}: ${compileErrors.map((d) => d.message).join('; ')}`);
  const printed = printNftScript(res.ruleset, { filterName: root });
  const refusedCodes: string[] = [NFT_COMPILE_CODES.commentTooLong, NFT_COMPILE_CODES.nftRejects];
  const refused = new Set<string>();
  for (const d of res.diagnostics) {
    if (!refusedCodes.includes(d.code)) continue;
    // The diagnostics name the rule by filter and 1-based index; map back through the IR.
    for (const inst2 of inst.rules) {
      const p = inst2.provenance;
      if (d.message.startsWith(`rule ${p.ruleIndex + 1} of filter '${p.filter}'`))
        refused.add(ruleKey(p));
    }
  }
  return {
    id,
    ruleset: res.ruleset,
    text: printed.lines.map((l) => `${l}\n`).join(''),
    lineRule: printed.rules.map((r) => (r?.provenance ? ruleKey(r.provenance) : null)),
    refused,
  };
}

function loadXml(text: string): FilterDoc {
  const doc = parseFilterXml(text).doc;
  if (!doc) throw new Error('does not parse');
  return doc;
}

function corpusCases(): ScriptCase[] {
  const dir = join(corpusDir(), 'xml2firewall');
  const load = (f: string) =>
    existsSync(join(dir, f)) ? loadXml(readFileSync(join(dir, f), 'utf8')) : undefined;
  return readFileSync(join(dir, 'CASES.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [test, xml] = l.split('\t') as [string, string];
      const root = load(xml) as FilterDoc;
      const lookup = (n: string) => (n === root.name ? root : load(`${n}.xml`));
      return scriptCase(`corpus/${test}`, lookup, root.name, { params: HARNESS_PARAMS });
    });
}

function projectCases(): ScriptCase[] {
  const dir = join(import.meta.dirname, '..', '..', 'libvirt-diff', 'filters');
  const files = new Map<string, FilterDoc>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.xml'))) {
    const d = loadXml(readFileSync(join(dir, f), 'utf8'));
    files.set(d.name, d);
  }
  const withBuiltins = (n: string) => files.get(n) ?? getBuiltinFilter(n)?.doc;
  const out: ScriptCase[] = [];
  for (const c of CASES) {
    // Bindings libvirt refuses (tests/libvirt-diff) have no rule set to compare.
    if (c.libvirtRedefine || c.bindingFails) continue;
    const params: Record<string, string[]> = {};
    for (const [n, v] of c.params ?? []) (params[n] ??= []).push(v);
    params.IP ??= [DEFAULT_IP];
    out.push(
      scriptCase(`libvirt-diff/${c.id ?? c.filter}`, withBuiltins, c.filter, {
        mac: c.mac ?? DEFAULT_MAC,
        params,
      }),
    );
  }
  // Examples and built-ins, bound with every variable the library uses (DHCPSERVER is an IPv6
  // address for the DHCPv6 filters).
  const paramsFor = (name: string) => ({
    IP: [DEFAULT_IP],
    IPV6: ['fd00::2'],
    DHCPSERVER: [name.includes('v6') ? 'fd00::1' : '10.99.0.1'],
    GATEWAY_MAC: ['52:54:00:00:00:fe'],
  });
  for (const ex of EXAMPLES) {
    const doc = loadXml(ex.xml);
    out.push(
      scriptCase(
        `example/${ex.id}`,
        (n) => (n === doc.name ? doc : getBuiltinFilter(n)?.doc),
        doc.name,
        { mac: DEFAULT_MAC, params: paramsFor(doc.name) },
      ),
    );
  }
  for (const b of BUILTIN_FILTERS) {
    out.push(
      scriptCase(`library/${b.name}`, (n) => getBuiltinFilter(n)?.doc, b.name, {
        mac: DEFAULT_MAC,
        params: paramsFor(b.name),
      }),
    );
  }
  return out;
}

/**
 * The nftables driver's learning rule sets (core/learning: applyBasicRules, applyDHCPOnlyRules
 * with and without DHCPSERVER, applyDropAllRules), as the simulator runs them while libvirt learns.
 */
function learningCases(): ScriptCase[] {
  const sets = [
    ['basic', nftLearningRuleset('basic', 'vnet0', DEFAULT_MAC)],
    ['dhcp-only', nftLearningRuleset('dhcp-only', 'vnet0', DEFAULT_MAC)],
    [
      'dhcp-only+servers',
      nftLearningRuleset('dhcp-only', 'vnet0', DEFAULT_MAC, ['10.99.0.1', '10.99.0.3']),
    ],
    ['drop-all', nftLearningRuleset('drop-all', 'vnet0', DEFAULT_MAC)],
  ] as const;
  return sets.map(([id, ruleset]) => {
    const printed = printNftScript(ruleset);
    return {
      id: `learning/${id}`,
      ruleset,
      text: printed.lines.map((l) => `${l}\n`).join(''),
      lineRule: printed.rules.map(() => null),
      refused: new Set<string>(),
    };
  });
}

/** `ct` matches removed: what a kernel without nf_conntrack_bridge can load of the script. */
function withoutCt(text: string): string {
  return text.replace(/ ct (?:direction|state) \S+| ct count over (?:!= )?\S+/g, '');
}

interface NftRun {
  code: number;
  stderr: string;
  stdout: string;
}

/** `nft -c -f FILE`, then (when asked and the check passed) `nft -f FILE` and the JSON listing. */
async function runInFreshNetns(
  machine: Machine,
  file: string,
  apply: boolean,
): Promise<{ check: NftRun; list: NftRun | null }> {
  const sh =
    'ip link add vnet0 type veth peer name vnet0-peer || exit 90; ' +
    `${NFT} -c -f "$0" || exit $?; ` +
    (apply ? `echo ==APPLY==; ${NFT} -f "$0" || exit 91; ${NFT} -j -a list ruleset` : 'true');
  const r = await machine.run('unshare', ['--net', '--', 'sh', '-c', sh, file], {
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (r.code === 90) throw new Error(`cannot create vnet0 in a fresh namespace: ${r.stderr}`);
  const [, listing] = r.stdout.split('==APPLY==\n');
  const check: NftRun = { code: listing === undefined ? r.code : 0, stderr: r.stderr, stdout: '' };
  return {
    check,
    list: listing === undefined ? null : { code: r.code, stderr: r.stderr, stdout: listing },
  };
}

/** `FILE:LINE:COL-COL: Error: MESSAGE` → line and message. */
function nftErrors(stderr: string): { line: number | null; message: string }[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('Error:'))
    .map((l) => {
      const m = /:(\d+):\d+-\d+: Error: (.*)$/.exec(l);
      return m ? { line: Number(m[1]), message: m[2] as string } : { line: null, message: l };
    });
}

const isKernelError = (message: string) => message.includes('Could not process rule');

/**
 * nft numbers lines without the newlines inside quoted strings (a comment may hold one): the
 * 0-based physical line of each nft line number (1-based).
 */
function physicalLines(text: string): number[] {
  const out = [-1];
  let inString = false;
  text.split('\n').forEach((line, i) => {
    if (!inString) out.push(i);
    if (!inString && line.trimStart().startsWith('#')) return;
    for (const ch of line) if (ch === '"') inString = !inString;
  });
  return out;
}

/** Where and how {@link defineNftScriptSuite} runs. */
export interface NftScriptSuiteOptions {
  /** The machine whose nft and kernel check the scripts (once it is up). */
  machine: () => Machine;
  /** Why the suite cannot run here (skipped), or null. */
  unavailable: string | null;
  /** Names the machine in the summary lines, e.g. `nft-script (guest 6.1.192)`. */
  label: () => string;
  /** The kernel must load bridge-family ct matches (a guest booted for nf_conntrack_bridge). */
  requireBridgeConntrack?: boolean;
}

/** The suite: every script checked, loaded and compared with the IR and the simulator's handles. */
export function defineNftScriptSuite(o: NftScriptSuiteOptions): void {
  const unavailable = o.unavailable;
  /** How many rule handles the listings compared with the simulator's. */
  const handleCounts = { rules: 0 };
  describe.skipIf(unavailable !== null)('nftables scripts in the real nft', () => {
    let dir = '';
    let ctBridge = false;
    const cases = unavailable ? [] : [...corpusCases(), ...projectCases(), ...learningCases()];
    const counts = { checked: 0, applied: 0, refusedAsPredicted: 0, ctStripped: 0 };

    beforeAll(async () => {
      if (!existsSync(NFT)) {
        console.log('nft-script: installing Debian package nftables (nft is missing)');
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        await runCommand('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], {
          env,
          timeoutMs: 900_000,
        });
        await runCommand(
          'apt-get',
          ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', 'nftables'],
          { env, timeoutMs: 900_000 },
        );
      }
      dir = mkdtempSync(join(o.machine().sharedTmp, 'nwfs-nft-'));
      const probe = join(dir, 'probe.nft');
      writeFileSync(
        probe,
        'table bridge t {\n\tchain c {\n\t\tct state established accept\n\t}\n}\n',
      );
      const r = await runInFreshNetns(o.machine(), probe, false);
      ctBridge = r.check.code === 0;
      if (!ctBridge && o.requireBridgeConntrack)
        throw new Error(
          `${o.label()}: this kernel does not load bridge-family ct matches: ${r.check.stderr.trim()}`,
        );
      if (!ctBridge) {
        const bar = '!'.repeat(78);
        console.warn(
          `\n${bar}\n!! ${o.label()}: this kernel cannot load ct matches in the bridge family (no nf_conntrack_bridge:\n!!   ${nftErrors(
            r.check.stderr,
          )
            .map((e) => e.message)
            .join(
              '; ',
            )}).\n!! Each script is checked by nft -c up to the kernel (no error before it), and loaded with its\n!! ct matches removed; the ct matches themselves are NOT checked by this kernel.\n${bar}\n`,
        );
      }
    }, 900_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (!unavailable) {
        console.log(
          `${o.label()}: ${counts.checked} scripts, ${counts.applied} applied, ${counts.refusedAsPredicted} refused as predicted, ${counts.ctStripped} loaded without their ct matches (no nf_conntrack_bridge)`,
        );
        console.log(
          `${o.label()}: ${handleCounts.rules} rule handles in ${counts.applied} loaded scripts equal the simulator's`,
        );
      }
    });

    it('has the corpus and the project filters', () => {
      expect(cases.filter((c) => c.id.startsWith('corpus/')).length).toBe(39);
      expect(cases.length).toBeGreaterThan(39 + CASES.length);
      expect(cases.filter((c) => c.id.startsWith('learning/')).length).toBe(4);
    });

    it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const file = join(dir, `${c.id.replace(/\//g, '_')}.nft`);
      writeFileSync(file, c.text);
      const first = await runInFreshNetns(o.machine(), file, c.refused.size === 0 && ctBridge);
      const errors = nftErrors(first.check.stderr);
      counts.checked++;
      if (c.refused.size > 0) {
        // nft refuses it, and only at rules the compiler named.
        expect(first.check.code).not.toBe(0);
        const userErrors = errors.filter((e) => !isKernelError(e.message));
        expect(userErrors.length).toBeGreaterThan(0);
        const phys = physicalLines(c.text);
        for (const e of userErrors)
          expect(c.refused.has(c.lineRule[phys[e.line ?? 0] ?? -1] ?? '')).toBe(true);
        counts.refusedAsPredicted++;
        return;
      }
      let listing = first.list;
      if (!ctBridge) {
        // Accepted by nft itself; only the kernel may refuse, and only for want of bridge conntrack.
        if (first.check.code !== 0) {
          expect(errors.filter((e) => !isKernelError(e.message))).toEqual([]);
          const phys = physicalLines(c.text);
          const lines = c.text.split('\n');
          for (const e of errors)
            if (e.line !== null) expect(lines[phys[e.line] ?? -1]).toMatch(/ ct /);
        }
        const stripped = join(dir, `${c.id.replace(/\//g, '_')}.noct.nft`);
        writeFileSync(stripped, withoutCt(c.text));
        const second = await runInFreshNetns(o.machine(), stripped, true);
        expect(second.check.stderr).toBe('');
        listing = second.list;
        if (withoutCt(c.text) !== c.text) counts.ctStripped++;
      } else {
        expect(first.check.stderr).toBe('');
      }
      expect(listing?.code).toBe(0);
      counts.applied++;
      handleCounts.rules += expectInstalled(
        c.ruleset,
        JSON.parse(listing?.stdout ?? '{}') as NftJson,
      );
    });
  });
}

interface NftJson {
  nftables: Record<
    string,
    {
      table?: string;
      chain?: string;
      name?: string;
      comment?: string;
      family?: string;
      handle?: number;
    }
  >[];
}

/** The listing holds exactly the IR's tables, chains, rule counts and rule comments. */
function expectInstalled(rs: NftRuleset, json: NftJson): number {
  const chains = new Map<string, number>();
  const comments: string[] = [];
  for (const item of json.nftables) {
    if (item.chain?.name !== undefined) chains.set(`${item.chain.table}/${item.chain.name}`, 0);
  }
  for (const item of json.nftables) {
    const r = item.rule;
    if (!r) continue;
    const key = `${r.table}/${r.chain}`;
    chains.set(key, (chains.get(key) ?? 0) + 1);
    if (r.comment !== undefined) comments.push(r.comment);
  }
  const want = new Map<string, number>();
  const wantComments: string[] = [];
  for (const t of rs.tables) {
    for (const c of t.chains) {
      // A map lookup without an element for the port (drop-all) has no IR rule.
      want.set(`${t.name}/${c.name}`, c.rules.length + (nftBareMapLookup(c) ? 1 : 0));
      for (const r of c.rules) if (r.comment !== null) wantComments.push(r.comment);
    }
  }
  expect(Object.fromEntries(chains)).toEqual(Object.fromEntries(want));
  expect(comments.sort()).toEqual(wantComments.sort());
  return expectHandles(rs, json);
}

/**
 * The kernel's handles are the simulator's: every rule's handle in the listing (per chain, in
 * order) equals the handle the simulated host's counters (and traces) give that rule, and every
 * chain, set and map has the handle nftHandles predicts.
 */
function expectHandles(rs: NftRuleset, json: NftJson): number {
  const got = { chains: {}, sets: {}, rules: {} } as Record<
    'chains' | 'sets' | 'rules',
    Record<string, number | undefined>
  >;
  const ruleCount = new Map<string, number>();
  for (const item of json.nftables) {
    const [kind, o] = Object.entries(item)[0] as [string, NftJson['nftables'][number][string]];
    // A table's own handle counts every table the namespace ever saw (nft -c took two): not compared.
    if (kind === 'chain') got.chains[`${o.table}/${o.name}`] = o.handle;
    else if (kind === 'set' || kind === 'map') got.sets[`${o.table}/${o.name}`] = o.handle;
    else if (kind === 'rule') {
      const key = `${o.table}/${o.chain}`;
      const i = ruleCount.get(key) ?? 0;
      ruleCount.set(key, i + 1);
      got.rules[`${key}#${i}`] = o.handle;
    }
  }
  const want = { chains: {}, sets: {}, rules: {} } as typeof got;
  const h = nftHandles(rs);
  for (const t of rs.tables) {
    for (const c of t.chains) {
      want.chains[`${t.name}/${c.name}`] = h.chains.get(c);
      const lookup = h.lookups.get(c);
      if (lookup !== undefined) want.rules[`${t.name}/${c.name}#0`] = lookup;
    }
    for (const [name, handle] of h.sets.get(t.name) ?? []) want.sets[`${t.name}/${name}`] = handle;
  }
  // What the simulator shows: the handle of every rule in its counters (the traces' visits and
  // deciding rule carry the same prepared rule's handle).
  for (const c of new BridgeHost(rs).counters()) {
    const table = c.table.replace(/^bridge\//, '');
    const chain = rs.tables.find((t) => t.name === table)?.chains.find((x) => x.name === c.chain);
    const shift = chain && h.lookups.has(chain) ? 1 : 0;
    want.rules[`${table}/${c.chain}#${c.index + shift}`] = c.handle;
  }
  expect(got).toEqual(want);
  return Object.keys(want.rules).length;
}
