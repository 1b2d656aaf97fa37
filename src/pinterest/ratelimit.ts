// RateLimiter: spaces requests of one token and rate-limit category at most `rate` per second, in
// the order they asked, and pauses a category when Pinterest says so (429, Retry-After, x-ratelimit-*).
// Spacing (burst 1) rather than a bucket keeps "at most N in any 1-second window" true on the server.
// The rate is a ceiling, not a promise: answers teach the lane the budget it really has (observe()).

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Requests per second for each category; unknown categories are not limited. */
export type CategoryRates = Record<string, number>;

export const DEFAULT_WRITE_RATE = 7;
/** ads_read Standard access: 1,000 per minute per user per app. */
export const DEFAULT_READ_RATE = 1000 / 60;
/**
 * Slack per one-second window: requests can reach the server bunched by event-loop and network jitter,
 * so N requests are spread over 1,020 ms rather than 1,000 (7/s becomes one every ~146 ms). 20 ms
 * keeps 0 answers 429 in `npm run bench` (upload) at 0.97 of the ceiling; 50 ms capped it at 0.95.
 */
export const WINDOW_SLACK_MS = 20;

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** What one answer said about the budget (x-ratelimit-* and the status). */
export interface BudgetObservation {
  status: number;
  limit?: number;
  remaining?: number;
  resetMs?: number;
}

/**
 * Learning the budget. A rate-limit 429 cuts the lane's rate by DECREASE; a success whose window still
 * had room adds back INCREASE per request of room (x-ratelimit-remaining), up to the configured rate,
 * so a process left alone is back at full speed within a few seconds. A full window (remaining 0) holds
 * the rate: that is where a lone process runs at full speed, and where processes sharing a token (who
 * only see each other through these answers) settle without living on 429s.
 */
const DECREASE = 0.7;
const INCREASE = 0.1;
const MIN_RATE = 0.2;
/** A window quota (e.g. 400 a minute) is paced; a longer one (a day) is spent, then the run stops. */
export const PACED_WINDOW_MAX_MS = 3_600_000;
/** Pace a window quota 1% under its steady rate: timers fire late, never early, but clocks differ. */
const QUOTA_MARGIN = 0.01;

interface Lane {
  /** The configured ceiling, requests per second. */
  rate: number;
  /** What the answers taught: ≤ rate. */
  learnedRate: number;
  /** Spacing that spreads a window quota's remaining budget over the time to its reset (0: none). */
  pacedIntervalMs: number;
  /** The longest reset seen of a window quota: about its window, so limit per window is its steady rate. */
  quotaWindowMs: number;
  intervalMs: number;
  nextSlot: number;
  pausedUntil: number;
  queue: Waiter[];
  pumping: boolean;
  wake?: () => void;
}

export class RateLimiter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly rates: CategoryRates,
    private readonly clock: Clock = realClock,
  ) {}

  /** Wait for this request's turn. `key` separates tokens (users); `category` is the API's x-ratelimit-category. */
  acquire(key: string, category: string, signal?: AbortSignal): Promise<void> {
    const lane = this.lane(key, category);
    if (!lane) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = lane.queue.indexOf(waiter);
          if (index >= 0) lane.queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      lane.queue.push(waiter);
      this.pump(lane);
    });
  }

  /** Hold every request of this category until `untilMs` (epoch ms): after a 429 or an exhausted quota. */
  pause(key: string, category: string, untilMs: number): void {
    const lane = this.lane(key, category);
    if (!lane || untilMs <= lane.pausedUntil) return;
    lane.pausedUntil = untilMs;
    lane.wake?.();
  }

  /** Learns from an answer: slows down after a 429, paces a window quota, speeds back up when there is room. */
  observe(key: string, category: string, seen: BudgetObservation): void {
    const lane = this.lane(key, category);
    if (!lane) return;
    if (seen.status === 429) {
      lane.learnedRate = Math.max(MIN_RATE, lane.learnedRate * DECREASE);
    } else if (seen.status >= 200 && seen.status < 300 && seen.remaining !== undefined) {
      lane.learnedRate = Math.min(lane.rate, lane.learnedRate + INCREASE * Math.min(seen.remaining, lane.rate));
      lane.pacedIntervalMs = this.pacedInterval(lane, seen);
    }
    lane.intervalMs = Math.max((1000 + WINDOW_SLACK_MS) / lane.learnedRate, lane.pacedIntervalMs);
  }

  /**
   * A quota over a window longer than the per-second rate (its limit is well above `rate`) is spread
   * evenly, so the run settles just under it instead of spending it at full speed and then living on
   * 429s: at most `limit` per window (the longest reset seen), and the remaining budget over the time
   * to the reset when that is slower (another process used part of it). Resets come in whole seconds,
   * so a reset of a second or less says little. The per-second window itself is left to spacing.
   */
  private pacedInterval(lane: Lane, seen: BudgetObservation): number {
    const { limit, remaining, resetMs } = seen;
    if (limit === undefined || remaining === undefined || resetMs === undefined) return 0;
    if (limit <= lane.rate * 1.5 || resetMs > PACED_WINDOW_MAX_MS) return 0;
    lane.quotaWindowMs = Math.max(lane.quotaWindowMs, resetMs);
    const steady = (lane.quotaWindowMs * (1 + QUOTA_MARGIN)) / limit;
    return resetMs > 1000 ? Math.max(steady, resetMs / Math.max(1, remaining)) : steady;
  }

  /** Requests per second this lane now grants (for tests and progress). */
  currentRate(key: string, category: string): number {
    const lane = this.lane(key, category);
    return lane ? 1000 / lane.intervalMs : Infinity;
  }

  /** When this lane will next grant a slot (for progress messages). */
  pausedUntil(key: string, category: string): number {
    return this.lane(key, category)?.pausedUntil ?? 0;
  }

  private lane(key: string, category: string): Lane | undefined {
    const rate = this.rates[category];
    if (!rate || !Number.isFinite(rate) || rate <= 0) return undefined;
    const id = `${key}\u0000${category}`;
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { rate, learnedRate: rate, pacedIntervalMs: 0, quotaWindowMs: 0, intervalMs: (1000 + WINDOW_SLACK_MS) / rate, nextSlot: 0, pausedUntil: 0, queue: [], pumping: false };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /** One loop per lane hands out slots to the queue head, re-checking pauses that arrive while waiting. */
  private async pump(lane: Lane): Promise<void> {
    if (lane.pumping) return;
    lane.pumping = true;
    try {
      while (lane.queue.length > 0) {
        const due = Math.max(lane.nextSlot, lane.pausedUntil);
        const wait = due - this.clock.now();
        if (wait > 0) {
          await this.interruptibleSleep(lane, wait);
          continue;
        }
        const waiter = lane.queue.shift()!;
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        lane.nextSlot = this.clock.now() + lane.intervalMs;
        waiter.resolve();
      }
    } finally {
      lane.pumping = false;
    }
  }

  private interruptibleSleep(lane: Lane, ms: number): Promise<void> {
    const controller = new AbortController();
    lane.wake = () => controller.abort();
    return this.clock
      .sleep(ms, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        lane.wake = undefined;
      });
  }
}

/** Parse Retry-After (seconds or an HTTP date) into ms from `now`. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * x-ratelimit-reset: Pinterest does not document the unit; large values are read as an epoch
 * (seconds or ms), small ones as seconds from now.
 */
export function rateLimitResetMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n > 1e12) return Math.max(0, n - now);
  if (n > 1e9) return Math.max(0, n * 1000 - now);
  return n * 1000;
}
