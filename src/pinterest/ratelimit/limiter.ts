// What the call engine asks of a rate limiter, and how it names a lane: the requests of one token
// (known only by a digest) in one of the API's rate-limit categories (x-ratelimit-category).
import { createHash } from 'node:crypto';

/** What one answer said about the budget (x-ratelimit-* and the status). */
export interface BudgetObservation {
  status: number;
  limit?: number;
  remaining?: number;
  resetMs?: number;
  /** Epoch ms the request was sent: which of this process's own sends the window held. */
  sentAt?: number;
}

export interface SlotWait {
  /** Cuts the wait (Ctrl-C): it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Epoch ms the call's retry window ends: which waits a long pause cuts (see Limiter.cut). */
  deadline?: number;
}

/** PinterestClient's `limiter` option: RateLimiter, or one client's lane of a WriteBudget. */
export interface Limiter {
  /** Waits for this request's slot. `key` separates tokens (tokenKey); `category` is the API's x-ratelimit-category. */
  acquire(key: string, category: string, wait?: SlotWait): Promise<void>;
  /** Holds every request of this lane until `untilMs` (epoch ms): after a 429 or an exhausted quota. */
  pause(key: string, category: string, untilMs: number): void;
  /** Until when the lane is held (for a quota stop and progress messages). */
  pausedUntil(key: string, category: string): number;
  /** Lifts a pause that ends at `untilMs` or sooner (a later one stays): Pinterest took a write despite it. */
  resume(key: string, category: string, untilMs: number): void;
  /** Learns from an answer: slows down after a 429, paces a window quota, speeds back up when there is room. */
  observe(key: string, category: string, seen: BudgetObservation): void;
  /** A request granted at `grantedAt` reached the socket at `sentAt`. */
  sent(key: string, category: string, grantedAt: number, sentAt: number): void;
  /**
   * Ends this client's waits in the lane, those whose deadline `stops` (all by default), rejecting
   * them with `reason`: the lane stopped (spam, a spent quota), so they are never sent.
   */
  cut(key: string, category: string, reason: unknown, stops?: (deadline: number) => boolean): void;
}

/** Requests per second for each category; unknown categories are not limited. */
export type CategoryRates = Record<string, number>;

export const DEFAULT_WRITE_RATE = 7;
/** ads_read Standard access: 1,000 per minute per user per app. */
export const DEFAULT_READ_RATE = 1000 / 60;

/** The rates a client keeps to: writes at `writeRate` (--rate), reads at Pinterest's Standard limit. */
export function categoryRates(writeRate = DEFAULT_WRITE_RATE): CategoryRates {
  return { ads_write: writeRate, ads_read: DEFAULT_READ_RATE };
}

/** Rate limits are per user: key the limiter by a digest, never the token itself. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** One lane's name, for maps and budget files alike. */
export function laneKey(key: string, category: string): string {
  return `${key}\u0000${category}`;
}
