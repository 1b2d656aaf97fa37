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
      const timer: Timer = { at: this.time + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Runs every timer due until `until` (epoch ms of this clock), letting each one's follow-ups settle. */
  async runUntil(until: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.timers.reduce<Timer | undefined>((first, t) => (!first || t.at < first.at ? t : first), undefined);
      if (!next || next.at > until) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await settle();
    }
    this.time = until;
  }
}

/** Lets every pending promise callback run (a macrotask turn comes after all microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
