import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../core/examples';
import { parseFilterXml } from '../../core/xml';
import { packSimResult, traceHooks, unpackTrace } from './pack-traces';
import type { CompactTrace } from './pack-traces';
import { runSimulation } from '../../core/sim';

const ftp = parseFilterXml(EXAMPLES[0]!.xml).doc!;
const set = { filters: [ftp], root: ftp.name };
const settings = {
  ftpHelper: true,
  sysctl: {},
  params: { IP: ['10.99.0.2'], MAC: ['52:54:00:11:22:33'] },
};

describe('packSimResult', () => {
  for (const name of ['ftp-active', 'spoofed-ip', 'dhcp']) {
    it(`${name}: every packed trace unpacks to the full trace, visit for visit`, () => {
      const full = runSimulation(set, settings, { kind: 'scenario', name });
      const before = structuredClone(full);
      const { result, transfer } = packSimResult(full);
      // The input is left untouched (the worker may still use it).
      expect(full).toEqual(before);
      expect(result.steps).toHaveLength(full.steps.length);
      const visits = full.steps.reduce(
        (n, s) => n + s.trace.hooks.reduce((m, h) => m + h.visits.length, 0),
        0,
      );
      expect(visits).toBeGreaterThan(0);
      // Through a structured clone with the buffers transferred, as postMessage does.
      const received = structuredClone(result, { transfer });
      received.steps.forEach((step, i) => {
        const original = full.steps[i]!;
        // No visit objects travel: only the packed arrays.
        expect(step.trace.hooks.every((h) => h.visits.length === 0)).toBe(true);
        expect(unpackTrace(step.trace)).toEqual(original.trace);
        expect(traceHooks(step.trace)).toEqual(original.trace.hooks);
        expect({ ...step, trace: null }).toEqual({ ...original, trace: null });
      });
      // One string table for the whole run (cloned once).
      const tables = new Set(
        received.steps.map((s) => (s.trace as CompactTrace).packedVisits?.strings).filter(Boolean),
      );
      expect(tables.size).toBe(1);
    });
  }

  it('nftables: the rule handles travel with the visits', () => {
    const full = runSimulation(
      set,
      { ...settings, backend: 'nftables' },
      {
        kind: 'scenario',
        name: 'ssh',
      },
    );
    const handles = full.steps.flatMap((s) =>
      s.trace.hooks.flatMap((h) => h.visits.map((v) => v.handle)),
    );
    expect(handles.length).toBeGreaterThan(0);
    expect(handles.every((h) => typeof h === 'number' && h > 0)).toBe(true);
    const { result, transfer } = packSimResult(full);
    const received = structuredClone(result, { transfer });
    received.steps.forEach((step, i) =>
      expect(unpackTrace(step.trace)).toEqual(full.steps[i]!.trace),
    );
  });

  it('traceHooks returns a full trace as it is and caches what it rebuilds', () => {
    const full = runSimulation(set, settings, { kind: 'scenario', name: 'ssh' });
    const trace = full.steps[0]!.trace;
    expect(traceHooks(trace)).toBe(trace.hooks);
    const packed = packSimResult(full).result.steps[0]!.trace;
    expect(traceHooks(packed)).toBe(traceHooks(packed));
  });
});
