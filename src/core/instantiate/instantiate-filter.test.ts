import { describe, expect, it } from 'vitest';
import type { FilterDoc, FilterEntry, Rule } from '../model/types';
import { chainPriorityOf, createWorkspaceLookup, instantiateFilter } from './instantiate-filter';
import { expandCombinations } from './expand-combinations';
import { collectVarAccesses, parseVarAccess } from './var-access';

function rule(
  partial: Omit<Partial<Rule>, 'attrs'> & { attrs?: Record<string, string> },
): FilterEntry {
  const attrs = Object.fromEntries(
    Object.entries(partial.attrs ?? {}).map(([k, v]) => [k, { value: v, negated: false }]),
  );
  return {
    kind: 'rule',
    rule: {
      action: partial.action ?? 'accept',
      direction: partial.direction ?? 'out',
      priority: partial.priority ?? 500,
      statematch: partial.statematch ?? true,
      protocol: partial.protocol === undefined ? 'tcp' : partial.protocol,
      attrs,
    },
  };
}

function ref(filter: string, params: Record<string, string[]> = {}): FilterEntry {
  return {
    kind: 'filterref',
    ref: {
      filter,
      params: Object.entries(params).flatMap(([name, vs]) => vs.map((value) => ({ name, value }))),
    },
  };
}

function filter(
  name: string,
  entries: FilterEntry[],
  chain = 'root',
  chainPriority: number | null = null,
): FilterDoc {
  return { name, chain, chainPriority, uuid: null, entries };
}

const values = (r: ReturnType<typeof instantiateFilter>, attr: string) =>
  r.rules.map((i) => i.rule.attrs[attr]?.value);

describe('variable accesses', () => {
  it('parses $X, $X[@n] and $X[n] (with libvirt-tolerated blanks)', () => {
    expect(parseVarAccess('$IP')).toEqual({ kind: 'iterator', name: 'IP', iterId: 0 });
    expect(parseVarAccess('$A[@2]')).toEqual({ kind: 'iterator', name: 'A', iterId: 2 });
    expect(parseVarAccess('$A[ 1 ] ')).toEqual({ kind: 'element', name: 'A', index: 1 });
    expect(parseVarAccess('10.0.0.1')).toBeNull();
    // libvirt takes every value starting with '$' for a reference: a lone '$' is the variable
    // with the empty name (which no parameter can set), never the literal text '$'.
    expect(parseVarAccess('$')).toEqual({ kind: 'iterator', name: '', iterId: 0 });
    expect(parseVarAccess(' $IP')).toBeNull();
  });

  it('records accesses in libvirt attribute-table order, without duplicates', () => {
    const r = rule({
      protocol: 'tcp',
      attrs: { dstportstart: '$P[@1]', srcipaddr: '$A', dscp: '$A', srcportstart: '$P[@1]' },
    });
    if (r.kind !== 'rule') throw new Error();
    expect(collectVarAccesses(r.rule)).toEqual([
      { kind: 'iterator', name: 'A', iterId: 0 },
      { kind: 'iterator', name: 'P', iterId: 1 },
    ]);
  });
});

describe('combinations (virNWFilterVarCombIter)', () => {
  const vars = new Map<string, string[]>([
    ['A', ['1.1.1.1', '2.2.2.2', '3.3.3.3', '3.3.3.3']],
    ['B', ['80', '90', '80', '80']],
    ['X', ['a', 'b']],
    ['Y', ['1', '2', '3']],
  ]);
  const run = (acc: string[]) =>
    expandCombinations(
      acc.map((a) => parseVarAccess(a) as NonNullable<ReturnType<typeof parseVarAccess>>),
      vars,
    );

  it('steps variables of the same iterator together and skips repeated tuples', () => {
    const { combinations } = run(['$A', '$B']);
    expect(combinations.map((c) => [c.byAccess.get('A'), c.byAccess.get('B')])).toEqual([
      ['1.1.1.1', '80'],
      ['2.2.2.2', '90'],
      ['3.3.3.3', '80'],
    ]);
  });

  it('crosses different iterators with the first one varying fastest', () => {
    const { combinations } = run(['$X[@1]', '$Y[@2]']);
    expect(combinations.map((c) => `${c.byAccess.get('X[@1]')}${c.byAccess.get('Y[@2]')}`)).toEqual(
      ['a1', 'b1', 'a2', 'b2', 'a3', 'b3'],
    );
  });

  it('fixes element accesses', () => {
    const { combinations } = run(['$A[1]', '$Y[@1]']);
    expect(combinations.map((c) => `${c.byAccess.get('A[1]')}/${c.byAccess.get('Y[@1]')}`)).toEqual(
      ['2.2.2.2/1', '2.2.2.2/2', '2.2.2.2/3'],
    );
  });

  it('refuses lists of different lengths on one iterator', () => {
    expect(run(['$X', '$Y']).error).toEqual({ kind: 'cardinality', variable: 'Y' });
  });

  it('yields exactly one combination for a rule without variables', () => {
    expect(run([]).combinations).toHaveLength(1);
  });
});

