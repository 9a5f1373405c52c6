import { describe, expect, it } from 'vitest';
import type { FilterDoc, Rule } from '../model/types';
import { DIAGNOSTIC_CODES, getDiagnosticCodeInfo } from './diagnostic-codes';
import { validateFilterDoc } from './validate-filter-doc';

function doc(rules: Partial<Rule>[], extra: Partial<FilterDoc> = {}): FilterDoc {
  return {
    name: 'f',
    chain: 'root',
    chainPriority: 0,
    uuid: null,
    entries: rules.map((r) => ({
      kind: 'rule',
      rule: {
        action: 'accept',
        direction: 'in',
        priority: 500,
        statematch: true,
        protocol: null,
        attrs: {},
        ...r,
      },
    })),
    ...extra,
  };
}

const codes = (d: FilterDoc) => validateFilterDoc(d).map((x) => x.code);

describe('validateFilterDoc', () => {
  it('has nothing to say about a clean document', () => {
    expect(
      validateFilterDoc(
        doc([{ protocol: 'tcp', attrs: { dstportstart: { value: '22', negated: false } } }]),
      ),
    ).toEqual([]);
  });

  it('rejects values libvirt rejects, with the matching codes', () => {
    expect(
      codes(
        doc([{ protocol: 'tcp', attrs: { dstportstart: { value: '70000', negated: false } } }]),
      ),
    ).toEqual(['NWF041']);
    expect(
      codes(doc([{ protocol: 'tcp', attrs: { dstport: { value: '1', negated: false } } }])),
    ).toEqual(['NWF024']);
    expect(
      codes(
        doc([{ protocol: 'ip', attrs: { srcipmask: { value: '255.0.255.0', negated: false } } }]),
      ),
    ).toEqual(['NWF047']);
    expect(
      codes(doc([{ protocol: 'tcp', attrs: { state: { value: 'OPEN', negated: false } } }])),
    ).toEqual(['NWF042']);
    expect(codes(doc([{ priority: 1001 }]))).toEqual(['NWF036']);
    expect(codes(doc([{ action: 'allow' as Rule['action'] }]))).toEqual(['NWF031']);
  });

  it('notes values libvirt would rewrite', () => {
    const d = validateFilterDoc(
      doc([{ protocol: 'mac', attrs: { srcmacaddr: { value: '1:2:3:4:5:6', negated: false } } }]),
    );
    expect(d).toEqual([
      expect.objectContaining({
        code: 'NWF050',
        severity: 'info',
        message: expect.stringContaining('01:02:03:04:05:06'),
      }),
    ]);
  });

  it('requires tcp, udp, dccp or sctp for ports on ip and ipv6', () => {
    expect(
      codes(doc([{ protocol: 'ip', attrs: { dstportstart: { value: '22', negated: false } } }])),
    ).toEqual(['NWF044']);
    expect(
      codes(
        doc([
          {
            protocol: 'ipv6',
            attrs: {
              protocol: { value: 'udp', negated: false },
              dstportstart: { value: '22', negated: false },
            },
          },
        ]),
      ),
    ).toEqual([]);
    expect(
      codes(
        doc([
          {
            protocol: 'ip',
            attrs: {
              protocol: { value: '$P', negated: false },
              dstportstart: { value: '22', negated: false },
            },
          },
        ]),
      ),
    ).toEqual(['NWF044']);
  });

  it('warns when a layer-2 rule cannot match in its chain', () => {
    const rules: Partial<Rule>[] = [
      { protocol: 'ip' },
      { protocol: 'arp' },
      { protocol: 'mac' },
      { protocol: 'tcp' },
    ];
    const d = validateFilterDoc(doc(rules, { chain: 'arp-x', chainPriority: -500 }));
    expect(d.map((x) => [x.code, x.severity])).toEqual([['NWF070', 'warning']]);
    expect(d[0]?.message).toMatch(/<ip>/);
  });

  it('warns about chain priority 0 that libvirt would not preserve, and explains a missing one', () => {
    expect(codes(doc([], { chain: 'ipv4', chainPriority: 0 }))).toEqual(['NWF015']);
    expect(codes(doc([], { chain: 'stp', chainPriority: 0 }))).toEqual([]);
    expect(validateFilterDoc(doc([], { chain: 'mac', chainPriority: null }))[0]?.message).toMatch(
      /-800/,
    );
    expect(codes(doc([], { chain: 'tcp' }))).toEqual(['NWF011']);
    expect(codes(doc([], { chainPriority: -1001 }))).toEqual(['NWF012']);
  });

  it('warns about negation and ipset fix-ups libvirt applies', () => {
    expect(
      codes(
        doc([
          {
            protocol: 'tcp',
            attrs: {
              srcipaddr: { value: '1.2.3.4', negated: true },
              srcipmask: { value: '8', negated: false },
            },
          },
        ]),
      ),
    ).toEqual(['NWF048']);
    expect(
      codes(
        doc([
          {
            protocol: 'tcp',
            attrs: {
              ipset: { value: 's', negated: false },
              ipsetflags: { value: 'src', negated: false },
            },
          },
        ]),
      ),
    ).toEqual(['NWF046', 'NWF046']);
    expect(
      codes(
        doc([
          {
            protocol: 'all',
            attrs: {
              ipset: { value: 's', negated: false },
              ipsetflags: { value: 'src', negated: false },
            },
          },
        ]),
      ),
    ).toEqual([]);
  });

  it('checks names, uuid and filterref parameters', () => {
    expect(codes(doc([], { name: '' }))).toEqual(['NWF010']);
    expect(codes(doc([], { name: "it's" }))).toEqual(['NWF016']);
    expect(codes(doc([], { uuid: 'nope' }))).toEqual(['NWF013']);
    expect(codes(doc([], { uuid: '5C6D49AF-b071-6127-b4ec-6f8ed4b55335' }))).toEqual(['NWF050']);
    const ref: FilterDoc = {
      ...doc([]),
      entries: [
        {
          kind: 'filterref',
          ref: {
            filter: 'x',
            params: [
              { name: 'B', value: '1' },
              { name: 'A', value: '' },
            ],
          },
        },
      ],
    };
    expect(codes(ref)).toEqual(['NWF061', 'NWF062']);
  });

  it('warns about masks and range ends without their address or start', () => {
    expect(
      codes(
        doc([
          {
            protocol: 'tcp',
            attrs: {
              srcipmask: { value: '8', negated: false },
              dstportend: { value: '9', negated: false },
            },
          },
        ]),
      ),
    ).toEqual(['NWF071', 'NWF071']);
    expect(
      codes(doc([{ protocol: 'stp', attrs: { 'root-cost-hi': { value: '9', negated: false } } }])),
    ).toEqual(['NWF071']);
    expect(
      codes(doc([{ protocol: 'icmp', attrs: { code: { value: '0', negated: false } } }])),
    ).toEqual(['NWF071']);
    expect(
      codes(
        doc([
          {
            protocol: 'udp',
            attrs: {
              dstportstart: { value: '1', negated: false },
              dstportend: { value: '9', negated: false },
            },
          },
        ]),
      ),
    ).toEqual([]);
  });

  it('places diagnostics with a locator', () => {
    const d = validateFilterDoc(doc([], { name: '' }), (p) =>
      p.part === 'name' ? { line: 3, column: 7 } : undefined,
    );
    expect(d[0]).toMatchObject({ line: 3, column: 7 });
  });
});

describe('diagnostic code registry', () => {
  it('has unique, well-formed codes with titles', () => {
    const entries = Object.values(DIAGNOSTIC_CODES);
    expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length);
    for (const e of entries) {
      expect(e.code).toMatch(/^NWF\d{3}$/);
      expect(e.title.length).toBeGreaterThan(5);
      expect(getDiagnosticCodeInfo(e.code)).toBe(e);
    }
  });
});
