// The ads_write budget of one token: the per-second rate, plus the optional quotas Pinterest's
// rate-limit table gives (Standard: 400 a minute; Trial: 300 a day), and the headers every write carries.
// The per-second rate and the window quota keep real time; the daily quota's days follow the sandbox clock.
import { DAY_MS } from './clock.js';
import { FixedWindowLimiter, SlidingWindowLimiter, type RateDecision } from './ratelimit.js';

export interface WriteQuotaOptions {
  /** ads_write requests per second per token. */
  writeRate: number;
  /** At most `limit` writes per token in any `windowMs` (e.g. 400 per 60,000 ms). */
  writeQuota?: { limit: number; windowMs: number };
  /** At most `limit` writes per token per "day" of `dayMs` (default 24 h), opened by the token's first write. */
  dailyWriteQuota?: { limit: number; dayMs?: number };
}

export type QuotaName = 'rate' | 'window' | 'daily';

export interface WriteDecision {
  allowed: boolean;
  /** Which limit refused the write (when not allowed). */
  refusedBy?: QuotaName;
  /**
   * What the x-ratelimit-* headers describe: the limit that refused; else the quota closest to running
   * out (a real quota is what a client must learn), or the per-second rate when no quota is set.
   */
  shown: RateDecision;
}

export class WriteQuota {
  private readonly limiters: Array<{ name: QuotaName; limiter: SlidingWindowLimiter | FixedWindowLimiter }> = [];

  constructor(options: WriteQuotaOptions) {
    this.limiters.push({ name: 'rate', limiter: new SlidingWindowLimiter(options.writeRate, 1000) });
    if (options.writeQuota) {
      const { limit, windowMs } = options.writeQuota;
      this.limiters.push({ name: 'window', limiter: new SlidingWindowLimiter(limit, windowMs) });
    }
    if (options.dailyWriteQuota) {
      const { limit, dayMs = DAY_MS } = options.dailyWriteQuota;
      this.limiters.push({ name: 'daily', limiter: new FixedWindowLimiter(limit, dayMs) });
    }
  }

  /**
   * Takes one write from each limit in turn; a refused write uses up nothing from the later ones.
   * `now` is real time; `dayNow` the sandbox clock the daily quota's days follow.
   */
  take(key: string, now: number, dayNow = now): WriteDecision {
    const taken: RateDecision[] = [];
    for (const { name, limiter } of this.limiters) {
      const decision = limiter.take(key, name === 'daily' ? dayNow : now);
      if (!decision.allowed) return { allowed: false, refusedBy: name, shown: decision };
      taken.push(decision);
    }
    const quotas = taken.length > 1 ? taken.slice(1) : taken;
    return { allowed: true, shown: closestToRunningOut(quotas) };
  }
}

/** Fewest remaining; on a tie, the later reset (the one a client must respect longer). */
function closestToRunningOut(decisions: RateDecision[]): RateDecision {
  return decisions.reduce((worst, d) =>
    d.remaining < worst.remaining || (d.remaining === worst.remaining && d.resetSeconds > worst.resetSeconds) ? d : worst,
  );
}