describe('instantiateFilter', () => {
  it('walks filterrefs depth-first, in document order', () => {
    const ws = [
      filter('root-f', [
        rule({ attrs: { comment: 'r0' } }),
        ref('child'),
        rule({ attrs: { comment: 'r2' } }),
      ]),
      filter('child', [rule({ attrs: { comment: 'c0' } }), rule({ attrs: { comment: 'c1' } })]),
    ];
    const r = instantiateFilter(ws, 'root-f', { iface: 'vnet0' });
    expect(r.diagnostics).toEqual([]);
    expect(values(r, 'comment')).toEqual(['r0', 'c0', 'c1', 'r2']);
    expect(r.rules[1]?.provenance).toMatchObject({
      filter: 'child',
      ruleIndex: 0,
      entryIndex: 0,
      filterPath: ['root-f', 'child'],
    });
    expect(r.rules[3]?.provenance).toMatchObject({ filter: 'root-f', ruleIndex: 1, entryIndex: 2 });
  });

  it("passes filterref parameters down; the caller's variables win over them", () => {
    const ws = [
      filter('top', [ref('mid', { PORT: ['22'], HOST: ['10.0.0.9'] })]),
      filter('mid', [rule({ attrs: { dstportstart: '$PORT', dstipaddr: '$HOST' } })]),
    ];
    const r = instantiateFilter(ws, 'top', { iface: 'vnet0', params: { HOST: ['10.0.0.1'] } });
    expect(values(r, 'dstportstart')).toEqual(['22']);
    expect(values(r, 'dstipaddr')).toEqual(['10.0.0.1']);
    expect(r.rules[0]?.fromVariable).toEqual(['dstportstart', 'dstipaddr']);
  });

  it('turns repeated filterref parameters into a list', () => {
    const ws = [
      filter('top', [ref('mid', { P: ['1', '2', '3'] })]),
      filter('mid', [rule({ attrs: { dstportstart: '$P' } })]),
    ];
    expect(values(instantiateFilter(ws, 'top', { iface: 'vnet0' }), 'dstportstart')).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  it('gives $MAC the binding MAC unless a parameter sets it', () => {
    const ws = [filter('f', [rule({ protocol: 'mac', attrs: { srcmacaddr: '$MAC' } })])];
    expect(
      values(
        instantiateFilter(ws, 'f', { iface: 'vnet0', mac: '52:54:00:00:00:01' }),
        'srcmacaddr',
      ),
    ).toEqual(['52:54:00:00:00:01']);
    expect(
      values(
        instantiateFilter(ws, 'f', {
          iface: 'vnet0',
          mac: '52:54:00:00:00:01',
          params: { MAC: ['52:54:00:00:00:02'] },
        }),
        'srcmacaddr',
      ),
    ).toEqual(['52:54:00:00:00:02']);
  });

  it('names the variable and the filterref path when a value is missing', () => {
    const ws = [
      filter('vm', [ref('clean')]),
      filter('clean', [ref('no-ip-spoof')]),
      filter('no-ip-spoof', [rule({ protocol: 'ip', attrs: { srcipaddr: '$IP' } })]),
    ];
    const r = instantiateFilter(ws, 'vm', { iface: 'vnet0' });
    expect(r.rules).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]?.code).toBe('NWF303');
    expect(r.diagnostics[0]?.message).toContain("variable 'IP' has no value");
    expect(r.diagnostics[0]?.message).toContain('vm → clean → no-ip-spoof');
  });

  it('reports an element index beyond the list', () => {
    const ws = [filter('f', [rule({ attrs: { srcipaddr: '$A[3]' } })])];
    const r = instantiateFilter(ws, 'f', { iface: 'vnet0', params: { A: ['1.1.1.1', '2.2.2.2'] } });
    expect(r.diagnostics[0]?.message).toContain("variable 'A' has no element 3 (it has 2 values)");
  });

  it('reports missing filters and reference cycles', () => {
    const missing = instantiateFilter([filter('a', [ref('nope')])], 'a', { iface: 'vnet0' });
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['NWF301']);
    expect(missing.diagnostics[0]?.message).toContain("'nope'");
    const cyc = instantiateFilter([filter('a', [ref('b')]), filter('b', [ref('a')])], 'a', {
      iface: 'vnet0',
    });
    expect(cyc.diagnostics.map((d) => d.code)).toEqual(['NWF302']);
    expect(cyc.diagnostics[0]?.message).toContain('a → b → a');
    expect(instantiateFilter([], 'x', { iface: 'vnet0' }).diagnostics[0]?.code).toBe('NWF305');
  });

  it('sorts root-chain rules first, then by priority, keeping instantiation order on ties', () => {
    const ws = createWorkspaceLookup([
      filter('top', [
        rule({ priority: 100, attrs: { comment: 'root-100' } }),
        ref('v4'),
        rule({ priority: -900, attrs: { comment: 'root--900' } }),
        rule({ priority: 100, attrs: { comment: 'root-100b' } }),
      ]),
      filter(
        'v4',
        [
          rule({ protocol: 'ip', priority: -1000, attrs: { comment: 'v4--1000' } }),
          rule({ protocol: 'ip', priority: 0, attrs: { comment: 'v4-0' } }),
        ],
        'ipv4',
      ),
    ]);
    const r = instantiateFilter(ws, 'top', { iface: 'vnet0' });
    expect(values(r, 'comment')).toEqual([
      'root--900',
      'root-100',
      'root-100b',
      'v4--1000',
      'v4-0',
    ]);
    // The ipv4 chain's default priority (-700) raises its rule of priority -1000 for interleaving.
    expect(r.rules.map((i) => i.effectivePriority)).toEqual([-900, 100, 100, -700, 0]);
    expect(r.rules[3]?.chainPriority).toBe(-700);
  });

  it("uses libvirt's default chain priorities", () => {
    const p = (chain: string, prio: number | null = null) =>
      chainPriorityOf(filter('x', [], chain, prio));
    expect([
      p('stp'),
      p('mac'),
      p('vlan'),
      p('ipv4'),
      p('ipv6'),
      p('arp'),
      p('rarp'),
      p('root'),
    ]).toEqual([-810, -800, -750, -700, -600, -500, -400, 0]);
    expect(p('arp-xyz')).toBe(-500);
    expect(p('ipv4', 10)).toBe(10);
  });

  it('expands lists in place, one instance per combination, with bindings in the provenance', () => {
    const ws = [
      filter('f', [
        rule({ attrs: { srcipaddr: '$A', srcportstart: '$B' } }),
        rule({ attrs: { comment: 'after' } }),
      ]),
    ];
    const r = instantiateFilter(ws, 'f', {
      iface: 'vnet0',
      params: { A: ['1.1.1.1', '2.2.2.2'], B: ['80', '90'] },
    });
    expect(values(r, 'srcipaddr')).toEqual(['1.1.1.1', '2.2.2.2', undefined]);
    expect(r.rules[1]?.provenance.bindings).toEqual({ A: '2.2.2.2', B: '90' });
    expect(r.rules[1]?.provenance.combination).toBe(1);
  });
});

