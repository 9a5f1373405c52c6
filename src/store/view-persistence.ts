import { LIBVIRT_VERSIONS } from '../core/library';
import type { LibvirtVersion } from '../core/library';
import { getScenario } from '../core/sim';
import type { CustomPacket } from '../core/sim';
import { DOCK_SHARE_RANGE, XML_SPLIT_RANGE, useLayoutStore } from './layout-store';
import type { LayoutState } from './layout-store';
import { usePanelsStore } from './panels-store';
import type { PanelTab, PanelsState } from './panels-store';

/**
 * What the user set outside the documents and the host profile, saved with the workspace so a
 * reload puts the screen back as it was: the binding's parameters, the libvirt release, the
 * Simulator's traffic, the dock's tab and the sizes dragged. Every field is optional: an older
 * save (or one field that cannot be used) leaves the rest as it is.
 */
export interface SavedView {
  /** The binding's filter parameters (`IP`, `MAC`, …) as the host settings hold them. */
  params?: Record<string, string[]>;
  libvirt?: LibvirtVersion;
  tab?: PanelTab;
  collapsed?: boolean;
  /** The Simulator's traffic: a scenario by name, or the custom packets. */
  source?: { kind: 'scenario'; name: string } | { kind: 'custom' };
  customPackets?: CustomPacket[];
  xmlSplit?: number;
  dockShare?: number;
  /** Rule-table column widths the user dragged, px by column id. */
  columnWidths?: Record<string, number>;
}

/**
 * Tabs that come back after a reload. The Host tab is not one of them: it exists only on a page
 * opened from `serve`, whose token the reload may not carry.
 */
const RESTORED_TABS: readonly PanelTab[] = [
  'simulator',
  'analysis',
  'learn',
  'export',
  'lint',
  'parity',
];

/** The view as the stores hold it now. A capture or a witness is not saved (its bytes are not). */
export function viewOf(panels: PanelsState, layout: LayoutState): SavedView {
  const source = panels.source;
  return {
    params: panels.settings.params,
    ...(panels.settings.libvirt ? { libvirt: panels.settings.libvirt } : {}),
    ...(RESTORED_TABS.includes(panels.tab) ? { tab: panels.tab } : {}),
    collapsed: panels.collapsed,
    ...(source.kind === 'scenario'
      ? { source: { kind: 'scenario', name: source.name } }
      : source.kind === 'custom'
        ? { source: { kind: 'custom' } }
        : {}),
    customPackets: panels.customPackets,
    xmlSplit: layout.xmlSplit,
    dockShare: layout.dockShare,
    columnWidths: layout.columnWidths,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const inRange = (v: unknown, [lo, hi]: readonly [number, number]): v is number =>
  isNumber(v) && v >= lo && v <= hi;
/** Longer than any value the forms produce; a longer one is not something the user typed. */
const MAX_TEXT = 4096;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;

function decodeParams(v: unknown): Record<string, string[]> | null {
  if (!isObject(v)) return null;
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(v)) {
    if (!name || !isText(name) || name === '__proto__') return null;
    if (!Array.isArray(values) || !values.every(isText)) return null;
    out[name] = [...values];
  }
  return out;
}

function decodeCustomPacket(v: unknown): CustomPacket | null {
  if (!isObject(v)) return null;
  const { side, proto, src, dst, sport, dport, flags, icmpType, icmpCode, t, ipTotalLength } = v;
  if (side !== 'to-vm' && side !== 'from-vm') return null;
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp') return null;
  if (!isText(src) || !isText(dst) || !isText(flags)) return null;
  if (![sport, dport, icmpType, icmpCode, t].every(isNumber)) return null;
  if (ipTotalLength !== undefined && !isNumber(ipTotalLength)) return null;
  return {
    side,
    proto,
    src,
    dst,
    sport: sport as number,
    dport: dport as number,
    flags,
    icmpType: icmpType as number,
    icmpCode: icmpCode as number,
    t: t as number,
    ...(ipTotalLength !== undefined ? { ipTotalLength } : {}),
  };
}

function decodeSource(v: unknown): SavedView['source'] | null {
  if (!isObject(v)) return null;
  if (v.kind === 'custom') return { kind: 'custom' };
  if (v.kind === 'scenario' && isText(v.name) && getScenario(v.name))
    return { kind: 'scenario', name: v.name };
  return null;
}

function decodeColumnWidths(v: unknown): Record<string, number> | null {
  if (!isObject(v)) return null;
  const out: Record<string, number> = {};
  for (const [column, width] of Object.entries(v)) {
    if (!isText(column) || column === '__proto__' || !inRange(width, [1, 10_000])) return null;
    out[column] = width;
  }
  return out;
}

/** Each saved field's reader: the value to restore, or null when it cannot be used. */
const FIELDS: { [K in keyof SavedView]-?: (v: unknown) => SavedView[K] | null } = {
  params: decodeParams,
  libvirt: (v) => LIBVIRT_VERSIONS.find((x) => x.id === v)?.id ?? null,
  tab: (v) => RESTORED_TABS.find((x) => x === v) ?? null,
  collapsed: (v) => (typeof v === 'boolean' ? v : null),
  source: decodeSource,
  customPackets: (v) => {
    if (!Array.isArray(v) || v.length > 1000) return null;
    const packets = v.map(decodeCustomPacket);
    return packets.every((p) => p !== null) ? (packets as CustomPacket[]) : null;
  },
  xmlSplit: (v) => (inRange(v, XML_SPLIT_RANGE) ? v : null),
  dockShare: (v) => (inRange(v, DOCK_SHARE_RANGE) ? v : null),
  columnWidths: decodeColumnWidths,
};

/**
 * Reads a saved view, whatever the entry holds (never throws). A field that cannot be used is
 * left out and named in `unusable`; the others are kept.
 */
export function decodeView(value: unknown): { view: SavedView; unusable: string[] } {
  const view: Record<string, unknown> = {};
  const unusable: string[] = [];
  if (value === undefined) return { view, unusable };
  if (!isObject(value)) return { view, unusable: ['view'] };
  for (const [key, read] of Object.entries(FIELDS) as [
    keyof SavedView,
    (v: unknown) => unknown,
  ][]) {
    if (!(key in value)) continue;
    const v = read(value[key]);
    if (v === null) unusable.push(key);
    else view[key] = v;
  }
  return { view: view as SavedView, unusable };
}

/** Puts a saved view back into the stores. */
export function applyView(view: SavedView): void {
  const panels = usePanelsStore.getState();
  const settings = {
    ...(view.params ? { params: view.params } : {}),
    ...(view.libvirt ? { libvirt: view.libvirt } : {}),
  };
  if (Object.keys(settings).length > 0) panels.setSettings(settings);
  if (view.customPackets) panels.setCustomPackets(view.customPackets);
  if (view.source?.kind === 'scenario') panels.setSource(view.source);
  else if (view.source?.kind === 'custom')
    panels.setSource({ kind: 'custom', packets: usePanelsStore.getState().customPackets });
  if (view.tab) panels.setTab(view.tab);
  if (view.collapsed !== undefined) panels.setCollapsed(view.collapsed);
  const layout = useLayoutStore.getState();
  if (view.xmlSplit !== undefined) layout.setXmlSplit(view.xmlSplit);
  if (view.dockShare !== undefined) layout.setDockShare(view.dockShare);
  if (view.columnWidths) useLayoutStore.setState({ columnWidths: view.columnWidths });
}
