// RateLimiter: this process's lanes (a token's requests in one rate-limit category). Each grants the
// requests waiting in it, client by client in turn (Turns), at the spacing its Lane learned from the
// answers; with a SharedBudget each slot is also a slot of the token's budget shared with the other
// processes of the home: this process's learned lane first, then the shared slot, one at a time.
import { realClock, type Clock } from '../clock.js';
import { effectiveSendTime, isLateSend, Lane } from './lane.js';
import { laneKey, type BudgetObservation, type CategoryRates, type Limiter, type SlotWait } from './limiter.js';
import type { SharedBudget, SharedSlots } from './shared-budget.js';
import { Turns, type Waiter } from './turns.js';
import { MemorySendLog } from './window-share.js';

export interface RateLimiterOptions {
  clock?: Clock;
  random?: () => number;
  /** Slots shared with the other processes of this PINSYNC_HOME (state/token-budget.ts). */
  shared?: SharedBudget;
}

/** One lane with the requests waiting in it. */
interface LaneLine {
  lane: Lane;
  turns: Turns;
  /** This lane's slots in the shared budget; undefined when this process keeps to it alone. */
  shared: SharedSlots | undefined;
  pumping: boolean;
  /** Ends the pump's sleep early: a pause or the probe's answer moved the next slot. */
  wake?: () => void;
  /**
   * Cancels the wait for a shared slot once every request has left. Only one request at a time waits
   * there, so this process holds at most one place in the shared sequence and the others interleave.
   */
  asking?: AbortController;
}

/** The client a RateLimiter serves when asked directly rather than through client(). */
const OWN_CLIENT = 0;

export class RateLimiter implements Limiter {
  private readonly lanes = new Map<string, LaneLine>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly shared: SharedBudget | undefined;
  private clients = OWN_CLIENT;

  constructor(
    private readonly rates: CategoryRates,
    options: RateLimiterOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.shared = options.shared;
  }

  /** A client's view (one job of `pinsync run`): its requests take turns with the other clients'. */
  client(): Limiter {
    const client = ++this.clients;
    return {
      acquire: (key, category, wait) => this.acquireFor(client, key, category, wait),
      cut: (key, category, reason, stops) => this.cutFor(client, key, category, reason, stops),
      pause: (key, category, untilMs) => this.pause(key, category, untilMs),
      pausedUntil: (key, category) => this.pausedUntil(key, category),
      resume: (key, category, untilMs) => this.resume(key, category, untilMs),
      observe: (key, category, seen) => this.observe(key, category, seen),
      sent: (key, category, grantedAt, sentAt) => this.sent(key, category, grantedAt, sentAt),
    };
  }

  acquire(key: string, category: string, wait?: SlotWait): Promise<void> {
    return this.acquireFor(OWN_CLIENT, key, category, wait);
  }

  cut(key: string, category: string, reason: unknown, stops?: (deadline: number) => boolean): void {
    this.cutFor(OWN_CLIENT, key, category, reason, stops);
  }

  /** A pause Pinterest asked for holds this lane and every process sharing the token. */
  pause(key: string, category: string, untilMs: number): void {
    const line = this.line(key, category);
    if (!line) return;
    if (line.lane.pause(untilMs)) line.wake?.();
    line.shared?.pause(untilMs);
  }

  pausedUntil(key: string, category: string): number {
    const line = this.line(key, category);
    if (!line) return 0;
    return Math.max(line.lane.pausedUntil, line.shared?.pausedUntil() ?? 0);
  }

  /** Pinterest took a write despite a remembered pause: lifted here and for every process of the token. */
  resume(key: string, category: string, untilMs: number): void {
    const line = this.line(key, category);
    if (!line) return;
    if (line.lane.resume(untilMs)) line.wake?.();
    line.shared?.resume(untilMs);
  }

  /** What this process learned of the window holds every process of the token: they count as one consumer. */
  observe(key: string, category: string, seen: BudgetObservation): void {
    const line = this.line(key, category);
    if (!line) return;
    if (line.lane.observe(seen, this.clock.now())) line.wake?.();
    const share = line.lane.windowShare.share;
    if (share !== undefined) line.shared?.learnShare(share);
  }

  /** A request held back after its grant moves the next slot, the shared sequence's too. */
  sent(key: string, category: string, grantedAt: number, sentAt: number): void {
    const line = this.line(key, category);
    if (!line) return;
    line.lane.sent(grantedAt, sentAt);
    if (isLateSend(grantedAt, sentAt)) line.shared?.sentLate(effectiveSendTime(sentAt));
  }

  /** Slots of the per-second window this lane takes beside unseen consumers; undefined until learned. */
  windowShare(key: string, category: string): number | undefined {
    return this.line(key, category)?.lane.windowShare.share;
  }

  private acquireFor(client: number, key: string, category: string, { signal, deadline = Infinity }: SlotWait = {}): Promise<void> {
    const line = this.line(key, category);
    if (!line) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.leave(line, client, waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        deadline,
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
      line.turns.add(client, waiter);
      void this.pump(line);
    });
  }

  private cutFor(client: number, key: string, category: string, reason: unknown, stops: (deadline: number) => boolean = () => true): void {
    const line = this.line(key, category);
    if (!line) return;
    const cut = line.turns.cut(client, stops);
    if (line.turns.isEmpty) line.asking?.abort();
    for (const waiter of cut) waiter.fail(reason);
  }

  private leave(line: LaneLine, client: number, waiter: Waiter): void {
    line.turns.leave(client, waiter);
    if (line.turns.isEmpty) line.asking?.abort();
  }

  private line(key: string, category: string): LaneLine | undefined {
    const rate = this.rates[category];
    if (!rate || !Number.isFinite(rate) || rate <= 0) return undefined;
    const id = laneKey(key, category);
    let line = this.lanes.get(id);
    if (!line) {
      const shared = this.shared?.slots(key, category);
      // The processes sharing the budget count each other's sends as their own, not as unseen consumers.
      const lane = new Lane(rate, this.random, shared?.sends ?? new MemorySendLog());
      line = { lane, turns: new Turns(), shared, pumping: false };
      this.lanes.set(id, line);
    }
    return line;
  }

  /** One loop per lane hands out its slots, re-checking pauses and the probe that arrive while it waits. */
  private async pump(line: LaneLine): Promise<void> {
    if (line.pumping) return;
    line.pumping = true;
    try {
      while (!line.turns.isEmpty) {
        const wait = line.lane.due() - this.clock.now();
        if (wait > 0) {
          await this.interruptibleSleep(line, wait);
          continue;
        }
        line.lane.take(this.clock.now());
        if (line.shared) await this.handOnSharedSlot(line, line.shared);
        else line.turns.next()?.grant();
      }
    } finally {
      line.pumping = false;
    }
  }

  /** The lane's slot, once the shared budget grants it too, goes to the next client in turn. */
  private async handOnSharedSlot(line: LaneLine, shared: SharedSlots): Promise<void> {
    const asking = (line.asking = new AbortController());
    try {
      await shared.acquire(asking.signal);
      line.turns.next()?.grant();
    } catch (error) {
      // Cancelled because every request left: nothing to hand on. Otherwise the next one hears why.
      if (!asking.signal.aborted) line.turns.next()?.fail(error);
    } finally {
      line.asking = undefined;
    }
  }

  private interruptibleSleep(line: LaneLine, ms: number): Promise<void> {
    const controller = new AbortController();
    line.wake = () => controller.abort();
    return this.clock
      .sleep(ms, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        line.wake = undefined;
      });
  }
}
