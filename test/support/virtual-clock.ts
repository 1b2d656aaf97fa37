// A Clock whose time moves only when a test advances it: timers fire in order, and the promises they
// resolve settle before the next one, so minutes of rate limiting run in milliseconds.
import type { Clock } from '../../src/pinterest/clock.js';

interface Timer {
  at: number;
  resolve(): void;
}

export class VirtualClock implements Clock {
  private time = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        at: this.time + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs every timer due until `until` (epoch ms of this clock), letting each one's follow-ups settle. */
  async runUntil(until: number): Promise<void> {
    await settle();
    while (await this.fireNext(until));
    this.time = until;
  }

  /** Runs timers in order until `work` settles, and leaves the time there; fails if it waits on nothing. */
  async runUntilSettled<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    await settle();
    while (!settled && (await this.fireNext(Infinity)));
    if (!settled) throw new Error(`still waiting at ${this.time} ms with no timer left`);
    return watched;
  }

  /** Fires the earliest timer due by `until`; false when there is none. */
  private async fireNext(until: number): Promise<boolean> {
    const next = this.timers.reduce<Timer | undefined>((first, t) => (!first || t.at < first.at ? t : first), undefined);
    if (!next || next.at > until) return false;
    this.timers = this.timers.filter((t) => t !== next);
    this.time = Math.max(this.time, next.at);
    next.resolve();
    await settle();
    return true;
  }
}

/** Lets every pending promise callback run (a macrotask turn comes after all microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
