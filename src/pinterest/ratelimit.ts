// RateLimiter: spaces requests of one token and rate-limit category at most `rate` per second, in
// the order they asked, and pauses a category when Pinterest says so (429, Retry-After, x-ratelimit-*).
// Spacing (burst 1) rather than a bucket keeps "at most N in any 1-second window" true on the server.
// The rate is a ceiling, not a promise: answers teach the lane the budget it really has (observe()).
import { MemorySendLog, WindowShare, type SendLog } from './window-share.js';

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
  /** Epoch ms the request was sent: which of this process's own sends the window held. */
  sentAt?: number;
}

/**
 * Learning the budget. Answers that show the per-second window (x-ratelimit-limit about the rate, a
 * reset within a second) teach a WindowShare: the slots this process takes beside unseen consumers of
 * the same token. Otherwise a rate-limit 429 cuts the lane's rate by DECREASE; a success whose window
 * still had room adds back INCREASE per request of room (x-ratelimit-remaining), and a success without
 * any x-ratelimit header adds back BLIND_INCREASE (only 429s teach then), up to the configured rate.
 */
const DECREASE = 0.7;
const INCREASE = 0.1;
const BLIND_INCREASE = 0.05;
/**
 * A lane's first request goes alone: its answer tells how busy the token already is before the lane
 * runs at full speed. Without an answer by then (a slow network) the lane goes on after this many
 * intervals, so the probe never costs more than a slot or two.
 */
const PROBE_TIMEOUT_INTERVALS = 2;
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
  /** Slots of the per-second window beside other consumers of the token. */
  windowShare: WindowShare;
  /** When the lane's first slot was granted (undefined: not yet). */
  probeSentAt: number | undefined;
  /** The probe's answer came back (or it timed out): the lane runs at its learned rate. */
  probeDone: boolean;
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
    private readonly random: () => number = Math.random,
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

  /** Lifts a pause until `untilMs` or sooner (a later one stays): Pinterest took a write despite it. */
  resume(key: string, category: string, untilMs: number): void {
    const lane = this.lane(key, category);
    if (!lane || lane.pausedUntil > untilMs) return;
    lane.pausedUntil = 0;
    lane.wake?.();
  }

  /** Learns from an answer: slows down after a 429, paces a window quota, speeds back up when there is room. */
  observe(key: string, category: string, seen: BudgetObservation): void {
    const lane = this.lane(key, category);
    if (!lane) return;
    const { limit, remaining, sentAt } = seen;
    if (limit !== undefined && remaining !== undefined && sentAt !== undefined && isPerSecondWindow(lane.rate, seen)) {
      lane.windowShare.learn({ status: seen.status, limit, remaining, sentAt }, this.clock.now());
      // Refused in a window the others fill: shift this lane's phase, or it may keep landing where they send.
      if (seen.status === 429) lane.nextSlot += this.random() * (1000 / limit);
    } else if (seen.status === 429) {
      lane.learnedRate = Math.max(MIN_RATE, lane.learnedRate * DECREASE);
    } else if (seen.status >= 200 && seen.status < 300) {
      const added = remaining === undefined ? (limit === undefined ? BLIND_INCREASE : 0) : INCREASE * Math.min(remaining, lane.rate);
      lane.learnedRate = Math.min(lane.rate, lane.learnedRate + added);
      lane.pacedIntervalMs = this.pacedInterval(lane, seen);
    }
    const rate = Math.min(lane.learnedRate, lane.windowShare.share ?? Infinity);
    lane.intervalMs = Math.max((1000 + WINDOW_SLACK_MS) / rate, lane.pacedIntervalMs);
    this.endProbe(lane);
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

  /**
   * A request granted at `grantedAt` left only at `sentAt` (a busy event loop held it back): the next
   * slot keeps its distance from when it really left.
   */
  sent(key: string, category: string, grantedAt: number, sentAt: number): void {
    const lane = this.lane(key, category);
    if (!lane || !isLateSend(grantedAt, sentAt)) return;
    lane.nextSlot = Math.max(lane.nextSlot, effectiveSendTime(sentAt) + lane.intervalMs);
  }

  /** Requests per second this lane now grants (for tests and progress). */
  currentRate(key: string, category: string): number {
    const lane = this.lane(key, category);
    return lane ? 1000 / lane.intervalMs : Infinity;
  }

  /** Slots of the per-second window this lane takes beside unseen consumers; undefined until learned. */
  windowShare(key: string, category: string): number | undefined {
    return this.lane(key, category)?.windowShare.share;
  }

  /** The sends a lane counts as its own against the server's window (see SendLog). */
  protected sendLog(_key: string, _category: string): SendLog {
    return new MemorySendLog();
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
      lane = {
        rate,
        learnedRate: rate,
        pacedIntervalMs: 0,
        quotaWindowMs: 0,
        intervalMs: (1000 + WINDOW_SLACK_MS) / rate,
        windowShare: new WindowShare(rate, this.random, this.sendLog(key, category)),
        probeSentAt: undefined,
        probeDone: false,
        nextSlot: 0,
        pausedUntil: 0,
        queue: [],
        pumping: false,
      };
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
        const probing = !lane.probeDone && lane.probeSentAt !== undefined;
        const due = Math.max(lane.nextSlot, lane.pausedUntil, probing ? lane.probeSentAt! + PROBE_TIMEOUT_INTERVALS * lane.intervalMs : 0);
        const wait = due - this.clock.now();
        if (wait > 0) {
          await this.interruptibleSleep(lane, wait);
          continue;
        }
        const waiter = lane.queue.shift()!;
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        const now = this.clock.now();
        lane.nextSlot = now + lane.intervalMs;
        lane.windowShare.recordSend(now);
        if (lane.probeSentAt === undefined) lane.probeSentAt = now;
        else lane.probeDone = true;
        waiter.resolve();
      }
    } finally {
      lane.pumping = false;
    }
  }

  /** The first answer came back: the lane's other requests may go. */
  private endProbe(lane: Lane): void {
    if (lane.probeDone) return;
    lane.probeDone = true;
    lane.wake?.();
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

/**
 * The spacing already holds WINDOW_SLACK_MS per window for jitter: a request that left up to that
 * much after its grant still keeps any N+1 of them over a second apart. Only the lag beyond it counts.
 */
export function isLateSend(grantedAt: number, sentAt: number): boolean {
  return sentAt - grantedAt > WINDOW_SLACK_MS;
}

/** Where a late request's slot should have been for the spacing after it to stay true. */
export function effectiveSendTime(sentAt: number): number {
  return sentAt - WINDOW_SLACK_MS;
}

/** A limit about the configured `rate` and a reset within a second: the per-second window, not a quota. */
export function isPerSecondWindow(rate: number, { limit, resetMs }: Pick<BudgetObservation, 'limit' | 'resetMs'>): boolean {
  return limit !== undefined && limit <= rate * 1.5 && resetMs !== undefined && resetMs <= 1000;
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
