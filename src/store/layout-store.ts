import { create } from 'zustand';

/** Share of the editor row the filter column takes; the XML pane gets the rest. */
export const DEFAULT_XML_SPLIT = 0.55;
export const XML_SPLIT_RANGE = [0.2, 0.8] as const;
/** Height of the panels dock as a share of the window. */
export const DEFAULT_DOCK_SHARE = 0.46;
export const DOCK_SHARE_RANGE = [0.2, 0.85] as const;

export interface LayoutState {
  /** The splitter between the filter column and the XML pane. */
  xmlSplit: number;
  /** The dock's height. */
  dockShare: number;
  /** Rule-table column widths the user dragged (px, by column id); the others fit their content. */
  columnWidths: Record<string, number>;
}

export interface LayoutActions {
  setXmlSplit(share: number): void;
  setDockShare(share: number): void;
  /** A column's dragged width; null fits it to its content again. */
  setColumnWidth(column: string, width: number | null): void;
}

export type LayoutStore = LayoutState & LayoutActions;

const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.max(lo, Math.min(hi, v));

/**
 * The sizes the user dragged (panes, dock, table columns). Kept out of the component tree so the
 * saved workspace can carry them across a reload, like the rest of what the user set.
 */
export const useLayoutStore = create<LayoutStore>()((set, get) => ({
  xmlSplit: DEFAULT_XML_SPLIT,
  dockShare: DEFAULT_DOCK_SHARE,
  columnWidths: {},
  setXmlSplit: (share) => set({ xmlSplit: clamp(share, XML_SPLIT_RANGE) }),
  setDockShare: (share) => set({ dockShare: clamp(share, DOCK_SHARE_RANGE) }),
  setColumnWidth: (column, width) => {
    const { [column]: _, ...rest } = get().columnWidths;
    set({ columnWidths: width === null ? rest : { ...rest, [column]: width } });
  },
}));
