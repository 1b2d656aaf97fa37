// What the rate limiter needs from a write budget shared with the other pinsync processes of one
// PINSYNC_HOME: a slot sequence per token and category. src/state/token-budget.ts implements it (SQLite).
import type { SendLog } from './window-share.js';

export interface SharedBudget {
  /** The slot sequence this lane shares; undefined for a category each process keeps alone (reads). */
  slots(key: string, category: string): SharedSlots | undefined;
  close(): void;
}

/** One token and category's slots, shared by every process of the home. */
export interface SharedSlots {
  /** Takes this process's place in the shared sequence now, and resolves when its slot comes. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Holds every process of this token until `untilMs` (after a 429 or an exhausted quota). */
  pause(untilMs: number): void;
  pausedUntil(): number;
  /** Lifts a pause that ends at `untilMs` or sooner, for every process (a later one stays). */
  resume(untilMs: number): void;
  /** This process's last request left late, as if granted at `sentAt`: the next grant, to anyone, keeps its distance. */
  sentLate(sentAt: number): void;
  /** Slots per second this process learned the home may take beside consumers elsewhere: it paces them all. */
  learnShare(share: number): void;
  /** Every process's grants: the window share counts them as its own sends, not as unseen consumers. */
  readonly sends: SendLog;
}
