// A budget file that stops taking writes mid-run must not stop the run. Busy (another process holds
// it a moment): the call at hand goes alone, this once. Anything else (a full disk, a read-only or
// failing file): from then on the shared budget steps aside and this process keeps to the rate alone.
import type { SharedBudget, SharedSlots } from './shared-budget.js';
import { MemorySendLog, type SendLog } from './window-share.js';

/** Runs `use` on the shared budget, or `alone` once it has failed. */
type Guard = <T>(use: () => T, alone: () => T) => T;

export function aloneOnFailure(shared: SharedBudget, debugLog: (message: string) => void): SharedBudget {
  let failed = false;
  const fallBack = (error: unknown) => {
    if (failed) return;
    failed = true;
    debugLog(`the write budget shared with other pinsync processes failed (${(error as Error).message}); keeping to the rate alone`);
  };
  const guard: Guard = (use, alone) => {
    if (failed) return alone();
    try {
      return use();
    } catch (error) {
      if (!isBusy(error)) fallBack(error);
      return alone();
    }
  };
  const guarded = (slots: SharedSlots): SharedSlots => ({
    acquire: async (signal) => {
      if (failed) return; // the lane's own spacing is all there is now
      try {
        await slots.acquire(signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        if (!isBusy(error)) fallBack(error); // busy: this slot keeps to the lane's own spacing
      }
    },
    pause: (untilMs) => guard(() => slots.pause(untilMs), () => undefined),
    pausedUntil: () => guard(() => slots.pausedUntil(), () => 0),
    resume: (untilMs) => guard(() => slots.resume(untilMs), () => undefined),
    sentLate: (sentAt) => guard(() => slots.sentLate(sentAt), () => undefined),
    learnShare: (share) => guard(() => slots.learnShare(share), () => undefined),
    sends: guardedSends(slots.sends, guard),
  });
  return {
    slots: (key, category) =>
      guard(
        () => {
          const slots = shared.slots(key, category);
          return slots && guarded(slots);
        },
        () => undefined,
      ),
    close: () => shared.close(),
  };
}

/** SQLite's "another connection holds the file": it passes (a full disk or an I/O error does not). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_') || code.startsWith('SQLITE_LOCKED_'));
}

/** The home's grants while the budget works; this process's own sends from its failure on. */
function guardedSends(shared: SendLog, guard: Guard): SendLog {
  const alone = new MemorySendLog();
  return {
    record: (at) => guard(() => shared.record(at), () => alone.record(at)),
    countIn: (from, to) => guard(() => shared.countIn(from, to), () => alone.countIn(from, to)),
    forget: (at) => guard(() => shared.forget(at), () => alone.forget(at)),
  };
}
