// The write budget of this process: one limiter whose ads_write slots are shared with every other
// pinsync process on this PINSYNC_HOME using the same token (state/token-budget.ts), handed out in
// turn between the clients of this process (the jobs of `pinsync run`), so that a job with many
// batches waiting does not starve one with a few.
import { DEFAULT_READ_RATE, DEFAULT_WRITE_RATE, RateLimiter } from './pinterest/ratelimit.js';

/** What PinterestClient needs of a limiter (its `limiter` option). */
export type Limiter = Pick<RateLimiter, 'acquire' | 'pause' | 'pausedUntil' | 'resume' | 'observe' | 'sent'>;

export interface WriteBudget {
  /** A lane for one client: its requests take turns with those of the other lanes. */
  lane(): Limiter;
  close(): void;
}

/**
 * This PINSYNC_HOME's budget at `writeRate` per second. When its folder cannot hold the budget file
 * (read-only home, full disk) the process keeps to the rate on its own: the run's journal reports
 * the folder itself, and a dry run does not need it.
 */
export async function openWriteBudget(
  stateDir: string,
  writeRate = DEFAULT_WRITE_RATE,
  debugLog: (message: string) => void = () => undefined,
): Promise<WriteBudget> {
  const rates = { ads_write: writeRate, ads_read: DEFAULT_READ_RATE };
  try {
    const { openSharedRateLimiter } = await import('./state/token-budget.js');
    const shared = await openSharedRateLimiter(stateDir, rates);
    return new TakingTurns(aloneOnFailure(shared, new RateLimiter(rates), debugLog), () => shared.close());
  } catch (error) {
    debugLog(`the write budget shared with other pinsync processes is not available (${(error as Error).message}); keeping to ${writeRate}/s alone`);
    return new TakingTurns(new RateLimiter(rates), () => undefined);
  }
}

/**
 * A budget file that stops taking writes mid-run (a full disk, a busy file) must not stop the run:
 * from then on this process keeps to the rate alone, and the journal reports the folder if it must.
 */
function aloneOnFailure(shared: Limiter, alone: Limiter, debugLog: (message: string) => void): Limiter {
  let current = shared;
  const fallBack = (error: unknown) => {
    if (current === alone) return;
    current = alone;
    debugLog(`the write budget shared with other pinsync processes failed (${(error as Error).message}); keeping to the rate alone`);
  };
  return {
    acquire: async (key, category, signal) => {
      try {
        return await current.acquire(key, category, signal);
      } catch (error) {
        if (signal?.aborted || current === alone) throw error;
        fallBack(error);
        return alone.acquire(key, category, signal);
      }
    },
    pause: (key, category, untilMs) => {
      try {
        current.pause(key, category, untilMs);
      } catch (error) {
        fallBack(error);
        alone.pause(key, category, untilMs);
      }
    },
    pausedUntil: (key, category) => {
      try {
        return current.pausedUntil(key, category);
      } catch (error) {
        fallBack(error);
        return alone.pausedUntil(key, category);
      }
    },
    resume: (key, category, untilMs) => {
      try {
        current.resume(key, category, untilMs);
      } catch (error) {
        fallBack(error);
      }
      alone.resume(key, category, untilMs);
    },
    observe: (key, category, seen) => current.observe(key, category, seen),
    sent: (key, category, grantedAt, sentAt) => {
      try {
        current.sent(key, category, grantedAt, sentAt);
      } catch (error) {
        fallBack(error);
      }
    },
  };
}

class TakingTurns implements WriteBudget {
  private readonly lines = new Map<string, TurnLine>();
  private lanes = 0;

  constructor(
    private readonly limiter: Limiter,
    private readonly release: () => void,
  ) {}

  lane(): Limiter {
    const lane = this.lanes++;
    return {
      acquire: (key, category, signal) => this.line(key, category).wait(lane, signal),
      pause: (key, category, untilMs) => this.limiter.pause(key, category, untilMs),
      pausedUntil: (key, category) => this.limiter.pausedUntil(key, category),
      resume: (key, category, untilMs) => this.limiter.resume(key, category, untilMs),
      observe: (key, category, seen) => this.limiter.observe(key, category, seen),
      sent: (key, category, grantedAt, sentAt) => this.limiter.sent(key, category, grantedAt, sentAt),
    };
  }

  close(): void {
    this.release();
  }

  private line(key: string, category: string): TurnLine {
    const id = `${key}\u0000${category}`;
    let line = this.lines.get(id);
    if (!line) {
      line = new TurnLine((signal) => this.limiter.acquire(key, category, signal));
      this.lines.set(id, line);
    }
    return line;
  }
}

interface Waiter {
  grant(): void;
  fail(reason: unknown): void;
}

/**
 * The requests of one token and category waiting in this process. One at a time asks the limiter
 * for a slot (so this process holds at most one place in the shared sequence, and other processes
 * interleave with it), and each slot goes to the next lane in turn that has a request waiting.
 */
class TurnLine {
  /** Waiting requests by lane, each lane first in, first out. */
  private readonly waiting = new Map<number, Waiter[]>();
  private lastServed = -1;
  private asking?: AbortController;

  constructor(private readonly takeSlot: (signal: AbortSignal) => Promise<void>) {}

  wait(lane: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.leave(lane, waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = this.waiting.get(lane) ?? [];
      queue.push(waiter);
      this.waiting.set(lane, queue);
      void this.serve();
    });
  }

  private async serve(): Promise<void> {
    if (this.asking) return;
    while (this.waiting.size > 0) {
      const asking = (this.asking = new AbortController());
      try {
        await this.takeSlot(asking.signal);
        this.nextWaiter()?.grant();
      } catch (error) {
        // Cancelled because every waiter left: nothing to hand on. Otherwise the next one hears why.
        if (!asking.signal.aborted) this.nextWaiter()?.fail(error);
      }
    }
    this.asking = undefined;
  }

  /** The first waiter of the next lane after the one served last (lanes in the order they opened). */
  private nextWaiter(): Waiter | undefined {
    const lanes = [...this.waiting.keys()].sort((a, b) => a - b);
    const lane = lanes.find((id) => id > this.lastServed) ?? lanes[0];
    if (lane === undefined) return undefined;
    this.lastServed = lane;
    const queue = this.waiting.get(lane)!;
    const waiter = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(lane);
    return waiter;
  }

  private leave(lane: number, waiter: Waiter): void {
    const queue = this.waiting.get(lane);
    const index = queue?.indexOf(waiter) ?? -1;
    if (index < 0) return;
    queue!.splice(index, 1);
    if (queue!.length === 0) this.waiting.delete(lane);
    if (this.waiting.size === 0) this.asking?.abort();
  }
}
