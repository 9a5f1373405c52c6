import { createStudioStore } from './studio-store';
import type { AsyncParser } from './studio-store';

/**
 * The app's one store, created here once; the UI, persistence and the share links all use it.
 * Tests make their own with `createStudioStore()`.
 */
export const useStudioStore = createStudioStore();

/** Lets full parses of big texts run in a worker so typing never freezes (null: parse inline). */
export function setAsyncParser(parser: AsyncParser | null): void {
  useStudioStore.setAsyncParser(parser);
}

/** How long the app store's last XML parse took (ms), for the performance figures. */
export function getLastParseMs(): number {
  return useStudioStore.getLastParseMs();
}