describe('combinations (property)', () => {
  it('yields, per iterator, its distinct value tuples, crossed over iterators', async () => {
    const fc = (await import('fast-check')).default;
    const value = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            name: fc.constantFrom('P', 'Q', 'R', 'S'),
            iter: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 4 },
        ),
        fc.array(value, { minLength: 4, maxLength: 4 }),
        fc.array(value, { minLength: 4, maxLength: 4 }),
        (len, uses, v1, v2) => {
          const vars = new Map<string, string[]>([
            ['P', v1.slice(0, len)],
            ['Q', v2.slice(0, len)],
            ['R', v1.slice(0, len).reverse()],
            ['S', ['x']],
          ]);
          const accesses = uses.map(
            (u) =>
              parseVarAccess(u.iter === 0 ? `$${u.name}` : `$${u.name}[@${u.iter}]`) as NonNullable<
                ReturnType<typeof parseVarAccess>
              >,
          );
          // de-duplicate like libvirt (same name + same iterator = one access)
          const seen = new Set<string>();
          const distinct = accesses.filter((a) => {
            const k = JSON.stringify(a);
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
          });
          const { combinations, error } = expandCombinations(distinct, vars);
          const byIter = new Map<number, string[]>();
          for (const a of distinct)
            if (a.kind === 'iterator')
              byIter.set(a.iterId, [...(byIter.get(a.iterId) ?? []), a.name]);
          const lengthsDiffer = [...byIter.values()].some(
            (names) => new Set(names.map((n) => vars.get(n)?.length)).size > 1,
          );
          if (lengthsDiffer) {
            expect(error?.kind).toBe('cardinality');
            return;
          }
          expect(error).toBeNull();
          let expected = 1;
          for (const names of byIter.values()) {
            const n = vars.get(names[0] as string)?.length ?? 0;
            const tuples = new Set(
              Array.from({ length: n }, (_, i) => names.map((nm) => vars.get(nm)?.[i]).join('|')),
            );
            expected *= tuples.size;
          }
          expect(combinations).toHaveLength(expected);
          const keys = combinations.map((c) => JSON.stringify([...c.byAccess.entries()]));
          expect(new Set(keys).size).toBe(keys.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('limits (issue 15)', () => {
  /** d0 → d1 twice → d2 twice …: 2^depth paths to the last filter. */
  const diamond = (depth: number): FilterDoc[] =>
    Array.from({ length: depth + 1 }, (_, d) =>
      filter(`d${d}`, [
        ...(d < depth ? [ref(`d${d + 1}`), ref(`d${d + 1}`)] : []),
        rule({ attrs: { dstportstart: String(d + 1) } }),
      ]),
    );

  it('instantiates a filterref diamond below the limit in full, one rule per path', () => {
    const r = instantiateFilter(diamond(4), 'd0', { iface: 'vnet0' });
    expect(r.diagnostics).toEqual([]);
    expect(r.rules).toHaveLength(2 ** 5 - 1);
  });

  it('stops a filterref diamond at the expansion limit with NWF306, naming the limit', () => {
    // Depth 17 took 14 s and 1.35 GB before the limit; now the walk stops at the limit.
    const r = instantiateFilter(diamond(17), 'd0', { iface: 'vnet0', maxExpansion: 1000 });
    expect(r.rules).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'NWF306', severity: 'error' });
    expect(r.diagnostics[0]?.message).toContain("limit 'expansion' of 1000");
  });

  it('refuses a cross product of iterators over the limit before building it', () => {
    // Three iterators of 100 values: 10^6 instances (2.5 min, 4.8 GB before the limit).
    const list = (base: number) => Array.from({ length: 100 }, (_, i) => String(base + i));
    const ws = [
      filter('it', [
        rule({
          attrs: { srcportstart: '$A[@1]', dstportstart: '$B[@2]', dscp: '$C[@3]' },
        }),
      ]),
    ];
    const params = { A: list(1000), B: list(2000), C: list(0) };
    const r = instantiateFilter(ws, 'it', { iface: 'vnet0', params });
    expect(r.rules).toEqual([]);
    expect(r.diagnostics[0]).toMatchObject({ code: 'NWF306' });
    expect(r.diagnostics[0]?.message).toContain('1000000 combinations');
    // Two of them (10^4) are within the default limit and expand in full.
    const two = instantiateFilter(
      [filter('it', [rule({ attrs: { srcportstart: '$A[@1]', dstportstart: '$B[@2]' } })])],
      'it',
      { iface: 'vnet0', params },
    );
    expect(two.diagnostics).toEqual([]);
    expect(two.rules).toHaveLength(10_000);
  });

  it('keeps 30,000 values of one filterref parameter, in order, repeated values once', () => {
    const ips = Array.from({ length: 30_000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const ws = [
      filter('top', [ref('mid', { IP: [...ips, ips[0] as string] })]),
      filter('mid', [rule({ attrs: { srcipaddr: '$IP' } })]),
    ];
    const r = instantiateFilter(ws, 'top', { iface: 'vnet0' });
    expect(r.diagnostics).toEqual([]);
    expect(values(r, 'srcipaddr')).toEqual(ips);
  });

  it("treats a lone '$' as the variable with the empty name, which nothing can set", () => {
    const ws = [filter('t', [rule({ attrs: { dstportstart: '$' } })])];
    const r = instantiateFilter(ws, 't', { iface: 'vnet0', params: { IP: ['10.0.0.1'] } });
    expect(r.rules).toEqual([]);
    expect(r.diagnostics[0]).toMatchObject({ code: 'NWF303' });
    expect(r.diagnostics[0]?.message).toContain("variable '' has no value");
  });

  it('takes parameters named like Object.prototype members as plain names', () => {
    const params = Object.create(null) as Record<string, string[]>;
    params['constructor'] = ['1'];
    params['__proto__'] = ['2'];
    params['toString'] = ['3'];
    const ws = [
      filter('t', [
        rule({
          attrs: { srcportstart: '$constructor', dstportstart: '$__proto__', dscp: '$toString' },
        }),
      ]),
    ];
    const r = instantiateFilter(ws, 't', { iface: 'vnet0', params });
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0]?.rule.attrs['srcportstart']?.value).toBe('1');
    expect(r.rules[0]?.rule.attrs['dstportstart']?.value).toBe('2');
    expect(r.rules[0]?.rule.attrs['dscp']?.value).toBe('3');
  });
});
