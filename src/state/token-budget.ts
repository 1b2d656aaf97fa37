// One write budget per token across every pinsync process on one PINSYNC_HOME: Pinterest limits the
// token, not the process. Each (token, category) has a tiny SQLite file holding the next free slot
// and any pause; a process takes a slot in one short IMMEDIATE transaction and sleeps until it, so
// the processes share one spaced sequence (each gets slots in the order it asks, none starves) and
// together stay under the rate. No lock is held while waiting, and SQLite's locks die with their
// process, so a crashed holder blocks nobody; it only leaves the slots it had taken unused.
// The token is known only by the digest the client already keys its limiter with.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { RateLimiter, realClock, WINDOW_SLACK_MS, type CategoryRates, type Clock } from '../pinterest/ratelimit.js';

type Sqlite = typeof BetterSqlite3;

/** Categories shared across processes; reads stay per process (their limit is generous). */
const SHARED_CATEGORIES = ['ads_write'];

/**
 * Slack per one-second window between two grants to different processes: a grant reaches the server
 * after its process's event loop gets to send it, and two busy processes add their delays. With the
 * single-process WINDOW_SLACK_MS (20) two pushes saw 8 writes arrive within 1,000 ms now and then
 * (one 429 in 40 under test load). Grants in a row to one process keep the 20 ms, so a process
 * alone still reaches 0.97 of the rate.
 */
export const CROSS_PROCESS_SLACK_MS = 2 * WINDOW_SLACK_MS;

/** The shared slot sequence of one token and category. */
export class TokenBudget {
  private readonly intervalMs: number;
  /** Between grants to two different processes. */
  private readonly crossIntervalMs: number;
  private readonly takeSlot: () => number;
  /** 0 when granted now, else ms to wait before asking again. */
  private readonly takeGrant: () => number;
  private readonly readPause: () => number;
  private readonly writePause: (untilMs: number) => void;

  constructor(
    private readonly db: BetterSqlite3.Database,
    rate: number,
    private readonly clock: Clock = realClock,
  ) {
    this.intervalMs = (1000 + WINDOW_SLACK_MS) / rate;
    this.crossIntervalMs = (1000 + CROSS_PROCESS_SLACK_MS) / rate;
    const holder = `${process.pid}:${Math.random()}`; // this limiter, among the processes (and limiters) sharing the file
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // a lost slot after a power cut costs nothing
    db.exec(`CREATE TABLE IF NOT EXISTS budget (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      next_slot REAL NOT NULL,
      paused_until REAL NOT NULL,
      last_grant REAL NOT NULL,
      last_holder TEXT NOT NULL DEFAULT '')`);
    db.exec('INSERT OR IGNORE INTO budget (id, next_slot, paused_until, last_grant) VALUES (1, 0, 0, 0)');
    const select = db.prepare<[], { next_slot: number; paused_until: number; last_grant: number; last_holder: string }>(
      'SELECT next_slot, paused_until, last_grant, last_holder FROM budget WHERE id = 1',
    );
    const setNext = db.prepare('UPDATE budget SET next_slot = ? WHERE id = 1');
    const setGrant = db.prepare('UPDATE budget SET last_grant = ?, last_holder = ?, next_slot = max(next_slot, ?) WHERE id = 1');
    const setPause = db.prepare('UPDATE budget SET paused_until = max(paused_until, ?) WHERE id = 1');
    const take = db.transaction(() => {
      const row = select.get()!;
      const slot = Math.max(this.clock.now(), row.next_slot, row.paused_until);
      setNext.run(slot + this.intervalMs);
      return slot;
    });
    // A timer that fires late must not bunch grants: the grant itself keeps the spacing, like RateLimiter.
    const grant = db.transaction((): number => {
      const row = select.get()!;
      const now = this.clock.now();
      const spacing = row.last_holder === holder ? this.intervalMs : this.crossIntervalMs;
      const due = Math.max(row.last_grant + spacing, row.paused_until);
      if (now < due) return due - now;
      setGrant.run(now, holder, now + this.intervalMs);
      return 0;
    });
    this.takeSlot = () => take.immediate();
    this.takeGrant = () => grant.immediate();
    this.readPause = () => select.get()!.paused_until;
    this.writePause = (untilMs) => setPause.run(untilMs);
  }

  /** Reserves the next free slot of the shared sequence (its place in line) and resolves when granted. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const slot = this.takeSlot();
    await this.clock.sleep(slot - this.clock.now(), signal);
    // Past a pause another process was told (429), and never closer than the interval to the last grant.
    for (let wait = this.takeGrant(); wait > 0; wait = this.takeGrant()) await this.clock.sleep(wait, signal);
  }

  /** Holds every process of this token until `untilMs` (after a 429 or an exhausted quota). */
  pause(untilMs: number): void {
    this.writePause(untilMs);
  }

  pausedUntil(): number {
    return this.readPause();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * A RateLimiter for PinterestClient's `limiter` option: ads_write slots come from the token's shared
 * budget, every other category is spaced in this process as before.
 */
export class SharedRateLimiter extends RateLimiter {
  private readonly budgets = new Map<string, TokenBudget>();

  constructor(
    private readonly sqlite: Sqlite,
    private readonly budgetDir: string,
    private readonly sharedRates: CategoryRates,
    private readonly budgetClock: Clock = realClock,
  ) {
    super(sharedRates, budgetClock);
  }

  /**
   * First this process's own lane, paced at what Pinterest's answers taught it (observe(): quotas,
   * 429s), then a slot of the budget shared with the other processes of this PINSYNC_HOME.
   */
  override async acquire(key: string, category: string, signal?: AbortSignal): Promise<void> {
    await super.acquire(key, category, signal);
    await this.budget(key, category)?.acquire(signal);
  }

  /** A pause Pinterest asked for holds this process's lane and every process sharing the token. */
  override pause(key: string, category: string, untilMs: number): void {
    super.pause(key, category, untilMs);
    this.budget(key, category)?.pause(untilMs);
  }

  override pausedUntil(key: string, category: string): number {
    return Math.max(super.pausedUntil(key, category), this.budget(key, category)?.pausedUntil() ?? 0);
  }

  close(): void {
    for (const budget of this.budgets.values()) budget.close();
    this.budgets.clear();
  }

  private budget(key: string, category: string): TokenBudget | undefined {
    const rate = this.sharedRates[category];
    if (!SHARED_CATEGORIES.includes(category) || !rate || !Number.isFinite(rate) || rate <= 0) return undefined;
    const id = `${key}\u0000${category}`;
    let budget = this.budgets.get(id);
    if (!budget) {
      budget = new TokenBudget(new this.sqlite(budgetFile(this.budgetDir, key, category)), rate, this.budgetClock);
      this.budgets.set(id, budget);
    }
    return budget;
  }
}

/**
 * The limiter a client of this PINSYNC_HOME should use: `stateDir` is ctx.paths.stateDir, `rates`
 * the client's own ({ ads_write: writeRate, ads_read: readRate }). Loads better-sqlite3 lazily.
 */
export async function openSharedRateLimiter(stateDir: string, rates: CategoryRates, clock: Clock = realClock): Promise<SharedRateLimiter> {
  const { default: sqlite } = await import('better-sqlite3');
  const dir = path.join(stateDir, 'budgets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return new SharedRateLimiter(sqlite, dir, rates, clock);
}

/** `key` is already a digest of the token; hashing again keeps even that out of file names. */
function budgetFile(dir: string, key: string, category: string): string {
  return path.join(dir, `${createHash('sha256').update(`${key}\u0000${category}`).digest('hex').slice(0, 32)}.db`);
}
