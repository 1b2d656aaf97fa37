// WindowShare: how many slots of the token's per-second write window this process takes when
// consumers it cannot see (other machines, CI runners on the same token) spend the same window.
// Their use is inferred from x-ratelimit-remaining against this process's own sends in the window.
//
// Why whole slots: a process spaced at (1 s + slack) / k never has more than k requests in any
// one-second window, whatever its phase against the others', so shares that add up to the limit
// never collide. Two processes settle at e.g. 4 + 3 of 7, not 3.5 + 3.5 (which can bunch 8).

/** The server's per-second window. */
const WINDOW_MS = 1000;
/** Estimates of the others' use kept for the typical and the highest figure. */
const ESTIMATES_KEPT = 5;
/**
 * When one slot is free, each process takes it with this chance per window: both taking it at once
 * (a 429 or two, then one steps back) happens in 1 window of 9, one taking it in 4 of 9.
 */
const TAKE_LAST_SLOT_CHANCE = 1 / 3;

/** One answer's view of the per-second window. */
export interface WindowAnswer {
  status: number;
  limit: number;
  remaining: number;
  /** Epoch ms the request was sent (its slot was granted). */
  sentAt: number;
}

/**
 * The sends counted as "ours" against the window. By default this process's own; processes that share
 * a budget (state/token-budget.ts) count each other's too, since they already keep out of each other's way.
 */
export interface SendLog {
  /** A slot granted at `at` (a request about to be sent). */
  record(at: number): void;
  /** Sends granted in (from, to]. */
  countIn(from: number, to: number): number;
  /** Drops the send granted closest to `at`: it was refused, and the server did not count it. */
  forget(at: number): void;
}

export class MemorySendLog implements SendLog {
  private sends: number[] = [];

  record(at: number): void {
    this.sends.push(at);
    while (this.sends.length > 0 && this.sends[0]! < at - 2 * WINDOW_MS) this.sends.shift();
  }

  countIn(from: number, to: number): number {
    return this.sends.filter((at) => at > from && at <= to).length;
  }

  forget(at: number): void {
    let closest = -1;
    for (let i = 0; i < this.sends.length; i++) {
      if (closest < 0 || Math.abs(this.sends[i]! - at) < Math.abs(this.sends[closest]! - at)) closest = i;
    }
    if (closest >= 0) this.sends.splice(closest, 1);
  }
}

export class WindowShare {
  /** Slots per window this process takes; undefined until an answer showed the window. */
  share: number | undefined;
  private estimates: Array<{ at: number; others: number }> = [];
  private decidedAt = -Infinity;

  constructor(
    /** The configured ceiling (--rate): never more slots than this. */
    private readonly rate: number,
    private readonly random: () => number,
    private readonly sends: SendLog = new MemorySendLog(),
  ) {}

  /** A slot granted at `at` (a request about to be sent). */
  recordSend(at: number): void {
    this.sends.record(at);
  }

  /** Learns from one answer at `now`: steps down at once when the others use more, up a window at a time. */
  learn(answer: WindowAnswer, now: number): void {
    // A refused request takes no slot of the server's window.
    if (answer.status === 429) this.sends.forget(answer.sentAt);
    const used = answer.status === 429 ? answer.limit : answer.limit - answer.remaining;
    this.remember(now, Math.max(0, used - this.mineBefore(answer.sentAt)));
    const { typical, highest } = this.othersUse(now);
    const ceiling = Math.min(this.rate, answer.limit);
    const fits = Math.max(1, Math.min(ceiling, answer.limit - typical));
    if (this.share === undefined) {
      // A fresh process: all of an idle window, else half of what the others leave (they may be starting too).
      this.share = typical === 0 ? fits : Math.max(1, Math.floor(fits / 2));
      this.decidedAt = now;
    } else if (this.share > fits) {
      this.setShare(fits, now);
    } else if (answer.status === 429) {
      // Miscounted (or another consumer just stepped up): give one slot back, once a window.
      if (now - this.decidedAt >= WINDOW_MS) this.setShare(Math.max(1, this.share - 1), now);
    } else if (now - this.decidedAt >= WINDOW_MS) {
      this.decideOnce(fits, highest, typical, now);
    }
  }

  /** Once a window: take part of the free room, or give one slot back when holding more than the others. */
  private decideOnce(fits: number, highest: number, typical: number, now: number): void {
    const share = this.share!;
    const room = fits - share;
    this.decidedAt = now;
    if (room > 0 && highest === 0) this.share = fits;
    else if (room >= 2) this.share = share + Math.floor(room / 2);
    else if (room === 1 && this.random() < TAKE_LAST_SLOT_CHANCE) this.share = share + 1;
    else if (room <= 0 && typical > 0 && share > typical + 1) this.share = share - 1;
  }

  private setShare(share: number, now: number): void {
    this.share = share;
    this.decidedAt = now;
  }

  /** Our requests the server counted in the window that ends at `sentAt` (this one included). */
  private mineBefore(sentAt: number): number {
    return this.sends.countIn(sentAt - WINDOW_MS, sentAt);
  }

  private remember(now: number, others: number): void {
    this.estimates.push({ at: now, others });
    this.estimates = this.estimates.filter((e) => e.at > now - WINDOW_MS).slice(-ESTIMATES_KEPT);
  }

  /** The others' use over the last window: typical (median, against one noisy count) and highest. */
  private othersUse(now: number): { typical: number; highest: number } {
    const sorted = this.estimates.filter((e) => e.at > now - WINDOW_MS).map((e) => e.others).sort((a, b) => a - b);
    return { typical: sorted[Math.floor(sorted.length / 2)] ?? 0, highest: sorted[sorted.length - 1] ?? 0 };
  }
}
