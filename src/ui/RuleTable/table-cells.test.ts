import { describe, expect, it } from 'vitest';
import type { FilterEntry, Rule } from '../../core/model';
import { parseXml } from '../../store/core-bridge';
import {
  checkPriorityText,
  isCellEditable,
  nextEditableCell,
  statematchApplies,
} from './table-cells';

function ruleOf(patch: Partial<Rule>): Rule {
  return {
    action: 'accept',
    direction: 'in',
    priority: 500,
    statematch: true,
    protocol: 'tcp',
    attrs: {},
    ...patch,
  };
}
function rule(patch: Partial<Rule>): FilterEntry {
  return { kind: 'rule', rule: ruleOf(patch) };
}
const ref: FilterEntry = { kind: 'filterref', ref: { filter: 'clean-traffic', params: [] } };

/** The priority libvirt keeps for `text` (through the core's parser, which follows libvirt). */
function libvirtKeeps(text: string): number | null {
  const r = parseXml(
    `<filter name='p'><rule action='accept' direction='in' priority='${text}'><all/></rule></filter>`,
  );
  const entry = r.doc?.entries[0];
  const ignored = r.diagnostics.some((d) => d.message.includes('silently uses 500'));
  return entry?.kind === 'rule' && !ignored ? entry.rule.priority : null;
}

describe('checkPriorityText', () => {
  it('accepts exactly what libvirt keeps as a rule priority, with the same value', () => {
    for (const text of ['0', '500', '-1000', '1000', '+7', ' 12', '007', '-0']) {
      const kept = libvirtKeeps(text);
      expect(kept, text).not.toBeNull();
      expect(checkPriorityText(text), text).toEqual({ ok: true, value: kept });
    }
    for (const text of [
      '1001',
      '-1001',
      '',
      ' ',
      '1.5',
      '12 ',
      '0x10',
      'abc',
      '$PRIO',
      '99999999999',
    ]) {
      expect(libvirtKeeps(text), text).toBeNull();
      expect(checkPriorityText(text).ok, text).toBe(false);
    }
  });

  it('says why a variable is refused', () => {
    const r = checkPriorityText('$PRIO');
    expect(r).toEqual({
      ok: false,
      message: 'an integer from -1000 to 1000 (variables are not allowed in a priority)',
    });
    expect(checkPriorityText('2000')).toEqual({
      ok: false,
      message: 'an integer from -1000 to 1000',
    });
  });
});

describe('isCellEditable', () => {
  it('edits the rule fields in place, the match in the form, nothing of a filterref', () => {
    const tcp = rule({});
    expect(isCellEditable(tcp, 'priority')).toBe(true);
    expect(isCellEditable(tcp, 'protocol')).toBe(true);
    expect(isCellEditable(tcp, 'match')).toBe(false);
    expect(isCellEditable(tcp, 'comment')).toBe(true);
    expect(isCellEditable(ref, 'priority')).toBe(false);
    expect(isCellEditable(undefined, 'action')).toBe(false);
  });

  it('offers statematch only where libvirt uses it (iptables), or to turn it back on', () => {
    expect(statematchApplies(ruleOf({ protocol: 'udp-ipv6' }))).toBe(true);
    expect(isCellEditable(rule({ protocol: 'mac' }), 'state')).toBe(false);
    expect(isCellEditable(rule({ protocol: 'arp' }), 'state')).toBe(false);
    expect(isCellEditable(rule({ protocol: null }), 'state')).toBe(false);
    expect(isCellEditable(rule({ protocol: 'arp', statematch: false }), 'state')).toBe(true);
  });

  it('offers the comment only on elements that have one', () => {
    expect(isCellEditable(rule({ protocol: null }), 'comment')).toBe(false);
    expect(isCellEditable(rule({ protocol: 'all' }), 'comment')).toBe(true);
  });
});

describe('nextEditableCell', () => {
  const rows = [rule({}), ref, rule({ protocol: 'mac' })];
  const at = (p: number) => rows[p];

  it('moves along the row, skipping the match cell', () => {
    expect(nextEditableCell(at, 3, { position: 0, column: 'priority' }, 1)).toEqual({
      position: 0,
      column: 'action',
    });
    expect(nextEditableCell(at, 3, { position: 0, column: 'protocol' }, 1)).toEqual({
      position: 0,
      column: 'state',
    });
    expect(nextEditableCell(at, 3, { position: 0, column: 'state' }, -1)).toEqual({
      position: 0,
      column: 'protocol',
    });
  });

  it('wraps to the next rule over filterrefs and cells that do not apply', () => {
    expect(nextEditableCell(at, 3, { position: 0, column: 'comment' }, 1)).toEqual({
      position: 2,
      column: 'priority',
    });
    // mac: no statematch; its comment is the last editable cell.
    expect(nextEditableCell(at, 3, { position: 2, column: 'protocol' }, 1)).toEqual({
      position: 2,
      column: 'comment',
    });
    expect(nextEditableCell(at, 3, { position: 2, column: 'priority' }, -1)).toEqual({
      position: 0,
      column: 'comment',
    });
  });

  it('stops at both ends', () => {
    expect(nextEditableCell(at, 3, { position: 2, column: 'comment' }, 1)).toBeNull();
    expect(nextEditableCell(at, 3, { position: 0, column: 'priority' }, -1)).toBeNull();
  });
});
