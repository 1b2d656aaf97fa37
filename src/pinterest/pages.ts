// Bookmark pagination as async iterators: follow `bookmark` until Pinterest returns none.
import type { Page } from './types.generated.js';

/** Pinterest's maximum page size; listing everything in few requests keeps under ads_read limits. */
export const DEFAULT_PAGE_SIZE = 250;

/** Yield every item of every page, in order. Stops if a bookmark repeats (a server bug would loop forever). */
export async function* paginate<T>(fetchPage: (bookmark: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let bookmark: string | undefined;
  do {
    const page = await fetchPage(bookmark);
    yield* page.items ?? [];
    bookmark = page.bookmark ?? undefined;
    if (bookmark !== undefined) {
      if (seen.has(bookmark)) return;
      seen.add(bookmark);
    }
  } while (bookmark);
}

/** Every item of an async iterable, as an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
