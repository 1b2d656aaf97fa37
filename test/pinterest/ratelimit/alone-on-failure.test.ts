// A shared budget that fails mid-run (a full disk under the budget file) leaves the process keeping
// to the rate alone: the request that hit the failure still goes, in its slot, and the rest follow
// at the lane's own spacing without touching the shared budget again. Virtual time.
import { describe, expect, it } from 'vitest';
import { aloneOnFailure, RateLimiter, type SharedBudget, type SharedSlots } from '../../../src/pinterest/ratelimit/index.js';
import { VirtualClock } from '../../support/virtual-clock.js';

/** Shared slots that work (each granted at once) until `broken`, then throw like a full disk. */
class BreakingBudget implements SharedBudget {
  broken = false;
  /** Every call that reached the budget. */
  calls: string[] = [];
  private readonly writes: SharedSlots = {
    acquire: async (signal) => {
      this.use('acquire');
      if (this.holdAcquire) await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    },
    pause: () => this.use('pause'),
    pausedUntil: () => (this.use('pausedUntil'), 0),
    resume: () => this.use('resume'),
    sentLate: () => this.use('sentLate'),
    learnShare: () => this.use('learnShare'),
    sends: {
      record: () => this.use('record'),
      countIn: () => (this.use('countIn'), 0),
      forget: () => this.use('forget'),
    },
  };

  constructor(private readonly holdAcquire = false) {}

  slots(_key: string, category: string): SharedSlots | undefined {
    return category === 'ads_write' ? this.writes : undefined;
  }

  close(): void {}

  private use(what: string): void {
    this.calls.push(what);
    if (this.broken) throw new Error('disk I/O error');
  }
}

function limiterOn(shared: BreakingBudget) {
  const clock = new VirtualClock();
  const debug: string[] = [];
  const limiter = new RateLimiter({ ads_write: 10 }, { clock, shared: aloneOnFailure(shared, (message) => debug.push(message)) });
  return { clock, debug, limiter };
}

describe('aloneOnFailure', () => {
  it('from the first failure the lane keeps its own spacing, says so once, and leaves the shared budget alone', async () => {
    const shared = new BreakingBudget();
    const { clock, debug, limiter } = limiterOn(shared);
    await clock.runUntilSettled(limiter.acquire('t', 'ads_write'));
    limiter.observe('t', 'ads_write', { status: 200 });
    shared.broken = true;
    const granted: number[] = [];
    const three = Array.from({ length: 3 }, () => limiter.acquire('t', 'ads_write').then(() => granted.push(clock.now())));
    await clock.runUntilSettled(Promise.all(three));
    expect(granted).toEqual([102, 204, 306]);
    expect(debug).toEqual(['the write budget shared with other pinsync processes failed (disk I/O error); keeping to the rate alone']);

    const reached = shared.calls.length;
    limiter.pause('t', 'ads_write', 1_000);
    limiter.observe('t', 'ads_write', { status: 200, limit: 10, remaining: 5, resetMs: 1000, sentAt: 306 });
    limiter.sent('t', 'ads_write', 306, 500);
    expect(limiter.pausedUntil('t', 'ads_write')).toBe(1_000); // the lane's own pause still holds
    expect(shared.calls.length).toBe(reached);
    expect(debug).toHaveLength(1);
  });

  it('a wait cut by Ctrl-C is no failure: the shared budget stays in use', async () => {
    const shared = new BreakingBudget(true);
    const { clock, debug, limiter } = limiterOn(shared);
    const controller = new AbortController();
    const waiting = limiter.acquire('t', 'ads_write', { signal: controller.signal });
    await clock.runUntil(10);
    controller.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    limiter.pause('t', 'ads_write', 1_000);
    expect(shared.calls).toContain('pause');
    expect(debug).toEqual([]);
  });
});
