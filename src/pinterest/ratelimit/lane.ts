// Lane: when the next request of one token and rate-limit category may go, in this process. Spacing
// (burst 1) rather than a bucket keeps "at most N in any 1-second window" true on the server. The rate
// is a ceiling, not a promise: answers teach the lane the budget it really has (observe()).
import type { BudgetObservation } from './limiter.js';
import { WindowShare, type SendLog } from './window-share.js';

/**
 * Slack per one-second window: requests can reach the server bunched by event-loop and network jitter,
 * so N requests are spread over 1,020 ms rather than 1,000 (7/s becomes one every ~146 ms). 20 ms
 * keeps 0 answers 429 in `npm run bench` (upload) at 0.97 of the ceiling; 50 ms capped it at 0.95.
 */
export const WINDOW_SLACK_MS = 20;

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

export class Lane {
  /** What the answers taught: ≤ rate. */
  private learnedRate: number;
  /** Spacing that spreads a window quota's remaining budget over the time to its reset (0: none). */
  private pacedIntervalMs = 0;
  /** The longest reset seen of a window quota: about its window, so limit per window is its steady rate. */
  private quotaWindowMs = 0;
  private intervalMs: number;
  /** Slots of the per-second window beside other consumers of the token. */
  readonly windowShare: WindowShare;
  /** When the lane's first slot was granted (undefined: not yet). */
  private probeSentAt: number | undefined;
  /** The probe's answer came back (or it timed out): the lane runs at its learned rate. */
  private probeDone = false;
  private nextSlot = 0;
  private heldUntil = 0;

  constructor(
    /** The configured ceiling, requests per second. */
    private readonly rate: number,
    private readonly random: () => number,
    sends: SendLog,
  ) {
    this.learnedRate = rate;
    this.intervalMs = (1000 + WINDOW_SLACK_MS) / rate;
    this.windowShare = new WindowShare(rate, random, sends);
  }

  /** Epoch ms a pause Pinterest asked for ends (0: none yet). */
  get pausedUntil(): number {
    return this.heldUntil;
  }

  /** Epoch ms the next slot may be granted: after the spacing, a pause, and the probe's answer. */
  due(): number {
    const probing = !this.probeDone && this.probeSentAt !== undefined;
    return Math.max(this.nextSlot, this.heldUntil, probing ? this.probeSentAt! + PROBE_TIMEOUT_INTERVALS * this.intervalMs : 0);
  }

  /** A slot granted at `now`: the next keeps its distance; the first is the probe, the second ends it. */
  take(now: number): void {
    this.nextSlot = now + this.intervalMs;
    this.windowShare.recordSend(now);
    if (this.probeSentAt === undefined) this.probeSentAt = now;
    else this.probeDone = true;
  }

  /** Holds the lane until `untilMs`; true when that moved the pause. */
  pause(untilMs: number): boolean {
    if (untilMs <= this.heldUntil) return false;
    this.heldUntil = untilMs;
    return true;
  }

  /** Lifts a pause that ends at `untilMs` or sooner; true when there was one. */
  resume(untilMs: number): boolean {
    if (this.heldUntil === 0 || this.heldUntil > untilMs) return false;
    this.heldUntil = 0;
    return true;
  }

  /** Learns from an answer; true when it ended the probe (the lane's other requests may go now). */
  observe(seen: BudgetObservation, now: number): boolean {
    const { limit, remaining, sentAt } = seen;
    if (limit !== undefined && remaining !== undefined && sentAt !== undefined && isPerSecondWindow(this.rate, seen)) {
      this.windowShare.learn({ status: seen.status, limit, remaining, sentAt }, now);
      // Refused in a window the others fill: shift this lane's phase, or it may keep landing where they send.
      if (seen.status === 429) this.nextSlot += this.random() * (1000 / limit);
    } else if (seen.status === 429) {
      this.learnedRate = Math.max(MIN_RATE, this.learnedRate * DECREASE);
    } else if (seen.status >= 200 && seen.status < 300) {
      const added = remaining === undefined ? (limit === undefined ? BLIND_INCREASE : 0) : INCREASE * Math.min(remaining, this.rate);
      this.learnedRate = Math.min(this.rate, this.learnedRate + added);
      this.pacedIntervalMs = this.pacedInterval(seen);
    }
    const rate = Math.min(this.learnedRate, this.windowShare.share ?? Infinity);
    this.intervalMs = Math.max((1000 + WINDOW_SLACK_MS) / rate, this.pacedIntervalMs);
    return this.endProbe();
  }

  /**
   * A request granted at `grantedAt` left only at `sentAt` (a busy event loop held it back): the next
   * slot keeps its distance from when it really left.
   */
  sent(grantedAt: number, sentAt: number): void {
    if (!isLateSend(grantedAt, sentAt)) return;
    this.nextSlot = Math.max(this.nextSlot, effectiveSendTime(sentAt) + this.intervalMs);
  }

  /**
   * A quota over a window longer than the per-second rate (its limit is well above `rate`) is spread
   * evenly, so the run settles just under it instead of spending it at full speed and then living on
   * 429s: at most `limit` per window (the longest reset seen), and the remaining budget over the time
   * to the reset when that is slower (another process used part of it). Resets come in whole seconds,
   * so a reset of a second or less says little. The per-second window itself is left to spacing.
   */
  private pacedInterval(seen: BudgetObservation): number {
    const { limit, remaining, resetMs } = seen;
    if (limit === undefined || remaining === undefined || resetMs === undefined) return 0;
    if (limit <= this.rate * 1.5 || resetMs > PACED_WINDOW_MAX_MS) return 0;
    this.quotaWindowMs = Math.max(this.quotaWindowMs, resetMs);
    const steady = (this.quotaWindowMs * (1 + QUOTA_MARGIN)) / limit;
    return resetMs > 1000 ? Math.max(steady, resetMs / Math.max(1, remaining)) : steady;
  }

  private endProbe(): boolean {
    if (this.probeDone) return false;
    this.probeDone = true;
    return true;
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
