// What Pinterest reported in customer-list answers' `exceptions` ("Customer list errors"), counted by
// distinct { code, message } and the number of answers (one per batch) that carried it. Never dropped.
import { scrubApiMessage } from './errors.js';

export interface ListException {
  code: number | string | null;
  message: string;
  /** Answers (batches) that carried this exception. */
  batches: number;
}

export class ListExceptions {
  private readonly seen = new Map<string, ListException>();

  /** Counts the exceptions of one list answer; `exceptions` may be an array, one object or a map. */
  record(exceptions: unknown): void {
    const distinct = new Map<string, Omit<ListException, 'batches'>>();
    for (const one of entriesOf(exceptions)) distinct.set(`${one.code}\u0000${one.message}`, one);
    for (const [key, one] of distinct) {
      const counted = this.seen.get(key) ?? { ...one, batches: 0 };
      counted.batches += 1;
      this.seen.set(key, counted);
    }
  }

  list(): ListException[] {
    return [...this.seen.values()].map((one) => ({ ...one }));
  }
}

function entriesOf(exceptions: unknown): Array<Omit<ListException, 'batches'>> {
  if (exceptions === null || typeof exceptions !== 'object') return [];
  if (Array.isArray(exceptions)) return exceptions.flatMap((item) => (item && typeof item === 'object' ? [exceptionOf(item, undefined)] : []));
  const object = exceptions as Record<string, unknown>;
  if ('code' in object || 'message' in object) return [exceptionOf(object, undefined)];
  // { "<code>": "<message>" } or { "<code>": { message } }
  return Object.entries(object).map(([key, value]) =>
    value && typeof value === 'object' ? exceptionOf(value as Record<string, unknown>, key) : exceptionOf({ message: value }, key),
  );
}

function exceptionOf(item: Record<string, unknown>, key: string | undefined): Omit<ListException, 'batches'> {
  const code = typeof item.code === 'number' || typeof item.code === 'string' ? item.code : (key ?? null);
  const text = typeof item.message === 'string' ? item.message : item.message === undefined ? '' : JSON.stringify(item.message);
  return { code, message: scrubApiMessage(text) ?? '' };
}
