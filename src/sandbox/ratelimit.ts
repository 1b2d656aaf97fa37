// Pinterest-style rate limits for the sandbox: a sliding one-window counter per token and category,
// so "at most N in any window" holds exactly (a token bucket would let 2N through across a refill).

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees up (at least 1 when refused). */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(key: string, now: number): RateDecision {
    const times = this.windowFor(key, now);
    if (times.length >= this.limit) {
      const resetMs = times[0]! + this.windowMs - now;
      return { allowed: false, limit: this.limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)) };
    }
    times.push(now);
    const resetMs = times[0]! + this.windowMs - now;
    return {
      allowed: true,
      limit: this.limit,
      remaining: this.limit - times.length,
      resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)),
    };
  }

  private windowFor(key: string, now: number): number[] {
    let times = this.windows.get(key);
    if (!times) {
      times = [];
      this.windows.set(key, times);
    }
    let expired = 0;
    while (expired < times.length && times[expired]! <= now - this.windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times;
  }
}

/**
 * A quota that refills all at once: the window opens at a key's first request and lasts `windowMs`
 * (a "day" that tests may shorten), like a daily quota whose reset is hours away.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { openedAt: number; used: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(key: string, now: number): RateDecision {
    const window = this.windowFor(key, now);
    const resetSeconds = Math.max(1, Math.ceil((window.openedAt + this.windowMs - now) / 1000));
    if (window.used >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    window.used++;
    return { allowed: true, limit: this.limit, remaining: this.limit - window.used, resetSeconds };
  }

  private windowFor(key: string, now: number): { openedAt: number; used: number } {
    let window = this.windows.get(key);
    if (!window || now >= window.openedAt + this.windowMs) {
      window = { openedAt: now, used: 0 };
      this.windows.set(key, window);
    }
    return window;
  }
}
