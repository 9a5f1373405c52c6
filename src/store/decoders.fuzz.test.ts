import { compressToEncodedURIComponent } from 'lz-string';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../core/examples';
import { parseFilterXml } from '../core/xml';
import { serializeFilterXml } from '../core/xml';
import { assertFuzz, hostileString } from '../testing/fuzz';
import { decodeHistory, encodeHistory } from './history-persistence';
import {
  loadSavedHost,
  loadSavedState,
  loadSavedView,
  STORAGE_KEY,
  UNREADABLE_KEY,
} from './persistence';
import { DEFAULT_CUSTOM_PACKET } from './panels-store';
import { decodeView } from './view-persistence';
import { parseHostProfile, serializeHostProfile } from '../core/host';
import { decodeShare, encodeShare } from './share-link';

/**
 * Fuzz suite (issue 15): a share link or a localStorage entry, whatever it holds, never throws,
 * and what it yields is only documents that serialize and read back cleanly; a saved workspace
 * that cannot be read in full is kept aside, not lost.
 */

const DOCS = EXAMPLES.map((e) => parseFilterXml(e.xml).doc!).filter(Boolean);

/** JSON-ish values, with the shapes the decoders expect mixed in. */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 0, -1, 1e308, 'x', '$', '__proto__'),
    hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom(
        'name',
        'chain',
        'entries',
        'kind',
        'rule',
        'ref',
        'attrs',
        'protocol',
        'action',
        '__proto__',
        'v',
        'filters',
        'id',
        'doc',
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** A copy of `value` with the fields the edits pick (by position in a walk) replaced. */
function corrupted(value: unknown, edits: readonly [number, unknown][]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  for (const [at, v] of edits) {
    const paths: [Record<string, unknown>, string][] = [];
    const walk = (o: unknown) => {
      if (typeof o !== 'object' || o === null) return;
      for (const k of Object.keys(o)) {
        paths.push([o as Record<string, unknown>, k]);
        walk((o as Record<string, unknown>)[k]);
      }
    };
    walk(copy);
    const p = paths[at % paths.length];
    if (p) p[0][p[1]] = v;
  }
  return copy;
}

/** A real document with one field replaced by anything. */
const corruptDoc = fc
  .tuple(
    fc.constantFrom(...DOCS),
    fc.array(fc.tuple(fc.nat(), json), { minLength: 1, maxLength: 3 }),
  )
  .map(([doc, edits]) => corrupted(doc, edits));

function expectCleanDocs(docs: unknown): void {
  if (docs === null) return;
  expect(Array.isArray(docs)).toBe(true);
  for (const d of docs as Parameters<typeof serializeFilterXml>[0][]) {
    const xml = serializeFilterXml(d);
    expect(parseFilterXml(xml).doc).toEqual(d);
  }
}

function memoryStorage(entries: Record<string, string>): Storage {
  const m = new Map(Object.entries(entries));
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('fuzz: share links', () => {
  it('any fragment: no throw, null or clean documents', () => {
    const fragment = fc.oneof(
      hostileString.map((s) => `#share=${s}`),
      json.map((v) => `#share=${compressToEncodedURIComponent(JSON.stringify(v))}`),
      fc
        .array(corruptDoc, { minLength: 1, maxLength: 3 })
        .map(
          (filters) => `#share=${compressToEncodedURIComponent(JSON.stringify({ v: 1, filters }))}`,
        ),
      fc
        .tuple(fc.constantFrom(encodeShare(DOCS)), fc.nat(), fc.string({ maxLength: 3 }))
        .map(([s, at, t]) => `#${s.slice(0, at % s.length)}${t}${s.slice(at % s.length)}`),
    );
    assertFuzz(
      fc.property(fragment, (h) => expectCleanDocs(decodeShare(h)?.filters ?? null)),
      400,
    );
  });

  it('a valid link gives back its documents', () => {
    expect(decodeShare(`#${encodeShare(DOCS)}`)?.filters).toEqual(DOCS);
  });
});

describe('fuzz: the saved workspace', () => {
  it('any entry: no throw, only clean documents, and what is left out is kept aside', () => {
    const entry = fc.oneof(
      hostileString,
      json.map((v) => JSON.stringify(v)),
      fc.array(corruptDoc, { maxLength: 3 }).map((docs) =>
        JSON.stringify({
          version: 1,
          activeId: 'a0',
          filters: [...docs.map((doc, i) => ({ id: `b${i}`, doc })), { id: 'a0', doc: DOCS[0] }],
          drafts: { a0: '<filter' },
        }),
      ),
    );
    assertFuzz(
      fc.property(entry, (raw) => {
        const storage = memoryStorage({ [STORAGE_KEY]: raw });
        const state = loadSavedState(storage);
        if (!state) return;
        expectCleanDocs(state.workspace?.filters.map((f) => f.doc) ?? null);
        if (state.notice) expect(storage.getItem(UNREADABLE_KEY)).toBe(raw);
        if (state.workspace) {
          const ids = state.workspace.filters.map((f) => f.id);
          expect(new Set(ids).size).toBe(ids.length);
          if (state.activeId !== null) expect(ids).toContain(state.activeId);
        }
      }),
      300,
    );
  });
});

describe('fuzz: the saved undo history', () => {
  it('any entry: no throw, and every step holds only documents that serialize and read back', () => {
    const valid = encodeHistory(
      DOCS.map((doc, i) => ({ workspace: { filters: [{ id: `a${i}`, doc }] } })),
      [],
    );
    const entry = fc.oneof(
      json,
      fc
        .tuple(
          fc.array(
            corruptDoc.map((d) => (d as { entries?: unknown }).entries),
            { maxLength: 3 },
          ),
          fc.nat(),
        )
        .map(([lists, at]) => {
          const copy = JSON.parse(JSON.stringify(valid)) as { entries: unknown[] };
          for (const l of lists)
            if (Array.isArray(l) && l.length > 0) copy.entries[at % copy.entries.length] = l[0];
          return copy;
        }),
    );
    assertFuzz(
      fc.property(entry, (raw) => {
        const h = decodeHistory(raw);
        if (!h) return;
        for (const step of [...h.past, ...h.future])
          for (const f of step.workspace.filters)
            expect(parseFilterXml(serializeFilterXml(f.doc)).doc).not.toBeNull();
      }),
      200,
    );
    expect(decodeHistory(JSON.parse(JSON.stringify(valid)))?.past).toHaveLength(DOCS.length);
  });
});

/** A host profile with every kind of field (the README's example, events included). */
const HOST = {
  ftpHelper: true,
  bridgeAddress: '10.99.0.1/24',
  sysctls: { nf_conntrack_icmp_timeout: '30', 'net.bridge.bridge-nf-call-iptables': '1' },
  ipsets: { trusted: { type: 'hash:ip', members: ['10.99.0.3'] } },
  events: [{ t: 5, sysctls: { nf_conntrack_icmp_timeout: '3' } }],
};

/** The saved host profile with fields replaced by anything (a value, a key's value, a list item). */
const corruptHost = fc
  .array(fc.tuple(fc.nat(), json), { minLength: 1, maxLength: 3 })
  .map((edits) => corrupted(HOST, edits));

describe('fuzz: the saved host profile', () => {
  it('any host entry: no throw, a profile that reads back or one notice; the workspace is kept and the text kept aside', () => {
    const workspace = { version: 1, activeId: 'a0', filters: [{ id: 'a0', doc: DOCS[0] }] };
    assertFuzz(
      fc.property(fc.oneof(corruptHost, json), (host) => {
        const raw = JSON.stringify({ ...workspace, host });
        const storage = memoryStorage({ [STORAGE_KEY]: raw });
        const saved = loadSavedHost(storage);
        if (saved.host) {
          expect(saved.notice).toBeNull();
          expect(parseHostProfile(serializeHostProfile(saved.host)).profile).toEqual(saved.host);
        } else if (host !== undefined) {
          // One message, naming the problem and where the text is.
          expect(saved.notice).toMatch(
            /^The saved workspace had a host profile that could not be used \(/,
          );
          expect(saved.notice).toContain(`'${UNREADABLE_KEY}'`);
          expect(storage.getItem(UNREADABLE_KEY)).toBe(raw);
        }
        // A bad host loses nothing else: the workspace still opens.
        expect(loadSavedState(storage)?.workspace?.filters.map((f) => f.id)).toEqual(['a0']);
      }),
      300,
    );
  });

  it('a valid profile comes back as it was saved', () => {
    const storage = memoryStorage({
      [STORAGE_KEY]: JSON.stringify({ version: 1, activeId: null, filters: [], host: HOST }),
    });
    const saved = loadSavedHost(storage);
    expect(saved.notice).toBeNull();
    expect(saved.host?.ipsets).toEqual(HOST.ipsets);
    expect(saved.host?.events).toHaveLength(1);
  });
});

/** A saved view with every field set (what e2e/reload.spec.ts sets through the page). */
const VIEW = {
  params: { IP: ['10.99.0.7'], MAC: ['52:54:00:11:22:33'], PORTS: ['22', '80'] },
  libvirt: '9.0',
  tab: 'lint',
  collapsed: false,
  source: { kind: 'scenario', name: 'ssh' },
  customPackets: [{ ...DEFAULT_CUSTOM_PACKET, src: '10.99.0.3' }],
  xmlSplit: 0.5,
  dockShare: 0.41,
  columnWidths: { comment: 122, match: 300 },
};

describe('fuzz: the saved view', () => {
  it('any view entry: no throw, only fields that read back, the others named once; the workspace is kept', () => {
    const workspace = { version: 1, activeId: 'a0', filters: [{ id: 'a0', doc: DOCS[0] }] };
    const corruptView = fc
      .array(fc.tuple(fc.nat(), json), { minLength: 1, maxLength: 3 })
      .map((edits) => corrupted(VIEW, edits));
    assertFuzz(
      fc.property(fc.oneof(corruptView, json), (view) => {
        const raw = JSON.stringify({ ...workspace, view });
        const storage = memoryStorage({ [STORAGE_KEY]: raw });
        const saved = loadSavedView(storage);
        // What is kept reads back unchanged: a second save of it is the same view.
        expect(decodeView(JSON.parse(JSON.stringify(saved.view)))).toEqual({
          view: saved.view,
          unusable: [],
        });
        const expected = decodeView(view).unusable;
        if (expected.length > 0) {
          expect(saved.notice).toMatch(/^The saved workspace had settings that could not be used/);
          expect(storage.getItem(UNREADABLE_KEY)).toBe(raw);
        } else expect(saved.notice).toBeNull();
        expect(loadSavedState(storage)?.workspace?.filters.map((f) => f.id)).toEqual(['a0']);
      }),
      300,
    );
  });

  it('a whole view comes back as saved; a field that cannot be used is left out and named', () => {
    expect(decodeView(VIEW)).toEqual({ view: VIEW, unusable: [] });
    expect(decodeView({ ...VIEW, tab: 'host', xmlSplit: 3, params: { IP: '10.0.0.1' } })).toEqual({
      view: { ...VIEW, tab: undefined, xmlSplit: undefined, params: undefined },
      unusable: ['params', 'tab', 'xmlSplit'],
    });
    // A save from before the view was kept: nothing to restore, nothing to report.
    expect(decodeView(undefined)).toEqual({ view: {}, unusable: [] });
  });
});
