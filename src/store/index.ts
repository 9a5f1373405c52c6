export { useStudioStore, setAsyncParser, getLastParseMs } from './app-store';
export { serializeDoc } from '../core/xml';
export {
  createStudioStore,
  findDoc,
  LIBRARY_PREFIX,
  COALESCE_MS,
  XML_DEBOUNCE_MS,
} from './studio-store';
export type {
  StudioState,
  StudioStore,
  StudioStoreApi,
  WorkspaceFilter,
  Workspace,
  XmlDraft,
} from './studio-store';
export * from './selectors';
export { startAutosave, loadSavedState, STORAGE_KEY, UNREADABLE_KEY } from './persistence';
export {
  describeShare,
  encodeShare,
  decodeShare,
  filtersToShare,
  isShareLink,
  SHARE_PARAM,
} from './share-link';
export type { SharedFilters } from './share-link';
export { parseXml, serializeXml, LIBRARY_FILTERS, getLibraryFilter } from './core-bridge';
export type { LibraryFilter } from './core-bridge';
export { ASYNC_PARSE_MIN_CHARS } from './studio-store';
export type { AsyncParser } from './studio-store';
export { createWorkerParser } from './create-worker-parser';
export { useHostMarks } from './host-store';
export type { HostMarks } from './host-store';
export {
  useLayoutStore,
  DEFAULT_DOCK_SHARE,
  DEFAULT_XML_SPLIT,
  DOCK_SHARE_RANGE,
  XML_SPLIT_RANGE,
} from './layout-store';
export type { LayoutState, LayoutStore } from './layout-store';
